// milestones.cc: the deadlines of the policy on each ticket (issue 9): their
// clocks, the watcher's marks and the evidence of the message that met them.
#include <algorithm>
#include <string>

#include "core/text.h"
#include "store/internal.h"

namespace inboxd::store {

namespace {

using internal::Bytes;
using internal::Dump;
using internal::FromUnix;
using internal::ToUnix;

constexpr char kMilestoneColumns[] =
    "ticket_id, milestone_id, name, clock, within, state, started_at, "
    "original_due_at, due_at, warn_at, notice_at, paused_at, warned_at, "
    "notified_at, missed_at, escalation_level, escalated_at, "
    "next_escalation_at, met_at, met_by, met_message_row, met_outbox_id, "
    "met_message_id, met_mailbox, met_folder, met_actor, evidence_at, "
    "updated_at";

// Recomputes next_action_at of one milestone from its other columns: the
// earliest of the pending warning, delay notice and breach while open and
// running; the next escalation while missed; nothing otherwise.
constexpr char kUpdateNextAction[] =
    "UPDATE milestones SET next_action_at = CASE"
    " WHEN paused_at IS NOT NULL THEN NULL"
    " WHEN state = 'open' THEN MIN(due_at,"
    "  COALESCE(CASE WHEN warned_at IS NULL THEN warn_at END, due_at),"
    "  COALESCE(CASE WHEN notified_at IS NULL THEN notice_at END, due_at))"
    " WHEN state = 'missed' THEN next_escalation_at"
    " ELSE NULL END"
    " WHERE ticket_id = ? AND milestone_id = ?";

std::optional<core::TimePoint> OptTime(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return FromUnix(c.getInt64());
}

void BindOpt(SQLite::Statement& st, int i,
             const std::optional<core::TimePoint>& t) {
  if (t) {
    st.bind(i, ToUnix(*t));
  } else {
    st.bind(i);
  }
}

core::Result<Milestone> ReadMilestone(const SQLite::Statement& st) {
  Milestone m;
  m.ticket_id = st.getColumn(0).getInt64();
  m.milestone_id = Bytes(st.getColumn(1));
  m.name = Bytes(st.getColumn(2));
  m.clock = Bytes(st.getColumn(3));
  m.within = std::chrono::seconds(st.getColumn(4).getInt64());
  auto state = ParseMilestoneState(Bytes(st.getColumn(5)));
  if (!state) return core::Fail(state.error());
  m.state = *state;
  m.started_at = FromUnix(st.getColumn(6).getInt64());
  m.original_due_at = FromUnix(st.getColumn(7).getInt64());
  m.due_at = FromUnix(st.getColumn(8).getInt64());
  m.warn_at = OptTime(st.getColumn(9));
  m.notice_at = OptTime(st.getColumn(10));
  m.paused_at = OptTime(st.getColumn(11));
  m.warned_at = OptTime(st.getColumn(12));
  m.notified_at = OptTime(st.getColumn(13));
  m.missed_at = OptTime(st.getColumn(14));
  m.escalation_level = st.getColumn(15).getInt();
  m.escalated_at = OptTime(st.getColumn(16));
  m.next_escalation_at = OptTime(st.getColumn(17));
  m.met_at = OptTime(st.getColumn(18));
  m.evidence.by = Bytes(st.getColumn(19));
  m.evidence.message_row =
      st.getColumn(20).isNull() ? 0 : st.getColumn(20).getInt64();
  m.evidence.outbox_id =
      st.getColumn(21).isNull() ? 0 : st.getColumn(21).getInt64();
  m.evidence.message_id = Bytes(st.getColumn(22));
  m.evidence.mailbox = Bytes(st.getColumn(23));
  m.evidence.folder = Bytes(st.getColumn(24));
  m.evidence.actor = Bytes(st.getColumn(25));
  if (auto at = OptTime(st.getColumn(26))) m.evidence.at = *at;
  m.updated_at = FromUnix(st.getColumn(27).getInt64());
  return m;
}

core::Result<std::vector<Milestone>> ReadMilestones(SQLite::Statement& st) {
  std::vector<Milestone> out;
  while (st.executeStep()) {
    auto m = ReadMilestone(st);
    if (!m) return core::Fail(m.error());
    out.push_back(std::move(*m));
  }
  return out;
}

nlohmann::json TimingJson(const MilestoneTiming& t) {
  nlohmann::json j = {{"started_at", core::FormatUtc(t.started_at)},
                      {"due_at", core::FormatUtc(t.due_at)}};
  if (t.warn_at) j["warn_at"] = core::FormatUtc(*t.warn_at);
  if (t.notice_at) j["notice_at"] = core::FormatUtc(*t.notice_at);
  return j;
}

std::string_view MarkName(MilestoneMark::Action a) {
  switch (a) {
    case MilestoneMark::Action::kWarned:
      return "warned";
    case MilestoneMark::Action::kNotified:
      return "notified";
    case MilestoneMark::Action::kMissed:
      return "missed";
    case MilestoneMark::Action::kEscalated:
      return "escalated";
  }
  return "?";
}

}  // namespace

core::Result<Milestone> Store::LoadMilestone(int64_t ticket_id,
                                             const std::string& milestone_id) {
  SQLite::Statement st(*db_, std::string("SELECT ") + kMilestoneColumns +
                                 " FROM milestones WHERE ticket_id = ? AND "
                                 "milestone_id = ?");
  st.bind(1, ticket_id);
  st.bind(2, milestone_id);
  if (!st.executeStep()) {
    return core::Fail(
        core::Error::NotFound("milestone " + milestone_id + " of ticket " +
                              std::to_string(ticket_id) + " not found"));
  }
  return ReadMilestone(st);
}

void Store::UpdateNextActionLocked(int64_t ticket_id,
                                   const std::string& milestone_id) {
  SQLite::Statement st(*db_, kUpdateNextAction);
  st.bind(1, ticket_id);
  st.bind(2, milestone_id);
  Exec(st);
}

core::Result<bool> Store::AddMilestone(int64_t ticket_id,
                                       const MilestoneIn& in) {
  const std::string what = "add milestone " + in.milestone_id + " to ticket " +
                           std::to_string(ticket_id);
  if (in.milestone_id.empty() || in.name.empty()) {
    return core::Fail(core::Error::InvalidArgument(what + ": empty id/name"));
  }
  return Write(what.c_str(), [&]() -> core::Result<bool> {
    if (!TicketExists(ticket_id)) {
      return core::Fail(core::Error::NotFound(what + ": no such ticket"));
    }
    SQLite::Statement st(
        *db_,
        "INSERT INTO milestones (ticket_id, milestone_id, name, clock, within, "
        "started_at, original_due_at, due_at, warn_at, notice_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING");
    st.bind(1, ticket_id);
    st.bind(2, in.milestone_id);
    st.bind(3, in.name);
    st.bind(4, in.clock.empty() ? std::string("calendar") : in.clock);
    st.bind(5, static_cast<int64_t>(in.within.count()));
    st.bind(6, ToUnix(in.timing.started_at));
    st.bind(7, ToUnix(in.timing.due_at));
    st.bind(8, ToUnix(in.timing.due_at));
    BindOpt(st, 9, in.timing.warn_at);
    BindOpt(st, 10, in.timing.notice_at);
    st.bind(11, ToUnix(clock_->Now()));
    if (Exec(st) == 0) return false;  // set already: a re-run moves nothing
    UpdateNextActionLocked(ticket_id, in.milestone_id);
    nlohmann::json data = TimingJson(in.timing);
    data["milestone"] = in.milestone_id;
    data["name"] = in.name;
    data["clock"] = in.clock;
    data["within_s"] = in.within.count();
    AppendEventLocked(
        {.type = "milestone.set", .ticket_id = ticket_id, .data = Dump(data)});
    return true;
  });
}

core::Status Store::RetimeMilestone(int64_t ticket_id,
                                    const std::string& milestone_id,
                                    const MilestoneTiming& timing,
                                    const std::string& event_type,
                                    const std::string& actor,
                                    const std::string& reason) {
  const std::string what = "retime milestone " + milestone_id + " of ticket " +
                           std::to_string(ticket_id);
  return Write(what.c_str(), [&]() -> core::Status {
    auto old = LoadMilestone(ticket_id, milestone_id);
    if (!old) return core::Fail(old.error());
    if (old->state == MilestoneState::kMet) {
      return core::Fail(
          core::Error::FailedPrecondition(what + ": already met"));
    }
    SQLite::Statement st(
        *db_,
        "UPDATE milestones SET state = 'open', started_at = ?, due_at = ?, "
        "warn_at = ?, notice_at = ?, paused_at = NULL, warned_at = NULL, "
        "notified_at = NULL, missed_at = NULL, escalation_level = 0, "
        "escalated_at = NULL, next_escalation_at = NULL, updated_at = ? "
        "WHERE ticket_id = ? AND milestone_id = ?");
    st.bind(1, ToUnix(timing.started_at));
    st.bind(2, ToUnix(timing.due_at));
    BindOpt(st, 3, timing.warn_at);
    BindOpt(st, 4, timing.notice_at);
    st.bind(5, ToUnix(clock_->Now()));
    st.bind(6, ticket_id);
    st.bind(7, milestone_id);
    Exec(st);
    UpdateNextActionLocked(ticket_id, milestone_id);
    nlohmann::json data = TimingJson(timing);
    data["milestone"] = milestone_id;
    data["old_due_at"] = core::FormatUtc(old->due_at);
    data["reason"] = reason;
    AppendEventLocked({.type = event_type,
                       .ticket_id = ticket_id,
                       .actor = actor.empty() ? "inboxd" : actor,
                       .data = Dump(data)});
    return core::Ok();
  });
}

core::Status Store::PauseMilestone(int64_t ticket_id,
                                   const std::string& milestone_id,
                                   core::TimePoint at,
                                   const std::string& actor) {
  const std::string what = "pause milestone " + milestone_id + " of ticket " +
                           std::to_string(ticket_id);
  return Write(what.c_str(), [&]() -> core::Status {
    SQLite::Statement st(
        *db_,
        "UPDATE milestones SET paused_at = ?, updated_at = ? WHERE ticket_id "
        "= ? AND milestone_id = ? AND state = 'open' AND paused_at IS NULL");
    st.bind(1, ToUnix(at));
    st.bind(2, ToUnix(clock_->Now()));
    st.bind(3, ticket_id);
    st.bind(4, milestone_id);
    if (Exec(st) == 0) {
      auto m = LoadMilestone(ticket_id, milestone_id);
      if (!m) return core::Fail(m.error());
      return core::Ok();  // not open or paused already
    }
    UpdateNextActionLocked(ticket_id, milestone_id);
    AppendEventLocked({.type = "milestone.paused",
                       .ticket_id = ticket_id,
                       .actor = actor.empty() ? "inboxd" : actor,
                       .data = Dump({{"milestone", milestone_id},
                                     {"at", core::FormatUtc(at)}})});
    return core::Ok();
  });
}

core::Status Store::MarkMilestone(int64_t ticket_id,
                                  const std::string& milestone_id,
                                  const MilestoneMark& mark) {
  const std::string name(MarkName(mark.action));
  const std::string what = "mark milestone " + milestone_id + " of ticket " +
                           std::to_string(ticket_id) + " " + name;
  nlohmann::json data = nlohmann::json::parse(mark.data, nullptr, false);
  if (data.is_discarded() || !data.is_object()) {
    return core::Fail(
        core::Error::InvalidArgument(what + ": data is not a JSON object"));
  }
  return Write(what.c_str(), [&]() -> core::Status {
    auto m = LoadMilestone(ticket_id, milestone_id);
    if (!m) return core::Fail(m.error());
    const int64_t at = ToUnix(mark.at);
    const int64_t now = ToUnix(clock_->Now());
    auto refuse = [&](const char* why) {
      return core::Fail(core::Error::FailedPrecondition(what + ": " + why));
    };
    switch (mark.action) {
      case MilestoneMark::Action::kWarned: {
        if (m->state != MilestoneState::kOpen) return refuse("not open");
        if (m->warned_at) return core::Ok();  // once
        SQLite::Statement st(*db_,
                             "UPDATE milestones SET warned_at = ?, "
                             "updated_at = ? WHERE ticket_id = ? AND "
                             "milestone_id = ?");
        st.bind(1, at);
        st.bind(2, now);
        st.bind(3, ticket_id);
        st.bind(4, milestone_id);
        Exec(st);
        break;
      }
      case MilestoneMark::Action::kNotified: {
        if (m->state != MilestoneState::kOpen) return refuse("not open");
        if (m->notified_at) return core::Ok();  // once
        SQLite::Statement st(
            *db_,
            "UPDATE milestones SET notified_at = ?, due_at = COALESCE(?, "
            "due_at), updated_at = ? WHERE ticket_id = ? AND milestone_id = ?");
        st.bind(1, at);
        BindOpt(st, 2, mark.new_due_at);
        st.bind(3, now);
        st.bind(4, ticket_id);
        st.bind(5, milestone_id);
        Exec(st);
        data["old_due_at"] = core::FormatUtc(m->due_at);
        if (mark.new_due_at) data["due_at"] = core::FormatUtc(*mark.new_due_at);
        break;
      }
      case MilestoneMark::Action::kMissed: {
        if (m->state != MilestoneState::kOpen) return refuse("not open");
        SQLite::Statement st(
            *db_,
            "UPDATE milestones SET state = 'missed', missed_at = ?, "
            "next_escalation_at = ?, updated_at = ? WHERE ticket_id = ? AND "
            "milestone_id = ?");
        st.bind(1, at);
        BindOpt(st, 2, mark.next_escalation_at);
        st.bind(3, now);
        st.bind(4, ticket_id);
        st.bind(5, milestone_id);
        Exec(st);
        data["due_at"] = core::FormatUtc(m->due_at);
        break;
      }
      case MilestoneMark::Action::kEscalated: {
        if (m->state == MilestoneState::kMet) return refuse("already met");
        SQLite::Statement st(
            *db_,
            "UPDATE milestones SET escalation_level = escalation_level + 1, "
            "escalated_at = ?, next_escalation_at = ?, updated_at = ? WHERE "
            "ticket_id = ? AND milestone_id = ?");
        st.bind(1, at);
        BindOpt(st, 2, mark.next_escalation_at);
        st.bind(3, now);
        st.bind(4, ticket_id);
        st.bind(5, milestone_id);
        Exec(st);
        data["level"] = m->escalation_level + 1;
        break;
      }
    }
    UpdateNextActionLocked(ticket_id, milestone_id);
    data["milestone"] = milestone_id;
    data["at"] = core::FormatUtc(mark.at);
    AppendEventLocked({.type = "milestone." + name,
                       .ticket_id = ticket_id,
                       .data = Dump(data)});
    return core::Ok();
  });
}

core::Result<MilestoneState> Store::MeetMilestone(
    int64_t ticket_id, const std::string& milestone_id,
    const MilestoneEvidence& evidence) {
  const std::string what = "meet milestone " + milestone_id + " of ticket " +
                           std::to_string(ticket_id);
  if (evidence.by.empty()) {
    return core::Fail(core::Error::InvalidArgument(what + ": no evidence"));
  }
  return Write(what.c_str(), [&]() -> core::Result<MilestoneState> {
    auto m = LoadMilestone(ticket_id, milestone_id);
    if (!m) return core::Fail(m.error());
    if (m->state == MilestoneState::kMet || !m->evidence.by.empty()) {
      return m->state;  // the first evidence stays
    }
    // Open and in time: met. Open but late, or missed already: it stays
    // missed, with the answer that came late as its evidence. A paused
    // clock stopped at paused_at: the time after it does not count.
    const core::TimePoint counted =
        m->paused_at ? std::min(evidence.at, *m->paused_at) : evidence.at;
    const bool late = counted > m->due_at;
    const MilestoneState to = (m->state == MilestoneState::kOpen && !late)
                                  ? MilestoneState::kMet
                                  : MilestoneState::kMissed;
    SQLite::Statement st(
        *db_,
        "UPDATE milestones SET state = ?, met_at = CASE WHEN ? THEN ? ELSE "
        "NULL END, missed_at = CASE WHEN ? THEN COALESCE(missed_at, due_at) "
        "ELSE missed_at END, paused_at = NULL, next_escalation_at = NULL, "
        "met_by = ?, met_message_row = ?, met_outbox_id = ?, met_message_id = "
        "?, met_mailbox = ?, met_folder = ?, met_actor = ?, evidence_at = ?, "
        "updated_at = ? WHERE ticket_id = ? AND milestone_id = ?");
    const bool met = to == MilestoneState::kMet;
    st.bind(1, std::string(ToString(to)));
    st.bind(2, met ? 1 : 0);
    st.bind(3, ToUnix(evidence.at));
    st.bind(4, met ? 0 : 1);
    st.bind(5, evidence.by);
    if (evidence.message_row > 0) {
      st.bind(6, evidence.message_row);
    } else {
      st.bind(6);
    }
    if (evidence.outbox_id > 0) {
      st.bind(7, evidence.outbox_id);
    } else {
      st.bind(7);
    }
    st.bind(8, evidence.message_id);
    st.bind(9, evidence.mailbox);
    st.bind(10, evidence.folder);
    st.bind(11, evidence.actor);
    st.bind(12, ToUnix(evidence.at));
    st.bind(13, ToUnix(clock_->Now()));
    st.bind(14, ticket_id);
    st.bind(15, milestone_id);
    Exec(st);
    UpdateNextActionLocked(ticket_id, milestone_id);
    nlohmann::json data = {{"milestone", milestone_id},
                           {"name", m->name},
                           {"by", evidence.by},
                           {"message_id", evidence.message_id},
                           {"mailbox", evidence.mailbox},
                           {"folder", evidence.folder},
                           {"at", core::FormatUtc(evidence.at)},
                           {"due_at", core::FormatUtc(m->due_at)}};
    if (evidence.outbox_id > 0) data["outbox"] = evidence.outbox_id;
    AppendEventLocked(
        {.type = met ? "milestone.met" : "milestone.answered_late",
         .ticket_id = ticket_id,
         .message_row = evidence.message_row,
         .actor = evidence.actor.empty() ? "inboxd" : evidence.actor,
         .data = Dump(data)});
    return to;
  });
}

core::Result<std::vector<Milestone>> Store::ListMilestones(int64_t ticket_id) {
  return Read("list milestones", [&]() -> core::Result<std::vector<Milestone>> {
    SQLite::Statement st(*db_, std::string("SELECT ") + kMilestoneColumns +
                                   " FROM milestones WHERE ticket_id = ? "
                                   "ORDER BY original_due_at, milestone_id");
    st.bind(1, ticket_id);
    return ReadMilestones(st);
  });
}

core::Result<std::vector<Milestone>> Store::ListMilestonesDue(
    core::TimePoint now, int limit) {
  return Read("list due milestones",
              [&]() -> core::Result<std::vector<Milestone>> {
                SQLite::Statement st(
                    *db_, std::string("SELECT ") + kMilestoneColumns +
                              " FROM milestones WHERE next_action_at <= ? "
                              "ORDER BY next_action_at, ticket_id, "
                              "milestone_id LIMIT ?");
                st.bind(1, ToUnix(now));
                st.bind(2, limit);
                return ReadMilestones(st);
              });
}

core::Result<std::optional<core::TimePoint>> Store::NextMilestoneAction() {
  return Read("next milestone action",
              [&]() -> core::Result<std::optional<core::TimePoint>> {
                SQLite::Statement st(*db_,
                                     "SELECT MIN(next_action_at) FROM "
                                     "milestones WHERE next_action_at IS NOT "
                                     "NULL");
                if (!st.executeStep() || st.getColumn(0).isNull()) {
                  return std::optional<core::TimePoint>();
                }
                return std::optional<core::TimePoint>(
                    FromUnix(st.getColumn(0).getInt64()));
              });
}

core::Result<DeadlineCounts> Store::CountMilestones(core::TimePoint now) {
  return Read("count milestones", [&]() -> core::Result<DeadlineCounts> {
    DeadlineCounts c;
    SQLite::Statement q(*db_,
                        "SELECT state, COUNT(*), SUM(state = 'open' AND "
                        "warn_at IS NOT NULL AND warn_at <= ?) FROM "
                        "milestones GROUP BY state");
    q.bind(1, internal::ToUnix(now));
    while (q.executeStep()) {
      const std::string state = q.getColumn(0).getString();
      const int64_t n = q.getColumn(1).getInt64();
      if (state == "met") c.met = n;
      if (state == "missed") c.missed = n;
      if (state == "open") {
        c.open = n;
        c.at_risk = q.getColumn(2).getInt64();
      }
    }
    return c;
  });
}

}  // namespace inboxd::store
