// report.h: the SLA report and the key-account care list for managers
// (issue 11 items 4, 6, 7; POLICY A1, C5, C7): `inboxd report sla` and
// `inboxd report accounts`, and the weekly mail to the escalation addresses.
//
// What it does: reads the store (tickets page by page, their milestones, the
// sent time of each ticket's acknowledgement, the "agent.reply.flagged"
// events) into a SlaReport, and renders it as one self-contained HTML file
// (inline SVG charts, no script, nothing fetched from the network, light and
// dark mode, right-to-left text isolated in <bdi>, printable) or as one flat
// RFC 4180 CSV table with a "section" column, every cell that a spreadsheet
// would read as a formula neutralised.
//
// The period [from, to) is a cohort of tickets: a ticket counts when it was
// opened in the period, and then everything about it does (its
// acknowledgement, each milestone's state as of `now`, its breaches), so
// the numbers of one report add up. Flagged agent replies count when the
// flag (event time) falls in the period. The key-account care list is not
// about the period: it looks at every ticket.
//
// Definitions:
//   volume          tickets opened in the period
//   ack latency     the ack outbox row's sent_at minus the ticket's
//                   opened_at (the customer's message arrival); tickets
//                   whose ack was not sent have no sample
//   median          of an even count, the mean of the two middle values
//   p95             nearest rank: the ceil(0.95 n)-th smallest value
//   met/missed/open a milestone's state; "at risk" is an open milestone
//                   that is not paused whose warn_at (or due time) passed
//   breach          a missed milestone, with the message that answered it
//                   late or "not answered"
//   last contact    of a key account: the latest customer_at or
//                   answered_at of a ticket whose customer belongs to it
//
// What it does not do: send mail (the weekly mailing calls
// RenderSlaReportForPeriod and hands the text to the outbox), read config
// files, or decide which account an address belongs to (the caller passes
// `find_account`, responder::FindAccount, so there is one answer to that
// question). It never writes to the store.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"
#include "store/store.h"

