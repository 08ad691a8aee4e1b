// loader.cc: see loader.h. This file is the adapter for toml++ (which throws
// toml::parse_error, DEPS-FACTS 1.3.3), RE2 (pattern checks) and date/tz
// (locate_zone throws for an unknown zone); no exception leaves it.
#include "config/loader.h"

#include <date/tz.h>
#include <re2/re2.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "config/values.h"
#include "core/text.h"

namespace inboxd::config {

using core::Error;
using core::Fail;

const std::vector<std::string_view>& KnownClasses() {
  static const std::vector<std::string_view> kClasses = {
      "quote", "complaint", "support", "personal", "other"};
  return kClasses;
}

const std::vector<std::string_view>& KnownKinds() {
  static const std::vector<std::string_view> kKinds = {
      "auto_reply", "bounce", "list_bulk", "spam", "human"};
  return kKinds;
}

namespace {

// Longest value quoted back in an error message.
constexpr size_t kQuoteMax = 60;

constexpr std::string_view kDayNames[7] = {"monday",   "tuesday", "wednesday",
                                           "thursday", "friday",  "saturday",
                                           "sunday"};

// Rule fields classify/ understands besides "header:<Name>" (see
// classify/rule_engine.h).
const std::vector<std::string_view> kRuleFields = {
    "subject",    "body",       "body_head",   "from",
    "from_local", "from_name",  "return_path", "content_type",
    "part_type",  "attachment", "any_header",  "missing_header"};

const std::vector<std::string_view> kLogLevels = {
    "trace", "debug", "info", "warn", "error", "critical", "off"};

// The POLICY id of a deadline by class and name ("" when it has none).
std::string DefaultDeadlineId(std::string_view cls, std::string_view name) {
  if (name == "ack") return "D1";
  if (name == "followup") return "D7";
  if (cls == "quote" && name == "answer") return "D2";
  if (cls == "support" && name == "answer") return "D3";
  if (cls == "personal" && name == "answer") return "D4";
  if (cls == "complaint" && name == "receipt") return "D5";
  if (cls == "complaint" && name == "resolve") return "D6";
  return "";
}

bool Contains(const std::vector<std::string_view>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

std::string Quote(std::string_view s) {
  std::string p = core::Printable(s);
  if (p.size() > kQuoteMax) p = p.substr(0, kQuoteMax) + "...";
  return "\"" + p + "\"";
}

// A key as it is written in TOML, for the KEY of an error line: a bare key
// as it is, any other (empty, spaces, dots, quotes, control characters)
// quoted with escapes, so that the line stays one line with a non-empty
// KEY.
std::string KeyName(std::string_view key) {
  const bool bare =
      !key.empty() && std::all_of(key.begin(), key.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
               (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
      });
  if (bare) return std::string(key);
  std::string out = "\"";
  for (unsigned char ch : key) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20 || ch == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", ch);
      out += buf;
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out + "\"";
}

std::string JoinList(const std::vector<std::string_view>& list) {
  std::string out;
  for (std::string_view s : list) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

// "a string", "an integer", ... for "expected X, got Y".
std::string_view TypeName(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "nothing";
  }
}

bool IsNameChar(char c, bool allow_upper) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || (allow_upper && c >= 'A' && c <= 'Z');
}

bool IsName(std::string_view s, bool allow_upper = false) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsNameChar(c, allow_upper)) return false;
  }
  return true;
}

// A deadline, tier or flag name: [a-z0-9_]+.
bool IsIdent(std::string_view s) {
  return IsName(s) && s.find('-') == std::string_view::npos;
}

// "; did you mean 'x'?" when a known word is close to `word`, else
// " (known: a, b)"; "" when nothing is known.
std::string Suggest(std::string_view word,
                    const std::vector<std::string_view>& known) {
  if (known.empty()) return "";
  std::string close = ClosestMatch(word, known);
  if (!close.empty()) return "; did you mean '" + close + "'?";
  return " (known: " + JoinList(known) + ")";
}

// "" or why `v` is not a domain name ("shop.example").
std::string DomainProblem(std::string_view v) {
  if (v.empty() || v.find('@') != std::string_view::npos ||
      v.find_first_of(" \t<>\"") != std::string_view::npos) {
    return "must be a domain like \"shop.example\", got " + Quote(v);
  }
  return "";
}

// "" or why `v` cannot be a route target: an address is checked here, a
// name or team once every [[agent]] is read.
std::string TargetProblem(std::string_view v) {
  if (v.empty()) return "must not be empty";
  if (v.find('@') == std::string_view::npos) return "";
  if (auto s = CheckAddress(v); !s)
    return s.error().message + ", got " + Quote(v);
  return "";
}

// "" or why `v` is not an IMAP keyword we can store and search for
// (RFC 3501 section 9): a flag-keyword, i.e. an atom ("$Done" is one), or a
// system flag ('\' then an atom, "\Flagged"). An atom has no SP, CTL,
// 8-bit byte or atom-special ( ) { % * " \ ]; we refuse '}' too.
std::string KeywordProblem(std::string_view v) {
  std::string_view atom = v;
  if (!atom.empty() && atom.front() == '\\') atom.remove_prefix(1);
  bool good =
      !atom.empty() && std::all_of(atom.begin(), atom.end(), [](char c) {
        unsigned char u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f &&
               std::string_view("(){}%*\"\\]").find(c) ==
                   std::string_view::npos;
      });
  if (good) return "";
  return "must be an IMAP keyword such as \"$Done\" (no spaces or ( ) { } % * "
         "\" \\ ]), got " +
         Quote(v);
}

