// outbox.cc: the transactional outbox (issue 5).
//
// queued -> sending -> sent | deferred | failed, and deferred -> sending when
// due. A row is complete (every header and byte) before it is queued, so a
// send after a crash sends exactly what was decided. Schema constraints keep
// one "ack" per ticket and one row per Message-ID.
#include <string>

#include "core/text.h"
#include "store/internal.h"

namespace inboxd::store {

namespace {

using internal::Bytes;
using internal::Dump;
using internal::FromUnix;
using internal::ToUnix;

bool HasCrLfOrNul(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) !=
         std::string_view::npos;
}

core::Status Validate(const OutgoingIn& in) {
  const std::string what =
      "enqueue " + in.kind + " <" + core::Printable(in.message_id) + ">";
  auto bad = [&](const std::string& why) {
    return core::Fail(core::Error::InvalidArgument(what + ": " + why));
  };
  if (in.kind.empty()) return bad("empty kind");
  if (in.mailbox.empty()) return bad("empty mailbox");
  if (in.message_id.empty()) return bad("empty message_id");
  if (in.from.empty()) return bad("empty from");
  if (in.recipients.empty()) return bad("no recipients");
  if (in.raw.empty()) return bad("empty message");
  if (in.kind == "ack" && in.ticket_id <= 0)
    return bad("an ack needs a ticket");
  // Anything that goes into an SMTP command or header must be one line.
  if (HasCrLfOrNul(in.message_id) || HasCrLfOrNul(in.from) ||
      HasCrLfOrNul(in.envelope_from) || HasCrLfOrNul(in.kind)) {
    return bad("CR, LF or NUL in an address or id");
  }
  for (const std::string& r : in.recipients) {
    if (r.empty() || HasCrLfOrNul(r)) return bad("bad recipient");
  }
  return core::Ok();
}

constexpr char kColumns[] =
    "id, ticket_id, kind, mailbox, message_id, from_addr, envelope_from, raw, "
    "reason, state, attempts, next_attempt_at, last_error, created_at, "
    "updated_at, sent_at, appended_to_sent_at";

}  // namespace

core::Result<Outgoing> Store::LoadOutgoing(int64_t id) {
  SQLite::Statement st(
      *db_, std::string("SELECT ") + kColumns + " FROM outbox WHERE id = ?");
  st.bind(1, id);
  if (!st.executeStep()) {
    return core::Fail(
        core::Error::NotFound("outbox " + std::to_string(id) + " not found"));
  }
  Outgoing o;
  o.id = st.getColumn(0).getInt64();
  o.ticket_id = st.getColumn(1).isNull() ? 0 : st.getColumn(1).getInt64();
  o.kind = Bytes(st.getColumn(2));
  o.mailbox = Bytes(st.getColumn(3));
  o.message_id = Bytes(st.getColumn(4));
  o.from = Bytes(st.getColumn(5));
  o.envelope_from = Bytes(st.getColumn(6));
  o.raw = Bytes(st.getColumn(7));
  o.reason = Bytes(st.getColumn(8));
  auto state = ParseOutboxState(Bytes(st.getColumn(9)));
  if (!state) return core::Fail(state.error());
  o.state = *state;
  o.attempts = st.getColumn(10).getInt();
  o.next_attempt_at = FromUnix(st.getColumn(11).getInt64());
  o.last_error = Bytes(st.getColumn(12));
  o.created_at = FromUnix(st.getColumn(13).getInt64());
  o.updated_at = FromUnix(st.getColumn(14).getInt64());
  if (!st.getColumn(15).isNull()) {
    o.sent_at = FromUnix(st.getColumn(15).getInt64());
  }
  if (!st.getColumn(16).isNull()) {
    o.appended_to_sent_at = FromUnix(st.getColumn(16).getInt64());
  }
  SQLite::Statement rcpt(*db_,
                         "SELECT address FROM outbox_recipients WHERE "
                         "outbox_id = ? ORDER BY position");
  rcpt.bind(1, id);
  while (rcpt.executeStep()) o.recipients.push_back(Bytes(rcpt.getColumn(0)));
  return o;
}

