// templates.cc: see templates.h. Adapter for kainjow mustache (which may
// throw std::exception on internal errors: caught here) and the only file I/O
// of the templates (at load).
#include "responder/templates.h"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <kainjow/mustache.hpp>
#include <set>
#include <sstream>

#include "classify/forbidden_phrases.h"
#include "core/text.h"

namespace inboxd::responder {
namespace {

namespace fs = std::filesystem;
using core::Error;
using core::Fail;
using core::Result;

// Largest template file we read (a template is a few KB).
constexpr uintmax_t kMaxTemplateBytes = 64 * 1024;

std::string Where(std::string_view path, int line) {
  return std::string(path) + ":" + std::to_string(line);
}

// Lower-cases ASCII and normalises Persian: Arabic yeh/kaf to Persian,
// ZWNJ removed. Used for phrase matching only.
std::string NormalizeForMatch(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0xE2 && i + 2 < s.size() &&
        static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        static_cast<unsigned char>(s[i + 2]) == 0x8C) {
      i += 2;  // U+200C ZERO WIDTH NON-JOINER
      continue;
    }
    if (c == 0xD9 && i + 1 < s.size()) {
      unsigned char d = static_cast<unsigned char>(s[i + 1]);
      if (d == 0x8A) {  // U+064A ARABIC YEH -> U+06CC
        out += "\xDB\x8C";
        ++i;
        continue;
      }
      if (d == 0x83) {  // U+0643 ARABIC KAF -> U+06A9
        out += "\xDA\xA9";
        ++i;
        continue;
      }
    }
    out += core::AsciiLower(static_cast<char>(c));
  }
  return out;
}

const std::vector<TemplateVariable>& Common() {
  static const std::vector<TemplateVariable> v = {
      {"ticket_tag", true},       {"customer_name", false},
      {"customer_address", true}, {"original_subject", false},
      {"mailbox_address", true},  {"mailbox_name", true},
      {"sales_address", true},    {"support_address", true},
      {"shared_addresses", true}, {"signature", true},
  };
  return v;
}

// Optional variables a caller may leave out of TemplateVars altogether: they
// then count as empty (false in {{#section}}s). Every other variable a
// template uses must be given, so a caller that forgets one fails loudly.
// These are the POLICY C3 entitlement facts, which only a caller that looked
// up the customer's contract can know; a caller that did not (or a customer
// without a contract) gets neither sentence. And when the office opens
// again (issue 10 item 5), which only a caller that knows the arrival time
// and the calendar can say.
bool MayBeAbsent(std::string_view name) {
  return name == "assurance_until" || name == "assurance_not_covered" ||
         name == "office_opens_at";
}

std::vector<TemplateVariable> With(std::vector<TemplateVariable> extra) {
  std::vector<TemplateVariable> v = Common();
  v.insert(v.end(), extra.begin(), extra.end());
  return v;
}