// A percentage "0%".."99%" -> 0..99; -1 for anything else.
int ParsePercent(std::string_view v) {
  if (v.size() < 2 || v.size() > 3 || v.back() != '%') return -1;
  int n = 0;
  for (char c : v.substr(0, v.size() - 1)) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

// Where `key` is written in `t` (the table's own position when absent).
toml::source_position KeyPos(const toml::table& t, std::string_view key) {
  auto it = t.find(key);
  return it != t.end() ? it->first.source().begin : t.source().begin;
}

// One key of a table being read.
struct Item {
  const toml::key& key;
  const toml::node& node;
  std::string path;  // "mailbox[0].imap_url"
};

// A value checked once the whole file is read (a route target against the
// agents, an account's tier against [tiers]), with where it is written.
struct Ref {
  toml::source_position where;
  std::string key;  // "route[0].escalate_to[1]"
  std::string value;
};

using Handler = std::function<void(const Item&)>;

// A key a table accepts. `suggest` = offer it as "did you mean".
struct Field {
  std::string_view key;
  Handler read;
  bool suggest = true;
};

struct Diag {
  uint32_t line = 0;
  uint32_t column = 0;
  std::string text;
};

// Reads one TOML document into Config, collecting errors.
class Loader {
 public:
  explicit Loader(std::string_view file) : file_(file) {}

  // Reports `message` about `key` at `where`.
  void Report(const toml::source_position& where, std::string_view key,
              std::string_view message) {
    Diag d;
    d.line = where.line;
    d.column = where.column;
    d.text = file_ + ":" + std::to_string(where.line) + ":" +
             std::to_string(where.column) + ": " + std::string(key) + ": " +
             std::string(message);
    diags_.push_back(std::move(d));
  }
  void Report(const Item& it, std::string_view message) {
    Report(it.key.source().begin, it.path, message);
  }

  bool ok() const { return diags_.empty(); }

  // All errors, in file order, one per line.
  Error ToError() {
    std::stable_sort(
        diags_.begin(), diags_.end(), [](const Diag& a, const Diag& b) {
          return a.line != b.line ? a.line < b.line : a.column < b.column;
        });
    std::string msg;
    for (const Diag& d : diags_) {
      if (!msg.empty()) msg += '\n';
      msg += d.text;
    }
    return Error::InvalidArgument(std::move(msg));
  }

  SourcePos Pos(const toml::source_region& r) const {
    return SourcePos{file_, static_cast<int>(r.begin.line),
                     static_cast<int>(r.begin.column)};
  }

  // Calls the handler of every key of `t`; unknown keys are errors naming
  // the closest known key.
  void Walk(const toml::table& t, std::string_view prefix,
            const std::vector<Field>& fields) {
    for (auto&& [key, node] : t) {
      std::string path = prefix.empty()
                             ? KeyName(key.str())
                             : std::string(prefix) + "." + KeyName(key.str());
      Item it{key, node, path};
      auto f = std::find_if(fields.begin(), fields.end(),
                            [&](const Field& f) { return f.key == key.str(); });
      if (f != fields.end()) {
        f->read(it);
        continue;
      }
      std::vector<std::string_view> names;
      for (const Field& fl : fields) {
        if (fl.suggest) names.push_back(fl.key);
      }
      std::string close = ClosestMatch(key.str(), names);
      if (!close.empty()) {
        Report(it, "unknown key; did you mean '" + close + "'?");
      } else {
        Report(it, "unknown key (known: " + JoinList(names) + ")");
      }
    }
  }

  // --- typed readers: each reports its own error and returns false ---

  bool Str(const Item& it, std::string* out) {
    if (!it.node.is_string()) {
      Report(it, "expected a string, got " + std::string(TypeName(it.node)));
      return false;
    }
    *out = it.node.as_string()->get();
    return true;
  }

  bool NonEmptyStr(const Item& it, std::string* out) {
    std::string v;
    if (!Str(it, &v)) return false;
    if (v.empty()) {
      Report(it, "must not be empty");
      return false;
    }
    *out = std::move(v);
    return true;
  }

  // An ISO 639 code like "en" or "de" (2 or 3 lower-case letters).
  void LanguageCode(const Item& it, const std::string& code) {
    bool good = code.size() >= 2 && code.size() <= 3 &&
                std::all_of(code.begin(), code.end(),
                            [](char c) { return c >= 'a' && c <= 'z'; });
    if (!good) {
      Report(it, "must be an ISO 639 code like \"en\" or \"de\", got " +
                     Quote(code));
    }
  }

  // A From display name: one line, at most 200 bytes.
  void DisplayName(const Item& it, const std::string& name) {
    if (name.find_first_of("\r\n") != std::string::npos || name.size() > 200) {
      Report(it, "must be one line of at most 200 bytes");
    }
  }

  bool Bool(const Item& it, bool* out) {
    if (!it.node.is_boolean()) {
      Report(it, "expected a boolean, got " + std::string(TypeName(it.node)));
      return false;
    }
    *out = it.node.as_boolean()->get();
    return true;
  }

  bool Int(const Item& it, int64_t lo, int64_t hi, int64_t* out) {
    if (!it.node.is_integer()) {
      Report(it, "expected an integer, got " + std::string(TypeName(it.node)));
      return false;
    }
    int64_t v = it.node.as_integer()->get();
    if (v < lo || v > hi) {
      Report(it, "must be between " + std::to_string(lo) + " and " +
                     std::to_string(hi) + ", got " + std::to_string(v));
      return false;
    }
    *out = v;
    return true;
  }

  template <typename T>
  void IntTo(const Item& it, int64_t lo, int64_t hi, T* out) {
    int64_t v = 0;
    if (Int(it, lo, hi, &v)) *out = static_cast<T>(v);
  }

  // A string duration ("2h") or an integer of seconds.
  bool Duration(const Item& it, Seconds* out, bool allow_zero = true) {
    Seconds d{0};
    if (it.node.is_integer()) {
      int64_t v = it.node.as_integer()->get();
      if (v < 0 || v > kMaxDurationSeconds) {
        Report(it, "must be between 0 and " +
                       std::to_string(kMaxDurationSeconds) + " seconds");
        return false;
      }
      d = Seconds{v};
    } else if (it.node.is_string()) {
      auto parsed = ParseDuration(it.node.as_string()->get());
      if (!parsed) {
        Report(it, parsed.error().message + ", got " +
                       Quote(it.node.as_string()->get()));
        return false;
      }
      d = *parsed;
    } else {
      Report(it,
             "expected a duration like \"2h\" or an integer of seconds, "
             "got " +
                 std::string(TypeName(it.node)));
      return false;
    }
    if (!allow_zero && d.count() == 0) {
      Report(it, "must be longer than 0s");
      return false;
    }
    *out = d;
    return true;
  }

  // An integer of bytes or a string size ("25MiB").
  void ByteSize(const Item& it, size_t* out) {
    if (it.node.is_integer()) {
      int64_t v = it.node.as_integer()->get();
      if (v < 1 || v > kMaxByteSize) {
        Report(it, "must be between 1 and " + std::to_string(kMaxByteSize) +
                       " bytes");
        return;
      }
      *out = static_cast<size_t>(v);
    } else if (it.node.is_string()) {
      auto parsed = ParseByteSize(it.node.as_string()->get());
      if (!parsed) {
        Report(it, parsed.error().message + ", got " +
                       Quote(it.node.as_string()->get()));
        return;
      }
      *out = static_cast<size_t>(*parsed);
    } else {
      Report(it, "expected a size like \"25MiB\" or an integer of bytes, got " +
                     std::string(TypeName(it.node)));
    }
  }

  // An array of strings; `check` (may be null) validates each element and
  // returns an error message or "".
  bool StrList(
      const Item& it, std::vector<std::string>* out,
      const std::function<std::string(std::string_view)>& check = nullptr) {
    const toml::array* arr = it.node.as_array();
    if (arr == nullptr) {
      Report(it, "expected an array of strings, got " +
                     std::string(TypeName(it.node)));
      return false;
    }
    std::vector<std::string> values;
    bool good = true;
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::node& el = *arr->get(i);
      std::string el_path = it.path + "[" + std::to_string(i) + "]";
      if (!el.is_string()) {
        Report(el.source().begin, el_path,
               "expected a string, got " + std::string(TypeName(el)));
        good = false;
        continue;
      }
      const std::string& v = el.as_string()->get();
      if (check) {
        std::string problem = check(v);
        if (!problem.empty()) {
          Report(el.source().begin, el_path, problem);
          good = false;
          continue;
        }
      }
      values.push_back(v);
    }
    if (good) *out = std::move(values);
    return good;
  }

  // Adds the string `it` holds, or each string of its array, to `out` with
  // where it is written (call after the value was read without error).
  void CollectRefs(const Item& it, std::vector<Ref>* out) {
    if (it.node.is_string()) {
      out->push_back(
          {it.key.source().begin, it.path, it.node.as_string()->get()});
      return;
    }
    const toml::array* arr = it.node.as_array();
    if (arr == nullptr) return;
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::node& el = *arr->get(i);
      if (!el.is_string()) continue;
      out->push_back({el.source().begin,
                      it.path + "[" + std::to_string(i) + "]",
                      el.as_string()->get()});
    }
  }

  // A TOML date or a "YYYY-MM-DD" string, checked to be a real date; `n` is
  // written at `where` as `key`. Stores "YYYY-MM-DD" in *out.
  bool Date(const toml::node& n, const toml::source_position& where,
            const std::string& key, std::string* out) {
    std::string text;
    if (n.is_date()) {
      const toml::date& dt = n.as_date()->get();
      char buf[16];
      std::snprintf(buf, sizeof buf, "%04u-%02u-%02u", unsigned{dt.year},
                    unsigned{dt.month}, unsigned{dt.day});
      text = buf;
    } else if (n.is_string()) {
      text = n.as_string()->get();
    } else {
      Report(where, key, "expected a date, got " + std::string(TypeName(n)));
      return false;
    }
    if (auto s = CheckDate(text); !s) {
      Report(where, key, s.error().message + ", got " + Quote(text));
      return false;
    }
    *out = std::move(text);
    return true;
  }

  // Checks `pattern` compiles with RE2 (as classify/ uses it: UTF-8,
  // case-insensitive).
  bool Regex(const Item& it, const std::string& pattern) {
    RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_case_sensitive(false);
    RE2 re(pattern, opts);
    if (!re.ok()) {
      Report(it, "bad regular expression: " + core::Printable(re.error()));
      return false;
    }
    return true;
  }

  // --- sections ---

  void ReadConfig(const toml::table& root, Config* cfg);
  void ReadRuleArray(const Item& it, std::vector<Rule>* rules);

 private:
  void ReadState(const Item& it, State* state);
  void ReadLimits(const Item& it, core::Limits* limits);
  void ReadHttp(const Item& it, Http* http);
  void ReadMailboxes(const Item& it, std::vector<Mailbox>* out);
  void ReadMailbox(const toml::table& t, const std::string& path, Mailbox* mb);
  void ReadBusinessHours(const Item& it, BusinessHours* bh);
  void ReadDeadlines(const Item& it, Deadlines* dl,
                     std::vector<Ref>* notice_for);
  void ReadClassDeadlines(const Item& it, std::string_view cls,
                          std::vector<Deadline>* list);
  bool ReadDeadlineValue(const Item& it, bool in_class, Deadline* d);
  void ReadTiers(const Item& it, std::map<std::string, Tier>* out);
  void ReadAccounts(const Item& it, std::vector<Account>* out,
                    std::vector<Ref>* tiers);
  void ReadAgents(const Item& it, std::vector<Agent>* out);
  void ReadRoutes(const Item& it, std::vector<Route>* out,
                  std::vector<Ref>* targets, std::vector<Ref>* route_mailboxes);
  void ReadRouting(const Item& it, Routing* routing);
  // (config::Report: the member function Report hides the type's name.)
  void ReadReport(const Item& it, config::Report* report);
  void ReadTickets(const Item& it, TicketState* ts);
  void ReadClassify(const Item& it, Classify* c,
                    std::map<std::string, toml::source_position>* prefixes);
  void ReadResponder(const Item& it, Responder* r);
  void ReadTemplates(const Item& it, Templates* t);
  void ReadRule(const toml::table& t, const std::string& path, Rule* rule);

  // Returns the table of `it` or reports "expected a table".
  const toml::table* Table(const Item& it) {
    const toml::table* t = it.node.as_table();
    if (t == nullptr) {
      Report(it, "expected a table ([" + it.path + "]), got " +
                     std::string(TypeName(it.node)));
    }
    return t;
  }

  // Returns the array of tables of `it` or reports the expected form.
  const toml::array* TableArray(const Item& it) {
    const toml::array* a = it.node.as_array();
    if (a == nullptr || !a->is_array_of_tables()) {
      if (a != nullptr && a->empty()) return a;
      Report(it, "expected an array of tables ([[" + it.path + "]]), got " +
                     std::string(TypeName(it.node)));
      return nullptr;
    }
    return a;
  }

  std::string file_;
  std::vector<Diag> diags_;
};

