// tickets.cc: tickets, their tag counters, mailboxes, messages, status and
// deadlines.
#include <string>

#include "core/text.h"
#include "store/internal.h"

namespace inboxd::store {

namespace {

using internal::Bytes;
using internal::Dump;
using internal::FromUnix;
using internal::ToUnix;

bool IsAlnum(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
          (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return true;
}

// Empty when `base` is a valid Thread-Index base (non-empty lower-case hex
// of even length, at most kMaxThreadIndexBaseChars); else what is wrong.
std::string ThreadIndexBaseProblem(std::string_view base) {
  if (base.empty()) return "empty Thread-Index base";
  if (base.size() > kMaxThreadIndexBaseChars) {
    return "Thread-Index base longer than " +
           std::to_string(kMaxThreadIndexBaseChars) + " characters";
  }
  if (base.size() % 2 != 0) return "Thread-Index base of odd length";
  for (char c : base) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return "Thread-Index base is not lower-case hex";
    }
  }
  return "";
}

// ',a,b,' for LIKE '%,a,%' (flags is '' when there are none).
std::string FlagsColumn(const std::vector<std::string>& flags) {
  if (flags.empty()) return "";
  std::string out = ",";
  for (const std::string& f : flags) out += f + ",";
  return out;
}

std::vector<std::string> ParseFlagsColumn(std::string_view s) {
  std::vector<std::string> out;
  for (std::string_view f : core::Split(s, ',')) {
    if (!f.empty()) out.emplace_back(f);
  }
  return out;
}

std::optional<core::TimePoint> OptTime(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return FromUnix(c.getInt64());
}

}  // namespace

bool Store::TicketExists(int64_t ticket_id) {
  SQLite::Statement st(*db_, "SELECT 1 FROM tickets WHERE id = ?");
  st.bind(1, ticket_id);
  return st.executeStep();
}

core::Result<Ticket> Store::LoadTicket(int64_t ticket_id) {
  SQLite::Statement st(
      *db_,
      "SELECT id, prefix, number, mailbox, customer, subject, "
      "normalized_subject, cls, language, state, opened_at, updated_at, "
      "owner, flags, customer_at, answered_at, waiting_since, closed_at, "
      "board_at, csat_at, owner_reason FROM tickets WHERE id = ?");
  st.bind(1, ticket_id);
  if (!st.executeStep()) {
    return core::Fail(core::Error::NotFound(
        "ticket " + std::to_string(ticket_id) + " not found"));
  }
  Ticket t;
  t.id = st.getColumn(0).getInt64();
  t.prefix = Bytes(st.getColumn(1));
  t.number = st.getColumn(2).getInt64();
  t.mailbox = Bytes(st.getColumn(3));
  t.customer = Bytes(st.getColumn(4));
  t.subject = Bytes(st.getColumn(5));
  t.normalized_subject = Bytes(st.getColumn(6));
  t.cls = Bytes(st.getColumn(7));
  t.language = Bytes(st.getColumn(8));
  auto state = ParseTicketState(Bytes(st.getColumn(9)));
  if (!state) return core::Fail(state.error());
  t.state = *state;
  t.opened_at = FromUnix(st.getColumn(10).getInt64());
  t.updated_at = FromUnix(st.getColumn(11).getInt64());
  t.owner = Bytes(st.getColumn(12));
  t.flags = ParseFlagsColumn(Bytes(st.getColumn(13)));
  t.customer_at = OptTime(st.getColumn(14)).value_or(t.opened_at);
  t.answered_at = OptTime(st.getColumn(15));
  t.waiting_since = OptTime(st.getColumn(16));
  t.closed_at = OptTime(st.getColumn(17));
  t.board_at = OptTime(st.getColumn(18));
  t.csat_at = OptTime(st.getColumn(19));
  t.owner_reason = Bytes(st.getColumn(20));
  SQLite::Statement mb(*db_,
                       "SELECT mailbox FROM ticket_mailboxes WHERE ticket_id "
                       "= ? ORDER BY mailbox");
  mb.bind(1, ticket_id);
  while (mb.executeStep()) t.mailboxes.push_back(Bytes(mb.getColumn(0)));
  return t;
}

