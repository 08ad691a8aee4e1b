#include "classify/explain.h"

#include <gtest/gtest.h>

#include "classify/test_message.h"

namespace inboxd::classify {
namespace {

using testing::Msg;

TEST(Explain, ShowsRulesAndDecisions) {
  auto c = Classifier::Create(config::Config{});
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  InMemoryThreadLookup threads;
  Context ctx;
  ctx.threads = &threads;
  core::Message m = Msg("Automatic reply: Angebot", "I am out of the office.",
                        {{"Auto-Submitted", "auto-replied"}});
  auto d = (*c)->Classify(m, ctx);
  ASSERT_TRUE(d.has_value());
  std::string text = Explain(m, *d);
  EXPECT_NE(text.find("kind:       auto_reply"), std::string::npos) << text;
  EXPECT_NE(text.find("rfc3834.auto_submitted [auto_reply] "
                      "header:Auto-Submitted: auto-replied"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ack:        no"), std::string::npos) << text;
  EXPECT_NE(
      text.find("no ack (automatic, decide.automatic): kind is auto_reply"),
      std::string::npos)
      << text;

  nlohmann::json j = DecisionJson(*d);
  EXPECT_EQ(j["kind"], "auto_reply");
  EXPECT_TRUE(j["class"].is_null());
  EXPECT_EQ(j["thread"], "new");
  EXPECT_EQ(j["ack"], false);
  ASSERT_TRUE(j["reasons"].is_array());
  bool found = false;
  for (const auto& r : j["reasons"]) {
    if (r.get<std::string>() ==
        "rule rfc3834.auto_submitted: Auto-Submitted: auto-replied") {
      found = true;
    }
  }
  EXPECT_TRUE(found) << j.dump(1);
}

TEST(Explain, HumanJsonHasClass) {
  auto c = Classifier::Create(config::Config{});
  ASSERT_TRUE(c.has_value());
  InMemoryThreadLookup threads;
  Context ctx;
  ctx.threads = &threads;
  core::Message m = Msg("Preisanfrage", "Bitte um ein Angebot für 20 Drucker.");
  auto d = (*c)->Classify(m, ctx);
  ASSERT_TRUE(d.has_value());
  nlohmann::json j = DecisionJson(*d);
  EXPECT_EQ(j["kind"], "human");
  EXPECT_EQ(j["class"], "quote");
  EXPECT_EQ(j["ack"], true);
  // Control characters never reach the output.
  core::Message evil =
      Msg("x\x1b[31m", "y", {{"Auto-Submitted", "yes\x1b]0;"}});
  auto e = (*c)->Classify(evil, ctx);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(Explain(evil, *e).find('\x1b'), std::string::npos);
  EXPECT_EQ(DecisionJson(*e).dump().find('\x1b'), std::string::npos);
}

}  // namespace
}  // namespace inboxd::classify