void Loader::ReadConfig(const toml::table& root, Config* cfg) {
  // Names checked once the whole file is read (toml++ iterates keys sorted,
  // not in file order).
  std::vector<Ref> route_targets, route_mailboxes, account_tiers, notice_for;
  std::map<std::string, toml::source_position> prefix_pos;
  Walk(root, "",
       {
           {"state", [&](const Item& it) { ReadState(it, &cfg->state); }},
           {"limits", [&](const Item& it) { ReadLimits(it, &cfg->limits); }},
           {"http", [&](const Item& it) { ReadHttp(it, &cfg->http); }},
           {"mailbox",
            [&](const Item& it) { ReadMailboxes(it, &cfg->mailboxes); }},
           {"business_hours",
            [&](const Item& it) {
              ReadBusinessHours(it, &cfg->business_hours);
            }},
           {"deadlines",
            [&](const Item& it) {
              ReadDeadlines(it, &cfg->deadlines, &notice_for);
            }},
           {"tiers", [&](const Item& it) { ReadTiers(it, &cfg->tiers); }},
           {"account",
            [&](const Item& it) {
              ReadAccounts(it, &cfg->accounts, &account_tiers);
            }},
           {"agent", [&](const Item& it) { ReadAgents(it, &cfg->agents); }},
           {"route",
            [&](const Item& it) {
              ReadRoutes(it, &cfg->routes, &route_targets, &route_mailboxes);
            }},
           {"routing", [&](const Item& it) { ReadRouting(it, &cfg->routing); }},
           {"report", [&](const Item& it) { ReadReport(it, &cfg->report); }},
           {"tickets", [&](const Item& it) { ReadTickets(it, &cfg->tickets); }},
           {"classify",
            [&](const Item& it) {
              ReadClassify(it, &cfg->classify, &prefix_pos);
            }},
           {"responder",
            [&](const Item& it) { ReadResponder(it, &cfg->responder); }},
           {"templates",
            [&](const Item& it) { ReadTemplates(it, &cfg->templates); }},
           {"rule", [&](const Item& it) { ReadRuleArray(it, &cfg->rules); }},
           {"log_level",
            [&](const Item& it) {
              std::string v;
              if (!Str(it, &v)) return;
              if (!Contains(kLogLevels, v)) {
                Report(it, "must be one of " + JoinList(kLogLevels) + ", got " +
                               Quote(v));
                return;
              }
              cfg->log_level = v;
            }},
       });

  // Cross references.
  std::set<std::string> mailbox_names;
  for (const Mailbox& mb : cfg->mailboxes) {
    if (!mb.name.empty()) mailbox_names.insert(mb.name);
  }
  for (size_t i = 0; i < cfg->rules.size(); ++i) {
    const Rule& r = cfg->rules[i];
    if (!r.mailbox.empty() && !mailbox_names.contains(r.mailbox)) {
      Report({static_cast<uint32_t>(r.pos.line),
              static_cast<uint32_t>(r.pos.column)},
             "rule[" + std::to_string(i) + "].mailbox",
             "no [[mailbox]] is named " + Quote(r.mailbox));
    }
  }
  for (const auto& [name, where] : prefix_pos) {
    if (!mailbox_names.contains(name)) {
      Report(where, "classify.ticket_prefix." + name,
             "no [[mailbox]] is named " + Quote(name));
    }
  }
  // Route targets: an address, an agent name or a team of some agent.
  std::set<std::string> targets;
  for (const Agent& a : cfg->agents) {
    targets.insert(a.name);
    if (!a.team.empty()) targets.insert(a.team);
  }
  std::vector<std::string_view> target_names(targets.begin(), targets.end());
  for (const Ref& ref : route_targets) {
    if (ref.value.empty() || ref.value.find('@') != std::string::npos ||
        targets.contains(ref.value)) {
      continue;
    }
    std::string close = ClosestMatch(ref.value, target_names);
    Report(ref.where, ref.key,
           Quote(ref.value) +
               " is neither an address nor the name or team of an [[agent]]" +
               (close.empty() ? "" : "; did you mean '" + close + "'?"));
  }
  // Route mailboxes: a [[mailbox]] name.
  std::vector<std::string_view> route_mailbox_names;
  for (const Mailbox& m : cfg->mailboxes) route_mailbox_names.push_back(m.name);
  for (const Ref& ref : route_mailboxes) {
    if (Contains(route_mailbox_names, ref.value)) continue;
    Report(ref.where, ref.key,
           "no [[mailbox]] is named " + Quote(ref.value) +
               Suggest(ref.value, route_mailbox_names));
  }
  // Account tiers: a [tiers.<name>] table.
  std::vector<std::string_view> tier_names;
  for (const auto& [name, tier] : cfg->tiers) tier_names.push_back(name);
  for (const Ref& ref : account_tiers) {
    if (cfg->tiers.contains(ref.value)) continue;
    Report(ref.where, ref.key,
           "unknown tier " + Quote(ref.value) +
               (tier_names.empty() ? " (no [tiers.<name>] table is defined)"
                                   : Suggest(ref.value, tier_names)));
  }
  // Delay notices: a deadline id or name of some class or tier.
  std::set<std::string> deadlines;
  for (const auto& [cls, list] : cfg->deadlines.by_class) {
    for (const Deadline& d : list) {
      deadlines.insert(d.id);
      deadlines.insert(d.name);
    }
  }
  for (const auto& [name, tier] : cfg->tiers) {
    deadlines.insert(tier.answer.id);
    deadlines.insert(tier.answer.name);
  }
  std::vector<std::string_view> deadline_names(deadlines.begin(),
                                               deadlines.end());
  for (const Ref& ref : notice_for) {
    if (deadlines.contains(ref.value)) continue;
    Report(ref.where, ref.key,
           "no deadline has the id or name " + Quote(ref.value) +
               Suggest(ref.value, deadline_names));
  }
}

void Loader::ReadState(const Item& it, State* state) {
  const toml::table* t = Table(it);
  if (t == nullptr) return;
  Walk(*t, it.path,
       {{"dir", [&](const Item& f) { NonEmptyStr(f, &state->dir); }},
        {"retention", [&](const Item& f) {
           // "" keeps messages forever (the default).
           if (f.node.is_string() && f.node.as_string()->get().empty()) {
             state->retention = Seconds{0};
             return;
           }
           Duration(f, &state->retention, false);
         }}});
}

void Loader::ReadLimits(const Item& it, core::Limits* limits) {
  const toml::table* t = Table(it);
  if (t == nullptr) return;
  Walk(*t, it.path,
       {
           {"max_message_bytes",
            [&](const Item& f) { ByteSize(f, &limits->max_message_bytes); }},
           {"max_header_bytes",
            [&](const Item& f) { ByteSize(f, &limits->max_header_bytes); }},
           {"mime_max_depth",
            [&](const Item& f) { IntTo(f, 1, 1000, &limits->mime_max_depth); }},
           {"mime_max_parts",
            [&](const Item& f) {
              IntTo(f, 1, 1000000, &limits->mime_max_parts);
            }},
           {"scan_bytes",
            [&](const Item& f) { ByteSize(f, &limits->scan_bytes); }},
           {"network_timeout",
            [&](const Item& f) {
              Duration(f, &limits->network_timeout, false);
            }},
       });
}

