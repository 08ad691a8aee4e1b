#include "classify/rule_engine.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <map>
#include <set>

#include "classify/text_norm.h"
#include "core/text.h"

namespace inboxd::classify {
namespace {

constexpr std::string_view kPlainFields[] = {
    "any_header",   "subject",    "body",       "body_head",
    "from",         "from_local", "from_name",  "return_path",
    "content_type", "part_type",  "attachment", "missing_header"};

bool IsKnownField(std::string_view field) {
  if (core::IStartsWith(field, "header:")) return field.size() > 7;
  for (std::string_view f : kPlainFields) {
    if (field == f) return true;
  }
  return false;
}

// Header fields are grouped per header name, case-insensitively.
std::string FieldKey(std::string_view field) {
  if (core::IStartsWith(field, "header:")) {
    return "header:" + core::AsciiLower(field.substr(7));
  }
  return std::string(field);
}

std::string Where(const config::Rule& r) {
  std::string out = "rule " + r.id;
  if (!r.pos.file.empty()) {
    out = r.pos.file + ":" + std::to_string(r.pos.line) + ": " + out;
  }
  return out;
}

// Compiles `*pattern` Persian-normalised (matched values are normalised:
// ي->ی, ك->ک, so a rule may be written with either letter) and stores the
// pattern compiled in *pattern. A pattern that normalising breaks, a class
// range ending at a replaced letter ("[ي-ٰ]" would become the reversed
// "[ی-ٰ]"), is compiled as written: config/ checked it as written, and
// what `inboxd check-config` accepts must compile here too. Returns the
// RE2, which is not ok() when neither compiles (its error then names the
// pattern as written).
std::unique_ptr<re2::RE2> CompilePattern(std::string* pattern,
                                         const re2::RE2::Options& opts) {
  std::string normalized = NormalizePersian(*pattern);
  auto re = std::make_unique<re2::RE2>(normalized, opts);
  if (!re->ok() && normalized != *pattern) {
    return std::make_unique<re2::RE2>(*pattern, opts);
  }
  *pattern = std::move(normalized);
  return re;
}

re2::RE2::Options PatternOptions() {
  re2::RE2::Options o;
  o.set_case_sensitive(false);
  o.set_log_errors(false);
  o.set_max_mem(kRuleSetMaxMem);
  return o;
}

}  // namespace

bool IsKnownKind(std::string_view kind) {
  return kind == "auto_reply" || kind == "bounce" || kind == "list_bulk" ||
         kind == "spam" || kind == "human";
}

bool IsContentField(std::string_view field) {
  return field == "subject" || field == "body" || field == "body_head" ||
         field == "from_name";
}

bool IsKnownClass(std::string_view cls) {
  return cls == "quote" || cls == "complaint" || cls == "support" ||
         cls == "personal" || cls == "other";
}

bool IsValidFlag(std::string_view flag) {
  if (flag.empty()) return false;
  for (char c : flag) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

struct RuleEngine::FieldSet {
  std::string key;
  std::unique_ptr<re2::RE2::Set> set;
  std::vector<size_t> rule_index;  // Set index -> rule
};

RuleEngine::~RuleEngine() = default;

core::Result<std::unique_ptr<RuleEngine>> RuleEngine::Compile(
    const std::vector<config::Rule>& defaults,
    const std::vector<config::Rule>& overrides) {
  // Merge: defaults in order, an override replaces the default with its id
  // in place; new ids are appended in their order.
  std::vector<config::Rule> merged;
  std::map<std::string, size_t> by_id;
  for (const auto* list : {&defaults, &overrides}) {
    std::set<std::string> seen;
    for (const config::Rule& r : *list) {
      if (r.id.empty()) {
        return core::Fail(
            core::Error::InvalidArgument(Where(r) + ": rule without id"));
      }
      if (!seen.insert(r.id).second) {
        return core::Fail(
            core::Error::InvalidArgument(Where(r) + ": duplicate rule id"));
      }
      auto it = by_id.find(r.id);
      if (it != by_id.end()) {
        merged[it->second] = r;
      } else {
        by_id[r.id] = merged.size();
        merged.push_back(r);
      }
    }
  }

  std::unique_ptr<RuleEngine> engine(new RuleEngine());
  std::map<std::string, size_t>& set_of_key = engine->set_of_key_;
  re2::RE2::Options opts = PatternOptions();
  for (config::Rule& r : merged) {
    if (!r.enabled) continue;
    if (!IsKnownField(r.field)) {
      return core::Fail(core::Error::InvalidArgument(
          Where(r) + ": unknown field \"" + r.field + "\""));
    }
    if (!r.kind.empty() && !r.cls.empty()) {
      return core::Fail(core::Error::InvalidArgument(
          Where(r) + ": kind and class must not both be set"));
    }
    if (r.kind.empty() && r.cls.empty() && r.flag.empty()) {
      return core::Fail(core::Error::InvalidArgument(
          Where(r) + ": one of kind, class or flag must be set"));
    }
    if (!r.flag.empty() && !IsValidFlag(r.flag)) {
      return core::Fail(core::Error::InvalidArgument(
          Where(r) + ": flag \"" + core::Printable(r.flag) +
          "\" must be lower-case letters, digits or '_' ([a-z0-9_]+)"));
    }
    if (!r.kind.empty() && !IsKnownKind(r.kind)) {
      return core::Fail(core::Error::InvalidArgument(
          Where(r) + ": unknown kind \"" + r.kind + "\""));
    }
    if (!r.cls.empty() && !IsKnownClass(r.cls)) {
      return core::Fail(core::Error::InvalidArgument(
          Where(r) + ": unknown class \"" + r.cls + "\""));
    }
    if (r.pattern.empty()) {
      return core::Fail(
          core::Error::InvalidArgument(Where(r) + ": empty pattern"));
    }
    if (r.evidence.empty()) {
      r.evidence = IsContentField(r.field) ? "content" : "structural";
    } else if (r.evidence != "structural" && r.evidence != "content") {
      return core::Fail(core::Error::InvalidArgument(
          Where(r) + ": evidence must be \"structural\" or \"content\""));
    }
    auto re = CompilePattern(&r.pattern, opts);
    if (!re->ok()) {
      return core::Fail(core::Error::InvalidArgument(
          Where(r) + ": bad pattern: " + re->error()));
    }
    std::unique_ptr<re2::RE2> unless;
    if (!r.unless.empty()) {
      unless = CompilePattern(&r.unless, opts);
      if (!unless->ok()) {
        return core::Fail(core::Error::InvalidArgument(
            Where(r) + ": bad unless pattern: " + unless->error()));
      }
    }
    std::string key = FieldKey(r.field);
    auto [it, added] = set_of_key.try_emplace(key, engine->sets_.size());
    if (added) {
      auto fs = std::make_unique<FieldSet>();
      fs->key = key;
      fs->set = std::make_unique<re2::RE2::Set>(opts, re2::RE2::UNANCHORED);
      engine->sets_.push_back(std::move(fs));
    }
    FieldSet& fs = *engine->sets_[it->second];
    std::string error;
    if (fs.set->Add(r.pattern, &error) < 0) {
      return core::Fail(
          core::Error::InvalidArgument(Where(r) + ": bad pattern: " + error));
    }
    fs.rule_index.push_back(engine->rules_.size());
    engine->rules_.push_back(r);
    engine->patterns_.push_back(std::move(re));
    engine->unless_.push_back(std::move(unless));
  }
  for (auto& fs : engine->sets_) {
    if (!fs->set->Compile()) {
      return core::Fail(core::Error::Internal(
          "rule set for field " + fs->key + ": compile failed (over " +
          std::to_string(kRuleSetMaxMem >> 20) + " MiB?)"));
    }
  }
  return engine;
}

std::vector<Reason> RuleEngine::Match(const MessageFields& fields,
                                      std::string_view mailbox_name) const {
  // Hits as (rule index, matched text, field as written in the rule).
  std::map<size_t, Reason> hits;
  std::vector<int> idx;
  for (const auto& [key, value] : fields.values) {
    auto found = set_of_key_.find(key);
    if (found == set_of_key_.end()) continue;
    const FieldSet* fs = sets_[found->second].get();
    {
      idx.clear();
      if (!fs->set->Match(value, &idx)) continue;
      for (int i : idx) {
        size_t ri = fs->rule_index[static_cast<size_t>(i)];
        if (hits.count(ri)) continue;
        const config::Rule& r = rules_[ri];
        if (!r.mailbox.empty() && r.mailbox != mailbox_name) continue;
        if (unless_[ri] && re2::RE2::PartialMatch(value, *unless_[ri])) {
          continue;
        }
        re2::StringPiece m;
        std::string matched;
        if (patterns_[ri]->Match(value, 0, value.size(), re2::RE2::UNANCHORED,
                                 &m, 1)) {
          matched = std::string(m.data(), m.size());
        }
        if (key.starts_with("header:") || key == "any_header") {
          // Show the header value that fired, not only the matched bytes.
          matched = value;
        }
        Reason reason;
        reason.rule_id = r.id;
        reason.field = r.field;
        reason.matched =
            core::Printable(Utf8Prefix(core::Trim(matched), kReasonTextMax));
        reason.kind = r.kind;
        reason.cls = r.cls;
        reason.flag = r.flag;
        reason.weak = r.weak;
        reason.structural = r.evidence != "content";
        reason.description = r.description;
        reason.source = r.source;
        hits.emplace(ri, std::move(reason));
      }
    }
  }
  std::vector<Reason> out;
  out.reserve(hits.size());
  for (auto& [ri, reason] : hits) out.push_back(std::move(reason));
  return out;
}

MessageFields MessageFields::From(const core::Message& msg,
                                  const core::Limits& limits) {
  MessageFields f;
  auto add = [&f](std::string key, std::string value) {
    f.values.emplace_back(std::move(key), std::move(value));
  };
  for (const core::HeaderField& h : msg.headers) {
    add("header:" + core::AsciiLower(h.name), h.value);
    add("any_header", h.name + ": " + h.value);
  }
  add("subject", NormalizePersian(msg.subject));

  std::string text(Utf8Prefix(msg.text, limits.scan_bytes));
  f.body = NormalizePersian(StripSignature(StripQuoted(text)));
  f.body_head = BodyHead(f.body);
  add("body", f.body);
  add("body_head", f.body_head);

  if (!msg.from.empty()) {
    add("from", core::AsciiLower(msg.from.addr));
    add("from_local", msg.from.Local());
  }
  if (!msg.from.name.empty()) add("from_name", NormalizePersian(msg.from.name));
  if (msg.has_return_path)
    add("return_path", core::AsciiLower(msg.return_path));
  if (!msg.content_type.empty()) {
    std::string ct = msg.content_type;
    if (!msg.report_type.empty()) ct += "; report-type=" + msg.report_type;
    add("content_type", std::move(ct));
  }
  for (const std::string& t : msg.part_types) add("part_type", t);
  // Headers RFC 5322 requires (Date, From) or every mail client writes
  // (Message-ID, To): their absence is structure, not words.
  for (std::string_view name : {"Message-ID", "Date", "From", "To"}) {
    if (msg.Header(name) == nullptr)
      add("missing_header", core::AsciiLower(name));
  }
  for (const core::Attachment& a : msg.attachments) {
    if (!a.filename.empty()) add("attachment", a.filename);
  }
  return f;
}

}  // namespace inboxd::classify