Result<std::string> ReadFile(const fs::path& p) {
  std::error_code ec;
  uintmax_t size = fs::file_size(p, ec);
  if (ec) return Fail(Error::InvalidArgument(p.string() + ": " + ec.message()));
  if (size > kMaxTemplateBytes) {
    return Fail(Error::InvalidArgument(p.string() + ": larger than " +
                                       std::to_string(kMaxTemplateBytes) +
                                       " bytes"));
  }
  std::ifstream in(p, std::ios::binary);
  if (!in) return Fail(Error::InvalidArgument(p.string() + ": cannot read"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool IsKnownTemplate(std::string_view name) {
  return std::find(kTemplateNames.begin(), kTemplateNames.end(), name) !=
         kTemplateNames.end();
}

// Marks where a line that held only section tags was. kainjow drops such a
// "standalone" line when its section is rendered but leaves an empty line
// when it is skipped, so a paragraph only some tickets get would leave a
// blank line behind. The line's tags are kept, its newline is replaced by
// this mark (so kainjow no longer sees a standalone line) and Render removes
// the mark: the spec's behaviour either way.
constexpr char kStandaloneMark = '\x01';

// True when `line` is one or more "{{#x}}", "{{^x}}", "{{/x}}" tags and
// blanks, nothing else.
bool OnlySectionTags(std::string_view line) {
  std::string_view t = core::Trim(line);
  if (t.empty()) return false;
  while (!t.empty()) {
    if (!t.starts_with("{{") || t.size() < 5 ||
        (t[2] != '#' && t[2] != '^' && t[2] != '/')) {
      return false;
    }
    size_t close = t.find("}}");
    if (close == std::string_view::npos) return false;
    t = core::Trim(t.substr(close + 2));
  }
  return true;
}

// `source` with every line of only section tags joined to the next line
// through kStandaloneMark.
std::string MarkStandaloneSectionLines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  size_t start = 0;
  while (start < source.size()) {
    size_t nl = source.find('\n', start);
    size_t end = nl == std::string_view::npos ? source.size() : nl + 1;
    std::string_view line = source.substr(start, end - start);
    if (nl != std::string_view::npos && OnlySectionTags(line)) {
      out.append(core::Trim(line));
      out += kStandaloneMark;
    } else {
      out.append(line);
    }
    start = end;
  }
  return out;
}

std::string DropMarks(std::string text) {
  std::erase(text, kStandaloneMark);
  return text;
}

// Splits "Subject: ...\n\nbody" into its parts.
Result<TemplateSet::Entry> ParseTemplateFile(std::string content,
                                             const std::string& path) {
  TemplateSet::Entry e;
  e.path = path;
  if (!core::IsValidUtf8(content)) {
    return Fail(Error::InvalidArgument(Where(path, 1) + ": not valid UTF-8"));
  }
  // Accept CRLF files (edited on Windows).
  std::string lf;
  lf.reserve(content.size());
  for (size_t i = 0; i < content.size(); ++i) {
    if (content[i] == '\r' && i + 1 < content.size() && content[i + 1] == '\n')
      continue;
    lf += content[i];
  }
  size_t nl = lf.find('\n');
  std::string_view first =
      std::string_view(lf).substr(0, nl == std::string::npos ? lf.size() : nl);
  if (!core::IStartsWith(first, "Subject:")) {
    return Fail(Error::InvalidArgument(
        Where(path, 1) +
        ": first line must be 'Subject: <subject>' (then an empty line)"));
  }
  e.subject = std::string(core::Trim(first.substr(8)));
  if (e.subject.empty()) {
    return Fail(Error::InvalidArgument(Where(path, 1) + ": empty subject"));
  }
  if (nl == std::string::npos || nl + 1 >= lf.size() || lf[nl + 1] != '\n') {
    return Fail(Error::InvalidArgument(
        Where(path, 2) +
        ": the subject line must be followed by an empty line"));
  }
  e.body = lf.substr(nl + 2);
  e.body_line = 3;
  if (core::Trim(e.body).empty()) {
    return Fail(Error::InvalidArgument(Where(path, 3) + ": empty body"));
  }
  return e;
}

// Checks that kainjow accepts `source` (sections, tags).
core::Status CheckSyntax(const std::string& source, std::string_view path,
                         int first_line) {
  try {
    kainjow::mustache::mustache tmpl{source};
    if (!tmpl.is_valid()) {
      return Fail(Error::InvalidArgument(
          Where(path, first_line) + ": mustache: " + tmpl.error_message()));
    }
  } catch (const std::exception& ex) {
    return Fail(Error::InvalidArgument(Where(path, first_line) +
                                       ": mustache: " + ex.what()));
  }
  return core::Ok();
}

// Full validation of one parsed file.
core::Status Validate(TemplateSet::Entry& e, std::string_view name,
                      const std::vector<std::string>& phrases) {
  const auto& allowed = AllowedVariables(name);
  auto subject_tags = ScanTemplateTags(e.subject, e.path, 1, allowed);
  if (!subject_tags) return Fail(subject_tags.error());
  auto body_tags = ScanTemplateTags(e.body, e.path, e.body_line, allowed);
  if (!body_tags) return Fail(body_tags.error());
  if (auto s = CheckSyntax(e.subject, e.path, 1); !s) return s;
  if (auto s = CheckSyntax(e.body, e.path, e.body_line); !s) return s;
  if (auto s = CheckForbiddenPhrases(e.subject, e.path, 1, phrases); !s)
    return s;
  if (auto s = CheckForbiddenPhrases(e.body, e.path, e.body_line, phrases); !s)
    return s;
  std::set<std::string> used(subject_tags->begin(), subject_tags->end());
  used.insert(body_tags->begin(), body_tags->end());
  if (!e.html.empty()) {
    auto html_tags = ScanTemplateTags(e.html, e.html_path, 1, allowed);
    if (!html_tags) return Fail(html_tags.error());
    if (auto s = CheckSyntax(e.html, e.html_path, 1); !s) return s;
    if (auto s = CheckForbiddenPhrases(e.html, e.html_path, 1, phrases); !s)
      return s;
    used.insert(html_tags->begin(), html_tags->end());
  }
  e.used.assign(used.begin(), used.end());
  return core::Ok();
}

// Loads one directory tree into `out` with key prefix `origin`.
// `require_all`: every shipped language must have every template.
core::Status LoadTree(const std::string& dir, const std::string& origin,
                      const std::vector<std::string>& phrases, bool require_all,
                      std::map<std::string, TemplateSet::Entry>& out) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Fail(
        Error::InvalidArgument(dir + ": templates directory does not exist"));
  }
  struct Pending {
    std::string key;
    fs::path path;
    bool html;
  };
  std::vector<Pending> files;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    fs::path rel = fs::relative(it->path(), dir, ec);
    std::string fname = rel.filename().string();
    constexpr std::string_view kExt = ".mustache";
    constexpr std::string_view kHtmlExt = ".html.mustache";
    if (!fname.ends_with(kExt)) continue;  // README etc.
    bool html = fname.ends_with(kHtmlExt);
    std::string name =
        fname.substr(0, fname.size() - (html ? kHtmlExt.size() : kExt.size()));
    std::vector<std::string> parts;
    for (const auto& p : rel.parent_path()) parts.push_back(p.string());
    if (parts.empty() || parts.size() > 3) {
      return Fail(Error::InvalidArgument(
          it->path().string() +
          ":1: expected <lang>/[<mailbox>/[<class>/]]<name>.mustache"));
    }
    if (!IsKnownTemplate(name)) {
      return Fail(Error::InvalidArgument(
          it->path().string() + ":1: unknown template '" + name + "'"));
    }
    std::string mailbox = parts.size() > 1 ? parts[1] : "";
    std::string cls = parts.size() > 2 ? parts[2] : "";
    files.push_back(
        {origin + "/" + parts[0] + "/" + mailbox + "/" + cls + "/" + name,
         it->path(), html});
  }
  if (ec) return Fail(Error::InvalidArgument(dir + ": " + ec.message()));
  // Text files first, then attach HTML files to them.
  std::sort(files.begin(), files.end(), [](const Pending& a, const Pending& b) {
    return a.html != b.html ? !a.html : a.key < b.key;
  });
  for (const Pending& f : files) {
    auto content = ReadFile(f.path);
    if (!content) return Fail(content.error());
    if (!f.html) {
      auto entry = ParseTemplateFile(std::move(*content), f.path.string());
      if (!entry) return Fail(entry.error());
      out[f.key] = std::move(*entry);
      continue;
    }
    auto it = out.find(f.key);
    if (it == out.end()) {
      return Fail(Error::InvalidArgument(
          f.path.string() + ":1: HTML template without its text template"));
    }
    if (!core::IsValidUtf8(*content)) {
      return Fail(
          Error::InvalidArgument(f.path.string() + ":1: not valid UTF-8"));
    }
    it->second.html = std::move(*content);
    it->second.html_path = f.path.string();
  }
  for (auto& [key, entry] : out) {
    if (!key.starts_with(origin + "/")) continue;
    std::string_view name = std::string_view(key).substr(key.rfind('/') + 1);
    if (auto s = Validate(entry, name, phrases); !s) return s;
    entry.body = MarkStandaloneSectionLines(entry.body);
    entry.html = MarkStandaloneSectionLines(entry.html);
  }
  if (require_all) {
    for (std::string_view lang : kShippedLanguages) {
      for (std::string_view name : kTemplateNames) {
        std::string key =
            origin + "/" + std::string(lang) + "///" + std::string(name);
        if (!out.contains(key)) {
          return Fail(Error::InvalidArgument(
              dir + "/" + std::string(lang) + "/" + std::string(name) +
              ".mustache: missing (every template is required in every "
              "shipped language)"));
        }
      }
    }
  }
  return core::Ok();
}

