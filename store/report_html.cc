// report_html.cc: RenderSlaHtml, the SLA report as one self-contained HTML5
// file.
//
// Self-contained means: the CSS is inline, the charts are inline SVG drawn
// here, there is no <script>, no src= or href= to anything, no @import and
// no url(): the file opens the same offline, in a mail client or from a
// file share. Light and dark mode come from CSS variables switched by
// prefers-color-scheme; print forces the light palette and keeps tables and
// charts from breaking across pages. Every user-supplied string (mailbox,
// class, agent, subject, account, phrase, Message-ID) goes through
// HtmlEscape, and text that may be right-to-left (Persian names, Hebrew
// subjects) is isolated in <bdi> inside cells with dir="auto", so it reads
// correctly and does not reorder the numbers beside it.
#include <algorithm>
#include <cstdio>
#include <string>

#include "store/report.h"

namespace inboxd::store {

namespace {

// Escaped user text, isolated for bidirectional display.
std::string U(std::string_view text) {
  if (text.empty()) return "";
  return "<bdi>" + HtmlEscape(text) + "</bdi>";
}

// The owner column: "" is the shared mailbox itself.
std::string Owner(std::string_view owner) {
  return owner.empty() ? "<span class=\"muted\">(shared mailbox)</span>"
                       : U(owner);
}

std::string N(int64_t n) { return std::to_string(n); }

std::string F(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

constexpr char kCss[] = R"css(
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --grid: #d1d9e0;
  --card: #f6f8fa; --accent: #0b5cd5; --bar: #2f6fde;
  --met: #1a7f37; --missed: #cf222e; --open: #9a6700; --risk: #bc4c00;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --grid: #3d444d;
    --card: #151b23; --accent: #4493f8; --bar: #4c8ef7;
    --met: #3fb950; --missed: #f85149; --open: #d29922; --risk: #f0883e;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); }
body {
  margin: 0 auto; max-width: 1180px; padding: 24px;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans",
        "Noto Sans Arabic", "Noto Sans CJK SC", sans-serif;
  background: var(--bg); color: var(--fg);
}
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--grid);
     padding-bottom: 4px; }
.muted, .meta { color: var(--muted); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { background: var(--card); border: 1px solid var(--grid);
        border-radius: 8px; padding: 10px 14px; min-width: 130px; }
.card .v { font-size: 22px; font-weight: 600; }
.card .k { color: var(--muted); font-size: 12px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr));
          gap: 16px; }
figure.chart { margin: 0; background: var(--card); border: 1px solid var(--grid);
               border-radius: 8px; padding: 12px; }
figure.chart figcaption { font-weight: 600; margin-bottom: 6px; }
svg { width: 100%; height: auto; display: block; }
svg text { fill: var(--fg); font: 11px system-ui, sans-serif; }
svg .axis { stroke: var(--grid); stroke-width: 1; }
svg .bar { fill: var(--bar); }
svg .met { fill: var(--met); }
svg .missed { fill: var(--missed); }
svg .open { fill: var(--open); }
.legend { display: flex; gap: 14px; font-size: 12px; margin-top: 6px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
          margin-inline-end: 4px; vertical-align: middle; }
.swatch.met { background: var(--met); }
.swatch.missed { background: var(--missed); }
.swatch.open { background: var(--open); }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border-bottom: 1px solid var(--grid); padding: 5px 8px;
         text-align: start; vertical-align: top; }
th { background: var(--card); font-weight: 600; }
td.n, th.n { text-align: end; font-variant-numeric: tabular-nums; }
td.nw { white-space: nowrap; }
.bad { color: var(--missed); font-weight: 600; }
.risk { color: var(--risk); font-weight: 600; }
.empty { color: var(--muted); font-style: italic; }
@media print {
  :root {
    --bg: #ffffff; --fg: #000000; --muted: #444444; --grid: #999999;
    --card: #ffffff; --bar: #1f4fa0; --met: #1a7f37; --missed: #b00020;
    --open: #8a6100; --risk: #a04000;
  }
  body { max-width: none; padding: 0; font-size: 11px; }
  .charts { display: block; }
  figure.chart, table, tr, .cards { break-inside: avoid; page-break-inside: avoid; }
  figure.chart { margin-bottom: 12px; }
  thead { display: table-header-group; }
  h2 { break-after: avoid; page-break-after: avoid; }
}
)css";

