// messages.cc: raw message bytes, their locations, parse attempts,
// quarantine and decisions.
#include <climits>
#include <string>

#include "core/hash.h"
#include "core/text.h"
#include "store/internal.h"

namespace inboxd::store {

namespace {

using internal::Bytes;
using internal::Dump;
using internal::FromUnix;
using internal::ToUnix;

bool IsLowerHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string Place(const RawMessageIn& in) {
  return in.mailbox + "/" + in.folder + " uid " +
         std::to_string(in.uid_validity) + ":" + std::to_string(in.uid);
}

core::Status Validate(const RawMessageIn& in) {
  const std::string where = "put message " + Place(in);
  auto bad = [&](const std::string& why) {
    return core::Fail(core::Error::InvalidArgument(where + ": " + why));
  };
  if (in.mailbox.empty()) return bad("empty mailbox");
  if (in.folder.empty()) return bad("empty folder");
  if ((in.uid == 0) != (in.uid_validity == 0)) {
    return bad("uid and uid_validity must both be set (IMAP) or both be 0");
  }
  if (!IsLowerHex64(in.sha256)) return bad("sha256 is not 64 lower-case hex");
  if (in.raw.size() > static_cast<size_t>(INT_MAX)) return bad("too large");
  if (in.truncated) {
    if (in.quarantine_reason.empty()) {
      return bad("a truncated message needs a quarantine reason");
    }
    if (in.raw.size() > in.size) return bad("truncated bytes exceed size");
  } else {
    if (in.raw.size() != in.size) {
      return bad("size " + std::to_string(in.size) + " but " +
                 std::to_string(in.raw.size()) + " bytes");
    }
    if (core::Sha256Hex(in.raw) != in.sha256) {
      return bad("sha256 does not match the bytes");
    }
  }
  return core::Ok();
}

MessageLocation ReadLocation(const SQLite::Statement& st) {
  MessageLocation l;
  l.mailbox = Bytes(st.getColumn(0));
  l.folder = Bytes(st.getColumn(1));
  l.uid_validity = static_cast<uint32_t>(st.getColumn(2).getInt64());
  l.uid = static_cast<uint32_t>(st.getColumn(3).getInt64());
  l.role = ParseRole(Bytes(st.getColumn(4))).value_or(Role::kIncoming);
  l.arrived_at = FromUnix(st.getColumn(5).getInt64());
  l.seen_at = FromUnix(st.getColumn(6).getInt64());
  return l;
}

}  // namespace

core::Result<MessageState> Store::MessageStateLocked(int64_t message_row) {
  SQLite::Statement st(*db_, "SELECT state FROM messages WHERE id = ?");
  st.bind(1, message_row);
  if (!st.executeStep()) {
    return core::Fail(core::Error::NotFound(
        "message " + std::to_string(message_row) + " not found"));
  }
  return ParseMessageState(Bytes(st.getColumn(0)));
}

core::Result<MessageRef> Store::PutRawMessage(const RawMessageIn& in) {
  if (auto st = Validate(in); !st) return core::Fail(st.error());
  const std::string what = "put message " + Place(in);
  return Write(what.c_str(), [&]() -> core::Result<MessageRef> {
    const int64_t now = ToUnix(clock_->Now());
    MessageRef ref;

    // The content: one row per (message_id, sha256).
    {
      SQLite::Statement find(
          *db_, "SELECT id FROM messages WHERE message_id = ? AND sha256 = ?");
      find.bind(1, in.message_id);
      find.bind(2, in.sha256);
      if (find.executeStep()) ref.id = find.getColumn(0).getInt64();
    }
    if (ref.id == 0) {
      SQLite::Statement insert(
          *db_,
          "INSERT INTO messages (message_id, sha256, size, truncated, raw, "
          "role, arrived_at, stored_at, state, quarantine_reason) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      insert.bind(1, in.message_id);
      insert.bind(2, in.sha256);
      insert.bind(3, static_cast<int64_t>(in.size));
      insert.bind(4, in.truncated ? 1 : 0);
      internal::BindBlob(insert, 5, in.raw);
      insert.bind(6, std::string(ToString(in.role)));
      insert.bind(7, ToUnix(in.arrived_at));
      insert.bind(8, now);
      insert.bind(9, std::string(ToString(in.quarantine_reason.empty()
                                              ? MessageState::kStored
                                              : MessageState::kQuarantined)));
      insert.bind(10, in.quarantine_reason);
      Exec(insert);
      ref.id = db_->getLastInsertRowid();
      ref.new_message = true;
    }
    if (!in.message_id.empty()) {
      SQLite::Statement same(
          *db_,
          "SELECT MIN(id) FROM messages WHERE message_id = ? AND id <> ?");
      same.bind(1, in.message_id);
      same.bind(2, ref.id);
      if (same.executeStep() && !same.getColumn(0).isNull()) {
        ref.same_message_id_as = same.getColumn(0).getInt64();
      }
    }

    // The place. "uid > 0" lets SQLite use the partial unique index
    // message_locations_imap (a bound uid proves nothing to the planner);
    // without it the lookup scanned every location of the folder, a cost
    // that grew with the store (issue 13).
    {
      SQLite::Statement find(
          *db_,
          in.uid > 0
              ? "SELECT message_row FROM message_locations WHERE mailbox = ? "
                "AND folder = ? AND uid_validity = ? AND uid = ? AND uid > 0"
              : "SELECT message_row FROM message_locations WHERE mailbox = ? "
                "AND folder = ? AND uid = 0 AND message_row = ?");
      find.bind(1, in.mailbox);
      find.bind(2, in.folder);
      if (in.uid > 0) {
        find.bind(3, static_cast<int64_t>(in.uid_validity));
        find.bind(4, static_cast<int64_t>(in.uid));
      } else {
        find.bind(3, ref.id);
      }
      if (find.executeStep()) {
        if (find.getColumn(0).getInt64() != ref.id) {
          return core::Fail(core::Error::FailedPrecondition(
              what + ": this uid already holds message " +
              std::to_string(find.getColumn(0).getInt64()) +
              " with other content"));
        }
      } else {
        SQLite::Statement insert(
            *db_,
            "INSERT INTO message_locations (message_row, mailbox, folder, "
            "uid_validity, uid, role, arrived_at, seen_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        insert.bind(1, ref.id);
        insert.bind(2, in.mailbox);
        insert.bind(3, in.folder);
        insert.bind(4, static_cast<int64_t>(in.uid_validity));
        insert.bind(5, static_cast<int64_t>(in.uid));
        insert.bind(6, std::string(ToString(in.role)));
        insert.bind(7, ToUnix(in.arrived_at));
        insert.bind(8, now);
        Exec(insert);
        ref.new_location = true;
      }
    }

    // The audit trail.
    nlohmann::json data = {{"sha256", in.sha256},
                           {"size", in.size},
                           {"message_id", in.message_id},
                           {"folder", in.folder},
                           {"uid_validity", in.uid_validity},
                           {"uid", in.uid},
                           {"role", ToString(in.role)}};
    if (ref.new_message) {
      if (in.truncated) data["truncated"] = true;
      AppendEventLocked({.type = "message.stored",
                         .mailbox = in.mailbox,
                         .message_row = ref.id,
                         .data = Dump(data)});
      if (!in.quarantine_reason.empty()) {
        AppendEventLocked({.type = "message.quarantined",
                           .mailbox = in.mailbox,
                           .message_row = ref.id,
                           .data = Dump({{"reason", in.quarantine_reason}})});
      }
    } else if (ref.new_location) {
      AppendEventLocked({.type = "message.location_added",
                         .mailbox = in.mailbox,
                         .message_row = ref.id,
                         .data = Dump(data)});
      // The same message in another mailbox belongs to the same tickets.
      std::vector<int64_t> tickets;
      SQLite::Statement st(
          *db_, "SELECT ticket_id FROM ticket_messages WHERE message_row = ?");
      st.bind(1, ref.id);
      while (st.executeStep()) tickets.push_back(st.getColumn(0).getInt64());
      for (int64_t ticket : tickets) AddMailboxLocked(ticket, in.mailbox);
    }
    return ref;
  });
}

core::Result<StoredMessage> Store::GetMessage(int64_t message_row) {
  return Read("get message", [&]() -> core::Result<StoredMessage> {
    SQLite::Statement st(
        *db_,
        "SELECT id, message_id, sha256, size, truncated, role, arrived_at, "
        "stored_at, state, parse_attempts, quarantine_reason, raw "
        "FROM messages WHERE id = ?");
    st.bind(1, message_row);
    if (!st.executeStep()) {
      return core::Fail(core::Error::NotFound(
          "message " + std::to_string(message_row) + " not found"));
    }
    StoredMessage m;
    m.id = st.getColumn(0).getInt64();
    m.message_id = Bytes(st.getColumn(1));
    m.sha256 = Bytes(st.getColumn(2));
    m.size = static_cast<size_t>(st.getColumn(3).getInt64());
    m.truncated = st.getColumn(4).getInt() != 0;
    auto role = ParseRole(Bytes(st.getColumn(5)));
    if (!role) return core::Fail(role.error());
    m.role = *role;
    m.arrived_at = FromUnix(st.getColumn(6).getInt64());
    m.stored_at = FromUnix(st.getColumn(7).getInt64());
    auto state = ParseMessageState(Bytes(st.getColumn(8)));
    if (!state) return core::Fail(state.error());
    m.state = *state;
    m.parse_attempts = st.getColumn(9).getInt();
    m.quarantine_reason = Bytes(st.getColumn(10));
    m.raw = Bytes(st.getColumn(11));
    SQLite::Statement loc(
        *db_,
        "SELECT mailbox, folder, uid_validity, uid, role, arrived_at, seen_at "
        "FROM message_locations WHERE message_row = ? ORDER BY id");
    loc.bind(1, message_row);
    while (loc.executeStep()) m.locations.push_back(ReadLocation(loc));
    return m;
  });
}

core::Result<std::vector<int64_t>> Store::FindMessagesByMessageId(
    const std::string& message_id) {
  return Read("find messages", [&]() -> core::Result<std::vector<int64_t>> {
    std::vector<int64_t> out;
    if (message_id.empty()) return out;
    SQLite::Statement st(
        *db_, "SELECT id FROM messages WHERE message_id = ? ORDER BY id");
    st.bind(1, message_id);
    while (st.executeStep()) out.push_back(st.getColumn(0).getInt64());
    return out;
  });
}

core::Result<int> Store::BeginParse(int64_t message_row) {
  const std::string what = "begin parse message " + std::to_string(message_row);
  return Write(what.c_str(), [&]() -> core::Result<int> {
    auto state = MessageStateLocked(message_row);
    if (!state) return core::Fail(state.error());
    if (*state != MessageState::kStored) {
      return core::Fail(core::Error::FailedPrecondition(
          what + ": state is " + std::string(ToString(*state))));
    }
    SQLite::Statement st(*db_,
                         "UPDATE messages SET parse_attempts = "
                         "parse_attempts + 1 WHERE id = ? "
                         "RETURNING parse_attempts");
    st.bind(1, message_row);
    MaybeInjectFault();
    if (!st.executeStep()) {
      return core::Fail(core::Error::Internal(what + ": no row updated"));
    }
    return st.getColumn(0).getInt();
  });
}

core::Result<std::vector<UnprocessedMessage>> Store::ListUnprocessed(
    int limit) {
  return Read(
      "list unprocessed",
      [&]() -> core::Result<std::vector<UnprocessedMessage>> {
        SQLite::Statement st(
            *db_,
            "SELECT id, parse_attempts, arrived_at FROM messages "
            "WHERE state = 'stored' ORDER BY id LIMIT ?");
        st.bind(1, limit > 0 ? limit : -1);
        std::vector<UnprocessedMessage> out;
        while (st.executeStep()) {
          out.push_back({.id = st.getColumn(0).getInt64(),
                         .parse_attempts = st.getColumn(1).getInt(),
                         .arrived_at = FromUnix(st.getColumn(2).getInt64())});
        }
        return out;
      });
}

core::Status Store::MarkQuarantined(int64_t message_row,
                                    const std::string& reason) {
  const std::string what = "quarantine message " + std::to_string(message_row);
  if (reason.empty()) {
    return core::Fail(core::Error::InvalidArgument(what + ": empty reason"));
  }
  return Write(what.c_str(), [&]() -> core::Status {
    auto state = MessageStateLocked(message_row);
    if (!state) return core::Fail(state.error());
    if (*state != MessageState::kStored) {
      return core::Fail(core::Error::FailedPrecondition(
          what + ": state is " + std::string(ToString(*state))));
    }
    SQLite::Statement st(*db_,
                         "UPDATE messages SET state = 'quarantined', "
                         "quarantine_reason = ? WHERE id = ?");
    st.bind(1, reason);
    st.bind(2, message_row);
    Exec(st);
    AppendEventLocked({.type = "message.quarantined",
                       .message_row = message_row,
                       .data = Dump({{"reason", reason}})});
    return core::Ok();
  });
}

core::Status Store::RecordDecision(int64_t message_row,
                                   const DecisionRow& row) {
  const std::string what =
      "record decision message " + std::to_string(message_row);
  return Write(what.c_str(),
               [&] { return RecordDecisionLocked(message_row, row); });
}

core::Result<TicketRef> Store::RecordDecisionWithNewTicket(
    int64_t message_row, const TicketIn& ticket, const DecisionRow& row) {
  const std::string what =
      "record decision with new ticket message " + std::to_string(message_row);
  return Write(what.c_str(), [&]() -> core::Result<TicketRef> {
    // Refuse before a tag number is used (the rollback would undo it too).
    auto state = MessageStateLocked(message_row);
    if (!state) return core::Fail(state.error());
    if (*state != MessageState::kStored) {
      return core::Fail(core::Error::FailedPrecondition(
          what + ": state is " + std::string(ToString(*state))));
    }
    TicketIn in = ticket;
    in.first_message = message_row;
    auto ref = CreateTicketLocked(in);
    if (!ref) return core::Fail(ref.error());
    DecisionRow decided = row;
    decided.ticket_id = ref->id;
    if (auto st = RecordDecisionLocked(message_row, decided); !st) {
      return core::Fail(st.error());
    }
    return ref;
  });
}

core::Status Store::RecordDecisionLocked(int64_t message_row,
                                         const DecisionRow& row) {
  const std::string what =
      "record decision message " + std::to_string(message_row);
  nlohmann::json reasons =
      nlohmann::json::parse(row.reasons_json, nullptr, false);
  if (reasons.is_discarded() || !reasons.is_array()) {
    return core::Fail(core::Error::InvalidArgument(
        what + ": reasons_json is not a JSON array"));
  }
  auto state = MessageStateLocked(message_row);
  if (!state) return core::Fail(state.error());
  if (*state != MessageState::kStored) {
    return core::Fail(core::Error::FailedPrecondition(
        what + ": state is " + std::string(ToString(*state))));
  }
  if (row.ticket_id > 0 && !TicketExists(row.ticket_id)) {
    return core::Fail(core::Error::FailedPrecondition(
        what + ": ticket " + std::to_string(row.ticket_id) + " not found"));
  }
  SQLite::Statement update(
      *db_, "UPDATE messages SET state = 'processed' WHERE id = ?");
  update.bind(1, message_row);
  Exec(update);
  SQLite::Statement insert(
      *db_,
      "INSERT INTO decisions (message_row, kind, cls, thread, language, ack, "
      "reasons, ticket_id, decided_at, decision, flags, party) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.bind(1, message_row);
  insert.bind(2, row.kind);
  insert.bind(3, row.cls);
  insert.bind(4, row.thread);
  insert.bind(5, row.language);
  insert.bind(6, row.ack ? 1 : 0);
  insert.bind(7, row.reasons_json);
  if (row.ticket_id > 0) {
    insert.bind(8, row.ticket_id);
  } else {
    insert.bind(8);
  }
  insert.bind(9, ToUnix(clock_->Now()));
  insert.bind(10, row.decision);
  std::string flags;
  for (const std::string& f : row.flags)
    flags += (flags.empty() ? "," : "") + f + ",";
  insert.bind(11, flags);
  insert.bind(12, row.party);
  Exec(insert);
  if (row.ticket_id > 0) {
    AttachLocked(row.ticket_id, message_row);
    for (const std::string& f : row.flags)
      AddTicketFlagLocked(row.ticket_id, f);
  }
  AppendEventLocked({.type = "message.processed",
                     .ticket_id = row.ticket_id,
                     .message_row = message_row,
                     .data = Dump({{"kind", row.kind},
                                   {"class", row.cls},
                                   {"thread", row.thread},
                                   {"language", row.language},
                                   {"ack", row.ack},
                                   {"decision", row.decision},
                                   {"flags", row.flags},
                                   {"party", row.party},
                                   {"reasons", reasons}})});
  return core::Ok();
}

core::Result<Decision> Store::GetDecision(int64_t message_row) {
  return Read("get decision", [&]() -> core::Result<Decision> {
    SQLite::Statement st(
        *db_,
        "SELECT kind, cls, thread, language, ack, reasons, ticket_id, "
        "decided_at, decision, flags, party FROM decisions WHERE "
        "message_row = ?");
    st.bind(1, message_row);
    if (!st.executeStep()) {
      return core::Fail(core::Error::NotFound("decision for message " +
                                              std::to_string(message_row) +
                                              " not found"));
    }
    Decision d;
    d.message_row = message_row;
    d.kind = Bytes(st.getColumn(0));
    d.cls = Bytes(st.getColumn(1));
    d.thread = Bytes(st.getColumn(2));
    d.language = Bytes(st.getColumn(3));
    d.ack = st.getColumn(4).getInt() != 0;
    d.reasons_json = Bytes(st.getColumn(5));
    d.ticket_id = st.getColumn(6).isNull() ? 0 : st.getColumn(6).getInt64();
    d.decided_at = FromUnix(st.getColumn(7).getInt64());
    d.decision = Bytes(st.getColumn(8));
    // Split returns views: keep the text alive while they are read.
    const std::string flags = Bytes(st.getColumn(9));
    for (std::string_view f : core::Split(flags, ',')) {
      if (!f.empty()) d.flags.emplace_back(f);
    }
    d.party = Bytes(st.getColumn(10));
    return d;
  });
}

core::Result<std::vector<int64_t>> Store::ListUnplannedDecisions(int limit) {
  return Read("list unplanned decisions",
              [&]() -> core::Result<std::vector<int64_t>> {
                SQLite::Statement st(*db_,
                                     "SELECT message_row FROM decisions WHERE "
                                     "planned_at IS NULL ORDER BY message_row "
                                     "LIMIT ?");
                st.bind(1, limit);
                std::vector<int64_t> out;
                while (st.executeStep()) {
                  out.push_back(st.getColumn(0).getInt64());
                }
                return out;
              });
}

core::Status Store::MarkDecisionPlanned(int64_t message_row) {
  const std::string what =
      "mark decision planned message " + std::to_string(message_row);
  return Write(what.c_str(), [&]() -> core::Status {
    SQLite::Statement st(*db_,
                         "UPDATE decisions SET planned_at = COALESCE("
                         "planned_at, ?) WHERE message_row = ?");
    st.bind(1, ToUnix(clock_->Now()));
    st.bind(2, message_row);
    if (Exec(st) == 0) {
      return core::Fail(core::Error::NotFound(what + ": no decision"));
    }
    return core::Ok();
  });
}

}  // namespace inboxd::store