void Loader::ReadHttp(const Item& it, Http* http) {
  const toml::table* t = Table(it);
  if (t == nullptr) return;
  Walk(*t, it.path,
       {{"listen",
         [&](const Item& f) {
           std::string v;
           if (!Str(f, &v)) return;
           // "" = off (the default).
           if (!v.empty()) {
             if (auto hp = ParseHostPort(v); !hp) {
               Report(f, hp.error().message + ", got " + Quote(v));
               return;
             }
           }
           http->listen = v;
         }},
        {"retry_budget",
         [&](const Item& f) { Duration(f, &http->retry_budget, false); }}});
}

void Loader::ReadMailboxes(const Item& it, std::vector<Mailbox>* out) {
  const toml::array* arr = TableArray(it);
  if (arr == nullptr) return;
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::table& t = *arr->get(i)->as_table();
    std::string path = "mailbox[" + std::to_string(i) + "]";
    Mailbox mb;
    ReadMailbox(t, path, &mb);
    if (!mb.name.empty()) {
      auto [pos, inserted] = seen.emplace(mb.name, i);
      if (!inserted) {
        Report(KeyPos(t, "name"), path + ".name",
               "duplicate mailbox name " + Quote(mb.name) + " (also mailbox[" +
                   std::to_string(pos->second) + "])");
      }
    }
    out->push_back(std::move(mb));
  }
}

void Loader::ReadMailbox(const toml::table& t, const std::string& path,
                         Mailbox* mb) {
  mb->pos = Pos(t.source());
  // Where each key was written, for cross-key checks.
  std::map<std::string, toml::source_position> at;
  auto remember = [&](const Item& f) {
    at[std::string(f.key.str())] = f.key.source().begin;
  };
  std::optional<Url> imap, smtp;
  auto url = [&](const Item& f, std::string* out,
                 std::vector<std::string_view> schemes,
                 std::optional<Url>* parsed) {
    remember(f);
    if (!Str(f, out)) return;
    auto u = ParseUrl(*out, schemes);
    if (!u) {
      Report(f, u.error().message + ", got " + Quote(*out));
      return;
    }
    *parsed = *u;
  };
  auto address = [&](const Item& f, std::string* out) {
    remember(f);
    if (!Str(f, out)) return;
    if (auto s = CheckAddress(*out); !s) {
      Report(f, s.error().message + ", got " + Quote(*out));
    }
  };
  auto secret = [&](const Item& f, std::string* out) {
    remember(f);
    NonEmptyStr(f, out);
  };
  Walk(t, path,
       {
           {"name",
            [&](const Item& f) {
              remember(f);
              if (!Str(f, &mb->name)) return;
              if (!IsName(mb->name)) {
                Report(f,
                       "must be lower-case letters, digits, '_' or '-', "
                       "got " +
                           Quote(mb->name));
              }
            }},
           {"address", [&](const Item& f) { address(f, &mb->address); }},
           {"aliases",
            [&](const Item& f) {
              StrList(f, &mb->aliases, [](std::string_view v) {
                auto s = CheckAddress(v);
                return s ? std::string()
                         : s.error().message + ", got " + Quote(v);
              });
            }},
           {"imap_url",
            [&](const Item& f) {
              url(f, &mb->imap_url, {"imap", "imaps"}, &imap);
            }},
           {"smtp_url",
            [&](const Item& f) {
              url(f, &mb->smtp_url, {"smtp", "smtps"}, &smtp);
            }},
           {"tls",
            [&](const Item& f) {
              remember(f);
              if (!Str(f, &mb->tls)) return;
              if (mb->tls != "required" && mb->tls != "none") {
                Report(f, "must be \"required\" or \"none\", got " +
                              Quote(mb->tls));
              }
            }},
           {"tls_ca_file", [&](const Item& f) { Str(f, &mb->tls_ca_file); }},
           {"username",
            [&](const Item& f) {
              remember(f);
              NonEmptyStr(f, &mb->username);
            }},
           {"password_file",
            [&](const Item& f) { secret(f, &mb->password_file); }},
           {"password_env",
            [&](const Item& f) { secret(f, &mb->password_env); }},
           {"password_command",
            [&](const Item& f) { secret(f, &mb->password_command); }},
           {"oauth2_token_command",
            [&](const Item& f) { secret(f, &mb->oauth2_token_command); }},
           {"password",
            [&](const Item& f) {
              remember(f);
              Report(f,
                     "inline passwords are not allowed; use password_file "
                     "(a file holding the password), password_env (an "
                     "environment variable) or password_command (a command "
                     "that prints it)");
            },
            false},
           {"folders",
            [&](const Item& f) {
              std::vector<std::string> folders;
              if (!StrList(f, &folders, [](std::string_view v) {
                    return v.empty() ? std::string("must not be empty")
                                     : std::string();
                  })) {
                return;
              }
              if (folders.empty()) {
                Report(f, "must name at least one folder");
                return;
              }
              mb->folders = std::move(folders);
            }},
           {"sent_folder", [&](const Item& f) { Str(f, &mb->sent_folder); }},
           {"display_name",
            [&](const Item& f) {
              if (!Str(f, &mb->display_name)) return;
              DisplayName(f, mb->display_name);
            }},
           {"display_names",
            [&](const Item& f) {
              const toml::table* t = Table(f);
              if (t == nullptr) return;
              for (auto&& [key, node] : *t) {
                std::string lang(key.str());
                Item p{key, node, f.path + "." + KeyName(lang)};
                std::string v;
                LanguageCode(p, lang);
                if (!Str(p, &v)) continue;
                DisplayName(p, v);
                mb->display_names[lang] = std::move(v);
              }
            }},
           {"time_zone",
            [&](const Item& f) {
              if (!Str(f, &mb->time_zone)) return;
              try {
                (void)date::locate_zone(mb->time_zone);
              } catch (const std::exception&) {
                Report(f, "unknown time zone " + Quote(mb->time_zone) +
                              " (use an IANA name like \"Europe/Berlin\")");
              }
            }},
           {"language",
            [&](const Item& f) {
              if (Str(f, &mb->language)) LanguageCode(f, mb->language);
            }},
           {"default_class",
            [&](const Item& f) {
              if (!Str(f, &mb->default_class)) return;
              if (!mb->default_class.empty() &&
                  !Contains(KnownClasses(), mb->default_class)) {
                Report(f, "must be one of " + JoinList(KnownClasses()) +
                              ", got " + Quote(mb->default_class));
              }
            }},
           {"ack_window", [&](const Item& f) { Duration(f, &mb->ack_window); }},
       });

  // Required keys.
  for (const char* key :
       {"name", "address", "imap_url", "smtp_url", "username"}) {
    if (!at.contains(key)) {
      Report(t.source().begin, path + "." + key, "missing required key");
    }
  }
  // Exactly one secret source.
  std::vector<std::string> sources;
  for (const char* key : {"password_file", "password_env", "password_command",
                          "oauth2_token_command"}) {
    if (at.contains(key)) sources.push_back(key);
  }
  if (sources.empty() && !at.contains("password")) {
    Report(t.source().begin, path,
           "no secret source: set one of password_file, password_env, "
           "password_command or oauth2_token_command");
  } else if (sources.size() > 1) {
    std::string list;
    for (const std::string& s : sources) list += (list.empty() ? "" : ", ") + s;
    Report(at[sources[1]], path + "." + sources[1],
           "more than one secret source (" + list + "); keep one");
  }
  // tls = "none" only on loopback.
  if (mb->tls == "none" && at.contains("tls")) {
    for (const std::optional<Url>* u : {&imap, &smtp}) {
      if (u->has_value() && !IsLoopbackHost((*u)->host)) {
        Report(at["tls"], path + ".tls",
               "\"none\" is only allowed when the servers are on loopback "
               "(localhost, 127.0.0.1, ::1); host " +
                   Quote((*u)->host) + " is not");
        break;
      }
    }
  }
}

