// export.cc: CSV / JSON Lines export of events and tickets (see export.h).
#include "store/export.h"

#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <vector>

#include "core/hash.h"
#include "core/text.h"

namespace inboxd::store {

namespace {

// Characters that end an address-like run (Redactor::Text).
bool IsDelimiter(char c) {
  switch (c) {
    case ' ':
    case '\t':
    case '\r':
    case '\n':
    case '\f':
    case '\v':
    case '<':
    case '>':
    case '(':
    case ')':
    case '[':
    case ']':
    case '{':
    case '}':
    case ',':
    case ';':
    case ':':
    case '"':
    case '\'':
      return true;
    default:
      return false;
  }
}

// Calls `fn(run, is_address)` for each piece of `text` in order: runs
// between delimiters, and single delimiters (is_address false). A trailing
// '.' of a run (the end of a sentence) is its own piece.
template <typename F>
void ForEachRun(std::string_view text, F&& fn) {
  size_t i = 0;
  while (i < text.size()) {
    if (IsDelimiter(text[i])) {
      fn(text.substr(i, 1), false);
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && !IsDelimiter(text[j])) ++j;
    std::string_view run = text.substr(i, j - i);
    size_t dots = 0;
    while (dots < run.size() && run[run.size() - 1 - dots] == '.') ++dots;
    std::string_view body = run.substr(0, run.size() - dots);
    if (body.find('@') != std::string_view::npos) {
      fn(body, true);
      fn(run.substr(body.size()), false);
    } else {
      fn(run, false);
    }
    i = j;
  }
}

nlohmann::json RedactJson(const Redactor& r, const nlohmann::json& v) {
  if (v.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (Redactor::IsDroppedKey(it.key())) continue;
      out[r.Text(it.key())] = RedactJson(r, it.value());
    }
    return out;
  }
  if (v.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : v) out.push_back(RedactJson(r, e));
    return out;
  }
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.find('@') != std::string::npos) return r.AddressesOnly(s);
  }
  return v;
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Appends `s` as a JSON string (invalid UTF-8 replaced by U+FFFD).
void AppendJsonString(std::string& out, std::string_view s) {
  std::string fixed;
  if (!core::IsValidUtf8(s)) {
    fixed = core::SanitizeUtf8(s);
    s = fixed;
  }
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

// RFC 3339 UTC, as core::FormatUtc ("2026-11-23T18:45:55Z") but without
// a stream per call (a million events).
std::string Utc(core::TimePoint t) {
  const auto days = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{days};
  const std::chrono::hh_mm_ss<std::chrono::seconds> hms{t - days};
  char buf[40];
  std::snprintf(
      buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ",
      static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
      static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
      static_cast<int>(hms.minutes().count()),
      static_cast<int>(hms.seconds().count()));
  return buf;
}
std::string Utc(const std::optional<core::TimePoint>& t) {
  return t ? Utc(*t) : std::string();
}
nlohmann::ordered_json UtcJson(const std::optional<core::TimePoint>& t) {
  return t ? nlohmann::ordered_json(Utc(*t)) : nlohmann::ordered_json();
}

core::Status WriteFailed() {
  return core::Fail(
      core::Error::Unavailable("export: writing the output failed"));
}

// Ticket tags by id for the events export: at most kTagCacheSize entries
// (emptied when full; events of one ticket tend to come close together).
class TagCache {
 public:
  explicit TagCache(Store& store) : store_(store) {}
  core::Result<std::string> Tag(int64_t ticket_id) {
    if (ticket_id <= 0) return std::string();
    if (auto it = tags_.find(ticket_id); it != tags_.end()) return it->second;
    auto t = store_.GetTicket(ticket_id);
    std::string tag;
    if (t) {
      tag = t->Tag();
    } else if (t.error().code == core::Code::kNotFound) {
      tag = "#" + std::to_string(ticket_id);
    } else {
      return core::Fail(t.error());
    }
    if (tags_.size() >= kTagCacheSize) tags_.clear();
    tags_.emplace(ticket_id, tag);
    return tag;
  }

 private:
  Store& store_;
  std::unordered_map<int64_t, std::string> tags_;
};

constexpr const char* kEventHeader[] = {
    "id",          "at",    "type", "mailbox",         "ticket",
    "message_row", "actor", "data", "personal_erased", "hash",
    "prev_hash"};

constexpr const char* kTicketHeader[] = {"ticket",
                                         "mailbox",
                                         "mailboxes",
                                         "class",
                                         "state",
                                         "owner",
                                         "owner_reason",
                                         "customer",
                                         "subject",
                                         "opened",
                                         "customer_at",
                                         "answered_at",
                                         "closed_at",
                                         "language",
                                         "flags",
                                         "milestone",
                                         "milestone_name",
                                         "clock",
                                         "milestone_state",
                                         "started_at",
                                         "due",
                                         "original_due",
                                         "paused",
                                         "warned_at",
                                         "notified_at",
                                         "missed_at",
                                         "escalation_level",
                                         "met_at",
                                         "evidence_by",
                                         "evidence_message_id",
                                         "evidence_mailbox",
                                         "evidence_folder",
                                         "evidence_actor",
                                         "evidence_at"};

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

// The members of a JSON object text ("" for "{}"), or nullopt when `s`
// does not look like an object.
std::optional<std::string_view> Members(std::string_view s) {
  s = core::Trim(s);
  if (s.size() < 2 || s.front() != '{' || s.back() != '}') return std::nullopt;
  return core::Trim(s.substr(1, s.size() - 2));
}

// data and personal merged as one object text: Event::FullData without
// parsing (their keys are disjoint, SplitPersonal), the members of data
// first.
std::string MergedData(const Event& e) {
  if (e.personal.empty()) return e.data;
  const auto d = Members(e.data);
  const auto p = Members(e.personal);
  if (!d || !p) return e.FullData();
  std::string out;
  out.reserve(e.data.size() + e.personal.size());
  out += '{';
  out.append(*d);
  if (!d->empty() && !p->empty()) out += ',';
  out.append(*p);
  out += '}';
  return out;
}

// The event's data as exported: personal fields merged back unless erased,
// redacted when asked.
std::string EventData(const Event& e, const Redactor* redactor) {
  std::string full = MergedData(e);
  if (redactor != nullptr) return redactor->Data(full);
  // A JSON Lines row must stay JSON even for a damaged row.
  if (!nlohmann::json::accept(full)) return "{}";
  return full;
}

bool TicketMatches(const Ticket& t, const ExportOptions& o) {
  if (o.since && t.opened_at < *o.since) return false;
  if (o.until && t.opened_at >= *o.until) return false;
  if (o.ticket_id > 0 && t.id != o.ticket_id) return false;
  if (!o.mailbox.empty() && t.mailbox != o.mailbox) {
    bool found = false;
    for (const std::string& m : t.mailboxes) found = found || m == o.mailbox;
    if (!found) return false;
  }
  return true;
}

// Writes one ticket (CSV rows or a JSON line); returns the rows written.
class TicketWriter {
 public:
  TicketWriter(const ExportOptions& o, std::ostream& out)
      : o_(o), out_(out), csv_(out) {}

  void Header() {
    if (o_.format != ExportFormat::kCsv) return;
    if (o_.bom) csv_.WriteBom();
    for (const char* h : kTicketHeader) csv_.Field(h);
    csv_.EndRow();
  }

  int64_t Write(const Ticket& t, const std::vector<Milestone>& ms) {
    return o_.format == ExportFormat::kCsv ? Csv(t, ms) : Jsonl(t, ms);
  }

 private:
  std::string S(std::string_view v) const {
    return o_.redactor ? o_.redactor->Text(v) : std::string(v);
  }

  int64_t Csv(const Ticket& t, const std::vector<Milestone>& ms) {
    int64_t rows = 0;
    auto ticket_cells = [&] {
      csv_.Field(t.Tag());
      csv_.Field(S(t.mailbox));
      csv_.Field(S(Join(t.mailboxes)));
      csv_.Field(t.cls);
      csv_.Field(ToString(t.state));
      csv_.Field(S(t.owner));
      csv_.Field(S(t.owner_reason));
      csv_.Field(S(t.customer));
      csv_.Field(o_.redactor ? std::string() : t.subject);
      csv_.Field(Utc(t.opened_at));
      csv_.Field(Utc(t.customer_at));
      csv_.Field(Utc(t.answered_at));
      csv_.Field(Utc(t.closed_at));
      csv_.Field(t.language);
      csv_.Field(Join(t.flags));
    };
    for (const Milestone& m : ms) {
      ticket_cells();
      csv_.Field(m.milestone_id);
      csv_.Field(m.name);
      csv_.Field(m.clock);
      csv_.Field(ToString(m.state));
      csv_.Field(Utc(m.started_at));
      csv_.Field(Utc(m.due_at));
      csv_.Field(Utc(m.original_due_at));
      csv_.Field(m.paused_at ? "true" : "false");
      csv_.Field(Utc(m.warned_at));
      csv_.Field(Utc(m.notified_at));
      csv_.Field(Utc(m.missed_at));
      csv_.Field(std::to_string(m.escalation_level));
      csv_.Field(Utc(m.met_at));
      const MilestoneEvidence& ev = m.evidence;
      const bool has = !ev.by.empty();
      csv_.Field(ev.by);
      csv_.Field(has ? S(ev.message_id) : "");
      csv_.Field(has ? S(ev.mailbox) : "");
      csv_.Field(has ? S(ev.folder) : "");
      csv_.Field(has ? S(ev.actor) : "");
      csv_.Field(has ? Utc(ev.at) : "");
      csv_.EndRow();
      ++rows;
    }
    if (ms.empty()) {
      ticket_cells();
      for (size_t i = 15; i < std::size(kTicketHeader); ++i) csv_.Field("");
      csv_.EndRow();
      ++rows;
    }
    return rows;
  }

  int64_t Jsonl(const Ticket& t, const std::vector<Milestone>& ms) {
    using J = nlohmann::ordered_json;
    J milestones = J::array();
    for (const Milestone& m : ms) {
      J evidence;
      if (!m.evidence.by.empty()) {
        evidence = {{"by", m.evidence.by},
                    {"message_id", S(m.evidence.message_id)},
                    {"mailbox", S(m.evidence.mailbox)},
                    {"folder", S(m.evidence.folder)},
                    {"actor", S(m.evidence.actor)},
                    {"at", Utc(m.evidence.at)}};
      }
      milestones.push_back({{"id", m.milestone_id},
                            {"name", m.name},
                            {"clock", m.clock},
                            {"state", ToString(m.state)},
                            {"started_at", Utc(m.started_at)},
                            {"due", Utc(m.due_at)},
                            {"original_due", Utc(m.original_due_at)},
                            {"paused", m.paused_at.has_value()},
                            {"warned_at", UtcJson(m.warned_at)},
                            {"notified_at", UtcJson(m.notified_at)},
                            {"missed_at", UtcJson(m.missed_at)},
                            {"escalation_level", m.escalation_level},
                            {"met_at", UtcJson(m.met_at)},
                            {"evidence", std::move(evidence)}});
    }
    J mailboxes = J::array();
    for (const std::string& m : t.mailboxes) mailboxes.push_back(S(m));
    J j = {{"ticket", t.Tag()},
           {"mailbox", S(t.mailbox)},
           {"mailboxes", std::move(mailboxes)},
           {"class", t.cls},
           {"state", ToString(t.state)},
           {"owner", S(t.owner)},
           {"owner_reason", S(t.owner_reason)},
           {"customer", S(t.customer)}};
    if (!o_.redactor) j["subject"] = t.subject;
    j["opened"] = Utc(t.opened_at);
    j["customer_at"] = Utc(t.customer_at);
    j["answered_at"] = UtcJson(t.answered_at);
    j["closed_at"] = UtcJson(t.closed_at);
    j["language"] = t.language;
    j["flags"] = t.flags;
    j["milestones"] = std::move(milestones);
    out_ << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
         << '\n';
    return 1;
  }

  const ExportOptions& o_;
  std::ostream& out_;
  CsvWriter csv_;
};

}  // namespace