// Renders with kainjow; `html_escape` false means a no-op escape.
Result<std::string> RenderMustache(const std::string& source,
                                   const kainjow::mustache::data& data,
                                   bool html_escape, std::string_view path) {
  try {
    kainjow::mustache::mustache tmpl{source};
    if (!html_escape) {
      tmpl.set_custom_escape([](const std::string& s) { return s; });
    }
    std::string out = tmpl.render(data);
    if (!tmpl.is_valid()) {
      return Fail(Error::Internal(std::string(path) +
                                  ": render: " + tmpl.error_message()));
    }
    return out;
  } catch (const std::exception& ex) {
    return Fail(Error::Internal(std::string(path) + ": render: " + ex.what()));
  }
}

}  // namespace

const std::vector<TemplateVariable>& AllowedVariables(std::string_view name) {
  static const std::map<std::string, std::vector<TemplateVariable>, std::less<>>
      kVars = {
          // POLICY C3: the support acknowledgement says in writing whether
          // the request is covered by the customer's Software Assurance
          // (assurance_until: the formatted end date) or may cost extra
          // (assurance_not_covered: "yes" for a contract without a valid
          // one). Both optional; see MayBeAbsent.
          // office_opens_at (optional): mail that arrived outside business
          // hours or on a holiday hears when the office opens again.
          // due_at (optional in the three acknowledgements): the answer
          // milestone's due time; "" when the class has none, and the
          // template then promises a personal reply without a time.
          {"ack", With({{"due_at", false},
                        {"office_opens_at", false},
                        {"assurance_until", false},
                        {"assurance_not_covered", false}})},
          {"quote_ack", With({{"due_at", false}, {"office_opens_at", false}})},
          {"complaint_receipt",
           With({{"due_at", false}, {"office_opens_at", false}})},
          {"delay_notice", With({{"due_at", true}, {"previous_due_at", true}})},
          {"absence_fallback", With({{"agent_name", true},
                                     {"alternative_address", true},
                                     {"absent_until", false}})},
          {"csat", Common()},
          {"agent_alert",
           With({{"agent_name", true}, {"reason", true}, {"due_at", false}})},
          {"escalation", With({{"escalate_to_name", true},
                               {"agent_name", false},
                               {"reason", true},
                               {"due_at", false}})},
          // Issue 10 item 1: the owner's copy of the customer's message.
          {"assignment", With({{"agent_name", true},
                               {"reason", true},
                               {"due_at", false},
                               {"received_at", true},
                               {"customer_text", false},
                               {"followup", false}})},
          // Issue 10 item 6: no ticket of its own, so none of Common().
          {"digest",
           {{"recipient_name", true},
            {"digest_date", true},
            {"ticket_count", true},
            {"team_view", false},
            {"overdue_list", false},
            {"at_risk_list", false},
            {"other_list", false},
            {"more_count", false}}},
          // Issue 11 item 4: the weekly SLA report (attached as a file).
          {"weekly_report",
           {{"recipient_name", true},
            {"period_from", true},
            {"period_to", true},
            {"volume", true},
            {"ack_median", true},
            {"ack_p95", true},
            {"breach_count", true},
            {"care_count", true},
            {"flagged_count", true},
            {"file_name", true}}},
      };
  static const std::vector<TemplateVariable> kNone;
  auto it = kVars.find(name);
  return it == kVars.end() ? kNone : it->second;
}