void Loader::ReadBusinessHours(const Item& it, BusinessHours* bh) {
  const toml::table* t = Table(it);
  if (t == nullptr) return;
  std::vector<Field> fields;
  for (int d = 0; d < 7; ++d) {
    fields.push_back({kDayNames[d], [this, bh, d](const Item& f) {
                        std::vector<std::string> texts;
                        std::vector<Interval> ivs;
                        if (!StrList(f, &texts, [&ivs](std::string_view v) {
                              auto iv = ParseInterval(v);
                              if (!iv) {
                                return iv.error().message + ", got " + Quote(v);
                              }
                              ivs.push_back(*iv);
                              return std::string();
                            })) {
                          return;
                        }
                        for (size_t i = 1; i < ivs.size(); ++i) {
                          if (ivs[i].start_minute < ivs[i - 1].end_minute) {
                            Report(f,
                                   "intervals must be in order and must "
                                   "not overlap: " +
                                       Quote(texts[i - 1]) + " then " +
                                       Quote(texts[i]));
                            return;
                          }
                        }
                        bh->days[d] = std::move(ivs);
                      }});
  }
  fields.push_back({"holidays", [this, bh](const Item& f) {
                      const toml::array* arr = f.node.as_array();
                      if (arr == nullptr) {
                        Report(f, "expected an array of dates, got " +
                                      std::string(TypeName(f.node)));
                        return;
                      }
                      std::vector<std::string> days;
                      bool good = true;
                      for (size_t i = 0; i < arr->size(); ++i) {
                        const toml::node& el = *arr->get(i);
                        std::string text;
                        if (!Date(el, el.source().begin,
                                  f.path + "[" + std::to_string(i) + "]",
                                  &text)) {
                          good = false;
                          continue;
                        }
                        days.push_back(text);
                      }
                      if (good) bh->holidays = std::move(days);
                    }});
  Walk(*t, it.path, fields);
  bool any = false;
  for (const auto& day : bh->days) any = any || !day.empty();
  if (!any) {
    Report(it, "no business interval on any day of the week");
  }
}

void Loader::ReadDeadlines(const Item& it, Deadlines* dl,
                           std::vector<Ref>* notice_for) {
  const toml::table* t = Table(it);
  if (t == nullptr) return;
  std::vector<Field> fields;
  fields.push_back({"delay_notice_before", [this, dl](const Item& f) {
                      Duration(f, &dl->delay_notice_before);
                    }});
  // Lists of deadline ids or names. delay_notice_for is checked against
  // the deadlines once everything is read; met_by_agent_reply may name
  // deadlines a config switched off (its default names "receipt").
  auto deadline_list = [this](std::vector<std::string>* list,
                              std::vector<Ref>* refs) {
    return [this, list, refs](const Item& f) {
      if (!StrList(f, list, [](std::string_view v) {
            return v.empty() ? std::string("must not be empty") : std::string();
          })) {
        return;
      }
      if (refs != nullptr) CollectRefs(f, refs);
    };
  };
  fields.push_back(
      {"delay_notice_for", deadline_list(&dl->delay_notice_for, notice_for)});
  fields.push_back(
      {"met_by_agent_reply", deadline_list(&dl->met_by_agent_reply, nullptr)});
  fields.push_back({"delay_extension", [this, dl](const Item& f) {
                      Duration(f, &dl->delay_extension, false);
                    }});
  fields.push_back({"warn_at", [this, dl](const Item& f) {
                      const std::string form =
                          "must be a percentage such as \"75%\" from \"0%\" "
                          "(never warn) to \"99%\", got ";
                      if (!f.node.is_string()) {
                        Report(f, form + std::string(TypeName(f.node)));
                        return;
                      }
                      const std::string& v = f.node.as_string()->get();
                      int percent = ParsePercent(v);
                      if (percent < 0 || percent > 99) {
                        Report(f, form + Quote(v));
                        return;
                      }
                      dl->warn_at_percent = percent;
                    }});
  fields.push_back({"escalate_every", [this, dl](const Item& f) {
                      Duration(f, &dl->escalate_every, false);
                    }});
  fields.push_back({"csat_after", [this, dl](const Item& f) {
                      Duration(f, &dl->csat_after);
                    }});
  for (std::string_view cls : KnownClasses()) {
    fields.push_back({cls, [this, dl, cls](const Item& f) {
                        ReadClassDeadlines(f, cls,
                                           &dl->by_class[std::string(cls)]);
                      }});
  }
  Walk(*t, it.path, fields);
}

void Loader::ReadClassDeadlines(const Item& it, std::string_view cls,
                                std::vector<Deadline>* list) {
  const toml::table* t = Table(it);
  if (t == nullptr) return;
  // toml++ iterates keys in sorted order: keep the file order for new names.
  std::vector<std::pair<toml::source_position, Deadline>> added;
  for (auto&& [key, node] : *t) {
    std::string name(key.str());
    Item f{key, node, it.path + "." + KeyName(name)};
    if (!IsIdent(name)) {
      Report(f, "a deadline name must be lower-case letters, digits or '_'");
      continue;
    }
    Deadline d;
    d.name = name;
    d.id = DefaultDeadlineId(cls, name);
    if (d.id.empty()) d.id = std::string(cls) + "." + name;
    // POLICY D7: the follow-up counts from closing, everything else from
    // the customer's message.
    d.start = name == "followup" ? "close" : "arrival";
    auto existing =
        std::find_if(list->begin(), list->end(),
                     [&](const Deadline& e) { return e.name == name; });
    if (node.is_string() && node.as_string()->get() == "off") {
      if (existing != list->end()) {
        list->erase(existing);
        continue;
      }
      // "off" for a name that is not there is most likely a typo.
      std::vector<std::string_view> names;
      for (const Deadline& e : *list) names.push_back(e.name);
      std::string close = ClosestMatch(name, names);
      Report(f, "no deadline " + Quote(name) + " to switch off" +
                    (close.empty() ? std::string()
                                   : "; did you mean '" + close + "'?"));
      continue;
    }
    if (!ReadDeadlineValue(f, true, &d)) continue;
    if (existing != list->end()) {
      *existing = d;
    } else {
      added.emplace_back(key.source().begin, d);
    }
  }
  std::stable_sort(
      added.begin(), added.end(), [](const auto& a, const auto& b) {
        return a.first.line != b.first.line ? a.first.line < b.first.line
                                            : a.first.column < b.first.column;
      });
  for (auto& [pos, d] : added) list->push_back(std::move(d));
}

// A deadline value: a duration ("2h", on d's default clock) or an inline
// table { within, clock } (in a class table also id and start). Fills in *d
// and returns true, or reports and returns false.
bool Loader::ReadDeadlineValue(const Item& it, bool in_class, Deadline* d) {
  if (it.node.is_string() || it.node.is_integer()) {
    return Duration(it, &d->within, false);
  }
  const toml::table* inline_t = it.node.as_table();
  if (inline_t == nullptr) {
    Report(it, std::string(in_class ? "expected a duration (\"2h\"), \"off\" "
                                      "or a table like { within = \"2d\", "
                                      "clock = \"business\" }, got "
                                    : "expected a duration (\"8h\") or a "
                                      "table like { within = \"8h\", clock = "
                                      "\"business\" }, got ") +
                   std::string(TypeName(it.node)));
    return false;
  }
  bool good = true, has_within = false;
  std::vector<Field> fields = {
      {"within",
       [&](const Item& w) {
         has_within = true;
         good = Duration(w, &d->within, false) && good;
       }},
      {"clock",
       [&](const Item& c) {
         if (!Str(c, &d->clock)) {
           good = false;
         } else if (d->clock != "calendar" && d->clock != "business") {
           Report(c, "must be \"calendar\" or \"business\", got " +
                         Quote(d->clock));
           good = false;
         }
       }},
  };
  if (in_class) {
    fields.push_back({"id", [&](const Item& c) {
                        if (!NonEmptyStr(c, &d->id)) good = false;
                      }});
    fields.push_back({"start", [&](const Item& c) {
                        if (!Str(c, &d->start)) {
                          good = false;
                        } else if (d->start != "arrival" &&
                                   d->start != "close") {
                          Report(c, "must be \"arrival\" or \"close\", got " +
                                        Quote(d->start));
                          good = false;
                        }
                      }});
  }
  Walk(*inline_t, it.path, fields);
  if (!has_within) {
    Report(it, "missing required key 'within'");
    good = false;
  }
  return good;
}

void Loader::ReadTiers(const Item& it, std::map<std::string, Tier>* out) {
  const toml::table* t = Table(it);
  if (t == nullptr) return;
  for (auto&& [key, node] : *t) {
    std::string name(key.str());
    Item f{key, node, it.path + "." + KeyName(name)};
    if (!IsIdent(name)) {
      Report(f, "a tier name must be lower-case letters, digits or '_'");
      continue;
    }
    const toml::table* tt = Table(f);
    if (tt == nullptr) continue;
    Tier tier;
    tier.name = name;
    tier.answer.id = "D3";
    tier.answer.name = "answer";
    tier.answer.clock = "business";
    tier.answer.start = "arrival";
    bool has_answer = false, good = true;
    Walk(*tt, f.path, {{"answer", [&](const Item& a) {
                          has_answer = true;
                          good = ReadDeadlineValue(a, false, &tier.answer);
                        }}});
    if (!has_answer) {
      Report(tt->source().begin, f.path + ".answer", "missing required key");
      continue;
    }
    if (good) (*out)[name] = std::move(tier);
  }
}

