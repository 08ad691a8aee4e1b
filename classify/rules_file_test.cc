#include "classify/rules_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

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

TEST(RulesFile, EmbeddedTextIsTheSourceFile) {
  std::ifstream in(
      std::string(INBOXD_SOURCE_DIR) + "/classify/default_rules.toml",
      std::ios::binary);
  ASSERT_TRUE(in);
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  EXPECT_EQ(DefaultRulesToml(), text);
}

TEST(RulesFile, EveryShippedAutomaticRuleFamilyIsPresent) {
  auto rules = DefaultRules();
  ASSERT_TRUE(rules.has_value());
  std::set<std::string> ids;
  for (const auto& r : *rules) ids.insert(r.id);
  for (const char* id :
       {"rfc3834.auto_submitted", "precedence.list", "precedence.bulk",
        "exchange.xars_all", "exchange.inbox_rules_loop", "list.list_id",
        "list.rfc2369", "dsn.report_delivery_status", "arf.report",
        "bounce.daemon_sender", "bounce.subject", "ooo.subject",
        "ooo.body_first_lines", "spam.x_spam_flag", "loop.inboxd",
        "class.quote.subject", "class.complaint.subject",
        "class.support.subject"}) {
    EXPECT_TRUE(ids.count(id)) << id;
  }
  EXPECT_FALSE(ids.count("no.such.rule"));
}

}  // namespace
}  // namespace inboxd::classify
