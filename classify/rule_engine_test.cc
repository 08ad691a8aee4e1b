#include "classify/rule_engine.h"

#include <gtest/gtest.h>

#include "classify/test_message.h"

namespace inboxd::classify {
namespace {

using testing::Msg;

config::Rule R(std::string id, std::string field, std::string pattern,
               std::string kind, std::string unless = "") {
  config::Rule r;
  r.id = std::move(id);
  r.field = std::move(field);
  r.pattern = std::move(pattern);
  r.kind = std::move(kind);
  r.unless = std::move(unless);
  r.pos = {"rules.toml", 7, 1};
  return r;
}

std::vector<std::string> Ids(const std::vector<Reason>& hits) {
  std::vector<std::string> out;
  for (const auto& h : hits) out.push_back(h.rule_id);
  return out;
}

TEST(RuleEngine, MatchesPerFieldWithUnless) {
  std::vector<config::Rule> rules = {
      R("as", "header:auto-submitted", ".", "auto_reply", "^\\s*no\\s*$"),
      R("subj", "subject", "out of office", "auto_reply"),
      R("local", "from_local", "^mailer-daemon$", "bounce"),
      R("ct", "content_type", "report-type=delivery-status", "bounce"),
      R("any", "any_header", "^list-unsubscribe:", "list_bulk"),
  };
  auto engine = RuleEngine::Compile(rules, {});
  ASSERT_TRUE(engine.has_value()) << engine.error().ToString();
  core::Limits limits;

  struct Case {
    const char* name;
    core::Message msg;
    std::vector<std::string> want;
  } cases[] = {
      {"auto-submitted yes",
       Msg("Hi", "x", {{"Auto-Submitted", "auto-replied"}}),
       {"as"}},
      {"auto-submitted no", Msg("Hi", "x", {{"Auto-Submitted", "no"}}), {}},
      {"subject hit", Msg("OUT OF OFFICE until May", "x"), {"subj"}},
      {"subject miss", Msg("Out of stock?", "x"), {}},
      {"daemon", Msg("x", "x", {}, "MAILER-DAEMON@mx.example"), {"local"}},
      {"not daemon", Msg("x", "x", {}, "daemon@mx.example"), {}},
      {"list header",
       Msg("x", "x", {{"List-Unsubscribe", "<mailto:u@x>"}}),
       {"any"}},
      {"no list header", Msg("x", "x", {{"X-List", "a"}}), {}},
  };
  for (auto& c : cases) {
    auto hits = (*engine)->Match(MessageFields::From(c.msg, limits), "");
    EXPECT_EQ(Ids(hits), c.want) << c.name;
  }
  core::Message dsn = Msg("x", "x");
  dsn.content_type = "multipart/report";
  dsn.report_type = "delivery-status";
  auto hits = (*engine)->Match(MessageFields::From(dsn, limits), "");
  ASSERT_EQ(Ids(hits), std::vector<std::string>{"ct"});
  EXPECT_EQ(hits[0].kind, "bounce");
  EXPECT_EQ(hits[0].matched, "report-type=delivery-status");
}

TEST(RuleEngine, ReasonTextIsPrintableAndShort) {
  auto engine = RuleEngine::Compile({R("b", "body", "spam[^!]*", "spam")}, {});
  ASSERT_TRUE(engine.has_value());
  std::string body = "spam\t" + std::string(300, 'x') + "!";
  auto hits =
      (*engine)->Match(MessageFields::From(Msg("s", body), core::Limits{}), "");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_LE(hits[0].matched.size(), kReasonTextMax);
  EXPECT_EQ(hits[0].matched.find('\t'), std::string::npos);
}

TEST(RuleEngine, OverridesAndDisables) {
  std::vector<config::Rule> defaults = {R("a", "subject", "alpha", "spam"),
                                        R("b", "subject", "beta", "spam")};
  config::Rule a2 = R("a", "subject", "gamma", "list_bulk");
  config::Rule b_off = R("b", "subject", "beta", "spam");
  b_off.enabled = false;
  auto engine = RuleEngine::Compile(defaults, {a2, b_off});
  ASSERT_TRUE(engine.has_value());
  auto f = [&](const char* s) {
    return Ids((*engine)->Match(MessageFields::From(Msg(s, ""), {}), ""));
  };
  EXPECT_EQ(f("alpha beta"), std::vector<std::string>{});
  EXPECT_EQ(f("gamma"), std::vector<std::string>{"a"});
  EXPECT_EQ((*engine)->rules().size(), 1u);
}

TEST(RuleEngine, MailboxRestriction) {
  config::Rule r = R("m", "subject", "x", "spam");
  r.mailbox = "sales";
  auto engine = RuleEngine::Compile({r}, {});
  ASSERT_TRUE(engine.has_value());
  auto fields = MessageFields::From(Msg("x", ""), {});
  EXPECT_EQ((*engine)->Match(fields, "sales").size(), 1u);
  EXPECT_EQ((*engine)->Match(fields, "support").size(), 0u);
}

TEST(RuleEngine, CompileErrorsNameRuleAndLine) {
  struct Case {
    config::Rule rule;
    const char* want;
  } cases[] = {
      {R("bad.re", "subject", "(unclosed", "spam"),
       "rules.toml:7: rule bad.re: bad pattern"},
      {R("bad.unless", "subject", "x", "spam", "[z"),
       "rule bad.unless: bad unless pattern"},
      {R("bad.field", "sender_ip", "x", "spam"), "unknown field \"sender_ip\""},
      {R("bad.kind", "subject", "x", "ham"), "unknown kind \"ham\""},
      {R("no.kind", "subject", "x", ""),
       "rule no.kind: one of kind, class or flag must be set"},
      {R("empty", "subject", "", "spam"), "empty pattern"},
  };
  for (const auto& c : cases) {
    auto e = RuleEngine::Compile({c.rule}, {});
    ASSERT_FALSE(e.has_value()) << c.rule.id;
    EXPECT_EQ(e.error().code, core::Code::kInvalidArgument);
    EXPECT_NE(e.error().message.find(c.want), std::string::npos)
        << e.error().message;
  }
  config::Rule both = R("both", "subject", "x", "spam");
  both.cls = "complaint";
  config::Rule upper = R("flag.upper", "subject", "x", "");
  upper.flag = "Material_Defect";
  config::Rule dash = R("flag.dash", "subject", "x", "");
  dash.flag = "material-defect";
  config::Rule space = R("flag.space", "subject", "x", "", "");
  space.flag = "material defect";
  struct {
    config::Rule rule;
    const char* want;
  } flag_cases[] = {
      {both, "rules.toml:7: rule both: kind and class must not both be set"},
      {upper, "rule flag.upper: flag \"Material_Defect\" must be"},
      {dash, "rule flag.dash: flag \"material-defect\" must be"},
      {space, "rule flag.space: flag \"material defect\" must be"},
  };
  for (const auto& c : flag_cases) {
    auto e = RuleEngine::Compile({c.rule}, {});
    ASSERT_FALSE(e.has_value()) << c.rule.id;
    EXPECT_EQ(e.error().code, core::Code::kInvalidArgument);
    EXPECT_NE(e.error().message.find(c.want), std::string::npos)
        << e.error().message;
  }
  auto dup = RuleEngine::Compile(
      {R("d", "subject", "x", "spam"), R("d", "subject", "y", "spam")}, {});
  ASSERT_FALSE(dup.has_value());
  EXPECT_NE(dup.error().message.find("duplicate rule id"), std::string::npos);
}

// A rule may set a flag alone, or with a kind or a class; the Reason
// carries it.
TEST(RuleEngine, FlagRules) {
  config::Rule flag_only = R("defect", "body", "sachmangel", "");
  flag_only.flag = "material_defect";
  config::Rule with_class = R("c", "subject", "reklamation", "");
  with_class.cls = "complaint";
  with_class.flag = "r6_2";
  config::Rule with_kind = R("k", "header:Auto-Submitted", ".", "auto_reply");
  with_kind.flag = "auto";
  auto engine = RuleEngine::Compile({flag_only, with_class, with_kind}, {});
  ASSERT_TRUE(engine.has_value()) << engine.error().ToString();
  auto hits = (*engine)->Match(
      MessageFields::From(Msg("Reklamation", "Das ist ein Sachmangel.",
                              {{"Auto-Submitted", "auto-replied"}}),
                          core::Limits{}),
      "");
  ASSERT_EQ(Ids(hits), (std::vector<std::string>{"defect", "c", "k"}));
  EXPECT_EQ(hits[0].flag, "material_defect");
  EXPECT_EQ(hits[0].kind, "");
  EXPECT_EQ(hits[0].cls, "");
  EXPECT_EQ(hits[1].flag, "r6_2");
  EXPECT_EQ(hits[1].cls, "complaint");
  EXPECT_EQ(hits[2].flag, "auto");
  EXPECT_EQ(hits[2].kind, "auto_reply");
  // No flag: the Reason says so.
  auto plain = RuleEngine::Compile({R("s", "subject", "x", "spam")}, {});
  ASSERT_TRUE(plain.has_value());
  auto h = (*plain)->Match(MessageFields::From(Msg("x", ""), {}), "");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].flag, "");
}

TEST(RuleEngine, ManyPatternsCompileWithinBudget) {
  std::vector<config::Rule> rules;
  for (int i = 0; i < 400; ++i) {
    rules.push_back(R("r" + std::to_string(i), "body",
                      "(foo|bar|baz)" + std::to_string(i) + "(qux|quux)+",
                      "spam"));
  }
  auto engine = RuleEngine::Compile(rules, {});
  ASSERT_TRUE(engine.has_value()) << engine.error().ToString();
  auto hits = (*engine)->Match(
      MessageFields::From(Msg("s", "xx bar123quxquux"), {}), "");
  EXPECT_EQ(Ids(hits), std::vector<std::string>{"r123"});
}

}  // namespace
}  // namespace inboxd::classify
