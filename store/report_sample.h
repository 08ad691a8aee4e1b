// report_sample.h: known data for the SLA report's tests (tests only, not
// part of any library): report_test.cc checks the numbers, the headless
// browser test (tests/e2e/report_browser_test.cc) renders them.
//
// The period is the week from Monday 2026-11-02 00:00 UTC (kT0); "now" is
// kT0 + 8 days. Everything is written through the public Store API.
//
//   ticket  mailbox class    owner   opened      ack after  milestones
//   S-1000  support support  nina    d1 09:00    60 s       D1 met, D3 missed
//   (not answered); hostile, RTL subject S-1001  support support  nina    d1
//   10:00    120 s      D1 met, D3 missed, answered late S-1002  support
//   support  nina    d2 09:00    600 s      D1 met, D3 open, warn passed (at
//   risk) S-1003  support support  (none)  d3 09:00    3600 s     D3 open, warn
//   in the future Q-1000  sales   quote    reza    d4 11:00    none       D2
//   open, not at risk S-1004  support support  nina    d-2         30 s (before
//   the period: not counted) S-1005  support support  nina    d9          30 s
//   (after the period: not counted)
//
// Key accounts: Globex (last contact d-60 via an old ticket), Initech
// (never), Umbrella (customer of S-1003: in contact), Small (not a key
// account, old). Flagged replies: one in the period (S-1002, "不知道"), one
// before it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/text.h"
#include "store/report.h"
#include "store/store.h"

namespace inboxd::store::report_sample {

inline core::TimePoint At(int64_t unix_seconds) {
  return core::TimePoint(std::chrono::seconds(unix_seconds));
}
// Monday 2026-11-02 00:00:00 UTC.
inline const core::TimePoint kT0 = At(1793577600);
inline constexpr int64_t kDay = 86400;
inline constexpr int64_t kHour = 3600;

inline const char kHostileSubject[] =
    "<script>alert(1)</script> درخواست قیمت \"quoted\" & more";

inline std::vector<config::Account> SampleAccounts() {
  std::vector<config::Account> a(5);
  a[0].name = "Globex";
  a[0].addresses = {"boss@globex.example"};
  a[0].key_account = true;
  a[1].name = "Initech <b>";
  a[1].domains = {"initech.example"};
  a[1].key_account = true;
  a[2].name = "Umbrella";
  a[2].domains = {"umbrella.example"};
  a[2].key_account = true;
  a[3].name = "Small";
  a[3].domains = {"small.example"};
  a[4].name = "شرکت پارس";  // key account, never in contact (RTL name)
  a[4].domains = {"pars.example"};
  a[4].key_account = true;
  return a;
}

// A simple address/domain match for the tests (the app uses
// responder::FindAccount).
inline const config::Account* FindSampleAccount(
    const std::vector<config::Account>& accounts, std::string_view customer) {
  const std::string addr = core::AsciiLower(customer);
  for (const config::Account& a : accounts) {
    for (const std::string& x : a.addresses) {
      if (x == addr) return &a;
    }
  }
  const size_t at = addr.rfind('@');
  if (at == std::string::npos) return nullptr;
  const std::string domain = addr.substr(at + 1);
  for (const config::Account& a : accounts) {
    for (const std::string& d : a.domains) {
      if (d == domain) return &a;
    }
  }
  return nullptr;
}

struct SampleTicket {
  const char* prefix;
  const char* mailbox;
  const char* cls;
  const char* owner;
  const char* customer;
  const char* subject;
  int64_t opened;     // seconds after kT0
  int64_t ack_after;  // -1: no ack sent
};

class Sample {
 public:
  Sample() : clock_(kT0) {
    auto s = Store::Open(":memory:", &clock_);
    EXPECT_TRUE(s.has_value()) << s.error().ToString();
    store_ = std::move(*s);
    accounts_ = SampleAccounts();
  }

