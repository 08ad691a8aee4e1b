// weekly_report.cc: see weekly_report.h.
#include "responder/weekly_report.h"

#include <date/tz.h>

#include <algorithm>
#include <cstdio>

#include "core/hash.h"
#include "core/text.h"
#include "responder/business_calendar.h"
#include "responder/lifecycle.h"
#include "responder/routing.h"
#include "store/report.h"

namespace inboxd::responder {
namespace {

using core::Fail;
using core::Result;

constexpr std::chrono::hours kWeek{7 * 24};
// A slot missed by more than this is skipped.
constexpr std::chrono::hours kLateLimit{24};

const date::time_zone* Zone(std::string_view name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

WeeklySlot SlotOn(const date::time_zone* tz, date::local_days day, int minute) {
  const date::year_month_day ymd{day};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()));
  return {buf,
          date::floor<std::chrono::seconds>(tz->to_sys(
              day + std::chrono::minutes(minute), date::choose::earliest))};
}

}  // namespace

std::optional<WeeklySlot> LatestWeeklySlot(const config::Config& config,
                                           core::TimePoint now) {
  if (config.report.weekly_day < 0 || config.report.weekly_minute < 0) {
    return std::nullopt;
  }
  const date::time_zone* tz = Zone(AgentZone(config));
  if (tz == nullptr) return std::nullopt;
  const date::local_days today = date::floor<date::days>(tz->to_local(now));
  const int wd = static_cast<int>(date::weekday(today).iso_encoding()) - 1;
  date::local_days day =
      today - date::days((wd - config.report.weekly_day + 7) % 7);
  WeeklySlot slot = SlotOn(tz, day, config.report.weekly_minute);
  if (slot.at > now)
    slot = SlotOn(tz, day - date::days(7), config.report.weekly_minute);
  return slot;
}

std::optional<WeeklySlot> NextWeeklySlot(const config::Config& config,
                                         core::TimePoint now) {
  std::optional<WeeklySlot> latest = LatestWeeklySlot(config, now);
  if (!latest) return std::nullopt;
  const date::time_zone* tz = Zone(AgentZone(config));
  const date::local_days day =
      date::floor<date::days>(tz->to_local(latest->at)) + date::days(7);
  return SlotOn(tz, day, config.report.weekly_minute);
}

Result<int> QueueWeeklyReport(store::Store& store, const config::Config& config,
                              const TemplateSet& templates,
                              MailboxPartsMap& parts, const WeeklySlot& slot,
                              core::TimePoint now) {
  if (now - slot.at > kLateLimit || config.mailboxes.empty()) return 0;
  auto it = parts.find(config.mailboxes.front().name);
  if (it == parts.end()) return 0;
  MailboxParts& mb = *it->second;
  const config::Mailbox& mailbox = *mb.mailbox;

  auto reason_for = [&](const Target& t) {
    return "weekly report " + slot.day + " for " + core::AsciiLower(t.address);
  };
  std::vector<Target> pending;
  for (Target& t : AllEscalationTargets(config)) {
    auto n = store.CountOutgoingTo(t.address, "weekly_report", reason_for(t));
    if (!n) return Fail(n.error());
    if (*n == 0) pending.push_back(std::move(t));
  }
  if (pending.empty()) return 0;

  store::ReportOptions options;
  options.from = slot.at - kWeek;
  options.to = slot.at;
  options.now = now;
  options.time_zone = mailbox.time_zone;
  options.accounts = config.accounts;
  options.care_after = config.report.care_after;
  options.find_account = [&config](std::string_view customer) {
    return FindAccount(config, customer);
  };
  options.title =
      (mailbox.display_name.empty() ? mailbox.address : mailbox.display_name) +
      " SLA report";
  auto report = store::BuildSlaReport(store, options);
  if (!report) return Fail(report.error());
  const std::string html = store::RenderSlaHtml(*report);
  const std::string file = "sla-report-" + slot.day + ".html";

  int queued = 0;
  for (const Target& t : pending) {
    const std::string lang =
        ReplyLanguage(templates, t.language, mailbox.language);
    auto from_text = FormatLocalDay(options.from, mailbox.time_zone, lang);
    auto to_text = FormatLocalDay(options.to, mailbox.time_zone, lang);
    if (!from_text || !to_text) {
      return Fail(core::Error::InvalidArgument("weekly report: zone " +
                                               mailbox.time_zone));
    }
    TemplateVars vars;
    vars["recipient_name"] = t.name;
    vars["period_from"] = *from_text;
    vars["period_to"] = *to_text;
    auto count = [&](size_t n) { return LocalDigits(std::to_string(n), lang); };
    vars["volume"] = count(report->volume);
    vars["ack_median"] = FormatElapsed(report->latency.median, lang);
    vars["ack_p95"] = FormatElapsed(report->latency.p95, lang);
    vars["breach_count"] = count(report->breaches.size());
    vars["care_count"] = count(report->care.size());
    vars["flagged_count"] = count(report->flagged.size());
    vars["file_name"] = file;
    auto rendered = templates.Render("weekly_report", lang, mailbox.language,
                                     mailbox.name, "", vars);
    if (!rendered) return Fail(rendered.error());
    ReplySpec spec;
    spec.ticket_id = "report";
    std::string day = slot.day;
    day.erase(std::remove(day.begin(), day.end(), '-'), day.end());
    spec.kind = "w" + day + "-" +
                core::Sha256Hex(core::AsciiLower(t.address)).substr(0, 12);
    auto mail = mb.composer.ComposeNoticeWithFile(
        t.address, spec, *rendered, file, "text/html; charset=utf-8", html,
        now);
    if (!mail) {
      if (mail.error().code == core::Code::kFailedPrecondition ||
          mail.error().code == core::Code::kInvalidArgument) {
        continue;  // an address the composer refuses
      }
      return Fail(mail.error());
    }
    auto done = EnqueueMail(store, 0, mailbox, "weekly_report",
                            std::move(*mail), reason_for(t));
    if (!done) return Fail(done.error());
    if (*done) ++queued;
  }
  return queued;
}

}  // namespace inboxd::responder
