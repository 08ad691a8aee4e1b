#include "classify/thread.h"

#include <gtest/gtest.h>

#include "classify/test_message.h"

namespace inboxd::classify {
namespace {

using testing::Msg;

TEST(Thread, FindTicketTag) {
  struct Case {
    const char* subject;
    const char* format;
    const char* prefix;  // nullptr: no tag
    int64_t number;
  } cases[] = {
      {"Re: [#S-1042] Drucker", "[#{prefix}-{number}]", "S", 1042},
      {"AW: AW: [#Q-7] Angebot", "[#{prefix}-{number}]", "Q", 7},
      {"Re: [#S-] nothing", "[#{prefix}-{number}]", nullptr, 0},
      {"Re: [S-1042] other format", "[#{prefix}-{number}]", nullptr, 0},
      {"Ticket 55 (SUP)", "Ticket {number} ({prefix})", "SUP", 55},
      {"x #99 y", "#{number}", "", 99},
      {"no tag", "[#{prefix}-{number}]", nullptr, 0},
      {"[#S-1] bad format", "[#{prefix}]", nullptr, 0},
  };
  for (const auto& c : cases) {
    auto tag = FindTicketTag(c.subject, c.format);
    if (c.prefix == nullptr) {
      EXPECT_FALSE(tag.has_value()) << c.subject;
      continue;
    }
    ASSERT_TRUE(tag.has_value()) << c.subject;
    EXPECT_EQ(tag->prefix, c.prefix) << c.subject;
    EXPECT_EQ(tag->number, c.number) << c.subject;
  }
}

TEST(Thread, NormalizeSubject) {
  struct Case {
    const char* in;
    const char* want;
    bool prefix;
  } cases[] = {
      {"Re: RE: Fwd: Hello  World", "hello world", true},
      {"AW: WG: Angebot", "angebot", true},
      {"SV: VS: R: I: Ordine", "ordine", true},
      {"Re[2]: Antw: Ref: x", "x", true},
      {"回复：报价", "报价", true},
      {"答复: 转发：问题", "问题", true},
      {"پاسخ: قیمت", "قیمت", true},
      {"رد: سلام", "سلام", true},
      {"[EXTERNAL] [#S-1] Re: Printer", "printer", true},
      {"Printer broken", "printer broken", false},
      {"Reply needed", "reply needed", false},
      {"Ire: Irish", "ire: irish", false},
  };
  for (const auto& c : cases) {
    bool had = false;
    EXPECT_EQ(NormalizeSubject(c.in, &had), c.want) << c.in;
    EXPECT_EQ(had, c.prefix) << c.in;
  }
}

TEST(Thread, ThreadIndexBase) {
  // 22 bytes header + one 5-byte child block, base64.
  auto a = ThreadIndexBase("AdNST+6DXK4xfZYaRzuyUbaIacENgAHGVF+A");
  auto b = ThreadIndexBase("AdNST+6DXK4xfZYaRzuyUbaIacENgA==");
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(a->size(), 2 * kThreadIndexBaseBytes);
  EXPECT_FALSE(ThreadIndexBase("short").has_value());
  EXPECT_FALSE(
      ThreadIndexBase("not base64 at all!!!!!!!!!!!!!!!!!").has_value());
}

TEST(Thread, OurMessageId) {
  std::vector<std::string> ours = {"ack.shop.example"};
  EXPECT_TRUE(IsOurMessageId("inboxd.abc@ack.shop.example", ours));
  EXPECT_TRUE(
      IsOurMessageId("<inboxd.S-1000.ack.0f3a@ACK.shop.example>", ours));
  // An agent's own client writes ids at our domain too: not ours.
  EXPECT_FALSE(IsOurMessageId("x@ACK.shop.example", ours));
  EXPECT_FALSE(IsOurMessageId("5f1c.inboxd.1@ack.shop.example", ours));
  EXPECT_FALSE(IsOurMessageId("x@shop.example", ours));
  EXPECT_FALSE(IsOurMessageId("x@evil-ack.shop.example", ours));
  EXPECT_FALSE(IsOurMessageId("no-at-sign", ours));
}

class ResolveThreadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.classify.ticket_prefix = {{"support", "S"}};
    config_.classify.own_domains = {"ack.shop.example"};
    ticket_ = TicketRef{"S", 1042, "support"};
    lookup_.AddTicket(ticket_);
    lookup_.AddMessageId("orig@mail.example.org", ticket_);
    lookup_.AddSubject("kunde@example.org", "drucker defekt",
                       core::TimePoint{std::chrono::days(19000)}, ticket_);
    lookup_.AddThreadIndex(*ThreadIndexBase("AdNST+6DXK4xfZYaRzuyUbaIacENgA=="),
                           ticket_);
  }
  ThreadResult Resolve(const core::Message& m) {
    auto r = ResolveThread(m, config_, lookup_,
                           core::TimePoint{std::chrono::days(19005)});
    EXPECT_TRUE(r.has_value());
    return r.value_or(ThreadResult{});
  }
  config::Config config_;
  TicketRef ticket_;
  InMemoryThreadLookup lookup_;
};