  Store& store() { return *store_; }
  core::FakeClock& clock() { return clock_; }

  ReportOptions Options() const {
    ReportOptions o;
    o.from = kT0;
    o.to = kT0 + std::chrono::seconds(7 * kDay);
    o.now = kT0 + std::chrono::seconds(8 * kDay);
    o.time_zone = "UTC";
    o.accounts = accounts_;
    o.care_after = std::chrono::seconds(30 * kDay);
    const std::vector<config::Account>* accounts = &accounts_;
    o.find_account = [accounts](std::string_view c) {
      return FindSampleAccount(*accounts, c);
    };
    o.title = "Shop SLA report";
    return o;
  }

  // Creates a ticket (and its sent ack); returns its id.
  int64_t Ticket(const SampleTicket& t) {
    const core::TimePoint opened = kT0 + std::chrono::seconds(t.opened);
    clock_.Set(opened);
    TicketIn in{.mailbox = t.mailbox,
                .prefix = t.prefix,
                .customer = t.customer,
                .subject = t.subject,
                .normalized_subject = t.subject,
                .cls = t.cls,
                .language = "en",
                .opened_at = opened,
                .owner = t.owner};
    auto ref = store_->CreateTicket(in);
    EXPECT_TRUE(ref.has_value()) << ref.error().ToString();
    if (!ref) return 0;
    if (t.ack_after >= 0) {
      OutgoingIn out{.ticket_id = ref->id,
                     .kind = "ack",
                     .mailbox = t.mailbox,
                     .message_id = "ack-" + ref->Tag() + "@inboxd.test",
                     .from = "support@shop.example",
                     .recipients = {t.customer},
                     .envelope_from = "bounces@shop.example",
                     .raw = "From: support@shop.example\r\n\r\nthanks\r\n",
                     .reason = "new ticket"};
      auto id = store_->EnqueueOutgoing(out);
      EXPECT_TRUE(id.has_value()) << id.error().ToString();
      auto claimed = store_->ClaimNextDue(clock_.Now());
      EXPECT_TRUE(claimed.has_value() && claimed->has_value());
      EXPECT_TRUE(
          store_->MarkSent(*id, opened + std::chrono::seconds(t.ack_after)));
    }
    return ref->id;
  }

  // Adds milestone `id` due `due_after` seconds after the ticket opened,
  // warned at `warn_after` (-1: none).
  void Milestone(int64_t ticket, const char* id, const char* name,
                 int64_t due_after, int64_t warn_after = -1) {
    auto t = store_->GetTicket(ticket);
    ASSERT_TRUE(t.has_value());
    MilestoneIn in{.milestone_id = id,
                   .name = name,
                   .clock = "calendar",
                   .within = std::chrono::seconds(due_after)};
    in.timing.started_at = t->opened_at;
    in.timing.due_at = t->opened_at + std::chrono::seconds(due_after);
    if (warn_after >= 0) {
      in.timing.warn_at = t->opened_at + std::chrono::seconds(warn_after);
    }
    auto r = store_->AddMilestone(ticket, in);
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
  }

  void Meet(int64_t ticket, const char* id, core::TimePoint at,
            const std::string& by, const std::string& actor) {
    MilestoneEvidence e{
        .by = by,
        .message_id = "reply-" + std::to_string(ticket) + "@shop.example",
        .mailbox = "support",
        .folder = by == "our_mail" ? "" : "Sent",
        .at = at,
        .actor = actor};
    auto r = store_->MeetMilestone(ticket, id, e);
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
  }

  void Miss(int64_t ticket, const char* id, core::TimePoint at) {
    MilestoneMark mark{.action = MilestoneMark::Action::kMissed, .at = at};
    auto r = store_->MarkMilestone(ticket, id, mark);
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
  }

