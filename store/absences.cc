// absences.cc: agents' absences (POLICY R2/R3) and ticket owners (R1-R4).
#include <string>

#include "core/text.h"
#include "store/internal.h"

namespace inboxd::store {

namespace {

using internal::Bytes;
using internal::Dump;
using internal::FromUnix;
using internal::ToUnix;

constexpr char kAbsenceColumns[] =
    "id, agent, from_at, until_at, source, detail, created_at, cleared_at, "
    "applied_at";

std::optional<core::TimePoint> OptTime(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return FromUnix(c.getInt64());
}

std::vector<Absence> ReadAbsences(SQLite::Statement& st) {
  std::vector<Absence> out;
  while (st.executeStep()) {
    Absence a;
    a.id = st.getColumn(0).getInt64();
    a.agent = Bytes(st.getColumn(1));
    a.from = FromUnix(st.getColumn(2).getInt64());
    a.until = FromUnix(st.getColumn(3).getInt64());
    a.source = Bytes(st.getColumn(4));
    a.detail = Bytes(st.getColumn(5));
    a.created_at = FromUnix(st.getColumn(6).getInt64());
    a.cleared_at = OptTime(st.getColumn(7));
    a.applied_at = OptTime(st.getColumn(8));
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

core::Status Store::SetTicketOwner(int64_t ticket_id, const std::string& owner,
                                   const std::string& reason,
                                   const std::string& actor) {
  const std::string what = "set owner of ticket " + std::to_string(ticket_id);
  return Write(what.c_str(), [&]() -> core::Status {
    auto ticket = LoadTicket(ticket_id);
    if (!ticket) return core::Fail(ticket.error());
    const std::string to =
        owner.find('@') != std::string::npos ? core::AsciiLower(owner) : owner;
    if (ticket->owner == to && ticket->owner_reason == reason) {
      return core::Ok();
    }
    SQLite::Statement st(*db_,
                         "UPDATE tickets SET owner = ?, owner_reason = ? "
                         "WHERE id = ?");
    st.bind(1, to);
    st.bind(2, reason);
    st.bind(3, ticket_id);
    Exec(st);
    AppendEventLocked(
        {.type = "ticket.assigned",
         .mailbox = ticket->mailbox,
         .ticket_id = ticket_id,
         .actor = actor.empty() ? "inboxd" : actor,
         .data =
             Dump({{"from", ticket->owner}, {"to", to}, {"reason", reason}})});
    return core::Ok();
  });
}

core::Result<std::string> Store::FindLastOwner(const std::string& customer,
                                               int64_t except) {
  return Read("find last owner", [&]() -> core::Result<std::string> {
    SQLite::Statement st(*db_,
                         "SELECT owner FROM tickets WHERE customer = ? AND "
                         "id != ? AND owner != '' ORDER BY id DESC LIMIT 1");
    st.bind(1, core::AsciiLower(customer));
    st.bind(2, except);
    if (!st.executeStep()) return std::string();
    return Bytes(st.getColumn(0));
  });
}

core::Result<std::vector<int64_t>> Store::ListOpenTicketsOwnedBy(
    const std::string& owner) {
  return Read("list tickets by owner",
              [&]() -> core::Result<std::vector<int64_t>> {
                SQLite::Statement st(*db_,
                                     "SELECT id FROM tickets WHERE owner = ? "
                                     "AND state != 'closed' ORDER BY id");
                st.bind(1, owner);
                std::vector<int64_t> out;
                while (st.executeStep()) {
                  out.push_back(st.getColumn(0).getInt64());
                }
                return out;
              });
}

core::Result<int64_t> Store::AddAbsence(const AbsenceIn& in) {
  const std::string what = "add absence of " + core::Printable(in.agent);
  if (in.agent.empty() || in.until <= in.from ||
      (in.source != "config" && in.source != "command" &&
       in.source != "detected")) {
    return core::Fail(core::Error::InvalidArgument(
        what + ": needs an agent, until after from and a known source"));
  }
  return Write(what.c_str(), [&]() -> core::Result<int64_t> {
    const std::string agent = core::AsciiLower(in.agent);
    SQLite::Statement old(*db_,
                          "SELECT id FROM absences WHERE agent = ? AND "
                          "from_at = ? AND until_at = ? AND source = ?");
    old.bind(1, agent);
    old.bind(2, ToUnix(in.from));
    old.bind(3, ToUnix(in.until));
    old.bind(4, in.source);
    if (old.executeStep()) return old.getColumn(0).getInt64();
    SQLite::Statement st(*db_,
                         "INSERT INTO absences (agent, from_at, until_at, "
                         "source, detail, created_at) VALUES (?, ?, ?, ?, ?, "
                         "?)");
    st.bind(1, agent);
    st.bind(2, ToUnix(in.from));
    st.bind(3, ToUnix(in.until));
    st.bind(4, in.source);
    st.bind(5, in.detail);
    st.bind(6, ToUnix(clock_->Now()));
    Exec(st);
    const int64_t id = db_->getLastInsertRowid();
    AppendEventLocked({.type = "absence.set",
                       .actor = in.actor.empty() ? "inboxd" : in.actor,
                       .data = Dump({{"absence", id},
                                     {"agent", agent},
                                     {"from", core::FormatUtc(in.from)},
                                     {"until", core::FormatUtc(in.until)},
                                     {"source", in.source},
                                     {"detail", in.detail}})});
    return id;
  });
}

core::Result<int> Store::ClearAbsences(const std::string& agent,
                                       core::TimePoint at,
                                       const std::string& actor) {
  const std::string what = "clear absences of " + core::Printable(agent);
  return Write(what.c_str(), [&]() -> core::Result<int> {
    SQLite::Statement sel(*db_,
                          "SELECT id, source FROM absences WHERE agent = ? "
                          "AND cleared_at IS NULL AND until_at > ?");
    sel.bind(1, core::AsciiLower(agent));
    sel.bind(2, ToUnix(at));
    std::vector<std::pair<int64_t, std::string>> rows;
    while (sel.executeStep()) {
      rows.emplace_back(sel.getColumn(0).getInt64(), Bytes(sel.getColumn(1)));
    }
    for (const auto& [id, source] : rows) {
      SQLite::Statement st(*db_,
                           "UPDATE absences SET cleared_at = ? WHERE id = ?");
      st.bind(1, ToUnix(at));
      st.bind(2, id);
      Exec(st);
      AppendEventLocked({.type = "absence.cleared",
                         .actor = actor.empty() ? "inboxd" : actor,
                         .data = Dump({{"absence", id},
                                       {"agent", core::AsciiLower(agent)},
                                       {"source", source},
                                       {"at", core::FormatUtc(at)}})});
    }
    return static_cast<int>(rows.size());
  });
}

core::Result<std::vector<Absence>> Store::ListAbsences(core::TimePoint t) {
  return Read("list absences", [&]() -> core::Result<std::vector<Absence>> {
    SQLite::Statement st(*db_, std::string("SELECT ") + kAbsenceColumns +
                                   " FROM absences WHERE cleared_at IS NULL "
                                   "AND until_at > ? ORDER BY agent, from_at");
    st.bind(1, ToUnix(t));
    return ReadAbsences(st);
  });
}

core::Result<std::vector<Absence>> Store::ListUnappliedAbsences(
    core::TimePoint now) {
  return Read("list unapplied absences",
              [&]() -> core::Result<std::vector<Absence>> {
                SQLite::Statement st(
                    *db_, std::string("SELECT ") + kAbsenceColumns +
                              " FROM absences WHERE applied_at IS NULL AND "
                              "cleared_at IS NULL AND from_at <= ? AND "
                              "until_at > ? ORDER BY from_at, id");
                st.bind(1, ToUnix(now));
                st.bind(2, ToUnix(now));
                return ReadAbsences(st);
              });
}

core::Status Store::MarkAbsenceApplied(int64_t id, core::TimePoint at) {
  return Write("mark absence applied", [&]() -> core::Status {
    SQLite::Statement st(*db_,
                         "UPDATE absences SET applied_at = COALESCE("
                         "applied_at, ?) WHERE id = ?");
    st.bind(1, ToUnix(at));
    st.bind(2, id);
    if (Exec(st) == 0) {
      return core::Fail(core::Error::NotFound("absence " + std::to_string(id)));
    }
    return core::Ok();
  });
}

}  // namespace inboxd::store