void Loader::ReadAccounts(const Item& it, std::vector<Account>* out,
                          std::vector<Ref>* tiers) {
  const toml::array* arr = TableArray(it);
  if (arr == nullptr) return;
  std::map<std::string, size_t> seen_names;
  std::vector<std::string> names;  // by index, for messages
  // A lower-case address or domain -> the account that lists it.
  std::map<std::string, size_t> owner;
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::table& t = *arr->get(i)->as_table();
    std::string path = "account[" + std::to_string(i) + "]";
    Account a;
    a.pos = Pos(t.source());
    bool listed = false;
    // Claims `value` (an address or a domain) for this account.
    auto claim = [&](std::string_view what, const std::string& value) {
      auto [pos, inserted] = owner.emplace(value, i);
      if (inserted) return std::string();
      if (pos->second == i) {
        return std::string(what) + " " + Quote(value) + " is listed twice";
      }
      const std::string& other = names[pos->second];
      return std::string(what) + " " + Quote(value) + " is also in account[" +
             std::to_string(pos->second) + "]" +
             (other.empty() ? "" : " (" + Quote(other) + ")") +
             "; an address or domain belongs to one account";
    };
    auto lower = [](std::vector<std::string>* list) {
      for (std::string& s : *list) s = core::AsciiLower(s);
    };
    Walk(t, path,
         {
             {"name",
              [&](const Item& f) {
                if (!NonEmptyStr(f, &a.name)) return;
                auto [pos, inserted] = seen_names.emplace(a.name, i);
                if (!inserted) {
                  Report(f, "duplicate account name " + Quote(a.name) +
                                " (also account[" +
                                std::to_string(pos->second) + "])");
                }
              }},
             {"addresses",
              [&](const Item& f) {
                const toml::array* list = f.node.as_array();
                listed = listed || (list != nullptr && !list->empty());
                StrList(f, &a.addresses, [&](std::string_view v) {
                  if (auto s = CheckAddress(v); !s) {
                    return s.error().message + ", got " + Quote(v);
                  }
                  return claim("address", core::AsciiLower(v));
                });
                lower(&a.addresses);
              }},
             {"domains",
              [&](const Item& f) {
                const toml::array* list = f.node.as_array();
                listed = listed || (list != nullptr && !list->empty());
                StrList(f, &a.domains, [&](std::string_view v) {
                  std::string problem = DomainProblem(v);
                  if (!problem.empty()) return problem;
                  return claim("domain", core::AsciiLower(v));
                });
                lower(&a.domains);
              }},
             {"tier",
              [&](const Item& f) {
                if (NonEmptyStr(f, &a.tier)) CollectRefs(f, tiers);
              }},
             {"software_assurance_until",
              [&](const Item& f) {
                Date(f.node, f.key.source().begin, f.path,
                     &a.software_assurance_until);
              }},
             {"key_account", [&](const Item& f) { Bool(f, &a.key_account); }},
         });
    if (!t.contains("name")) {
      Report(t.source().begin, path + ".name", "missing required key");
    }
    if (!listed) {
      Report(t.source().begin, path,
             "an account needs at least one address or domain (set "
             "addresses or domains)");
    }
    names.push_back(a.name);
    out->push_back(std::move(a));
  }
}

void Loader::ReadAgents(const Item& it, std::vector<Agent>* out) {
  const toml::array* arr = TableArray(it);
  if (arr == nullptr) return;
  std::map<std::string, size_t> seen, seen_names;
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::table& t = *arr->get(i)->as_table();
    std::string path = "agent[" + std::to_string(i) + "]";
    Agent a;
    bool has_name = false, has_address = false;
    Walk(t, path,
         {
             {"name",
              [&](const Item& f) {
                has_name = NonEmptyStr(f, &a.name);
                if (!has_name) return;
                auto [pos, inserted] = seen_names.emplace(a.name, i);
                if (!inserted) {
                  Report(f, "duplicate agent name " + Quote(a.name) +
                                " (also agent[" + std::to_string(pos->second) +
                                "])");
                }
              }},
             {"address",
              [&](const Item& f) {
                has_address = true;
                if (!Str(f, &a.address)) return;
                if (auto s = CheckAddress(a.address); !s) {
                  Report(f, s.error().message + ", got " + Quote(a.address));
                  return;
                }
                auto [pos, inserted] =
                    seen.emplace(core::AsciiLower(a.address), i);
                if (!inserted) {
                  Report(f, "duplicate agent address " + Quote(a.address) +
                                " (also agent[" + std::to_string(pos->second) +
                                "])");
                }
              }},
             {"team", [&](const Item& f) { Str(f, &a.team); }},
             {"language",
              [&](const Item& f) {
                if (Str(f, &a.language)) LanguageCode(f, a.language);
              }},
             {"greeting_names",
              [&](const Item& f) {
                StrList(f, &a.greeting_names,
                        [](std::string_view v) -> std::string {
                          return core::Trim(v).empty() ? "must not be empty"
                                                       : "";
                        });
              }},
             {"absent",
              [&](const Item& f) {
                StrList(f, &a.absent, [](std::string_view v) -> std::string {
                  size_t slash = v.find('/');
                  if (slash == std::string_view::npos ||
                      !CheckDateTime(v.substr(0, slash)) ||
                      !CheckDateTime(v.substr(slash + 1))) {
                    return "must be \"YYYY-MM-DDTHH:MM/YYYY-MM-DDTHH:MM\", "
                           "got " +
                           Quote(v);
                  }
                  if (v.substr(0, slash) >= v.substr(slash + 1)) {
                    return "ends before it starts: " + Quote(v);
                  }
                  return "";
                });
              }},
         });
    if (!has_name) {
      Report(t.source().begin, path + ".name", "missing required key");
    }
    if (!has_address) {
      Report(t.source().begin, path + ".address", "missing required key");
    }
    out->push_back(std::move(a));
  }
}

void Loader::ReadRoutes(const Item& it, std::vector<Route>* out,
                        std::vector<Ref>* targets,
                        std::vector<Ref>* route_mailboxes) {
  const toml::array* arr = TableArray(it);
  if (arr == nullptr) return;
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::table& t = *arr->get(i)->as_table();
    std::string path = "route[" + std::to_string(i) + "]";
    Route r;
    // One target: an address, or a name or team checked after [[agent]].
    auto target = [&](const Item& f, std::string* out_value) {
      std::string value;
      if (!Str(f, &value)) return false;
      if (std::string problem = TargetProblem(value); !problem.empty()) {
        Report(f, problem);
        return false;
      }
      CollectRefs(f, targets);
      *out_value = std::move(value);
      return true;
    };
    Walk(t, path,
         {
             {"class",
              [&](const Item& f) {
                if (!Str(f, &r.cls)) return;
                if (!Contains(KnownClasses(), r.cls)) {
                  std::string close = ClosestMatch(r.cls, KnownClasses());
                  Report(f,
                         "unknown class " + Quote(r.cls) +
                             (close.empty()
                                  ? " (known: " + JoinList(KnownClasses()) + ")"
                                  : "; did you mean '" + close + "'?"));
                  return;
                }
              }},
             {"mailbox",
              [&](const Item& f) {
                if (Str(f, &r.mailbox)) CollectRefs(f, route_mailboxes);
              }},
             {"primary", [&](const Item& f) { target(f, &r.primary); }},
             {"secondary", [&](const Item& f) { target(f, &r.secondary); }},
             {"escalate_to",
              [&](const Item& f) {
                // One level as a string, or the levels in order.
                if (f.node.is_string()) {
                  std::string level;
                  if (target(f, &level)) r.escalate_to = {level};
                  return;
                }
                if (!f.node.is_array()) {
                  Report(f,
                         "expected an address, agent name or team, or an "
                         "array of them (levels in order), got " +
                             std::string(TypeName(f.node)));
                  return;
                }
                if (StrList(f, &r.escalate_to, [](std::string_view v) {
                      return TargetProblem(v);
                    })) {
                  CollectRefs(f, targets);
                }
              }},
             {"board", [&](const Item& f) { target(f, &r.board); }},
         });
    for (const char* key : {"class", "primary"}) {
      if (!t.contains(key)) {
        Report(t.source().begin, path + "." + key, "missing required key");
      }
    }
    // One row per class and mailbox (keys are read in sorted order, so the
    // pair is known only now).
    for (auto&& [key, value] : t) {
      if (key.str() != "class" || r.cls.empty()) continue;
      auto [pos, inserted] = seen.emplace(r.cls + "\n" + r.mailbox, i);
      if (!inserted) {
        Report(key.source().begin, path + ".class",
               "duplicate route for class " + Quote(r.cls) +
                   (r.mailbox.empty() ? std::string()
                                      : " and mailbox " + Quote(r.mailbox)) +
                   " (also route[" + std::to_string(pos->second) + "])");
      }
    }
    out->push_back(std::move(r));
  }
}