core::Result<int64_t> Store::EnqueueOutgoing(const OutgoingIn& in) {
  if (auto st = Validate(in); !st) return core::Fail(st.error());
  const std::string what =
      "enqueue " + in.kind + " <" + core::Printable(in.message_id) + ">";
  return Write(what.c_str(), [&]() -> core::Result<int64_t> {
    if (in.ticket_id > 0 && !TicketExists(in.ticket_id)) {
      return core::Fail(core::Error::FailedPrecondition(
          what + ": ticket " + std::to_string(in.ticket_id) + " not found"));
    }
    // The schema enforces both rules; checking first gives a clear message.
    if (in.kind == "ack") {
      SQLite::Statement st(*db_,
                           "SELECT id FROM outbox WHERE ticket_id = ? AND "
                           "kind = 'ack'");
      st.bind(1, in.ticket_id);
      if (st.executeStep()) {
        return core::Fail(core::Error::FailedPrecondition(
            what + ": an ack for ticket " + std::to_string(in.ticket_id) +
            " is already queued (outbox " +
            std::to_string(st.getColumn(0).getInt64()) + ")"));
      }
    }
    {
      SQLite::Statement st(*db_, "SELECT id FROM outbox WHERE message_id = ?");
      st.bind(1, in.message_id);
      if (st.executeStep()) {
        return core::Fail(core::Error::FailedPrecondition(
            what + ": message id already queued (outbox " +
            std::to_string(st.getColumn(0).getInt64()) + ")"));
      }
    }
    const int64_t now = ToUnix(clock_->Now());
    SQLite::Statement insert(
        *db_,
        "INSERT INTO outbox (ticket_id, kind, mailbox, message_id, from_addr, "
        "envelope_from, raw, reason, next_attempt_at, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (in.ticket_id > 0) {
      insert.bind(1, in.ticket_id);
    } else {
      insert.bind(1);
    }
    insert.bind(2, in.kind);
    insert.bind(3, in.mailbox);
    insert.bind(4, in.message_id);
    insert.bind(5, in.from);
    insert.bind(6, in.envelope_from);
    internal::BindBlob(insert, 7, in.raw);
    insert.bind(8, in.reason);
    insert.bind(9, now);
    insert.bind(10, now);
    insert.bind(11, now);
    Exec(insert);
    const int64_t id = db_->getLastInsertRowid();
    SQLite::Statement rcpt(*db_,
                           "INSERT INTO outbox_recipients (outbox_id, "
                           "position, address, address_lower) "
                           "VALUES (?, ?, ?, ?)");
    for (size_t i = 0; i < in.recipients.size(); ++i) {
      rcpt.bind(1, id);
      rcpt.bind(2, static_cast<int64_t>(i));
      rcpt.bind(3, in.recipients[i]);
      rcpt.bind(4, core::AsciiLower(in.recipients[i]));
      Exec(rcpt);
      rcpt.reset();
    }
    AppendEventLocked({.type = "outbox.queued",
                       .mailbox = in.mailbox,
                       .ticket_id = in.ticket_id,
                       .data = Dump({{"outbox", id},
                                     {"kind", in.kind},
                                     {"message_id", in.message_id},
                                     {"recipients", in.recipients},
                                     {"reason", in.reason}})});
    return id;
  });
}

core::Result<std::optional<Outgoing>> Store::ClaimNextDue(core::TimePoint now) {
  return Write("outbox claim", [&]() -> core::Result<std::optional<Outgoing>> {
    SQLite::Statement st(*db_,
                         "SELECT id, state FROM outbox WHERE state IN "
                         "('queued', 'deferred') AND next_attempt_at <= ? "
                         "ORDER BY next_attempt_at, id LIMIT 1");
    st.bind(1, ToUnix(now));
    if (!st.executeStep()) return std::optional<Outgoing>();
    const int64_t id = st.getColumn(0).getInt64();
    const std::string from = Bytes(st.getColumn(1));
    st.reset();
    SQLite::Statement update(*db_,
                             "UPDATE outbox SET state = 'sending', updated_at "
                             "= ? WHERE id = ?");
    update.bind(1, ToUnix(clock_->Now()));
    update.bind(2, id);
    Exec(update);
    auto row = LoadOutgoing(id);
    if (!row) return core::Fail(row.error());
    AppendEventLocked(
        {.type = "outbox.sending",
         .mailbox = row->mailbox,
         .ticket_id = row->ticket_id,
         .data = Dump(
             {{"outbox", id}, {"from", from}, {"attempts", row->attempts}})});
    return std::optional<Outgoing>(std::move(*row));
  });
}