Result<std::vector<std::string>> ScanTemplateTags(
    std::string_view source, std::string_view path, int first_line,
    const std::vector<TemplateVariable>& allowed) {
  std::vector<std::string> used;
  std::vector<std::pair<std::string, int>> open;  // section stack
  int line = first_line;
  size_t pos = 0;
  auto line_at = [&](size_t upto) {
    line += static_cast<int>(
        std::count(source.begin() + pos, source.begin() + upto, '\n'));
    pos = upto;
    return line;
  };
  size_t i = 0;
  while ((i = source.find("{{", i)) != std::string_view::npos) {
    int at = line_at(i);
    bool triple = source.substr(i, 3) == "{{{";
    std::string_view close = triple ? "}}}" : "}}";
    size_t end = source.find(close, i + close.size());
    if (end == std::string_view::npos) {
      return Fail(
          Error::InvalidArgument(Where(path, at) + ": unclosed tag '{{'"));
    }
    std::string_view inner =
        core::Trim(source.substr(i + close.size(), end - i - close.size()));
    i = end + close.size();
    char sigil = inner.empty() ? '\0' : inner[0];
    if (!triple &&
        std::string_view("#^/&!>=").find(sigil) != std::string_view::npos &&
        sigil != '\0') {
      inner = core::Trim(inner.substr(1));
    } else {
      sigil = triple ? '&' : ' ';
    }
    if (sigil == '!') continue;  // comment
    if (sigil == '>') {
      return Fail(Error::InvalidArgument(Where(path, at) +
                                         ": partials are not supported"));
    }
    if (sigil == '=') {
      return Fail(Error::InvalidArgument(
          Where(path, at) + ": delimiter changes are not supported"));
    }
    std::string name(inner);
    bool ok_chars =
        !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        });
    bool known = ok_chars && std::any_of(allowed.begin(), allowed.end(),
                                         [&](const TemplateVariable& v) {
                                           return v.name == name;
                                         });
    if (!known) {
      std::string list;
      for (const auto& v : allowed) {
        list += (list.empty() ? "" : ", ") + std::string(v.name);
      }
      return Fail(Error::InvalidArgument(
          Where(path, at) + ": unknown variable '" + core::Printable(name) +
          "' (allowed: " + list + ")"));
    }
    if (sigil == '#' || sigil == '^') {
      open.emplace_back(name, at);
    } else if (sigil == '/') {
      if (open.empty() || open.back().first != name) {
        return Fail(Error::InvalidArgument(
            Where(path, at) + ": closing section '" + name +
            "' does not match " +
            (open.empty() ? std::string("any open section")
                          : "'" + open.back().first + "' opened at line " +
                                std::to_string(open.back().second))));
      }
      open.pop_back();
    }
    if (std::find(used.begin(), used.end(), name) == used.end()) {
      used.push_back(name);
    }
  }
  if (!open.empty()) {
    return Fail(Error::InvalidArgument(Where(path, open.back().second) +
                                       ": unclosed section '" +
                                       open.back().first + "'"));
  }
  return used;
}

