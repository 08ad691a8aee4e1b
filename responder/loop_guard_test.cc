#include "responder/loop_guard.h"

#include <gtest/gtest.h>

#include <map>

#include "core/text.h"

namespace inboxd::responder {
namespace {

using std::chrono::minutes;

const core::TimePoint kNow{std::chrono::seconds(1795000000)};

// The in-memory history, with a switch that makes every count fail.
class FakeHistory : public MemoryReplyHistory {
 public:
  bool fail = false;

  core::Result<int> CountRepliesForTicket(std::string_view ticket,
                                          std::string_view kind) override {
    if (fail) return core::Fail(core::Error::Unavailable("db busy"));
    return MemoryReplyHistory::CountRepliesForTicket(ticket, kind);
  }
  core::Result<int> CountSentTo(std::string_view to,
                                core::TimePoint since) override {
    if (fail) return core::Fail(core::Error::Unavailable("db busy"));
    return MemoryReplyHistory::CountSentTo(to, since);
  }
};

LoopGuard Guard() {
  config::Config defaults;  // POLICY defaults of config.h
  config::Mailbox support;
  support.address = "support@shop.example";
  support.aliases = {"help@shop.example"};
  config::Mailbox sales;
  sales.address = "sales@shop.example";
  auto g = LoopGuard::Create(defaults.responder, {support, sales});
  EXPECT_TRUE(g.has_value()) << g.error().ToString();
  return std::move(*g);
}

TEST(LoopGuardTest, Table) {
  LoopGuard guard = Guard();
  FakeHistory sent_before;
  sent_before.replies = {
      {"S-1", "ack", "zoe@customer.example", kNow - minutes(10)},
      // Five to max@ within the hour (one ack each on other tickets).
      {"S-2", "ack", "max@customer.example", kNow - minutes(59)},
      {"S-3", "ack", "max@customer.example", kNow - minutes(40)},
      {"S-4", "ack", "max@customer.example", kNow - minutes(30)},
      {"S-5", "ack", "max@customer.example", kNow - minutes(20)},
      {"S-6", "ack", "MAX@customer.example", kNow - minutes(1)},
      // Four within the hour and one older than an hour to eva@.
      {"S-7", "ack", "eva@customer.example", kNow - minutes(61)},
      {"S-8", "ack", "eva@customer.example", kNow - minutes(50)},
      {"S-9", "ack", "eva@customer.example", kNow - minutes(40)},
      {"S-10", "ack", "eva@customer.example", kNow - minutes(30)},
      {"S-11", "ack", "eva@customer.example", kNow - minutes(20)},
  };
  struct {
    const char* label;
    LoopCheck check;
    bool want_allowed;
    const char* want_reason;
  } cases[] = {
      {"human, first ack",
       {"human", "new@customer.example", "S-100", "ack"},
       true,
       ""},
      {"auto reply",
       {"auto_reply", "new@customer.example", "S-100", "ack"},
       false,
       "is not human"},
      {"bounce",
       {"bounce", "new@customer.example", "S-100", "ack"},
       false,
       "RFC 3834"},
      {"list",
       {"list_bulk", "new@customer.example", "S-100", "ack"},
       false,
       "not human"},
      {"own mailbox",
       {"human", "Support@Shop.Example", "S-100", "ack"},
       false,
       "our own addresses"},
      {"own alias",
       {"human", "help@shop.example", "S-100", "ack"},
       false,
       "our own addresses"},
      {"no-reply",
       {"human", "no-reply@vendor.example", "S-100", "ack"},
       false,
       "noreply_regex"},
      {"mailer-daemon",
       {"human", "MAILER-DAEMON@mx.example", "S-100", "ack"},
       false,
       "noreply_regex"},
      {"bounces+tag",
       {"human", "bounces+abc@list.example", "S-100", "ack"},
       false,
       "noreply_regex"},
      {"noreplyish but allowed",
       {"human", "noreplyhelp@x.example", "S-100", "ack"},
       true,
       ""},
      {"second ack on a ticket",
       {"human", "zoe@customer.example", "S-1", "ack"},
       false,
       "already got 1 ack (limit 1 per ticket)"},
      {"csat on the acked ticket",
       {"human", "zoe@customer.example", "S-1", "csat"},
       true,
       ""},
      {"sixth in an hour",
       {"human", "max@customer.example", "S-99", "ack"},
       false,
       "5 automatic replies in the last hour (limit 5)"},
      {"fifth in an hour (one is older)",
       {"human", "eva@customer.example", "S-99", "ack"},
       true,
       ""},
      {"empty recipient", {"human", "", "S-99", "ack"}, false, "no recipient"},
  };
  for (const auto& c : cases) {
    auto v = guard.Check(c.check, sent_before, kNow);
    ASSERT_TRUE(v.has_value()) << c.label;
    EXPECT_EQ(v->allowed, c.want_allowed) << c.label << ": " << v->reason;
    if (c.want_allowed) {
      EXPECT_EQ(v->reason, "") << c.label;
    } else {
      EXPECT_NE(v->reason.find(c.want_reason), std::string::npos)
          << c.label << ": " << v->reason;
    }
  }
}

TEST(LoopGuardTest, ConfigurableLimitsAndFailClosed) {
  config::Responder r;
  r.per_ticket_max = 2;
  r.per_sender_per_hour = 1;
  r.noreply_regex = "";
  auto guard = LoopGuard::Create(r, {});
  ASSERT_TRUE(guard.has_value());
  FakeHistory h;
  h.replies = {{"S-1", "ack", "zoe@customer.example", kNow - minutes(90)}};
  auto second =
      guard->Check({"human", "zoe@customer.example", "S-1", "ack"}, h, kNow);
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(second->allowed) << second->reason;
  auto no_regex =
      guard->Check({"human", "no-reply@x.example", "S-2", "ack"}, h, kNow);
  EXPECT_TRUE(no_regex->allowed);
  h.replies.push_back(
      {"S-1", "ack", "zoe@customer.example", kNow - minutes(5)});
  auto third =
      guard->Check({"human", "zoe@customer.example", "S-1", "ack"}, h, kNow);
  EXPECT_FALSE(third->allowed);
  h.fail = true;
  auto failed =
      guard->Check({"human", "new@customer.example", "S-3", "ack"}, h, kNow);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, core::Code::kUnavailable);

  r.noreply_regex = "(unclosed";
  EXPECT_FALSE(LoopGuard::Create(r, {}).has_value());
  r.noreply_regex = "";
  r.per_sender_per_hour = -1;
  EXPECT_FALSE(LoopGuard::Create(r, {}).has_value());
}

}  // namespace
}  // namespace inboxd::responder
