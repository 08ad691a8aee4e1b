// report.cc: the SLA report's data (BuildSlaReport, BuildCareList), its CSV
// and the care list's text/CSV/JSON. The HTML is in report_html.cc.
//
// date::locate_zone throws for an unknown zone; that is caught here and
// becomes kInvalidArgument (BuildSlaReport) or UTC (the formatters, which
// only see zones BuildSlaReport accepted).
#include "store/report.h"

#include <date/tz.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "core/text.h"
#include "store/export.h"

namespace inboxd::store {

namespace {

using std::chrono::seconds;

const date::time_zone* LocateZone(std::string_view name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

const date::time_zone* ZoneOrUtc(std::string_view name) {
  const date::time_zone* z = LocateZone(name);
  return z != nullptr ? z : LocateZone("UTC");
}

// The local calendar day of `t` in `zone`.
date::local_days LocalDay(core::TimePoint t, const date::time_zone* zone) {
  return date::floor<date::days>(zone->to_local(t));
}

std::string FormatDay(date::local_days d) { return date::format("%F", d); }

// The acknowledgement latency histogram's lower bounds (seconds).
struct BucketDef {
  const char* label;
  int64_t lower;
};
constexpr BucketDef kBuckets[] = {
    {"<1m", 0},       {"1-5m", 60},     {"5-15m", 300}, {"15-30m", 900},
    {"30m-1h", 1800}, {"1-2h", 3600},   {"2-4h", 7200}, {"4-8h", 14400},
    {"8-24h", 28800}, {">=24h", 86400},
};

std::vector<LatencyBucket> EmptyHistogram() {
  std::vector<LatencyBucket> out;
  for (const BucketDef& b : kBuckets) out.push_back({b.label, b.lower, 0});
  return out;
}

void AddToHistogram(std::vector<LatencyBucket>* h, int64_t latency) {
  for (size_t i = h->size(); i-- > 0;) {
    if (latency >= (*h)[i].lower) {
      ++(*h)[i].count;
      return;
    }
  }
  ++(*h)[0].count;  // negative: a clock step; counts as immediate
}

bool AtRisk(const Milestone& m, core::TimePoint now) {
  if (m.state != MilestoneState::kOpen || m.paused_at) return false;
  return (m.warn_at && *m.warn_at <= now) || m.due_at <= now;
}

void Count(const Milestone& m, core::TimePoint now, MilestoneCounts* c) {
  switch (m.state) {
    case MilestoneState::kMet:
      ++c->met;
      break;
    case MilestoneState::kMissed:
      ++c->missed;
      break;
    case MilestoneState::kOpen:
      ++c->open;
      if (AtRisk(m, now)) ++c->at_risk;
      break;
  }
}

// Milestone ids sort D1 < D2 < ... < D10 (by length, then text).
bool IdLess(const std::string& a, const std::string& b) {
  return std::make_pair(a.size(), a) < std::make_pair(b.size(), b);
}

struct GroupAcc {
  GroupLine line;
  std::vector<int64_t> latencies;
  std::map<std::string, MilestoneLine> milestones;  // by id
};

using GroupKey = std::tuple<std::string, std::string, std::string>;

// The key accounts and their latest contact, filled while paging tickets.
class CareScan {
 public:
  explicit CareScan(const ReportOptions& o) : options_(o) {
    for (const config::Account& a : o.accounts) {
      if (a.key_account) last_.emplace(a.name, std::nullopt);
    }
  }
  bool empty() const { return last_.empty(); }
  void Add(const Ticket& t) {
    if (last_.empty() || !options_.find_account) return;
    const config::Account* a = options_.find_account(t.customer);
    if (a == nullptr) return;
    auto it = last_.find(a->name);
    if (it == last_.end()) return;  // not a key account
    core::TimePoint contact = t.customer_at;
    if (t.answered_at && *t.answered_at > contact) contact = *t.answered_at;
    if (!it->second || *it->second < contact) it->second = contact;
  }
  std::vector<CareLine> Take() const {
    std::vector<CareLine> out;
    for (const auto& [name, last] : last_) {
      CareLine line{.account = name, .last_contact = last};
      if (last) {
        if (options_.now - *last < options_.care_after) continue;
        line.days_since = (options_.now - *last).count() / 86400;
      }
      out.push_back(std::move(line));
    }
    // Never contacted first, then the longest silence; by name on ties.
    std::stable_sort(out.begin(), out.end(),
                     [](const CareLine& a, const CareLine& b) {
                       const int64_t da = a.days_since.value_or(INT64_MAX);
                       const int64_t db = b.days_since.value_or(INT64_MAX);
                       return da > db;
                     });
    return out;
  }

 private:
  const ReportOptions& options_;
  std::map<std::string, std::optional<core::TimePoint>> last_;
};

// Pages through every ticket (kReportTicketPage per call); `fn` gets each
// page and returns an error to stop.
template <typename F>
core::Status ForEachTicketPage(Store& store, F&& fn) {
  int64_t after = 0;
  while (true) {
    auto page = store.ListTickets(std::nullopt, after, kReportTicketPage);
    if (!page) return core::Fail(page.error());
    if (page->empty()) return core::Ok();
    if (auto st = fn(*page); !st) return st;
    after = page->back().id;
    if (static_cast<int>(page->size()) < kReportTicketPage) return core::Ok();
  }
}

core::Status ReadFlagged(Store& store, const ReportOptions& o,
                         std::vector<FlaggedReply>* out) {
  EventFilter filter;
  filter.type = "agent.reply.flagged";
  filter.since = o.from;
  filter.until = o.to;
  filter.limit = 0;
  return store.ScanEvents(filter, [&](const Event& e) {
    FlaggedReply f;
    f.at = e.at;
    f.mailbox = e.mailbox;
    f.agent = e.actor;
    const nlohmann::json data = nlohmann::json::parse(
        e.FullData(), nullptr, /*allow_exceptions=*/false);
    if (data.is_object()) {
      if (auto it = data.find("agent"); it != data.end() && it->is_string() &&
                                        !it->get<std::string>().empty()) {
        f.agent = it->get<std::string>();
      }
      if (auto it = data.find("ticket"); it != data.end() && it->is_string()) {
        f.ticket = it->get<std::string>();
      }
      if (auto it = data.find("phrases"); it != data.end() && it->is_array()) {
        for (const auto& p : *it) {
          if (p.is_string()) f.phrases.push_back(p.get<std::string>());
        }
      }
    }
    out->push_back(std::move(f));
    return true;
  });
}

std::string CsvRow(const std::map<std::string_view, std::string>& cells) {
  std::string out;
  for (size_t i = 0; i < kSlaCsvColumns.size(); ++i) {
    if (i > 0) out += ',';
    auto it = cells.find(kSlaCsvColumns[i]);
    if (it != cells.end()) out += CsvField(it->second);
  }
  out += "\r\n";
  return out;
}

std::string Num(int64_t n) { return std::to_string(n); }

void PutCounts(const MilestoneCounts& c,
               std::map<std::string_view, std::string>* row) {
  (*row)["met"] = Num(c.met);
  (*row)["missed"] = Num(c.missed);
  (*row)["open"] = Num(c.open);
  (*row)["at_risk"] = Num(c.at_risk);
}

void PutLatency(const LatencyStats& l,
                std::map<std::string_view, std::string>* row) {
  (*row)["acks"] = Num(l.count);
  if (l.count == 0) return;
  (*row)["ack_median_s"] = Num(l.median.count());
  (*row)["ack_p95_s"] = Num(l.p95.count());
  (*row)["ack_max_s"] = Num(l.max.count());
}

std::string JoinPhrases(const std::vector<std::string>& phrases) {
  std::string out;
  for (const std::string& p : phrases) {
    if (!out.empty()) out += "; ";
    out += p;
  }
  return out;
}

}  // namespace

const std::vector<std::string_view> kSlaCsvColumns = {
    "section",     "mailbox",        "class",        "agent",      "ticket",
    "milestone",   "milestone_name", "date",         "bucket",     "tickets",
    "acks",        "ack_median_s",   "ack_p95_s",    "ack_max_s",  "met",
    "missed",      "open",           "at_risk",      "due",        "evidence",
    "answered_at", "account",        "last_contact", "days_since", "phrases",
    "subject"};

LatencyStats ComputeLatency(std::vector<int64_t> samples) {
  LatencyStats s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  s.count = static_cast<int64_t>(n);
  s.median = seconds(n % 2 == 1 ? samples[n / 2]
                                : (samples[n / 2 - 1] + samples[n / 2]) / 2);
  // Nearest rank: ceil(0.95 n), 1-based.
  const size_t rank = (95 * n + 99) / 100;
  s.p95 = seconds(samples[std::max<size_t>(rank, 1) - 1]);
  s.max = seconds(samples.back());
  return s;
}

core::Result<SlaReport> BuildSlaReport(Store& store, const ReportOptions& o) {
  const date::time_zone* zone = LocateZone(o.time_zone);
  if (zone == nullptr) {
    return core::Fail(core::Error::InvalidArgument(
        "report: unknown time zone \"" + core::Printable(o.time_zone) + "\""));
  }
  if (o.to <= o.from) {
    return core::Fail(core::Error::InvalidArgument(
        "report: the period ends (" + core::FormatUtc(o.to) +
        ") before it starts (" + core::FormatUtc(o.from) + ")"));
  }
  const date::local_days first_day = LocalDay(o.from, zone);
  const date::local_days last_day = LocalDay(o.to - seconds(1), zone);
  const int64_t days = (last_day - first_day).count() + 1;
  if (days > kReportMaxDays) {
    return core::Fail(core::Error::InvalidArgument(
        "report: the period covers " + std::to_string(days) +
        " days; at most " + std::to_string(kReportMaxDays)));
  }

  SlaReport r;
  r.title = o.title;
  r.time_zone = o.time_zone;
  r.from = o.from;
  r.to = o.to;
  r.generated_at = o.now;
  r.care_after = o.care_after;
  for (date::local_days d = first_day; d <= last_day; d += date::days(1)) {
    r.per_day.push_back({FormatDay(d), 0});
  }
  r.latency_histogram = EmptyHistogram();

  std::map<GroupKey, GroupAcc> groups;
  std::map<std::string, MilestoneLine> totals;
  std::vector<int64_t> all_latencies;
  CareScan care(o);

  auto status = ForEachTicketPage(
      store, [&](const std::vector<Ticket>& page) -> core::Status {
        auto acks = store.ListAckSentTimes(page.front().id, page.back().id);
        if (!acks) return core::Fail(acks.error());
        std::unordered_map<int64_t, core::TimePoint> ack_at(acks->begin(),
                                                            acks->end());
        for (const Ticket& t : page) {
          care.Add(t);
          if (t.opened_at < o.from || t.opened_at >= o.to) continue;
          ++r.volume;
          const int64_t day = (LocalDay(t.opened_at, zone) - first_day).count();
          if (day >= 0 && day < static_cast<int64_t>(r.per_day.size())) {
            ++r.per_day[static_cast<size_t>(day)].tickets;
          }
          GroupAcc& g = groups[{t.mailbox, t.cls, t.owner}];
          g.line.mailbox = t.mailbox;
          g.line.cls = t.cls;
          g.line.owner = t.owner;
          ++g.line.volume;
          if (auto it = ack_at.find(t.id); it != ack_at.end()) {
            const int64_t latency = (it->second - t.opened_at).count();
            g.latencies.push_back(latency);
            all_latencies.push_back(latency);
            AddToHistogram(&r.latency_histogram, latency);
          }
          auto ms = store.ListMilestones(t.id);
          if (!ms) return core::Fail(ms.error());
          for (const Milestone& m : *ms) {
            MilestoneLine& gl = g.milestones[m.milestone_id];
            gl.id = m.milestone_id;
            gl.name = m.name;
            Count(m, o.now, &gl.counts);
            Count(m, o.now, &g.line.totals);
            MilestoneLine& tl = totals[m.milestone_id];
            tl.id = m.milestone_id;
            tl.name = m.name;
            Count(m, o.now, &tl.counts);
            if (m.state == MilestoneState::kMissed) {
              Breach b{.ticket = t.Tag(),
                       .mailbox = t.mailbox,
                       .cls = t.cls,
                       .owner = t.owner,
                       .subject = t.subject,
                       .milestone_id = m.milestone_id,
                       .milestone_name = m.name,
                       .due_at = m.due_at};
              if (!m.evidence.by.empty()) b.late_answer = m.evidence;
              r.breaches.push_back(std::move(b));
            }
          }
        }
        return core::Ok();
      });
  if (!status) return core::Fail(status.error());

  for (auto& [key, g] : groups) {
    g.line.latency = ComputeLatency(std::move(g.latencies));
    std::vector<MilestoneLine> lines;
    for (auto& [id, line] : g.milestones) lines.push_back(std::move(line));
    std::sort(lines.begin(), lines.end(),
              [](const MilestoneLine& a, const MilestoneLine& b) {
                return IdLess(a.id, b.id);
              });
    g.line.milestones = std::move(lines);
    r.groups.push_back(std::move(g.line));
  }
  for (auto& [id, line] : totals) r.milestones.push_back(std::move(line));
  std::sort(r.milestones.begin(), r.milestones.end(),
            [](const MilestoneLine& a, const MilestoneLine& b) {
              return IdLess(a.id, b.id);
            });
  r.latency = ComputeLatency(std::move(all_latencies));
  std::stable_sort(r.breaches.begin(), r.breaches.end(),
                   [](const Breach& a, const Breach& b) {
                     return std::tie(a.due_at, a.ticket) <
                            std::tie(b.due_at, b.ticket);
                   });
  r.care = care.Take();
  if (auto st = ReadFlagged(store, o, &r.flagged); !st) {
    return core::Fail(st.error());
  }
  return r;
}

core::Result<std::vector<CareLine>> BuildCareList(Store& store,
                                                  const ReportOptions& o) {
  CareScan care(o);
  if (care.empty()) return std::vector<CareLine>();
  auto status = ForEachTicketPage(
      store, [&](const std::vector<Ticket>& page) -> core::Status {
        for (const Ticket& t : page) care.Add(t);
        return core::Ok();
      });
  if (!status) return core::Fail(status.error());
  return care.Take();
}

std::string RenderSlaCsv(const SlaReport& r) {
  const std::string_view zone = r.time_zone;
  std::string out;
  for (size_t i = 0; i < kSlaCsvColumns.size(); ++i) {
    if (i > 0) out += ',';
    out += kSlaCsvColumns[i];
  }
  out += "\r\n";
  using Row = std::map<std::string_view, std::string>;
  {
    Row row{{"section", "period"},
            {"date", FormatLocalRfc3339(r.from, zone) + "/" +
                         FormatLocalRfc3339(r.to, zone)},
            {"tickets", Num(r.volume)}};
    PutLatency(r.latency, &row);
    out += CsvRow(row);
  }
  for (const DayCount& d : r.per_day) {
    out += CsvRow({{"section", "volume_per_day"},
                   {"date", d.date},
                   {"tickets", Num(d.tickets)}});
  }
  for (const LatencyBucket& b : r.latency_histogram) {
    out += CsvRow({{"section", "ack_latency_histogram"},
                   {"bucket", b.label},
                   {"acks", Num(b.count)}});
  }
  for (const GroupLine& g : r.groups) {
    Row row{{"section", "group"},
            {"mailbox", g.mailbox},
            {"class", g.cls},
            {"agent", g.owner},
            {"tickets", Num(g.volume)}};
    PutLatency(g.latency, &row);
    PutCounts(g.totals, &row);
    out += CsvRow(row);
    for (const MilestoneLine& m : g.milestones) {
      Row mrow{{"section", "group_milestone"},
               {"mailbox", g.mailbox},
               {"class", g.cls},
               {"agent", g.owner},
               {"milestone", m.id},
               {"milestone_name", m.name}};
      PutCounts(m.counts, &mrow);
      out += CsvRow(mrow);
    }
  }
  for (const MilestoneLine& m : r.milestones) {
    Row row{{"section", "milestone"},
            {"milestone", m.id},
            {"milestone_name", m.name}};
    PutCounts(m.counts, &row);
    out += CsvRow(row);
  }
  for (const Breach& b : r.breaches) {
    Row row{{"section", "breach"},
            {"mailbox", b.mailbox},
            {"class", b.cls},
            {"agent", b.owner},
            {"ticket", b.ticket},
            {"milestone", b.milestone_id},
            {"milestone_name", b.milestone_name},
            {"due", FormatLocalRfc3339(b.due_at, zone)},
            {"subject", core::SanitizeUtf8(b.subject)}};
    if (b.late_answer) {
      const MilestoneEvidence& e = *b.late_answer;
      row["evidence"] = e.by + " by " + e.actor +
                        (e.message_id.empty() ? "" : " <" + e.message_id + ">");
      row["answered_at"] = FormatLocalRfc3339(e.at, zone);
    } else {
      row["evidence"] = "not answered";
    }
    out += CsvRow(row);
  }
  for (const CareLine& c : r.care) {
    out += CsvRow(
        {{"section", "key_account_care"},
         {"account", c.account},
         {"last_contact",
          c.last_contact ? FormatLocalRfc3339(*c.last_contact, zone) : ""},
         {"days_since", c.days_since ? Num(*c.days_since) : ""}});
  }
  for (const FlaggedReply& f : r.flagged) {
    out += CsvRow({{"section", "flagged_reply"},
                   {"mailbox", f.mailbox},
                   {"agent", f.agent},
                   {"ticket", f.ticket},
                   {"date", FormatLocalRfc3339(f.at, zone)},
                   {"phrases", JoinPhrases(f.phrases)}});
  }
  return out;
}

core::Result<std::string> RenderSlaReportForPeriod(Store& store,
                                                   const ReportOptions& o,
                                                   std::string_view format) {
  if (format != "html" && format != "csv") {
    return core::Fail(core::Error::InvalidArgument(
        "report: --format must be html or csv, got \"" +
        core::Printable(format) + "\""));
  }
  auto report = BuildSlaReport(store, o);
  if (!report) return core::Fail(report.error());
  return format == "html" ? RenderSlaHtml(*report) : RenderSlaCsv(*report);
}

core::Result<std::string> RenderCareList(const std::vector<CareLine>& care,
                                         std::string_view time_zone,
                                         std::string_view format) {
  if (LocateZone(time_zone) == nullptr) {
    return core::Fail(core::Error::InvalidArgument(
        "report: unknown time zone \"" + core::Printable(time_zone) + "\""));
  }
  auto last = [&](const CareLine& c) {
    return c.last_contact ? FormatLocalRfc3339(*c.last_contact, time_zone)
                          : std::string();
  };
  if (format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const CareLine& c : care) {
      out.push_back({{"name", core::SanitizeUtf8(c.account)},
                     {"last_contact", c.last_contact ? nlohmann::json(last(c))
                                                     : nlohmann::json()},
                     {"days_since", c.days_since ? nlohmann::json(*c.days_since)
                                                 : nlohmann::json()}});
    }
    return out.dump(2) + "\n";
  }
  if (format == "csv") {
    std::string out = "name,last_contact,days_since\r\n";
    for (const CareLine& c : care) {
      out += CsvField(c.account) + "," + CsvField(last(c)) + "," +
             (c.days_since ? Num(*c.days_since) : "") + "\r\n";
    }
    return out;
  }
  if (format == "text") {
    std::string out;
    char line[512];
    std::snprintf(line, sizeof line, "%-32s %-25s %s\n", "ACCOUNT",
                  "LAST CONTACT", "DAYS SINCE");
    out += line;
    for (const CareLine& c : care) {
      const std::string l = c.last_contact ? last(c) : "never";
      const std::string d = c.days_since ? Num(*c.days_since) : "-";
      std::snprintf(line, sizeof line, "%-32s %-25s %s\n",
                    core::Printable(c.account).c_str(), l.c_str(), d.c_str());
      out += line;
    }
    return out;
  }
  return core::Fail(core::Error::InvalidArgument(
      "report accounts: --format must be text, csv or json, got \"" +
      core::Printable(format) + "\""));
}

std::string CsvField(std::string_view value) {
  return CsvWriter::Cell(core::SanitizeUtf8(value));
}

std::string HtmlEscape(std::string_view text) {
  return core::HtmlEscape(core::SanitizeUtf8(text));
}

std::string FormatLocalMinute(core::TimePoint t, std::string_view zone) {
  return date::format("%F %R",
                      date::make_zoned(ZoneOrUtc(zone), t).get_local_time());
}

std::string FormatLocalRfc3339(core::TimePoint t, std::string_view zone) {
  return date::format("%FT%T%Ez", date::make_zoned(ZoneOrUtc(zone), t));
}

std::string FormatSeconds(seconds s) {
  int64_t v = s.count();
  const char* sign = "";
  if (v < 0) {
    sign = "-";
    v = -v;
  }
  char buf[64];
  if (v < 60) {
    std::snprintf(buf, sizeof buf, "%s%llds", sign, static_cast<long long>(v));
  } else if (v < 3600) {
    std::snprintf(buf, sizeof buf, "%s%lldm %02llds", sign,
                  static_cast<long long>(v / 60),
                  static_cast<long long>(v % 60));
  } else if (v < 86400) {
    std::snprintf(buf, sizeof buf, "%s%lldh %02lldm", sign,
                  static_cast<long long>(v / 3600),
                  static_cast<long long>(v % 3600 / 60));
  } else {
    std::snprintf(buf, sizeof buf, "%s%lldd %02lldh", sign,
                  static_cast<long long>(v / 86400),
                  static_cast<long long>(v % 86400 / 3600));
  }
  return buf;
}

}  // namespace inboxd::store