core::Status CheckForbiddenPhrases(std::string_view source,
                                   std::string_view path, int first_line,
                                   const std::vector<std::string>& phrases) {
  int line = first_line;
  for (std::string_view l : core::Split(source, '\n')) {
    std::string norm = NormalizeForMatch(l);
    for (const std::string& p : phrases) {
      std::string np = NormalizeForMatch(p);
      if (!np.empty() && norm.find(np) != std::string::npos) {
        return Fail(Error::InvalidArgument(
            Where(path, line) + ": forbidden phrase '" + p + "' (POLICY C5)"));
      }
    }
    ++line;
  }
  return core::Ok();
}

Result<TemplateSet> TemplateSet::Load(
    const std::string& shipped_dir, const std::string& override_dir,
    const std::vector<std::string>& forbidden_phrases) {
  std::vector<std::string> phrases = classify::BuiltinForbiddenPhrases();
  for (const std::string& p : forbidden_phrases) {
    if (!core::Trim(p).empty()) phrases.push_back(std::string(core::Trim(p)));
  }
  TemplateSet set;
  if (auto s = LoadTree(shipped_dir, "s", phrases, true, set.entries_); !s) {
    return Fail(s.error());
  }
  if (!override_dir.empty()) {
    if (auto s = LoadTree(override_dir, "o", phrases, false, set.entries_);
        !s) {
      return Fail(s.error());
    }
  }
  return set;
}