// Chart geometry (SVG user units; the SVG scales to its box).
constexpr double kW = 560, kH = 240, kLeft = 40, kRight = 10, kTop = 12,
                 kBottom = 44;

std::string YAxis(int64_t max) {
  std::string s;
  const double plot_h = kH - kTop - kBottom;
  for (int i = 0; i <= 2; ++i) {
    const double v = static_cast<double>(max) * i / 2.0;
    const double y = kH - kBottom - plot_h * i / 2.0;
    s += "<line class=\"axis\" x1=\"" + F(kLeft) + "\" x2=\"" + F(kW - kRight) +
         "\" y1=\"" + F(y) + "\" y2=\"" + F(y) + "\"/>";
    char label[32];
    std::snprintf(label, sizeof label, "%g", v);
    s += "<text x=\"" + F(kLeft - 4) + "\" y=\"" + F(y + 4) +
         "\" text-anchor=\"end\">" + label + "</text>";
  }
  return s;
}

std::string SvgOpen(const std::string& label) {
  // No xmlns: inline SVG in HTML needs none, and the file names no URL.
  return "<svg viewBox=\"0 0 " + F(kW) + " " + F(kH) +
         "\" role=\"img\" aria-label=\"" + HtmlEscape(label) + "\">";
}

// One bar per (label, value); labels every `label_every` bars.
std::string BarChart(const std::string& aria,
                     const std::vector<std::pair<std::string, int64_t>>& bars,
                     size_t label_every, const char* unit) {
  int64_t max = 1;
  for (const auto& [l, v] : bars) max = std::max(max, v);
  if (max % 2 == 1 && max > 1) ++max;  // even, so the mid line is whole
  const double plot_w = kW - kLeft - kRight;
  const double plot_h = kH - kTop - kBottom;
  const double slot =
      plot_w / static_cast<double>(std::max<size_t>(bars.size(), 1));
  const double bw = std::max(1.0, slot * 0.8);
  std::string s = SvgOpen(aria) + YAxis(max);
  for (size_t i = 0; i < bars.size(); ++i) {
    const auto& [label, v] = bars[i];
    const double h = plot_h * static_cast<double>(v) / static_cast<double>(max);
    const double x = kLeft + slot * static_cast<double>(i) + (slot - bw) / 2;
    s += "<rect class=\"bar\" x=\"" + F(x) + "\" y=\"" + F(kH - kBottom - h) +
         "\" width=\"" + F(bw) + "\" height=\"" + F(h) + "\"><title>" +
         HtmlEscape(label) + ": " + N(v) + " " + unit + "</title></rect>";
    if (i % label_every == 0 || i + 1 == bars.size()) {
      const double cx = kLeft + slot * (static_cast<double>(i) + 0.5);
      s += "<text x=\"" + F(cx) + "\" y=\"" + F(kH - kBottom + 14) +
           "\" text-anchor=\"middle\">" + HtmlEscape(label) + "</text>";
    }
  }
  s += "</svg>";
  return s;
}

std::string VolumeChart(const SlaReport& r) {
  std::vector<std::pair<std::string, int64_t>> bars;
  for (const DayCount& d : r.per_day) {
    // "MM-DD" under the bar; the full date in the tooltip would need a
    // second label, so the title carries the full date.
    bars.emplace_back(d.date.size() == 10 ? d.date.substr(5) : d.date,
                      d.tickets);
  }
  const size_t every = std::max<size_t>(1, (bars.size() + 7) / 8);
  return "<figure class=\"chart\" id=\"chart-volume\"><figcaption>Tickets "
         "opened per day</figcaption>" +
         BarChart("tickets opened per day", bars, every, "tickets") +
         "</figure>";
}

std::string LatencyChart(const SlaReport& r) {
  std::vector<std::pair<std::string, int64_t>> bars;
  for (const LatencyBucket& b : r.latency_histogram) {
    bars.emplace_back(b.label, b.count);
  }
  return "<figure class=\"chart\" id=\"chart-latency\"><figcaption>"
         "Acknowledgement latency (customer's message to our ack sent)"
         "</figcaption>" +
         BarChart("acknowledgement latency distribution", bars, 1, "acks") +
         "</figure>";
}

