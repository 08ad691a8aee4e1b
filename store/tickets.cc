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

constexpr char kDeadlineColumns[] =
    "ticket_id, deadline_id, name, due_at, met_at, state, updated_at";

core::Result<Deadline> ReadDeadline(const SQLite::Statement& st) {
  Deadline d;
  d.ticket_id = st.getColumn(0).getInt64();
  d.deadline_id = Bytes(st.getColumn(1));
  d.name = Bytes(st.getColumn(2));
  d.due_at = FromUnix(st.getColumn(3).getInt64());
  if (!st.getColumn(4).isNull())
    d.met_at = FromUnix(st.getColumn(4).getInt64());
  auto state = ParseDeadlineState(Bytes(st.getColumn(5)));
  if (!state) return core::Fail(state.error());
  d.state = *state;
  d.updated_at = FromUnix(st.getColumn(6).getInt64());
  return d;
}

core::Result<std::vector<Deadline>> ReadDeadlines(SQLite::Statement& st) {
  std::vector<Deadline> out;
  while (st.executeStep()) {
    auto d = ReadDeadline(st);
    if (!d) return core::Fail(d.error());
    out.push_back(std::move(*d));
  }
  return out;
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
      "normalized_subject, cls, language, status, opened_at, updated_at, "
      "owner FROM tickets WHERE id = ?");
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
  auto status = ParseTicketStatus(Bytes(st.getColumn(9)));
  if (!status) return core::Fail(status.error());
  t.status = *status;
  t.opened_at = FromUnix(st.getColumn(10).getInt64());
  t.updated_at = FromUnix(st.getColumn(11).getInt64());
  t.owner = Bytes(st.getColumn(12));
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
      "normalized_subject, cls, language, opened_at, updated_at, owner) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
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
                                   {"owner", core::AsciiLower(in.owner)}})});
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

core::Status Store::SetTicketStatus(int64_t ticket_id, TicketStatus status,
                                    const std::string& actor) {
  const std::string what = "set status of ticket " + std::to_string(ticket_id);
  return Write(what.c_str(), [&]() -> core::Status {
    auto ticket = LoadTicket(ticket_id);
    if (!ticket) return core::Fail(ticket.error());
    if (ticket->status == status) return core::Ok();
    SQLite::Statement st(*db_,
                         "UPDATE tickets SET status = ?, updated_at = ? "
                         "WHERE id = ?");
    st.bind(1, std::string(ToString(status)));
    st.bind(2, ToUnix(clock_->Now()));
    st.bind(3, ticket_id);
    Exec(st);
    AppendEventLocked({.type = "ticket.status",
                       .ticket_id = ticket_id,
                       .actor = actor.empty() ? "inboxd" : actor,
                       .data = Dump({{"from", ToString(ticket->status)},
                                     {"to", ToString(status)}})});
    return core::Ok();
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

core::Status Store::SetDeadline(int64_t ticket_id, const DeadlineIn& in) {
  const std::string what = "set deadline " + in.deadline_id + " of ticket " +
                           std::to_string(ticket_id);
  if (in.deadline_id.empty()) {
    return core::Fail(core::Error::InvalidArgument(what + ": empty id"));
  }
  return Write(what.c_str(), [&]() -> core::Status {
    if (!TicketExists(ticket_id)) {
      return core::Fail(core::Error::NotFound(what + ": no such ticket"));
    }
    const int64_t now = ToUnix(clock_->Now());
    const int64_t due = ToUnix(in.due_at);
    nlohmann::json data = {{"deadline", in.deadline_id},
                           {"name", in.name},
                           {"due_at", core::FormatUtc(in.due_at)}};
    SQLite::Statement old(*db_,
                          "SELECT due_at, name FROM deadlines WHERE "
                          "ticket_id = ? AND deadline_id = ?");
    old.bind(1, ticket_id);
    old.bind(2, in.deadline_id);
    if (old.executeStep()) {
      const int64_t old_due = old.getColumn(0).getInt64();
      if (old_due == due && Bytes(old.getColumn(1)) == in.name) {
        return core::Ok();  // nothing changes
      }
      data["old_due_at"] = core::FormatUtc(FromUnix(old_due));
      SQLite::Statement st(
          *db_,
          "UPDATE deadlines SET name = ?, due_at = ?, state = 'open', "
          "met_at = NULL, updated_at = ? WHERE ticket_id = ? AND "
          "deadline_id = ?");
      st.bind(1, in.name);
      st.bind(2, due);
      st.bind(3, now);
      st.bind(4, ticket_id);
      st.bind(5, in.deadline_id);
      Exec(st);
    } else {
      SQLite::Statement st(*db_,
                           "INSERT INTO deadlines (ticket_id, deadline_id, "
                           "name, due_at, updated_at) VALUES (?, ?, ?, ?, ?)");
      st.bind(1, ticket_id);
      st.bind(2, in.deadline_id);
      st.bind(3, in.name);
      st.bind(4, due);
      st.bind(5, now);
      Exec(st);
    }
    AppendEventLocked(
        {.type = "deadline.set", .ticket_id = ticket_id, .data = Dump(data)});
    return core::Ok();
  });
}

core::Status Store::SetDeadlineState(int64_t ticket_id,
                                     const std::string& deadline_id,
                                     DeadlineState state, core::TimePoint at) {
  const std::string what =
      "set deadline " + deadline_id + " of ticket " + std::to_string(ticket_id);
  return Write(what.c_str(), [&]() -> core::Status {
    SQLite::Statement st(
        *db_,
        "UPDATE deadlines SET state = ?, met_at = CASE WHEN ? THEN ? ELSE "
        "met_at END, updated_at = ? WHERE ticket_id = ? AND deadline_id = ?");
    st.bind(1, std::string(ToString(state)));
    st.bind(2, state == DeadlineState::kMet ? 1 : 0);
    st.bind(3, ToUnix(at));
    st.bind(4, ToUnix(clock_->Now()));
    st.bind(5, ticket_id);
    st.bind(6, deadline_id);
    if (Exec(st) == 0) {
      return core::Fail(core::Error::NotFound(what + ": no such deadline"));
    }
    AppendEventLocked({.type = "deadline." + std::string(ToString(state)),
                       .ticket_id = ticket_id,
                       .data = Dump({{"deadline", deadline_id},
                                     {"at", core::FormatUtc(at)}})});
    return core::Ok();
  });
}

core::Result<std::vector<Deadline>> Store::ListDeadlines(int64_t ticket_id) {
  return Read("list deadlines", [&]() -> core::Result<std::vector<Deadline>> {
    SQLite::Statement st(*db_, std::string("SELECT ") + kDeadlineColumns +
                                   " FROM deadlines WHERE ticket_id = ? "
                                   "ORDER BY due_at, deadline_id");
    st.bind(1, ticket_id);
    return ReadDeadlines(st);
  });
}

core::Result<std::vector<Deadline>> Store::ListDeadlinesDueBefore(
    core::TimePoint before) {
  return Read("list due deadlines",
              [&]() -> core::Result<std::vector<Deadline>> {
                SQLite::Statement st(
                    *db_, std::string("SELECT ") + kDeadlineColumns +
                              " FROM deadlines WHERE state IN ('open', "
                              "'notified') AND due_at < ? "
                              "ORDER BY due_at, ticket_id, deadline_id");
                st.bind(1, ToUnix(before));
                return ReadDeadlines(st);
              });
}

}  // namespace inboxd::store