core::Status Store::OutboxTransition(int64_t id, const char* what,
                                     std::initializer_list<OutboxState> from,
                                     OutboxState to, const std::string& error,
                                     std::optional<core::TimePoint> at,
                                     const char* event) {
  const std::string context =
      std::string(what) + " outbox " + std::to_string(id);
  return Write(context.c_str(), [&]() -> core::Status {
    auto row = LoadOutgoing(id);
    if (!row) return core::Fail(row.error());
    bool allowed = false;
    for (OutboxState s : from) allowed = allowed || s == row->state;
    if (!allowed) {
      return core::Fail(core::Error::FailedPrecondition(
          context + ": cannot go from " + std::string(ToString(row->state)) +
          " to " + std::string(ToString(to))));
    }
    const int64_t now = ToUnix(clock_->Now());
    SQLite::Statement st(
        *db_,
        "UPDATE outbox SET state = :state, updated_at = :now, "
        "last_error = CASE WHEN :error = '' THEN last_error ELSE :error END, "
        "attempts = attempts + :inc, "
        "next_attempt_at = CASE WHEN :next IS NULL THEN next_attempt_at "
        "ELSE :next END, "
        "sent_at = CASE WHEN :sent IS NULL THEN sent_at ELSE :sent END "
        "WHERE id = :id");
    st.bind(":state", std::string(ToString(to)));
    st.bind(":now", now);
    st.bind(":error", error);
    st.bind(":inc", to == OutboxState::kDeferred ? 1 : 0);
    if ((to == OutboxState::kDeferred || to == OutboxState::kQueued) && at) {
      st.bind(":next", ToUnix(*at));
    } else {
      st.bind(":next");
    }
    if (to == OutboxState::kSent && at) {
      st.bind(":sent", ToUnix(*at));
    } else {
      st.bind(":sent");
    }
    st.bind(":id", id);
    Exec(st);
    nlohmann::json data = {{"outbox", id},
                           {"from", ToString(row->state)},
                           {"message_id", row->message_id}};
    if (!error.empty()) data["error"] = error;
    if (at) data["at"] = core::FormatUtc(*at);
    if (to == OutboxState::kDeferred) data["attempts"] = row->attempts + 1;
    AppendEventLocked({.type = event != nullptr
                                   ? std::string(event)
                                   : "outbox." + std::string(ToString(to)),
                       .mailbox = row->mailbox,
                       .ticket_id = row->ticket_id,
                       .data = Dump(data)});
    return core::Ok();
  });
}

core::Status Store::MarkSent(int64_t id, core::TimePoint at) {
  return OutboxTransition(id, "mark sent", {OutboxState::kSending},
                          OutboxState::kSent, "", at);
}

core::Status Store::MarkDeferred(int64_t id, core::TimePoint next_attempt_at,
                                 const std::string& error) {
  return OutboxTransition(id, "mark deferred", {OutboxState::kSending},
                          OutboxState::kDeferred, error, next_attempt_at);
}

core::Status Store::Requeue(int64_t id, core::TimePoint due_at,
                            const std::string& reason) {
  return OutboxTransition(id, "requeue", {OutboxState::kSending},
                          OutboxState::kQueued, reason, due_at,
                          "outbox.requeued");
}

core::Status Store::MarkFailed(int64_t id, const std::string& error) {
  return OutboxTransition(
      id, "mark failed",
      {OutboxState::kQueued, OutboxState::kSending, OutboxState::kDeferred},
      OutboxState::kFailed, error, std::nullopt);
}