std::vector<std::string> TemplateSet::Languages() const {
  std::set<std::string> langs;
  for (const auto& [key, e] : entries_) {
    size_t a = key.find('/') + 1;
    langs.insert(key.substr(a, key.find('/', a) - a));
  }
  return {langs.begin(), langs.end()};
}

const TemplateSet::Entry* TemplateSet::Find(std::string_view lang,
                                            std::string_view mailbox,
                                            std::string_view cls,
                                            std::string_view name) const {
  auto key = [&](std::string_view origin, std::string_view mb,
                 std::string_view c) {
    return std::string(origin) + "/" + std::string(lang) + "/" +
           std::string(mb) + "/" + std::string(c) + "/" + std::string(name);
  };
  const std::string candidates[] = {
      key("o", mailbox, cls), key("o", mailbox, ""), key("o", "", ""),
      key("s", mailbox, cls), key("s", mailbox, ""), key("s", "", "")};
  for (const std::string& k : candidates) {
    auto it = entries_.find(k);
    if (it != entries_.end()) return &it->second;
  }
  return nullptr;
}

std::string IsolateLines(std::string_view value) {
  std::string out;
  for (std::string_view rest = value;;) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    if (!line.empty()) {
      out += kFirstStrongIsolate;
      out += line;
      out += kPopDirectionalIsolate;
    }
    if (nl == std::string_view::npos) break;
    out += '\n';
    rest.remove_prefix(nl + 1);
  }
  return out;
}

std::string IsolatesToBdi(std::string_view html) {
  std::string out;
  out.reserve(html.size());
  for (size_t i = 0; i < html.size();) {
    if (html.substr(i).starts_with(kFirstStrongIsolate)) {
      out += "<bdi>";
      i += kFirstStrongIsolate.size();
    } else if (html.substr(i).starts_with(kPopDirectionalIsolate)) {
      out += "</bdi>";
      i += kPopDirectionalIsolate.size();
    } else {
      out += html[i++];
    }
  }
  return out;
}

std::string JoinAlternatives(std::string_view items,
                             std::string_view language) {
  std::vector<std::string> list;
  for (std::string_view rest = items; !rest.empty();) {
    size_t at = rest.find(kListSeparator);
    std::string item(rest.substr(0, at));
    if (!item.empty()) list.push_back(std::move(item));
    if (at == std::string_view::npos) break;
    rest.remove_prefix(at + 1);
  }
  const bool rtl = language == "fa";
  if (rtl) {
    // An address keeps its order inside Persian text.
    for (auto& item : list) item = IsolateLines(item);
  }
  std::string comma = ", ", last = " or ";
  if (language == "de") {
    last = " oder ";
  } else if (language == "zh") {
    comma = "、";
    last = " 或 ";
  } else if (language == "fa") {
    comma = "، ";
    last = " یا ";
  }
  std::string out;
  for (size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out += i + 1 == list.size() ? last : comma;
    out += list[i];
  }
  return out;
}

