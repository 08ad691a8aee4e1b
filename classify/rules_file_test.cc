#include "classify/rules_file.h"

#include <gtest/gtest.h>

#include <set>

#include "classify/rule_engine.h"

namespace inboxd::classify {
namespace {

TEST(RulesFile, ShippedRulesParseAndCompile) {
  auto rules = DefaultRules();
  ASSERT_TRUE(rules.has_value()) << rules.error().ToString();
  EXPECT_GT(rules->size(), 50u);
  std::set<std::string> ids;
  for (const auto& r : *rules) {
    EXPECT_TRUE(ids.insert(r.id).second) << "duplicate id " << r.id;
    EXPECT_FALSE(r.description.empty()) << r.id;
    EXPECT_GT(r.pos.line, 0) << r.id;
  }
  auto engine = RuleEngine::Compile(*rules, {});
  ASSERT_TRUE(engine.has_value()) << engine.error().ToString();
}

TEST(RulesFile, ParsesEveryKey) {
  auto rules = ParseRulesToml(R"([[rule]]
id = "x.one"
field = "subject"
pattern = 'a\d'
unless = 'b'
kind = "spam"
mailbox = "sales"
description = "d"
enabled = false
weak = true

[[rule]]
id = "x.two"
field = "body"
pattern = "c"
class = "quote"
)",
                              "r.toml");
  ASSERT_TRUE(rules.has_value()) << rules.error().ToString();
  ASSERT_EQ(rules->size(), 2u);
  const auto& a = (*rules)[0];
  EXPECT_EQ(a.id, "x.one");
  EXPECT_EQ(a.pattern, "a\\d");
  EXPECT_EQ(a.unless, "b");
  EXPECT_EQ(a.kind, "spam");
  EXPECT_EQ(a.mailbox, "sales");
  EXPECT_FALSE(a.enabled);
  EXPECT_TRUE(a.weak);
  EXPECT_EQ(a.pos.file, "r.toml");
  EXPECT_EQ(a.pos.line, 1);
  EXPECT_EQ((*rules)[1].cls, "quote");
  EXPECT_EQ((*rules)[1].pos.line, 12);
}

TEST(RulesFile, Errors) {
  struct Case {
    const char* toml;
    const char* want;  // substring of the error
  } cases[] = {
      {"[[rule]]\nid = \"a\"\nfeld = \"subject\"\n",
       "r.toml:3:8: rule.feld: unknown key"},
      {"[[rule]]\nid = 5\n", "rule.id: must be a string"},
      {"[[rule]]\nid = \"a\"\nweak = \"yes\"\n",
       "rule.weak: must be true or false"},
      {"[[rule]]\nfield = \"subject\"\n", "rule.id: missing"},
      {"rule = 3\n", "must be an array"},
      {"[other]\n", "other: unknown key"},
      {"[[rule]\n", "r.toml:1:"},
  };
  for (const auto& c : cases) {
    auto r = ParseRulesToml(c.toml, "r.toml");
    ASSERT_FALSE(r.has_value()) << c.toml;
    EXPECT_EQ(r.error().code, core::Code::kInvalidArgument) << c.toml;
    EXPECT_NE(r.error().message.find(c.want), std::string::npos)
        << c.toml << " -> " << r.error().message;
  }
  // The passing twin: an empty file is zero rules, not an error.
  auto empty = ParseRulesToml("", "r.toml");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace inboxd::classify