// ---------------------------------------------------------------- CsvWriter

std::string CsvWriter::Cell(std::string_view value) {
  std::string cell;
  cell.reserve(value.size() + 3);
  if (!value.empty() && std::strchr("=+-@\t\r", value.front()) != nullptr) {
    cell += '\'';
  }
  cell.append(value);
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string quoted;
  quoted.reserve(cell.size() + 8);
  quoted += '"';
  for (char c : cell) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

void CsvWriter::Field(std::string_view value) {
  if (!first_) out_ << ',';
  first_ = false;
  if (!value.empty() && std::strchr("=+-@\t\r", value.front()) == nullptr &&
      value.find_first_of(",\"\r\n") == std::string_view::npos) {
    out_ << value;  // the common case, without a copy
  } else {
    out_ << Cell(value);
  }
}

void CsvWriter::EndRow() {
  out_ << "\r\n";
  first_ = true;
}

// ----------------------------------------------------------------- Redactor

std::string Redactor::Token(std::string_view address) const {
  return "addr:" +
         core::HmacSha256Hex(key_, core::AsciiLower(address)).substr(0, 16);
}

std::string Redactor::Text(std::string_view text) const {
  if (text.find('@') == std::string_view::npos) return std::string(text);
  std::string out;
  ForEachRun(text, [&](std::string_view run, bool address) {
    if (address) {
      out += Token(run);
    } else {
      out.append(run);
    }
  });
  return out;
}

std::string Redactor::AddressesOnly(std::string_view text) const {
  std::string out;
  ForEachRun(text, [&](std::string_view run, bool address) {
    if (!address) return;
    if (!out.empty()) out += ' ';
    out += Token(run);
  });
  return out;
}

bool Redactor::IsDroppedKey(std::string_view key) {
  static constexpr std::string_view kKeys[] = {
      "subject", "original_subject", "text", "body",
      "reasons", "customer_name",    "name", "detail"};
  for (std::string_view k : kKeys) {
    if (k == key) return true;
  }
  return false;
}

std::string Redactor::Data(std::string_view json) const {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return "{}";
  return Dump(RedactJson(*this, j));
}

// ------------------------------------------------------------------ exports

core::Result<int64_t> ResolveTicket(Store& store, std::string_view text) {
  text = core::Trim(text);
  auto number = [](std::string_view s) -> std::optional<int64_t> {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 0) {
      return std::nullopt;
    }
    return v;
  };
  // Accept the tag as it appears in a subject: "[#Q-1000]".
  if (text.starts_with("[") && text.ends_with("]")) {
    text = text.substr(1, text.size() - 2);
  }
  if (text.starts_with("#")) text.remove_prefix(1);
  if (auto id = number(text)) {
    auto t = store.GetTicket(*id);
    if (!t) return core::Fail(t.error());
    return t->id;
  }
  const size_t dash = text.rfind('-');
  std::optional<int64_t> n;
  if (dash != std::string_view::npos && dash > 0) {
    n = number(text.substr(dash + 1));
  }
  if (!n) {
    return core::Fail(core::Error::InvalidArgument(
        "ticket " + core::Printable(text) +
        ": expected a tag such as Q-1000 or a ticket id"));
  }
  // Tags are written "Q-1000"; accept "q-1000" too.
  std::string prefix(text.substr(0, dash));
  for (char& c : prefix) c = static_cast<char>(std::toupper(c));
  auto t = store.FindTicketByTag(prefix, *n);
  if (!t) return core::Fail(t.error());
  return t->id;
}