std::string MilestoneChart(const SlaReport& r) {
  int64_t max = 1;
  for (const MilestoneLine& m : r.milestones) {
    max = std::max(max, m.counts.met + m.counts.missed + m.counts.open);
  }
  if (max % 2 == 1 && max > 1) ++max;
  const double plot_w = kW - kLeft - kRight;
  const double plot_h = kH - kTop - kBottom;
  const size_t n = std::max<size_t>(r.milestones.size(), 1);
  const double slot = plot_w / static_cast<double>(n);
  const double bw = std::min(60.0, slot * 0.7);
  std::string s = SvgOpen("met, missed and open per milestone") + YAxis(max);
  for (size_t i = 0; i < r.milestones.size(); ++i) {
    const MilestoneLine& m = r.milestones[i];
    const double x = kLeft + slot * static_cast<double>(i) + (slot - bw) / 2;
    double y = kH - kBottom;
    const struct {
      const char* cls;
      const char* what;
      int64_t v;
    } parts[] = {{"met", "met", m.counts.met},
                 {"missed", "missed", m.counts.missed},
                 {"open", "open", m.counts.open}};
    for (const auto& p : parts) {
      if (p.v == 0) continue;
      const double h =
          plot_h * static_cast<double>(p.v) / static_cast<double>(max);
      y -= h;
      s += "<rect class=\"" + std::string(p.cls) + "\" x=\"" + F(x) +
           "\" y=\"" + F(y) + "\" width=\"" + F(bw) + "\" height=\"" + F(h) +
           "\"><title>" + HtmlEscape(m.id) + " " + HtmlEscape(m.name) + ": " +
           N(p.v) + " " + p.what + "</title></rect>";
    }
    const double cx = kLeft + slot * (static_cast<double>(i) + 0.5);
    s += "<text x=\"" + F(cx) + "\" y=\"" + F(kH - kBottom + 14) +
         "\" text-anchor=\"middle\">" + HtmlEscape(m.id) + "</text>";
    s += "<text x=\"" + F(cx) + "\" y=\"" + F(kH - kBottom + 28) +
         "\" text-anchor=\"middle\">" + HtmlEscape(m.name) + "</text>";
  }
  s += "</svg>";
  return "<figure class=\"chart\" id=\"chart-milestones\"><figcaption>Met vs "
         "missed per milestone</figcaption>" +
         s +
         "<div class=\"legend\"><span><span class=\"swatch met\"></span>met"
         "</span><span><span class=\"swatch missed\"></span>missed</span>"
         "<span><span class=\"swatch open\"></span>open</span></div>"
         "</figure>";
}

// "30 days", else the duration.
std::string CareAfter(std::chrono::seconds s) {
  if (s.count() > 0 && s.count() % 86400 == 0) {
    const int64_t d = s.count() / 86400;
    return N(d) + (d == 1 ? " day" : " days");
  }
  return FormatSeconds(s);
}

std::string Card(const std::string& value, const std::string& key) {
  return "<div class=\"card\"><div class=\"v\">" + value +
         "</div><div class=\"k\">" + key + "</div></div>";
}

std::string Lat(const LatencyStats& l, std::chrono::seconds v) {
  return l.count == 0 ? "&ndash;" : FormatSeconds(v);
}

std::string CountCells(const MilestoneCounts& c) {
  return "<td class=\"n\">" + N(c.met) + "</td><td class=\"n" +
         (c.missed > 0 ? " bad" : "") + "\">" + N(c.missed) +
         "</td><td class=\"n\">" + N(c.open) + "</td><td class=\"n" +
         (c.at_risk > 0 ? " risk" : "") + "\">" + N(c.at_risk) + "</td>";
}

std::string Empty(const char* text, int cols) {
  return "<tr><td class=\"empty\" colspan=\"" + N(cols) + "\">" + text +
         "</td></tr>";
}

std::string GroupsTable(const SlaReport& r) {
  std::string s =
      "<table id=\"groups\"><thead><tr><th>Mailbox</th><th>Class</th>"
      "<th>Agent</th><th class=\"n\">Tickets</th><th class=\"n\">Acks</th>"
      "<th class=\"n\">Ack median</th><th class=\"n\">Ack p95</th>"
      "<th class=\"n\">Ack max</th><th class=\"n\">Met</th>"
      "<th class=\"n\">Missed</th><th class=\"n\">Open</th>"
      "<th class=\"n\">At risk</th></tr></thead><tbody>";
  if (r.groups.empty()) s += Empty("No tickets in this period.", 12);
  for (const GroupLine& g : r.groups) {
    s += "<tr><td dir=\"auto\">" + U(g.mailbox) + "</td><td dir=\"auto\">" +
         U(g.cls) + "</td><td dir=\"auto\">" + Owner(g.owner) +
         "</td><td class=\"n\">" + N(g.volume) + "</td><td class=\"n\">" +
         N(g.latency.count) + "</td><td class=\"n\">" +
         Lat(g.latency, g.latency.median) + "</td><td class=\"n\">" +
         Lat(g.latency, g.latency.p95) + "</td><td class=\"n\">" +
         Lat(g.latency, g.latency.max) + "</td>" + CountCells(g.totals) +
         "</tr>";
  }
  return s + "</tbody></table>";
}