void Loader::ReadRouting(const Item& it, Routing* routing) {
  const toml::table* t = Table(it);
  if (t == nullptr) return;
  Walk(*t, it.path,
       {
           {"absence_threshold",
            [&](const Item& f) { Duration(f, &routing->absence_threshold); }},
           {"detected_absence",
            [&](const Item& f) {
              Duration(f, &routing->detected_absence, false);
            }},
           {"assignment_mail",
            [&](const Item& f) { Bool(f, &routing->assignment_mail); }},
           {"digest_at",
            [&](const Item& f) {
              std::string text;
              if (!Str(f, &text)) return;
              if (text.empty()) {
                routing->digest_minute = -1;
                return;
              }
              auto minute = ParseTimeOfDay(text);
              if (!minute) {
                Report(f, minute.error().message + ", got " + Quote(text));
                return;
              }
              routing->digest_minute = *minute;
            }},
       });
}

void Loader::ReadReport(const Item& it, config::Report* report) {
  const toml::table* t = Table(it);
  if (t == nullptr) return;
  Walk(*t, it.path,
       {
           {"care_after",
            [&](const Item& f) { Duration(f, &report->care_after, false); }},
           {"weekly",
            [&](const Item& f) {
              std::string text;
              if (!Str(f, &text)) return;
              if (text.empty()) {
                report->weekly_day = -1;
                report->weekly_minute = -1;
                return;
              }
              auto slot = ParseWeekly(text);
              if (!slot) {
                Report(f, slot.error().message + ", got " + Quote(text));
                return;
              }
              report->weekly_day = slot->weekday;
              report->weekly_minute = slot->minute;
            }},
       });
}

void Loader::ReadTickets(const Item& it, TicketState* ts) {
  const toml::table* t = Table(it);
  if (t == nullptr) return;
  auto keywords = [&](const Item& f, std::vector<std::string>* out) {
    StrList(f, out, KeywordProblem);
  };
  auto folders = [&](const Item& f, std::vector<std::string>* out) {
    StrList(f, out, [](std::string_view v) {
      return v.empty() ? std::string("must not be empty") : std::string();
    });
  };
  Walk(*t, it.path,
       {
           {"close_keywords",
            [&](const Item& f) { keywords(f, &ts->close_keywords); }},
           {"waiting_keywords",
            [&](const Item& f) { keywords(f, &ts->waiting_keywords); }},
           {"close_folders",
            [&](const Item& f) { folders(f, &ts->close_folders); }},
           {"waiting_folders",
            [&](const Item& f) { folders(f, &ts->waiting_folders); }},
           {"poll_every",
            [&](const Item& f) { Duration(f, &ts->poll_every, false); }},
       });
  // A keyword or folder cannot mean both closed and waiting. The error names
  // the waiting entry when that list is written, else the close entry (the
  // defaults do not clash, so one of the two is written).
  auto clash = [&](std::string_view kind, const std::vector<std::string>& close,
                   const std::vector<std::string>& waiting, bool fold) {
    std::string close_key = "close_" + std::string(kind);
    std::string waiting_key = "waiting_" + std::string(kind);
    bool on_waiting = t->contains(waiting_key);
    const std::vector<std::string>& mine = on_waiting ? waiting : close;
    const std::vector<std::string>& other = on_waiting ? close : waiting;
    const std::string& key = on_waiting ? waiting_key : close_key;
    const std::string& other_key = on_waiting ? close_key : waiting_key;
    const toml::array* arr = t->get_as<toml::array>(key);
    for (size_t i = 0; i < mine.size(); ++i) {
      bool both =
          std::any_of(other.begin(), other.end(), [&](const std::string& o) {
            return fold ? core::IEquals(o, mine[i]) : o == mine[i];
          });
      if (!both) continue;
      toml::source_position where = arr != nullptr && i < arr->size()
                                        ? arr->get(i)->source().begin
                                        : t->source().begin;
      Report(where, it.path + "." + key + "[" + std::to_string(i) + "]",
             Quote(mine[i]) + " is also in " + other_key +
                 "; a ticket cannot be both closed and waiting");
    }
  };
  clash("keywords", ts->close_keywords, ts->waiting_keywords, true);
  clash("folders", ts->close_folders, ts->waiting_folders, false);
}

void Loader::ReadClassify(
    const Item& it, Classify* c,
    std::map<std::string, toml::source_position>* prefixes) {
  const toml::table* t = Table(it);
  if (t == nullptr) return;
  auto domain_check = [](std::string_view v) { return DomainProblem(v); };
  Walk(
      *t, it.path,
      {
          {"ticket_tag_format",
           [&](const Item& f) {
             std::string v;
             if (!Str(f, &v)) return;
             if (v.find("{number}") == std::string::npos) {
               Report(f, "must contain {number}, got " + Quote(v));
               return;
             }
             c->ticket_tag_format = v;
           }},
          {"ticket_prefix",
           [&](const Item& f) {
             const toml::table* pt = Table(f);
             if (pt == nullptr) return;
             std::map<std::string, std::string> map;
             for (auto&& [key, node] : *pt) {
               Item p{key, node, f.path + "." + std::string(key.str())};
               std::string v;
               if (!Str(p, &v)) continue;
               if (!IsName(v, true)) {
                 Report(p,
                        "must be letters, digits, '_' or '-', got " + Quote(v));
                 continue;
               }
               map[std::string(key.str())] = v;
               (*prefixes)[std::string(key.str())] = key.source().begin;
             }
             c->ticket_prefix = std::move(map);
           }},
          {"thread_window_days",
           [&](const Item& f) { IntTo(f, 1, 3650, &c->thread_window_days); }},
          {"own_domains",
           [&](const Item& f) { StrList(f, &c->own_domains, domain_check); }},
          {"agent_domains",
           [&](const Item& f) { StrList(f, &c->agent_domains, domain_check); }},
      });
}

void Loader::ReadResponder(const Item& it, Responder* r) {
  const toml::table* t = Table(it);
  if (t == nullptr) return;
  Walk(
      *t, it.path,
      {
          {"per_ticket_max",
           [&](const Item& f) { IntTo(f, 0, 100, &r->per_ticket_max); }},
          {"per_sender_per_hour",
           [&](const Item& f) { IntTo(f, 0, 10000, &r->per_sender_per_hour); }},
          {"noreply_regex",
           [&](const Item& f) {
             std::string v;
             if (Str(f, &v) && Regex(f, v)) r->noreply_regex = v;
           }},
          {"envelope_sender",
           [&](const Item& f) {
             if (!Str(f, &r->envelope_sender)) return;
             if (r->envelope_sender.empty()) return;
             if (auto s = CheckAddress(r->envelope_sender); !s) {
               Report(f,
                      s.error().message + ", got " + Quote(r->envelope_sender));
             }
           }},
          {"hmac_key_file", [&](const Item& f) { Str(f, &r->hmac_key_file); }},
          {"message_id_domain",
           [&](const Item& f) {
             if (!Str(f, &r->message_id_domain)) return;
             if (r->message_id_domain.find_first_of("@ <>\"") !=
                 std::string::npos) {
               Report(f, "must be a domain like \"shop.example\", got " +
                             Quote(r->message_id_domain));
             }
           }},
          {"dry_run_maildir",
           [&](const Item& f) { Str(f, &r->dry_run_maildir); }},
          {"retry_after",
           [&](const Item& f) { Duration(f, &r->retry_after, false); }},
          {"retry_max",
           [&](const Item& f) { Duration(f, &r->retry_max, false); }},
          {"give_up_after",
           [&](const Item& f) { Duration(f, &r->give_up_after, false); }},
      });
  if (r->retry_max < r->retry_after) {
    // Named where it is written: retry_max, or retry_after when only that
    // one is set (above the default retry_max).
    auto at = t->find("retry_max");
    if (at == t->end()) at = t->find("retry_after");
    Report(at != t->end() ? at->first.source().begin : it.key.source().begin,
           it.path + "." + std::string(at != t->end() ? at->first.str() : ""),
           "retry_max (" + std::to_string(r->retry_max.count()) +
               "s) must be at least retry_after (" +
               std::to_string(r->retry_after.count()) + "s)");
  }
}