Result<RenderedTemplate> TemplateSet::Render(std::string_view name,
                                             std::string_view language,
                                             std::string_view fallback_language,
                                             std::string_view mailbox,
                                             std::string_view cls,
                                             const TemplateVars& vars) const {
  if (!IsKnownTemplate(name)) {
    return Fail(
        Error::InvalidArgument("unknown template '" + std::string(name) + "'"));
  }
  const Entry* e = nullptr;
  std::string lang;
  for (std::string_view l :
       {language, fallback_language, std::string_view("en")}) {
    if (l.empty()) continue;
    if ((e = Find(l, mailbox, cls, name)) != nullptr) {
      lang = std::string(l);
      break;
    }
  }
  if (e == nullptr) {
    return Fail(Error::InvalidArgument("no template '" + std::string(name) +
                                       "' for language '" +
                                       std::string(language) + "'"));
  }
  kainjow::mustache::data data;
  const auto& allowed = AllowedVariables(name);
  for (const std::string& used : e->used) {
    auto it = vars.find(used + "/" + lang);
    if (it == vars.end()) it = vars.find(used);
    if (it == vars.end() && MayBeAbsent(used)) {
      data.set(used, false);
      continue;
    }
    if (it == vars.end()) {
      return Fail(Error::InvalidArgument(e->path + ": variable '" + used +
                                         "' has no value"));
    }
    bool required = std::any_of(allowed.begin(), allowed.end(),
                                [&](const TemplateVariable& v) {
                                  return v.name == used && v.required;
                                });
    if (required && core::Trim(it->second).empty()) {
      return Fail(Error::InvalidArgument(e->path + ": required variable '" +
                                         used + "' is empty"));
    }
    if (it->second.empty()) {
      data.set(used, false);  // falsy in sections, renders as ""
      continue;
    }
    std::string value = used == "shared_addresses"
                            ? JoinAlternatives(it->second, lang)
                            : it->second;
    value = core::SanitizeUtf8(value);
    // In right-to-left text every inserted value is isolated, so a ticket
    // tag, an address or a Latin name keeps its own order ("[#S-1042]",
    // not "[S-1042#]"); the HTML part turns the isolates into <bdi>.
    if (lang == "fa") value = IsolateLines(value);
    data.set(used, value);
  }
  RenderedTemplate out;
  out.name = std::string(name);
  out.language = lang;
  out.source = e->path;
  out.rtl = lang == "fa";
  auto subject = RenderMustache(e->subject, data, false, e->path);
  if (!subject) return Fail(subject.error());
  out.subject = std::string(core::Trim(core::StripCrLf(*subject)));
  auto text = RenderMustache(e->body, data, false, e->path);
  if (!text) return Fail(text.error());
  out.text = DropMarks(std::move(*text));
  if (!e->html.empty()) {
    auto html = RenderMustache(e->html, data, true, e->html_path);
    if (!html) return Fail(html.error());
    out.html = IsolatesToBdi(DropMarks(std::move(*html)));
  } else {
    const char* dir = out.rtl ? "rtl" : "ltr";
    out.html =
        "<!DOCTYPE html>\n<html lang=\"" + HtmlEscape(lang) + "\" dir=\"" +
        dir +
        "\">\n<head><meta charset=\"utf-8\"></head>\n<body>\n<div dir=\"" +
        dir + "\" style=\"white-space:pre-wrap;font-family:sans-serif\">" +
        IsolatesToBdi(HtmlEscape(out.text)) + "</div>\n</body>\n</html>\n";
  }
  return out;
}

}  // namespace inboxd::responder