core::Result<int64_t> ExportEvents(Store& store, const ExportOptions& options,
                                   std::ostream& out) {
  const Redactor* r = options.redactor;
  const bool csv = options.format == ExportFormat::kCsv;
  CsvWriter writer(out);
  if (csv) {
    if (options.bom) writer.WriteBom();
    for (const char* h : kEventHeader) writer.Field(h);
    writer.EndRow();
  }
  EventFilter filter;
  filter.since = options.since;
  filter.until = options.until;
  filter.mailbox = options.mailbox;
  filter.ticket_id = options.ticket_id;
  filter.limit = 0;
  TagCache tags(store);
  int64_t rows = 0;
  std::optional<core::Error> failed;
  std::string line;
  auto status = store.ScanEvents(filter, [&](const Event& e) {
    auto tag = tags.Tag(e.ticket_id);
    if (!tag) {
      failed = tag.error();
      return false;
    }
    const std::string data = EventData(e, r);
    const std::string actor = r ? r->Text(e.actor) : e.actor;
    const std::string mailbox = r ? r->Text(e.mailbox) : e.mailbox;
    if (csv) {
      writer.Field(std::to_string(e.id));
      writer.Field(Utc(e.at));
      writer.Field(e.type);
      writer.Field(mailbox);
      writer.Field(*tag);
      writer.Field(e.message_row > 0 ? std::to_string(e.message_row) : "");
      writer.Field(actor);
      writer.Field(data);
      writer.Field(e.personal_erased() ? "true" : "false");
      writer.Field(e.hash);
      writer.Field(e.prev_hash);
      writer.EndRow();
    } else {
      line.clear();
      line += "{\"id\":";
      AppendInt(line, e.id);
      line += ",\"at\":";
      AppendJsonString(line, Utc(e.at));
      line += ",\"type\":";
      AppendJsonString(line, e.type);
      line += ",\"mailbox\":";
      AppendJsonString(line, mailbox);
      line += ",\"ticket\":";
      AppendJsonString(line, *tag);
      line += ",\"message_row\":";
      if (e.message_row > 0) {
        AppendInt(line, e.message_row);
      } else {
        line += "null";
      }
      line += ",\"actor\":";
      AppendJsonString(line, actor);
      line += ",\"data\":";
      line += data;
      line += ",\"personal_erased\":";
      line += e.personal_erased() ? "true" : "false";
      line += ",\"hash\":";
      AppendJsonString(line, e.hash);
      line += ",\"prev_hash\":";
      AppendJsonString(line, e.prev_hash);
      line += "}\n";
      out << line;
    }
    if (!out) return false;
    ++rows;
    return true;
  });
  if (!status) return core::Fail(status.error());
  if (failed) return core::Fail(*failed);
  if (!out) return core::Fail(WriteFailed().error());
  return rows;
}