core::Status Store::MarkAppendedToSent(int64_t id) {
  const std::string what = "mark appended outbox " + std::to_string(id);
  return Write(what.c_str(), [&]() -> core::Status {
    auto row = LoadOutgoing(id);
    if (!row) return core::Fail(row.error());
    if (row->state != OutboxState::kSent) {
      return core::Fail(core::Error::FailedPrecondition(
          what + ": state is " + std::string(ToString(row->state))));
    }
    if (row->appended_to_sent_at) return core::Ok();  // idempotent
    SQLite::Statement st(*db_,
                         "UPDATE outbox SET appended_to_sent_at = ?, "
                         "updated_at = ? WHERE id = ?");
    const int64_t now = ToUnix(clock_->Now());
    st.bind(1, now);
    st.bind(2, now);
    st.bind(3, id);
    Exec(st);
    AppendEventLocked(
        {.type = "outbox.appended",
         .mailbox = row->mailbox,
         .ticket_id = row->ticket_id,
         .data = Dump({{"outbox", id}, {"message_id", row->message_id}})});
    return core::Ok();
  });
}

core::Result<Outgoing> Store::GetOutgoing(int64_t id) {
  return Read("get outgoing", [&]() { return LoadOutgoing(id); });
}

namespace {

template <typename Load>
core::Result<std::vector<Outgoing>> LoadAll(SQLite::Statement& st,
                                            Load&& load) {
  std::vector<int64_t> ids;
  while (st.executeStep()) ids.push_back(st.getColumn(0).getInt64());
  std::vector<Outgoing> out;
  for (int64_t id : ids) {
    auto row = load(id);
    if (!row) return core::Fail(row.error());
    out.push_back(std::move(*row));
  }
  return out;
}

}  // namespace

core::Result<std::vector<Outgoing>> Store::ListInState(OutboxState state) {
  return Read("list outbox", [&]() -> core::Result<std::vector<Outgoing>> {
    SQLite::Statement st(*db_,
                         "SELECT id FROM outbox WHERE state = ? ORDER BY id");
    st.bind(1, std::string(ToString(state)));
    return LoadAll(st, [&](int64_t id) { return LoadOutgoing(id); });
  });
}

core::Result<std::vector<Outgoing>> Store::ListSentNotAppended() {
  return Read("list unappended", [&]() -> core::Result<std::vector<Outgoing>> {
    // The partial index names exactly these rows; without INDEXED BY the
    // planner prefers the index on state and walks every sent reply.
    SQLite::Statement st(*db_,
                         "SELECT id FROM outbox INDEXED BY outbox_unappended "
                         "WHERE state = 'sent' AND appended_to_sent_at IS NULL "
                         "ORDER BY id");
    return LoadAll(st, [&](int64_t id) { return LoadOutgoing(id); });
  });
}

core::Result<int64_t> Store::CountSentTo(const std::string& recipient,
                                         core::TimePoint since) {
  return Read("count sent", [&]() -> core::Result<int64_t> {
    SQLite::Statement st(
        *db_,
        "SELECT COUNT(DISTINCT o.id) FROM outbox o JOIN outbox_recipients r "
        "ON r.outbox_id = o.id WHERE r.address_lower = ? AND o.created_at >= "
        "? AND o.state <> 'failed'");
    st.bind(1, core::AsciiLower(recipient));
    st.bind(2, ToUnix(since));
    if (!st.executeStep()) return int64_t{0};
    return st.getColumn(0).getInt64();
  });
}

core::Result<int64_t> Store::CountOutgoingTo(const std::string& recipient,
                                             const std::string& kind,
                                             const std::string& reason) {
  return Read("count outgoing", [&]() -> core::Result<int64_t> {
    SQLite::Statement st(
        *db_,
        "SELECT COUNT(DISTINCT o.id) FROM outbox o JOIN outbox_recipients r "
        "ON r.outbox_id = o.id WHERE r.address_lower = ? AND o.kind = ? AND "
        "o.reason = ?");
    st.bind(1, core::AsciiLower(recipient));
    st.bind(2, kind);
    st.bind(3, reason);
    if (!st.executeStep()) return int64_t{0};
    return st.getColumn(0).getInt64();
  });
}

core::Result<int64_t> Store::CountPending() {
  return Read("count outbox", [&]() -> core::Result<int64_t> {
    SQLite::Statement q(*db_,
                        "SELECT COUNT(*) FROM outbox WHERE state IN "
                        "('queued', 'deferred', 'sending')");
    q.executeStep();
    return q.getColumn(0).getInt64();
  });
}

}  // namespace inboxd::store