  void Flag(core::TimePoint at, int64_t ticket, const std::string& tag,
            const std::string& agent, const std::string& phrase) {
    clock_.Set(at);
    nlohmann::json data = {{"agent", agent},
                           {"ticket", tag},
                           {"phrases", {phrase}},
                           {"policy", "C5"}};
    auto r = store_->AppendEvent({.type = "agent.reply.flagged",
                                  .mailbox = "support",
                                  .ticket_id = ticket,
                                  .actor = agent,
                                  .data = data.dump()});
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
  }

  // The data described at the top of this file.
  void Populate() {
    auto s = [](int64_t v) { return std::chrono::seconds(v); };
    const int64_t t0 = Ticket({"S", "support", "support", "nina@shop.example",
                               "anna@umbrella.example", kHostileSubject,
                               kDay + 9 * kHour, 60});
    Milestone(t0, "D1", "ack", 2 * kHour);
    Meet(t0, "D1", kT0 + s(kDay + 9 * kHour + 60), "our_mail", "inboxd");
    Milestone(t0, "D3", "answer", kDay);
    Miss(t0, "D3", kT0 + s(2 * kDay + 9 * kHour));

    const int64_t t1 = Ticket(
        {"S", "support", "support", "nina@shop.example", "bob@customer.example",
         "=HYPERLINK(\"evil.example\",\"Invoice\")", kDay + 10 * kHour, 120});
    Milestone(t1, "D1", "ack", 2 * kHour);
    Meet(t1, "D1", kT0 + s(kDay + 10 * kHour + 120), "our_mail", "inboxd");
    Milestone(t1, "D3", "answer", kDay);
    Miss(t1, "D3", kT0 + s(2 * kDay + 10 * kHour));
    Meet(t1, "D3", kT0 + s(2 * kDay + 15 * kHour), "sent_folder",
         "nina@shop.example");

    const int64_t t2 = Ticket({"S", "support", "support", "nina@shop.example",
                               "carl@customer.example", "VPN down",
                               2 * kDay + 9 * kHour, 600});
    Milestone(t2, "D1", "ack", 2 * kHour);
    Meet(t2, "D1", kT0 + s(2 * kDay + 9 * kHour + 600), "our_mail", "inboxd");
    // Due d10 09:00, warned d7 09:00: before now (d8), so at risk.
    Milestone(t2, "D3", "answer", 8 * kDay, 5 * kDay);

    const int64_t t3 =
        Ticket({"S", "support", "support", "", "dora@umbrella.example",
                "Licence question", 3 * kDay + 9 * kHour, 3600});
    Milestone(t3, "D3", "answer", 10 * kDay, 9 * kDay);

    const int64_t q0 =
        Ticket({"Q", "sales", "quote", "reza@shop.example",
                "ali@pars-customer.example", "درخواست قیمت برای ۲۰ دستگاه",
                4 * kDay + 11 * kHour, -1});
    Milestone(q0, "D2", "quote", 6 * kDay, 5 * kDay);

    // Outside the period.
    Ticket({"S", "support", "support", "nina@shop.example",
            "eve@customer.example", "Old", -2 * kDay, 30});
    Ticket({"S", "support", "support", "nina@shop.example",
            "fred@customer.example", "Later", 9 * kDay, 30});
    // Globex's last contact, long ago; Small's (not a key account).
    Ticket({"S", "support", "support", "nina@shop.example",
            "boss@globex.example", "Old contract", -60 * kDay, 30});
    Ticket({"S", "support", "support", "nina@shop.example", "x@small.example",
            "Small", -90 * kDay, 30});

    Flag(kT0 + s(2 * kDay + 14 * kHour), t2, "S-1002", "nina@shop.example",
         "不知道");
    Flag(kT0 - s(kDay), t0, "S-1000", "nina@shop.example", "随便");
    clock_.Set(kT0 + s(8 * kDay));
  }

 private:
  core::FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::vector<config::Account> accounts_;
};

}  // namespace inboxd::store::report_sample
