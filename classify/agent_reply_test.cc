#include "classify/agent_reply.h"

#include <gtest/gtest.h>

namespace inboxd::classify {
namespace {

TEST(FindForbiddenPhrasesTest, Table) {
  const std::vector<std::string> phrases = {
      "不知道",       "not our problem",   "whatever",
      "i don't know", "نمی‌دانم", "ist mir egal"};
  struct Case {
    std::string name;
    std::string text;
    std::vector<std::string> want;
  } cases[] = {
      {"zh", "您好，这个我不知道。", {"不知道"}},
      {"en, other case",
       "That is NOT OUR PROBLEM, sorry.",
       {"not our problem"}},
      {"en across a line break",
       "this is not our\r\nproblem",
       {"not our problem"}},
      {"curly apostrophe", "I don’t know when.", {"i don't know"}},
      {"word boundary", "somewhatever happens", {}},
      {"whole word", "Whatever you need.", {"whatever"}},
      {"fa with ZWNJ", "من نمی‌دانم", {"نمی‌دانم"}},
      {"fa without ZWNJ", "من نمیدانم", {"نمی‌دانم"}},
      {"fa with Arabic yeh", "من نمي‌دانم", {"نمی‌دانم"}},
      {"de", "Das ist mir egal.", {"ist mir egal"}},
      {"quoted by the agent",
       "Dear Carol, the fix is attached.\n\n> whatever, not our problem",
       {}},
      {"after the signature", "Best regards\n-- \nI don't know the sig", {}},
      {"polite", "Dear Carol, we will fix it by Friday.", {}},
      {"two phrases, once each",
       "whatever. Whatever. not our problem",
       {"not our problem", "whatever"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> got = FindForbiddenPhrases(c.text, phrases);
    std::vector<std::string> want;
    for (const std::string& p : phrases) {  // list order
      if (std::find(c.want.begin(), c.want.end(), p) != c.want.end()) {
        want.push_back(p);
      }
    }
    EXPECT_EQ(got, want);
  }
}

// Issue 15 / POLICY C5: "don't know" and "unclear" (不清楚) in en, de and fa
// are flagged; the polite "if anything is unclear, ask us" of a human reply,
// which uses the same word, is not.
TEST(FindForbiddenPhrasesTest, UnclearAndDontKnowInEveryLanguage) {
  const std::vector<std::string>& builtin = BuiltinForbiddenPhrases();
  struct Case {
    std::string text;
    bool flagged;
  } cases[] = {
      {"Why it fails is unclear to us.", true},
      {"That is not clear to us either.", true},
      {"We do not know when the update ships.", true},
      {"Warum das passiert, ist uns unklar.", true},
      {"Das ist uns nicht klar.", true},
      {"Wir wissen es nicht.", true},
      {"علت این خطا برای ما روشن نیست.", true},
      {"زمان ارسال برای ما مشخص نیست.", true},
      {"این موضوع به ما ربطی ندارد.", true},
      {"نمی‌دونم کی درست می‌شه.", true},
      {"این مشکل فعلاً حل‌شدنی نیست.", true},
      {"ایده‌ای نداریم چرا این‌طور شده.", true},
      // Human replies with the same words, not forbidden:
      {"If anything is unclear, please ask us.", false},
      {"Falls etwas unklar ist, melden Sie sich gern.", false},
      {"Let us know if the steps are not clear.", false},
      {"اگر نکته‌ای روشن نیست، لطفاً بپرسید.",
       false},
      // "no one says it can't be solved", "the fix is in the update".
      {"هیچ مشکلی نیست که حل‌شدنی نباشد.", false},
      {"ربط این خطا به به‌روزرسانی را بررسی "
       "کردیم.",
       false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(!FindForbiddenPhrases(c.text, builtin).empty(), c.flagged);
  }
}

TEST(AgentReplyForbiddenPhrasesTest, BuiltinsPlusConfigOnce) {
  config::Config c;
  c.templates.forbidden_phrases = {"  maybe next year ", "", "随便"};
  std::vector<std::string> got = AgentReplyForbiddenPhrases(c);
  EXPECT_NE(std::find(got.begin(), got.end(), "maybe next year"), got.end());
  EXPECT_NE(std::find(got.begin(), got.end(), "我们不管"), got.end());
  EXPECT_EQ(std::count(got.begin(), got.end(), "随便"), 1);
  EXPECT_EQ(std::count(got.begin(), got.end(), ""), 0);
}

TEST(MetByAgentReplyTest, ByIdOrName) {
  config::Config c;  // default: ack, answer, receipt
  struct Case {
    std::string id, name;
    bool want;
  } cases[] = {
      {"D1", "ack", true},      {"D2", "answer", true},
      {"D5", "receipt", true},  {"D4", "answer", true},
      {"D6", "resolve", false}, {"D7", "followup", false},
  };
  for (const Case& k : cases) {
    store::Milestone d;
    d.milestone_id = k.id;
    d.name = k.name;
    EXPECT_EQ(MetByAgentReply(d, c), k.want) << k.id;
  }
  c.deadlines.met_by_agent_reply = {"D6"};
  store::Milestone d6;
  d6.milestone_id = "D6";
  d6.name = "resolve";
  EXPECT_TRUE(MetByAgentReply(d6, c));
}

}  // namespace
}  // namespace inboxd::classify
