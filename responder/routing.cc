// routing.cc: owners from the route matrix, absence and history (routing.h).
#include "responder/routing.h"

#include <date/date.h>
#include <date/tz.h>

#include "core/text.h"
#include "responder/business_calendar.h"
#include "responder/lifecycle.h"

namespace inboxd::responder {

namespace {

// The end of the absence that makes `owner` (an agent address or a team)
// absent at `at`; nullopt when present. A team is absent when each of its
// agents is (it ends when the first of them is back).
std::optional<core::TimePoint> OwnerAbsentUntil(
    const config::Config& config, const std::vector<store::Absence>& absences,
    std::string_view owner, core::TimePoint at) {
  const auto threshold = config.routing.absence_threshold;
  std::vector<Target> people = ResolveTargets(config, owner);
  if (people.empty()) return std::nullopt;
  std::optional<core::TimePoint> back;
  for (const Target& p : people) {
    auto until = AbsentUntil(absences, p.address, at, threshold);
    if (!until) return std::nullopt;  // someone of the team is there
    if (!back || *until < *back) back = until;
  }
  return back;
}

std::string Away(std::string_view who, core::TimePoint until) {
  return std::string(who) + " is away until " + core::FormatUtc(until);
}

}  // namespace

std::optional<core::TimePoint> AbsentUntil(
    const std::vector<store::Absence>& absences, std::string_view agent,
    core::TimePoint at, std::chrono::seconds threshold) {
  std::optional<core::TimePoint> until;
  for (const store::Absence& a : absences) {
    if (!core::IEquals(a.agent, agent) || !a.Covers(at)) continue;
    if (!until || a.until > *until) until = a.until;
  }
  if (!until || *until - at <= threshold) return std::nullopt;
  return until;
}

std::string OwnerOf(const config::Config& config, std::string_view target) {
  const std::string t(core::Trim(target));
  if (t.find('@') != std::string::npos) return core::AsciiLower(t);
  for (const config::Agent& a : config.agents) {
    if (a.name == t) return core::AsciiLower(a.address);
  }
  return t;  // a team
}

Assignment AssignOwner(const config::Config& config,
                       const std::vector<store::Absence>& absences,
                       const AssignInput& in) {
  std::vector<std::string> skipped;
  auto try_owner = [&](std::string_view target,
                       const std::string& why) -> std::optional<Assignment> {
    if (target.empty()) return std::nullopt;
    const std::string owner = OwnerOf(config, target);
    if (!in.except.empty() && core::IEquals(owner, in.except)) {
      return std::nullopt;
    }
    if (auto until = OwnerAbsentUntil(config, absences, owner, in.at)) {
      skipped.push_back(Away(owner, *until));
      return std::nullopt;
    }
    std::string reason = why;
    if (!skipped.empty()) {
      reason += " (";
      for (size_t i = 0; i < skipped.size(); ++i) {
        reason += (i ? "; " : "") + skipped[i];
      }
      reason += ")";
    }
    return Assignment{owner, reason};
  };
  if (auto a = try_owner(in.personal_agent, "D4: personal mail to the agent")) {
    return *a;
  }
  if (auto a = try_owner(in.last_owner, "R4: served this customer last")) {
    return *a;
  }
  const config::Route* route = RouteFor(config, in.cls, in.mailbox);
  if (route != nullptr) {
    if (auto a = try_owner(route->primary, "R1: route primary for " + in.cls)) {
      return *a;
    }
    if (auto a =
            try_owner(route->secondary, "R3: route secondary for " + in.cls)) {
      return *a;
    }
    if (!route->escalate_to.empty()) {
      if (auto a = try_owner(route->escalate_to.front(),
                             "R3: both contacts away, escalation level 1")) {
        return *a;
      }
    }
  }
  Assignment none;
  none.reason = route == nullptr
                    ? "no route for class " + in.cls + ": the shared mailbox"
                    : "everyone on the route is away: the "
                      "shared mailbox";
  for (const std::string& s : skipped) none.reason += "; " + s;
  return none;
}

core::Result<core::TimePoint> ParseLocalOrRfc3339(std::string_view text,
                                                  std::string_view time_zone) {
  const std::string t(core::Trim(text));
  if (auto rfc = ParseRfc3339(t)) return *rfc;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0;
  char tail = 0;
  int n = std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d%c", &y, &mo, &d, &h, &mi,
                      &tail);
  if (n != 5) {
    h = mi = 0;
    n = std::sscanf(t.c_str(), "%4d-%2d-%2d%c", &y, &mo, &d, &tail);
    if (n != 3) {
      return core::Fail(core::Error::InvalidArgument(
          "time " + core::Printable(t) +
          ": expected YYYY-MM-DD, YYYY-MM-DDTHH:MM (local) or RFC 3339"));
    }
  }
  const date::year_month_day ymd{date::year{y}, date::month(unsigned(mo)),
                                 date::day(unsigned(d))};
  if (!ymd.ok() || h > 23 || mi > 59) {
    return core::Fail(core::Error::InvalidArgument(
        "time " + core::Printable(t) + ": not a real date and time"));
  }
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(time_zone);
  } catch (const std::exception&) {
    return core::Fail(core::Error::InvalidArgument("unknown time zone " +
                                                   core::Printable(time_zone)));
  }
  const date::local_seconds local{date::local_days{ymd}.time_since_epoch() +
                                  std::chrono::hours(h) +
                                  std::chrono::minutes(mi)};
  const auto info = zone->get_info(local);
  if (info.result == date::local_info::nonexistent) {
    // In a DST gap: forward by the gap, like a wall clock.
    return core::TimePoint{std::chrono::seconds(
        (local - date::local_seconds{}).count() - info.first.offset.count())};
  }
  return date::floor<std::chrono::seconds>(
      zone->to_sys(local, date::choose::earliest));
}

std::string AgentZone(const config::Config& config) {
  return config.mailboxes.empty() ? "UTC" : config.mailboxes.front().time_zone;
}

core::Status SyncConfigAbsences(store::Store& store,
                                const config::Config& config) {
  const std::string zone = AgentZone(config);
  for (const config::Agent& a : config.agents) {
    for (const std::string& range : a.absent) {
      const size_t slash = range.find('/');
      if (slash == std::string::npos) continue;  // the loader refused it
      auto from = ParseLocalOrRfc3339(range.substr(0, slash), zone);
      auto until = ParseLocalOrRfc3339(range.substr(slash + 1), zone);
      if (!from || !until) {
        return core::Fail(core::Error::InvalidArgument(
            "agent " + a.name + " absent " + range + ": " +
            (!from ? from.error().message : until.error().message)));
      }
      store::AbsenceIn in;
      in.agent = a.address;
      in.from = *from;
      // "…/2026-08-14T23:59": absent through that minute.
      in.until = *until + std::chrono::minutes(1);
      in.source = "config";
      in.detail = "[[agent]] absent " + range + " (" + zone + ")";
      if (in.until <= in.from) continue;
      if (auto id = store.AddAbsence(in); !id) return core::Fail(id.error());
    }
  }
  return core::Ok();
}

}  // namespace inboxd::responder