std::string GroupMilestonesTable(const SlaReport& r) {
  std::string s =
      "<table id=\"group-milestones\"><thead><tr><th>Mailbox</th>"
      "<th>Class</th><th>Agent</th><th>Milestone</th>"
      "<th class=\"n\">Met</th><th class=\"n\">Missed</th>"
      "<th class=\"n\">Open</th><th class=\"n\">At risk</th></tr></thead>"
      "<tbody>";
  bool any = false;
  for (const GroupLine& g : r.groups) {
    for (const MilestoneLine& m : g.milestones) {
      any = true;
      s += "<tr><td dir=\"auto\">" + U(g.mailbox) + "</td><td dir=\"auto\">" +
           U(g.cls) + "</td><td dir=\"auto\">" + Owner(g.owner) + "</td><td>" +
           HtmlEscape(m.id) + " " + U(m.name) + "</td>" + CountCells(m.counts) +
           "</tr>";
    }
  }
  if (!any) s += Empty("No milestones in this period.", 8);
  return s + "</tbody></table>";
}

std::string MilestonesTable(const SlaReport& r) {
  std::string s =
      "<table id=\"milestones\"><thead><tr><th>Milestone</th>"
      "<th class=\"n\">Met</th><th class=\"n\">Missed</th>"
      "<th class=\"n\">Open</th><th class=\"n\">At risk</th></tr></thead>"
      "<tbody>";
  if (r.milestones.empty()) s += Empty("No milestones in this period.", 5);
  for (const MilestoneLine& m : r.milestones) {
    s += "<tr><td>" + HtmlEscape(m.id) + " " + U(m.name) + "</td>" +
         CountCells(m.counts) + "</tr>";
  }
  return s + "</tbody></table>";
}

std::string BreachesTable(const SlaReport& r) {
  const std::string_view zone = r.time_zone;
  std::string s =
      "<table id=\"breaches\"><thead><tr><th>Ticket</th><th>Milestone</th>"
      "<th>Due</th><th>Evidence</th><th>Mailbox</th><th>Agent</th>"
      "<th>Subject</th></tr></thead><tbody>";
  if (r.breaches.empty()) s += Empty("No breaches in this period.", 7);
  for (const Breach& b : r.breaches) {
    std::string evidence;
    if (b.late_answer) {
      const MilestoneEvidence& e = *b.late_answer;
      evidence = "answered late " + FormatLocalMinute(e.at, zone) + " by " +
                 U(e.actor) + " (" + HtmlEscape(e.by) +
                 (e.folder.empty() ? "" : ", " + U(e.folder)) + ")";
      if (!e.message_id.empty()) {
        evidence +=
            " <span class=\"muted\">&lt;" + U(e.message_id) + "&gt;</span>";
      }
    } else {
      evidence = "<span class=\"bad\">not answered</span>";
    }
    s += "<tr><td class=\"nw\">" + U(b.ticket) + "</td><td class=\"nw\">" +
         HtmlEscape(b.milestone_id) + " " + U(b.milestone_name) +
         "</td><td class=\"nw\">" + FormatLocalMinute(b.due_at, zone) +
         "</td><td dir=\"auto\">" + evidence + "</td><td dir=\"auto\">" +
         U(b.mailbox) + "</td><td dir=\"auto\">" + Owner(b.owner) +
         "</td><td dir=\"auto\">" + U(b.subject) + "</td></tr>";
  }
  return s + "</tbody></table>";
}