core::Result<int64_t> ExportTickets(Store& store, const ExportOptions& options,
                                    std::ostream& out) {
  TicketWriter writer(options, out);
  writer.Header();
  int64_t rows = 0;
  auto emit = [&](const Ticket& t) -> core::Status {
    if (!TicketMatches(t, options)) return core::Ok();
    auto ms = store.ListMilestones(t.id);
    if (!ms) return core::Fail(ms.error());
    rows += writer.Write(t, *ms);
    if (!out) return WriteFailed();
    return core::Ok();
  };
  if (options.ticket_id > 0) {
    auto t = store.GetTicket(options.ticket_id);
    if (!t) return core::Fail(t.error());
    if (auto s = emit(*t); !s) return core::Fail(s.error());
  } else {
    constexpr int kPage = 500;
    int64_t after = 0;
    while (true) {
      auto page = store.ListTickets(std::nullopt, after, kPage);
      if (!page) return core::Fail(page.error());
      for (const Ticket& t : *page) {
        if (auto s = emit(t); !s) return core::Fail(s.error());
        after = t.id;
      }
      if (static_cast<int>(page->size()) < kPage) break;
    }
  }
  out.flush();
  if (!out) return core::Fail(WriteFailed().error());
  return rows;
}

}  // namespace inboxd::store