TEST_F(ResolveThreadTest, Cases) {
  struct Case {
    const char* name;
    core::Message msg;
    bool followup;
    bool ticket_known;
  };
  auto with_irt = [](std::string id) {
    core::Message m = Msg("Re: something", "x");
    m.in_reply_to = std::move(id);
    return m;
  };
  auto with_refs = [](std::vector<std::string> refs) {
    core::Message m = Msg("question", "x");
    m.references = std::move(refs);
    return m;
  };
  auto with_ti = [](std::string ti, std::string subject) {
    return Msg(std::move(subject), "x", {{"Thread-Index", std::move(ti)}});
  };
  core::Message dated = Msg("AW: Drucker defekt", "x");
  dated.date = core::TimePoint{std::chrono::days(19010)};
  core::Message too_late = Msg("AW: Drucker defekt", "x");
  too_late.date = core::TimePoint{std::chrono::days(19030)};
  core::Message other_customer =
      Msg("AW: Drucker defekt", "x", {}, "other@example.org");
  Case cases[] = {
      {"known tag", Msg("Re: [#S-1042] Drucker", "x"), true, true},
      {"our unknown tag", Msg("Re: [#S-9999] Drucker", "x"), true, true},
      {"foreign tag", Msg("Re: [#X-5] Drucker", "x"), false, false},
      {"in-reply-to stored", with_irt("orig@mail.example.org"), true, true},
      {"in-reply-to ours, not stored", with_irt("inboxd.1@ack.shop.example"),
       true, false},
      {"in-reply-to foreign", with_irt("zzz@elsewhere.example"), false, false},
      {"references stored", with_refs({"a@b", "orig@mail.example.org"}), true,
       true},
      {"thread-index known",
       with_ti("AdNST+6DXK4xfZYaRzuyUbaIacENgAHGVF+A", "x"), true, true},
      {"thread-index unknown", with_ti("AQHalWpdT02RNiNo9EacvmR/jo7DDw==", "x"),
       false, false},
      {"subject same customer in window", dated, true, true},
      {"subject outside window", too_late, false, false},
      {"subject other customer", other_customer, false, false},
      {"subject without reply prefix", Msg("Drucker defekt", "x"), false,
       false},
  };
  for (auto& c : cases) {
    ThreadResult r = Resolve(c.msg);
    EXPECT_EQ(r.followup, c.followup) << c.name;
    EXPECT_EQ(r.ticket.has_value(), c.ticket_known) << c.name;
    EXPECT_FALSE(r.notes.empty() && c.followup) << c.name;
  }
}

// A lookup that fails: the error reaches the caller (no silent "new").
class FailingLookup : public InMemoryThreadLookup {
 public:
  core::Result<std::optional<TicketRef>> ByMessageId(
      std::string_view) const override {
    return core::Fail(core::Error::Unavailable("store busy"));
  }
};

TEST(Thread, LookupErrorPropagates) {
  FailingLookup lookup;
  core::Message m = Msg("Re: x", "x");
  m.in_reply_to = "a@b";
  auto r = ResolveThread(m, config::Config{}, lookup, core::TimePoint{});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, core::Code::kUnavailable);
  // Without references the failing method is not called.
  auto ok =
      ResolveThread(Msg("x", "x"), config::Config{}, lookup, core::TimePoint{});
  EXPECT_TRUE(ok.has_value());
}

}  // namespace
}  // namespace inboxd::classify