bool Store::AddMailboxLocked(int64_t ticket_id, const std::string& mailbox) {
  SQLite::Statement st(*db_,
                       "INSERT INTO ticket_mailboxes (ticket_id, mailbox, "
                       "added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
  st.bind(1, ticket_id);
  st.bind(2, mailbox);
  st.bind(3, ToUnix(clock_->Now()));
  if (Exec(st) == 0) return false;
  AppendEventLocked({.type = "ticket.mailbox_added",
                     .mailbox = mailbox,
                     .ticket_id = ticket_id,
                     .data = Dump({{"mailbox", mailbox}})});
  return true;
}

bool Store::AttachLocked(int64_t ticket_id, int64_t message_row) {
  const int64_t now = ToUnix(clock_->Now());
  SQLite::Statement st(*db_,
                       "INSERT INTO ticket_messages (ticket_id, message_row, "
                       "attached_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
  st.bind(1, ticket_id);
  st.bind(2, message_row);
  st.bind(3, now);
  if (Exec(st) == 0) return false;
  SQLite::Statement touch(*db_,
                          "UPDATE tickets SET updated_at = ? WHERE id = ?");
  touch.bind(1, now);
  touch.bind(2, ticket_id);
  Exec(touch);
  AppendEventLocked({.type = "ticket.message_attached",
                     .ticket_id = ticket_id,
                     .message_row = message_row});
  std::vector<std::string> mailboxes;
  SQLite::Statement mb(*db_,
                       "SELECT DISTINCT mailbox FROM message_locations WHERE "
                       "message_row = ? ORDER BY mailbox");
  mb.bind(1, message_row);
  while (mb.executeStep()) mailboxes.push_back(Bytes(mb.getColumn(0)));
  for (const std::string& m : mailboxes) AddMailboxLocked(ticket_id, m);
  return true;
}

bool Store::AddTicketFlagLocked(int64_t ticket_id, const std::string& flag) {
  if (flag.empty() || flag.find(',') != std::string::npos) return false;
  SQLite::Statement st(*db_,
                       "UPDATE tickets SET flags = CASE WHEN flags = '' THEN "
                       "',' ELSE flags END || ? || ',' WHERE id = ? AND flags "
                       "NOT LIKE ?");
  st.bind(1, flag);
  st.bind(2, ticket_id);
  st.bind(3, "%," + flag + ",%");
  if (Exec(st) == 0) return false;
  AppendEventLocked({.type = "ticket.flagged",
                     .ticket_id = ticket_id,
                     .data = Dump({{"flag", flag}})});
  return true;
}

bool Store::AddThreadIndexLocked(int64_t ticket_id, const std::string& base) {
  SQLite::Statement st(*db_,
                       "INSERT INTO ticket_thread_indexes (base, ticket_id, "
                       "added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
  st.bind(1, base);
  st.bind(2, ticket_id);
  st.bind(3, ToUnix(clock_->Now()));
  if (Exec(st) == 0) return false;
  AppendEventLocked({.type = "ticket.thread_index_added",
                     .ticket_id = ticket_id,
                     .data = Dump({{"thread_index_base", base}})});
  return true;
}

core::Result<TicketRef> Store::CreateTicket(const TicketIn& in) {
  const std::string what = "create ticket " + in.mailbox + " " + in.prefix;
  return Write(what.c_str(), [&] { return CreateTicketLocked(in); });
}

core::Result<TicketRef> Store::CreateTicketLocked(const TicketIn& in) {
  const std::string what = "create ticket " + in.mailbox + " " + in.prefix;
  if (!IsAlnum(in.prefix)) {
    return core::Fail(core::Error::InvalidArgument(
        what + ": prefix must be letters and digits"));
  }
  if (in.mailbox.empty()) {
    return core::Fail(core::Error::InvalidArgument(what + ": empty mailbox"));
  }
  if (!in.thread_index_base.empty()) {
    if (std::string problem = ThreadIndexBaseProblem(in.thread_index_base);
        !problem.empty()) {
      return core::Fail(core::Error::InvalidArgument(what + ": " + problem));
    }
  }
  if (in.first_message > 0) {
    auto state = MessageStateLocked(in.first_message);
    if (!state) {
      return core::Fail(
          core::Error::FailedPrecondition(what + ": " + state.error().message));
    }
  }
  const int64_t now = ToUnix(clock_->Now());
  SQLite::Statement seed(*db_,
                         "INSERT INTO ticket_counters (prefix, next_number) "
                         "VALUES (?, ?) ON CONFLICT DO NOTHING");
  seed.bind(1, in.prefix);
  seed.bind(2, kFirstTicketNumber);
  Exec(seed);
  SQLite::Statement next(*db_,
                         "UPDATE ticket_counters SET next_number = "
                         "next_number + 1 WHERE prefix = ? "
                         "RETURNING next_number - 1");
  next.bind(1, in.prefix);
  MaybeInjectFault();
  if (!next.executeStep()) {
    return core::Fail(core::Error::Internal(what + ": no counter row"));
  }
  TicketRef ref;
  ref.prefix = in.prefix;
  ref.number = next.getColumn(0).getInt64();
  next.reset();

  SQLite::Statement insert(
      *db_,
      "INSERT INTO tickets (prefix, number, mailbox, customer, subject, "
      "normalized_subject, cls, language, opened_at, updated_at, owner, "
      "flags, customer_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.bind(1, in.prefix);
  insert.bind(2, ref.number);
  insert.bind(3, in.mailbox);
  insert.bind(4, core::AsciiLower(in.customer));
  insert.bind(5, in.subject);
  insert.bind(6, in.normalized_subject);
  insert.bind(7, in.cls);
  insert.bind(8, in.language);
  insert.bind(9, ToUnix(in.opened_at));
  insert.bind(10, now);
  insert.bind(11, core::AsciiLower(in.owner));
  insert.bind(12, FlagsColumn(in.flags));
  insert.bind(13, ToUnix(in.opened_at));
  Exec(insert);
  ref.id = db_->getLastInsertRowid();

  SQLite::Statement mb(*db_,
                       "INSERT INTO ticket_mailboxes (ticket_id, mailbox, "
                       "added_at) VALUES (?, ?, ?)");
  mb.bind(1, ref.id);
  mb.bind(2, in.mailbox);
  mb.bind(3, now);
  Exec(mb);
  AppendEventLocked({.type = "ticket.created",
                     .mailbox = in.mailbox,
                     .ticket_id = ref.id,
                     .message_row = in.first_message,
                     .data = Dump({{"tag", ref.Tag()},
                                   {"customer", core::AsciiLower(in.customer)},
                                   {"subject", in.subject},
                                   {"class", in.cls},
                                   {"language", in.language},
                                   {"owner", core::AsciiLower(in.owner)},
                                   {"flags", in.flags}})});
  if (in.first_message > 0) AttachLocked(ref.id, in.first_message);
  if (!in.thread_index_base.empty()) {
    AddThreadIndexLocked(ref.id, in.thread_index_base);
  }
  return ref;
}

core::Result<bool> Store::AttachMessageToTicket(int64_t ticket_id,
                                                int64_t message_row) {
  const std::string what = "attach message " + std::to_string(message_row) +
                           " to ticket " + std::to_string(ticket_id);
  return Write(what.c_str(), [&]() -> core::Result<bool> {
    if (!TicketExists(ticket_id)) {
      return core::Fail(core::Error::NotFound(what + ": no such ticket"));
    }
    if (auto state = MessageStateLocked(message_row); !state) {
      return core::Fail(state.error().Wrap(what));
    }
    return AttachLocked(ticket_id, message_row);
  });
}

core::Result<bool> Store::AddTicketMailbox(int64_t ticket_id,
                                           const std::string& mailbox) {
  const std::string what =
      "add mailbox " + mailbox + " to ticket " + std::to_string(ticket_id);
  if (mailbox.empty()) {
    return core::Fail(core::Error::InvalidArgument(what + ": empty mailbox"));
  }
  return Write(what.c_str(), [&]() -> core::Result<bool> {
    if (!TicketExists(ticket_id)) {
      return core::Fail(core::Error::NotFound(what + ": no such ticket"));
    }
    return AddMailboxLocked(ticket_id, mailbox);
  });
}

core::Status Store::AddTicketThreadIndex(int64_t ticket_id,
                                         const std::string& base) {
  const std::string what = "add Thread-Index " +
                           core::Printable(base.substr(0, 100)) +
                           " to ticket " + std::to_string(ticket_id);
  if (std::string problem = ThreadIndexBaseProblem(base); !problem.empty()) {
    return core::Fail(core::Error::InvalidArgument(what + ": " + problem));
  }
  return Write(what.c_str(), [&]() -> core::Status {
    if (!TicketExists(ticket_id)) {
      return core::Fail(core::Error::NotFound(what + ": no such ticket"));
    }
    AddThreadIndexLocked(ticket_id, base);
    return core::Ok();
  });
}

core::Status Store::SetTicketState(int64_t ticket_id, TicketState state,
                                   core::TimePoint at, const std::string& actor,
                                   const std::string& reason) {
  const std::string what = "set state of ticket " + std::to_string(ticket_id);
  return Write(what.c_str(), [&]() -> core::Status {
    auto ticket = LoadTicket(ticket_id);
    if (!ticket) return core::Fail(ticket.error());
    if (ticket->state == state) return core::Ok();
    SQLite::Statement st(
        *db_,
        "UPDATE tickets SET state = ?, updated_at = ?, "
        "waiting_since = CASE WHEN ? = 'waiting' THEN ? END, "
        "closed_at = CASE WHEN ? = 'closed' THEN ? END, "
        "csat_at = CASE WHEN ? = 'closed' THEN NULL ELSE csat_at END "
        "WHERE id = ?");
    const std::string to(ToString(state));
    st.bind(1, to);
    st.bind(2, ToUnix(clock_->Now()));
    st.bind(3, to);
    st.bind(4, ToUnix(at));
    st.bind(5, to);
    st.bind(6, ToUnix(at));
    st.bind(7, to);
    st.bind(8, ticket_id);
    Exec(st);
    AppendEventLocked({.type = "ticket.state",
                       .mailbox = ticket->mailbox,
                       .ticket_id = ticket_id,
                       .actor = actor.empty() ? "inboxd" : actor,
                       .data = Dump({{"from", ToString(ticket->state)},
                                     {"to", to},
                                     {"at", core::FormatUtc(at)},
                                     {"reason", reason}})});
    return core::Ok();
  });
}

core::Status Store::NoteTicketMessage(int64_t ticket_id, TicketParty party,
                                      core::TimePoint at) {
  const std::string what =
      "note message on ticket " + std::to_string(ticket_id);
  return Write(what.c_str(), [&]() -> core::Status {
    if (!TicketExists(ticket_id)) {
      return core::Fail(core::Error::NotFound(what + ": no such ticket"));
    }
    SQLite::Statement st(*db_,
                         party == TicketParty::kCustomer
                             ? "UPDATE tickets SET customer_at = MAX(COALESCE("
                               "customer_at, opened_at), ?) WHERE id = ?"
                             : "UPDATE tickets SET answered_at = MAX(COALESCE("
                               "answered_at, 0), ?) WHERE id = ?");
    st.bind(1, ToUnix(at));
    st.bind(2, ticket_id);
    Exec(st);
    return core::Ok();
  });
}

core::Status Store::MarkTicketMail(int64_t ticket_id, TicketMail mail,
                                   core::TimePoint at) {
  const std::string what = "mark ticket " + std::to_string(ticket_id);
  return Write(what.c_str(), [&]() -> core::Status {
    SQLite::Statement st(*db_, mail == TicketMail::kBoard
                                   ? "UPDATE tickets SET board_at = ? WHERE "
                                     "id = ? AND board_at IS NULL"
                                   : "UPDATE tickets SET csat_at = ? WHERE "
                                     "id = ? AND csat_at IS NULL");
    st.bind(1, ToUnix(at));
    st.bind(2, ticket_id);
    if (Exec(st) == 0 && !TicketExists(ticket_id)) {
      return core::Fail(core::Error::NotFound(what + ": no such ticket"));
    }
    return core::Ok();
  });
}

core::Result<std::vector<int64_t>> Store::ListTicketsNeedingMail(
    core::TimePoint closed_before, const std::string& board_flag) {
  return Read("list tickets needing mail",
              [&]() -> core::Result<std::vector<int64_t>> {
                SQLite::Statement st(
                    *db_,
                    "SELECT id FROM tickets WHERE state = 'closed' AND "
                    "csat_at IS NULL AND closed_at <= ? UNION SELECT id FROM "
                    "tickets WHERE flags != '' AND board_at IS NULL AND "
                    "flags LIKE ? ORDER BY 1");
                st.bind(1, ToUnix(closed_before));
                st.bind(2, "%," + board_flag + ",%");
                std::vector<int64_t> out;
                while (st.executeStep())
                  out.push_back(st.getColumn(0).getInt64());
                return out;
              });
}

core::Result<std::vector<Ticket>> Store::ListTickets(
    std::optional<TicketState> state, int64_t after_id, int limit) {
  return Read("list tickets", [&]() -> core::Result<std::vector<Ticket>> {
    SQLite::Statement st(*db_,
                         "SELECT id FROM tickets WHERE (state = ? OR ? = '') "
                         "AND id > ? ORDER BY id LIMIT ?");
    const std::string wanted = state ? std::string(ToString(*state)) : "";
    st.bind(1, wanted);
    st.bind(2, wanted);
    st.bind(3, after_id);
    st.bind(4, limit);
    std::vector<int64_t> ids;
    while (st.executeStep()) ids.push_back(st.getColumn(0).getInt64());
    std::vector<Ticket> out;
    for (int64_t id : ids) {
      auto t = LoadTicket(id);
      if (!t) return core::Fail(t.error());
      out.push_back(std::move(*t));
    }
    return out;
  });
}

core::Result<std::vector<TicketLocation>> Store::ListOpenTicketLocations(
    const std::string& mailbox) {
  return Read("list open ticket locations",
              [&]() -> core::Result<std::vector<TicketLocation>> {
                SQLite::Statement st(
                    *db_,
                    "SELECT tm.ticket_id, tm.message_row, m.message_id, "
                    "l.folder, l.uid_validity, l.uid FROM tickets t "
                    "JOIN ticket_messages tm ON tm.ticket_id = t.id "
                    "JOIN messages m ON m.id = tm.message_row "
                    "JOIN message_locations l ON l.message_row = "
                    "tm.message_row WHERE t.state != 'closed' AND "
                    "l.mailbox = ? AND l.uid > 0 "
                    "ORDER BY tm.ticket_id, l.folder, l.uid");
                st.bind(1, mailbox);
                std::vector<TicketLocation> out;
                while (st.executeStep()) {
                  TicketLocation t;
                  t.ticket_id = st.getColumn(0).getInt64();
                  t.message_row = st.getColumn(1).getInt64();
                  t.message_id = Bytes(st.getColumn(2));
                  t.folder = Bytes(st.getColumn(3));
                  t.uid_validity =
                      static_cast<uint32_t>(st.getColumn(4).getInt64());
                  t.uid = static_cast<uint32_t>(st.getColumn(5).getInt64());
                  out.push_back(std::move(t));
                }
                return out;
              });
}

core::Result<std::vector<std::string>> Store::ListClientMarks(
    int64_t message_row) {
  return Read("list client marks",
              [&]() -> core::Result<std::vector<std::string>> {
                SQLite::Statement st(*db_,
                                     "SELECT mark FROM client_marks WHERE "
                                     "message_row = ? ORDER BY mark");
                st.bind(1, message_row);
                std::vector<std::string> out;
                while (st.executeStep()) out.push_back(Bytes(st.getColumn(0)));
                return out;
              });
}

core::Result<bool> Store::AddClientMark(int64_t message_row,
                                        const std::string& mark) {
  const std::string what = "add client mark " + core::Printable(mark);
  return Write(what.c_str(), [&]() -> core::Result<bool> {
    SQLite::Statement st(*db_,
                         "INSERT INTO client_marks (message_row, mark, "
                         "seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
    st.bind(1, message_row);
    st.bind(2, mark);
    st.bind(3, ToUnix(clock_->Now()));
    return Exec(st) > 0;
  });
}

core::Status Store::RemoveClientMark(int64_t message_row,
                                     const std::string& mark) {
  const std::string what = "remove client mark " + core::Printable(mark);
  return Write(what.c_str(), [&]() -> core::Status {
    SQLite::Statement st(*db_,
                         "DELETE FROM client_marks WHERE message_row = ? AND "
                         "mark = ?");
    st.bind(1, message_row);
    st.bind(2, mark);
    Exec(st);
    return core::Ok();
  });
}

core::Result<std::vector<int64_t>> Store::ListTicketMessages(
    int64_t ticket_id) {
  return Read("list ticket messages",
              [&]() -> core::Result<std::vector<int64_t>> {
                SQLite::Statement st(*db_,
                                     "SELECT message_row FROM "
                                     "ticket_messages WHERE ticket_id = ? "
                                     "ORDER BY message_row");
                st.bind(1, ticket_id);
                std::vector<int64_t> out;
                while (st.executeStep())
                  out.push_back(st.getColumn(0).getInt64());
                return out;
              });
}

core::Result<Ticket> Store::GetTicket(int64_t ticket_id) {
  return Read("get ticket", [&]() { return LoadTicket(ticket_id); });
}

core::Result<Ticket> Store::FindTicketByTag(const std::string& prefix,
                                            int64_t number) {
  return Read("find ticket by tag", [&]() -> core::Result<Ticket> {
    SQLite::Statement st(*db_,
                         "SELECT id FROM tickets WHERE prefix = ? AND number "
                         "= ?");
    st.bind(1, prefix);
    st.bind(2, number);
    if (!st.executeStep()) {
      return core::Fail(core::Error::NotFound(
          "ticket " + prefix + "-" + std::to_string(number) + " not found"));
    }
    return LoadTicket(st.getColumn(0).getInt64());
  });
}

core::Result<Ticket> Store::FindTicketByMessageId(
    const std::string& message_id) {
  return Read("find ticket by message id", [&]() -> core::Result<Ticket> {
    auto not_found = [&] {
      return core::Fail(core::Error::NotFound(
          "no ticket for message id <" + core::Printable(message_id) + ">"));
    };
    if (message_id.empty()) return not_found();
    SQLite::Statement st(
        *db_,
        "SELECT MIN(ticket_id) FROM ("
        " SELECT tm.ticket_id FROM ticket_messages tm"
        " JOIN messages m ON m.id = tm.message_row WHERE m.message_id = ?"
        " UNION ALL"
        " SELECT ticket_id FROM outbox WHERE message_id = ?"
        " AND ticket_id IS NOT NULL)");
    st.bind(1, message_id);
    st.bind(2, message_id);
    if (!st.executeStep() || st.getColumn(0).isNull()) return not_found();
    return LoadTicket(st.getColumn(0).getInt64());
  });
}

core::Result<Ticket> Store::FindTicketByThreadIndex(const std::string& base) {
  return Read("find ticket by thread index", [&]() -> core::Result<Ticket> {
    SQLite::Statement st(*db_,
                         "SELECT ticket_id FROM ticket_thread_indexes WHERE "
                         "base = ?");
    st.bind(1, base);
    if (!st.executeStep()) {
      return core::Fail(core::Error::NotFound(
          "no ticket for Thread-Index base " + core::Printable(base)));
    }
    return LoadTicket(st.getColumn(0).getInt64());
  });
}

core::Result<Ticket> Store::FindRecentTicketBySubject(
    const std::string& customer, const std::string& normalized_subject,
    core::TimePoint since) {
  return Read("find ticket by subject", [&]() -> core::Result<Ticket> {
    SQLite::Statement st(
        *db_,
        "SELECT id FROM tickets WHERE customer = ? AND normalized_subject = ? "
        "AND updated_at >= ? ORDER BY updated_at DESC, id DESC LIMIT 1");
    st.bind(1, core::AsciiLower(customer));
    st.bind(2, normalized_subject);
    st.bind(3, ToUnix(since));
    if (!st.executeStep()) {
      return core::Fail(
          core::Error::NotFound("no recent ticket for that subject"));
    }
    return LoadTicket(st.getColumn(0).getInt64());
  });
}

}  // namespace inboxd::store
