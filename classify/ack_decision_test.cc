#include "classify/ack_decision.h"

#include <gtest/gtest.h>

namespace inboxd::classify {
namespace {

// One row per line of the table in ack_decision.h, each beside the facts
// that make the row above it not apply.
TEST(AckDecision, Table) {
  struct Case {
    const char* label;
    AckFacts facts;
    AckOutcome want;
    const char* want_row;
  };
  auto facts = [](auto set) {
    AckFacts f;
    set(f);
    return f;
  };
  const Case cases[] = {
      {"plain customer", AckFacts{}, AckOutcome::kAck, "decide.ack"},
      {"self", facts([](AckFacts& f) { f.self = true; }),
       AckOutcome::kAutomatic, "decide.self"},
      {"automatic beats followup", facts([](AckFacts& f) {
         f.automatic = true;
         f.kind = "bounce";
         f.followup = true;
       }),
       AckOutcome::kAutomatic, "decide.automatic"},
      {"sent folder", facts([](AckFacts& f) { f.in_sent = true; }),
       AckOutcome::kRefused, "decide.agent"},
      {"agent", facts([](AckFacts& f) { f.from_agent = true; }),
       AckOutcome::kRefused, "decide.agent"},
      {"duplicate", facts([](AckFacts& f) { f.duplicate = true; }),
       AckOutcome::kFollowup, "decide.duplicate"},
      {"followup beats personal", facts([](AckFacts& f) {
         f.followup = true;
         f.personal = true;
       }),
       AckOutcome::kFollowup, "decide.followup"},
      {"personal", facts([](AckFacts& f) { f.personal = true; }),
       AckOutcome::kPersonal, "decide.personal"},
      {"personal beats quarantine", facts([](AckFacts& f) {
         f.personal = true;
         f.quarantined = true;
       }),
       AckOutcome::kPersonal, "decide.personal"},
      {"quarantined", facts([](AckFacts& f) { f.quarantined = true; }),
       AckOutcome::kRefused, "decide.quarantined"},
      {"no from", facts([](AckFacts& f) { f.has_from = false; }),
       AckOutcome::kRefused, "decide.no_from"},
      {"noreply", facts([](AckFacts& f) { f.noreply = true; }),
       AckOutcome::kRefused, "decide.noreply"},
      {"ack window", facts([](AckFacts& f) { f.ack_window_refusal = "old"; }),
       AckOutcome::kRefused, "decide.ack_window"},
      {"loop guard",
       facts([](AckFacts& f) { f.loop_guard_refusal = "5 per hour"; }),
       AckOutcome::kRefused, "decide.loop_guard"},
      {"recipient", facts([](AckFacts& f) { f.recipient_refusal = "none"; }),
       AckOutcome::kRefused, "decide.recipient"},
  };
  for (const Case& c : cases) {
    AckDecision got = DecideAck(c.facts);
    EXPECT_EQ(got.outcome, c.want) << c.label << ": " << got.reason;
    EXPECT_EQ(got.row, c.want_row) << c.label;
    EXPECT_EQ(got.ack, c.want == AckOutcome::kAck) << c.label;
    ASSERT_FALSE(got.rules.empty()) << c.label;
    EXPECT_EQ(got.rules.front(), c.want_row) << c.label;
  }
}

TEST(AckDecision, AutomaticNamesTheRulesBehindIt) {
  AckFacts f;
  f.automatic = true;
  f.kind = "auto_reply";
  f.automatic_rules = {"rfc3834.auto_submitted", "ooo.vendor_subject"};
  AckDecision d = DecideAck(f);
  ASSERT_EQ(d.rules.size(), 3u);
  EXPECT_EQ(d.rules[1], "rfc3834.auto_submitted");
  EXPECT_NE(d.reason.find("kind is auto_reply"), std::string::npos) << d.reason;
  EXPECT_TRUE(d.reason.starts_with("no ack (automatic, decide.automatic)"))
      << d.reason;
}

TEST(AckDecision, OutcomeNames) {
  EXPECT_EQ(AckOutcomeName(AckOutcome::kAck), "ack");
  EXPECT_EQ(AckOutcomeName(AckOutcome::kFollowup), "followup");
  EXPECT_EQ(AckOutcomeName(AckOutcome::kPersonal), "personal");
  EXPECT_EQ(AckOutcomeName(AckOutcome::kAutomatic), "automatic");
  EXPECT_EQ(AckOutcomeName(AckOutcome::kRefused), "refused");
}

}  // namespace
}  // namespace inboxd::classify