namespace inboxd::store {

// Tickets read per store call.
inline constexpr int kReportTicketPage = 500;
// The longest period a report covers (days): the per-day chart has a bar
// per day.
inline constexpr int kReportMaxDays = 400;

struct ReportOptions {
  core::TimePoint from;  // inclusive
  core::TimePoint to;    // exclusive
  core::TimePoint now;   // "at risk" and "days since" are as of now
  // The zone of the per-day buckets and of every time shown (the first
  // mailbox's, as the --from/--to dates).
  std::string time_zone = "UTC";
  // Every [[account]]; only key_account ones are looked at (C7).
  std::vector<config::Account> accounts;
  std::chrono::seconds care_after{30 * 86400};
  // The account of a customer address (responder::FindAccount); null: no
  // customer matches any account.
  std::function<const config::Account*(std::string_view customer)> find_account;
  std::string title = "inboxd SLA report";
};

struct LatencyStats {
  int64_t count = 0;  // samples
  std::chrono::seconds median{0};
  std::chrono::seconds p95{0};
  std::chrono::seconds max{0};
};
// The statistics of `samples` (seconds, any order; all zero when empty).
LatencyStats ComputeLatency(std::vector<int64_t> samples);

struct MilestoneCounts {
  int64_t met = 0;
  int64_t missed = 0;
  int64_t open = 0;
  int64_t at_risk = 0;  // a subset of open
};

// One milestone (D1..D9) with its counts.
struct MilestoneLine {
  std::string id;    // "D1"
  std::string name;  // "ack"
  MilestoneCounts counts;
};

// Per mailbox, class and agent (the ticket's owner; "" = the shared
// mailbox).
struct GroupLine {
  std::string mailbox;
  std::string cls;
  std::string owner;
  int64_t volume = 0;
  LatencyStats latency;
  MilestoneCounts totals;
  std::vector<MilestoneLine> milestones;  // by id
};

struct Breach {
  std::string ticket;  // "S-1000"
  std::string mailbox;
  std::string cls;
  std::string owner;
  std::string subject;
  std::string milestone_id;
  std::string milestone_name;
  core::TimePoint due_at;
  // The message that met it late (evidence.by non-empty), else nullopt:
  // "not answered".
  std::optional<MilestoneEvidence> late_answer;
};

struct DayCount {
  std::string date;  // "YYYY-MM-DD", local
  int64_t tickets = 0;
};

// The acknowledgement latency histogram's buckets: [lower, upper) seconds;
// the last has no upper bound.
struct LatencyBucket {
  std::string label;  // "<1m", "1-5m", ...
  int64_t lower = 0;
  int64_t count = 0;
};

// A key account with no contact for care_after (C7).
struct CareLine {
  std::string account;
  std::optional<core::TimePoint> last_contact;  // nullopt: never
  std::optional<int64_t> days_since;            // whole days; nullopt: never
};

// An agent reply flagged for a forbidden phrase (C5).
struct FlaggedReply {
  core::TimePoint at;
  std::string mailbox;
  std::string agent;
  std::string ticket;  // tag, "" when none
  std::vector<std::string> phrases;
};

struct SlaReport {
  std::string title;
  std::string time_zone;
  core::TimePoint from;
  core::TimePoint to;
  core::TimePoint generated_at;
  std::chrono::seconds care_after{0};
  int64_t volume = 0;
  LatencyStats latency;  // all tickets of the period
  std::vector<DayCount> per_day;
  std::vector<LatencyBucket> latency_histogram;
  std::vector<GroupLine> groups;          // by mailbox, class, owner
  std::vector<MilestoneLine> milestones;  // all groups, by id
  std::vector<Breach> breaches;           // by due time
  std::vector<CareLine> care;             // longest without contact first
  std::vector<FlaggedReply> flagged;      // oldest first
};

// Reads the report for `options` (see the file comment). Errors:
// kInvalidArgument for an unknown time zone, to <= from or a period longer
// than kReportMaxDays; the store's.
core::Result<SlaReport> BuildSlaReport(Store& store,
                                       const ReportOptions& options);

// Only the key-account care list (`inboxd report accounts`): the key
// accounts with no contact for options.care_after as of options.now
// (from/to are not used). Errors: the store's.
core::Result<std::vector<CareLine>> BuildCareList(Store& store,
                                                  const ReportOptions& options);

// The report as one self-contained HTML5 document (report_html.cc).
std::string RenderSlaHtml(const SlaReport& report);
// The report as one CSV table (RFC 4180, CRLF line ends, UTF-8) with the
// columns kSlaCsvColumns; the first column names the section.
std::string RenderSlaCsv(const SlaReport& report);
extern const std::vector<std::string_view> kSlaCsvColumns;

// Renders the report for a period in "html" or "csv", for the weekly mail
// ([report] weekly) and `inboxd report sla`. Errors: kInvalidArgument for
// another format; BuildSlaReport's.
core::Result<std::string> RenderSlaReportForPeriod(Store& store,
                                                   const ReportOptions& options,
                                                   std::string_view format);

// The care list as "text" (aligned columns), "csv" (name, last_contact,
// days_since) or "json" ([{"name","last_contact","days_since"}], null for
// never). Times in `time_zone`. kInvalidArgument for another format or zone.
core::Result<std::string> RenderCareList(const std::vector<CareLine>& care,
                                         std::string_view time_zone,
                                         std::string_view format);

// One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF;
// a value beginning with '=', '+', '-', '@', TAB or CR gets a leading "'"
// first so that no spreadsheet runs it as a formula.
std::string CsvField(std::string_view value);
// Text for HTML element content and attribute values: & < > " ' escaped,
// invalid UTF-8 replaced.
std::string HtmlEscape(std::string_view text);

// "YYYY-MM-DD HH:MM" in `zone` (HTML) and RFC 3339 with the zone's offset
// (CSV, JSON). `zone` must be valid (BuildSlaReport checked it); an unknown
// zone falls back to UTC.
std::string FormatLocalMinute(core::TimePoint t, std::string_view zone);
std::string FormatLocalRfc3339(core::TimePoint t, std::string_view zone);
// "3h 05m", "42s", "2d 04h" for a duration.
std::string FormatSeconds(std::chrono::seconds s);

}  // namespace inboxd::store