void Loader::ReadTemplates(const Item& it, Templates* tp) {
  const toml::table* t = Table(it);
  if (t == nullptr) return;
  Walk(*t, it.path,
       {
           {"dir", [&](const Item& f) { Str(f, &tp->dir); }},
           {"forbidden_phrases",
            [&](const Item& f) {
              StrList(f, &tp->forbidden_phrases, [](std::string_view v) {
                return v.empty() ? std::string("must not be empty")
                                 : std::string();
              });
            }},
       });
}

void Loader::ReadRuleArray(const Item& it, std::vector<Rule>* rules) {
  const toml::array* arr = TableArray(it);
  if (arr == nullptr) return;
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::table& t = *arr->get(i)->as_table();
    std::string path = "rule[" + std::to_string(i) + "]";
    Rule r;
    ReadRule(t, path, &r);
    if (!r.id.empty()) {
      auto [pos, inserted] = seen.emplace(r.id, i);
      if (!inserted) {
        Report(KeyPos(t, "id"), path + ".id",
               "duplicate rule id " + Quote(r.id) + " (also rule[" +
                   std::to_string(pos->second) + "])");
      }
    }
    rules->push_back(std::move(r));
  }
}

void Loader::ReadRule(const toml::table& t, const std::string& path, Rule* r) {
  r->pos = Pos(t.source());
  std::set<std::string> keys;
  std::map<std::string, toml::source_position> at;
  auto remember = [&](const Item& f) {
    keys.insert(std::string(f.key.str()));
    at[std::string(f.key.str())] = f.key.source().begin;
  };
  Walk(t, path,
       {
           {"id",
            [&](const Item& f) {
              remember(f);
              if (!Str(f, &r->id)) return;
              if (r->id.empty() ||
                  !std::all_of(r->id.begin(), r->id.end(), [](char c) {
                    return IsNameChar(c, true) || c == '.';
                  })) {
                Report(f, "must be letters, digits, '.', '_' or '-', got " +
                              Quote(r->id));
              }
            }},
           {"field",
            [&](const Item& f) {
              remember(f);
              if (!Str(f, &r->field)) return;
              if (core::IStartsWith(r->field, "header:")) {
                std::string_view name = std::string_view(r->field).substr(7);
                bool good = !name.empty() &&
                            std::all_of(name.begin(), name.end(), [](char c) {
                              return c > ' ' && c < 0x7f && c != ':';
                            });
                if (!good) {
                  Report(f,
                         "header name after 'header:' is empty or has "
                         "spaces or ':', got " +
                             Quote(r->field));
                }
                return;
              }
              if (!Contains(kRuleFields, r->field)) {
                std::string close = ClosestMatch(r->field, kRuleFields);
                Report(f,
                       "unknown field " + Quote(r->field) +
                           (close.empty() ? " (known: header:<Name>, " +
                                                JoinList(kRuleFields) + ")"
                                          : "; did you mean '" + close + "'?"));
              }
            }},
           {"pattern",
            [&](const Item& f) {
              remember(f);
              if (NonEmptyStr(f, &r->pattern)) Regex(f, r->pattern);
            }},
           {"unless",
            [&](const Item& f) {
              if (Str(f, &r->unless) && !r->unless.empty()) {
                Regex(f, r->unless);
              }
            }},
           {"kind",
            [&](const Item& f) {
              remember(f);
              if (!Str(f, &r->kind)) return;
              if (!Contains(KnownKinds(), r->kind)) {
                Report(f, "must be one of " + JoinList(KnownKinds()) +
                              ", got " + Quote(r->kind));
              }
            }},
           {"class",
            [&](const Item& f) {
              remember(f);
              if (!Str(f, &r->cls)) return;
              if (!Contains(KnownClasses(), r->cls)) {
                Report(f, "must be one of " + JoinList(KnownClasses()) +
                              ", got " + Quote(r->cls));
              }
            }},
           {"flag",
            [&](const Item& f) {
              remember(f);
              if (!Str(f, &r->flag)) return;
              if (!IsIdent(r->flag)) {
                Report(f,
                       "must be lower-case letters, digits or '_' (like "
                       "\"material_defect\"), got " +
                           Quote(r->flag));
              }
            }},
           {"mailbox", [&](const Item& f) { Str(f, &r->mailbox); }},
           {"description", [&](const Item& f) { Str(f, &r->description); }},
           {"enabled", [&](const Item& f) { Bool(f, &r->enabled); }},
           {"weak", [&](const Item& f) { Bool(f, &r->weak); }},
           {"evidence",
            [&](const Item& f) {
              if (!Str(f, &r->evidence)) return;
              if (r->evidence != "structural" && r->evidence != "content") {
                Report(f, "must be \"structural\" or \"content\", got " +
                              Quote(r->evidence));
              }
            }},
           {"source", [&](const Item& f) { Str(f, &r->source); }},
       });
  if (!keys.contains("id")) {
    Report(t.source().begin, path + ".id", "missing required key");
  }
  // A disabled rule may be just an id: it switches a shipped rule off.
  if (!r->enabled) return;
  for (const char* key : {"field", "pattern"}) {
    if (!keys.contains(key)) {
      Report(t.source().begin, path + "." + key, "missing required key");
    }
  }
  if (keys.contains("kind") && keys.contains("class")) {
    Report(at["class"], path + ".class",
           "a rule sets either kind or class, not both");
  } else if (!keys.contains("kind") && !keys.contains("class") &&
             !keys.contains("flag")) {
    // A flag alone is enough: the rule marks the ticket, the class comes
    // from another rule.
    Report(t.source().begin, path,
           "a rule must set kind (auto_reply, bounce, list_bulk, spam), "
           "class or flag");
  }
}

// Parses `text` or reports the syntax error; returns false on failure.
bool ParseToml(std::string_view text, std::string_view source_name,
               Loader* loader, toml::table* out) {
  try {
    *out = toml::parse(text, source_name);
    return true;
  } catch (const toml::parse_error& e) {
    loader->Report(e.source().begin, "syntax",
                   core::Printable(e.description()));
  } catch (const std::exception& e) {
    loader->Report({0, 0}, "syntax", core::Printable(e.what()));
  }
  return false;
}

}  // namespace

core::Result<Config> ParseConfig(std::string_view toml_text,
                                 std::string_view source_name) {
  Loader loader(source_name);
  toml::table root;
  if (toml_text.size() > kMaxConfigBytes) {
    loader.Report({0, 0}, "file",
                  "larger than " + std::to_string(kMaxConfigBytes) + " bytes");
    return Fail(loader.ToError());
  }
  if (!ParseToml(toml_text, source_name, &loader, &root)) {
    return Fail(loader.ToError());
  }
  Config cfg = Defaults();
  cfg.path = std::string(source_name);
  try {
    loader.ReadConfig(root, &cfg);
  } catch (const std::exception& e) {
    // toml++ accessors and date/tz are caught where called; this is a last
    // line of defence so that nothing escapes the folder.
    loader.Report({0, 0}, "internal", core::Printable(e.what()));
  }
  if (!loader.ok()) return Fail(loader.ToError());
  return cfg;
}

core::Result<std::vector<Rule>> ParseRules(std::string_view toml_text,
                                           std::string_view source_name) {
  Loader loader(source_name);
  toml::table root;
  if (!ParseToml(toml_text, source_name, &loader, &root)) {
    return Fail(loader.ToError());
  }
  std::vector<Rule> rules;
  try {
    loader.Walk(
        root, "",
        {{"rule", [&](const Item& it) { loader.ReadRuleArray(it, &rules); }}});
  } catch (const std::exception& e) {
    loader.Report({0, 0}, "internal", core::Printable(e.what()));
  }
  if (!loader.ok()) return Fail(loader.ToError());
  return rules;
}

core::Result<Config> LoadConfig(const std::string& path) {
  auto fail = [&](const std::string& why) {
    return Fail(Error::InvalidArgument(path + ":0:0: file: " + why));
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(std::string("cannot read: ") + std::strerror(errno));
  std::string text;
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxConfigBytes) {
      return fail("larger than " + std::to_string(kMaxConfigBytes) + " bytes");
    }
  }
  if (in.bad())
    return fail(std::string("cannot read: ") + std::strerror(errno));
  return ParseConfig(text, path);
}

}  // namespace inboxd::config