std::string CareTable(const SlaReport& r) {
  std::string s =
      "<table id=\"care\"><thead><tr><th>Key account</th><th>Last contact"
      "</th><th class=\"n\">Days since</th></tr></thead><tbody>";
  if (r.care.empty()) {
    s += Empty("Every key account was in contact.", 3);
  }
  for (const CareLine& c : r.care) {
    s += "<tr><td dir=\"auto\">" + U(c.account) + "</td><td>" +
         (c.last_contact ? FormatLocalMinute(*c.last_contact, r.time_zone)
                         : std::string("<span class=\"bad\">never</span>")) +
         "</td><td class=\"n\">" +
         (c.days_since ? N(*c.days_since) : "&ndash;") + "</td></tr>";
  }
  return s + "</tbody></table>";
}

std::string FlaggedTable(const SlaReport& r) {
  std::string s =
      "<table id=\"flagged\"><thead><tr><th>Seen</th><th>Agent</th>"
      "<th>Ticket</th><th>Mailbox</th><th>Phrases</th></tr></thead><tbody>";
  if (r.flagged.empty()) s += Empty("No flagged replies in this period.", 5);
  for (const FlaggedReply& f : r.flagged) {
    std::string phrases;
    for (const std::string& p : f.phrases) {
      if (!phrases.empty()) phrases += ", ";
      phrases += "&ldquo;" + U(p) + "&rdquo;";
    }
    s += "<tr><td>" + FormatLocalMinute(f.at, r.time_zone) +
         "</td><td dir=\"auto\">" + U(f.agent) + "</td><td>" + U(f.ticket) +
         "</td><td dir=\"auto\">" + U(f.mailbox) + "</td><td dir=\"auto\">" +
         phrases + "</td></tr>";
  }
  return s + "</tbody></table>";
}

}  // namespace

std::string RenderSlaHtml(const SlaReport& r) {
  const std::string_view zone = r.time_zone;
  int64_t at_risk = 0;
  for (const MilestoneLine& m : r.milestones) at_risk += m.counts.at_risk;
  std::string s;
  s.reserve(64 * 1024);
  s += "<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\"><head>"
       "<meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width, "
       "initial-scale=1\">"
       "<meta name=\"color-scheme\" content=\"light dark\">"
       "<title>" +
       HtmlEscape(r.title) + "</title><style>" + kCss +
       "</style></head>\n<body>\n";
  s += "<header><h1>" + U(r.title) + "</h1><p class=\"meta\">Tickets opened " +
       FormatLocalMinute(r.from, zone) + " to " +
       FormatLocalMinute(r.to, zone) + " (" + HtmlEscape(zone) +
       ", end exclusive); state as of " +
       FormatLocalMinute(r.generated_at, zone) + ".</p></header>\n";
  s += "<section class=\"cards\">" + Card(N(r.volume), "tickets") +
       Card(N(r.latency.count), "acknowledgements sent") +
       Card(Lat(r.latency, r.latency.median), "ack median") +
       Card(Lat(r.latency, r.latency.p95), "ack p95") +
       Card(Lat(r.latency, r.latency.max), "ack max") +
       Card(N(static_cast<int64_t>(r.breaches.size())), "breaches") +
       Card(N(at_risk), "open and at risk") +
       Card(N(static_cast<int64_t>(r.care.size())), "key accounts to call") +
       Card(N(static_cast<int64_t>(r.flagged.size())), "flagged replies") +
       "</section>\n";
  s += "<section class=\"charts\">" + VolumeChart(r) + LatencyChart(r) +
       MilestoneChart(r) + "</section>\n";
  s += "<section><h2>By mailbox, class and agent</h2>" + GroupsTable(r) +
       "</section>\n";
  s += "<section><h2>Milestones (D1&ndash;D9)</h2>" + MilestonesTable(r) +
       "</section>\n";
  s += "<section><h2>Milestones by mailbox, class and agent</h2>" +
       GroupMilestonesTable(r) + "</section>\n";
  s += "<section><h2>Breaches</h2>" + BreachesTable(r) + "</section>\n";
  s += "<section><h2>Key accounts without contact for " +
       HtmlEscape(CareAfter(r.care_after)) + " (POLICY C7)</h2>" +
       CareTable(r) + "</section>\n";
  s += "<section><h2>Agent replies flagged for a forbidden phrase (POLICY "
       "C5)</h2>" +
       FlaggedTable(r) + "</section>\n";
  s += "<footer class=\"meta\"><p>Generated by inboxd. Latency: median, p95 "
       "(nearest rank) and maximum of the acknowledgements sent for the "
       "tickets of the period. At risk: open, not paused, past its warning "
       "time.</p></footer>\n</body></html>\n";
  return s;
}

}  // namespace inboxd::store
