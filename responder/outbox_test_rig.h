// outbox_test_rig.h: the shared rig of planner_test.cc and
// outbox_drain_test.cc (tests only): a ":memory:" store on a FakeClock, a
// two-mailbox config, the shipped templates, ingest's parser, and a fake
// Sent folder with fault switches.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/hash.h"
#include "core/text.h"
#include "ingest/mime_adapter.h"
#include "responder/outbox_drain.h"
#include "responder/planner.h"
#include "store/store.h"

namespace inboxd::responder::testing {

inline core::TimePoint T(int64_t unix_seconds) {
  return core::TimePoint(std::chrono::seconds(unix_seconds));
}
// Tuesday 2026-11-24 09:00:00 UTC (10:00 in Berlin).
inline const core::TimePoint kT0 = T(1795510800);

// Sent folders in memory. Fault switches make the next calls fail.
class FakeSentFolder final : public SentFolder {
 public:
  core::Result<bool> ContainsMessageId(std::string_view mailbox,
                                       std::string_view id) override {
    ++lookups;
    if (fail_lookups) {
      return core::Fail(core::Error::Unavailable("fake sent: search down"));
    }
    const std::string needle =
        "message-id: <" + core::AsciiLower(std::string(id)) + ">";
    for (const std::string& raw : folders[std::string(mailbox)]) {
      if (core::AsciiLower(raw).find(needle) != std::string::npos) return true;
    }
    return false;
  }
  core::Status Append(std::string_view mailbox, std::string_view raw) override {
    if (fail_appends) {
      return core::Fail(core::Error::Unavailable("fake sent: append down"));
    }
    folders[std::string(mailbox)].emplace_back(raw);
    return core::Ok();
  }
  std::map<std::string, std::vector<std::string>> folders;
  bool fail_lookups = false;
  bool fail_appends = false;
  int lookups = 0;
};

inline config::Config RigConfig() {
  config::Config c = config::Defaults();
  config::Mailbox support;
  support.name = "support";
  support.address = "support@shop.example";
  support.display_name = "Shop Support";
  support.time_zone = "Europe/Berlin";
  support.language = "en";
  config::Mailbox sales = support;
  sales.name = "sales";
  sales.address = "sales@shop.example";
  sales.display_name = "";
  c.mailboxes = {support, sales};
  c.classify.ticket_prefix = {{"support", "S"}, {"sales", "Q"}};
  config::Route route;
  route.cls = "support";
  route.primary = "support";
  route.escalate_to = {"manager@shop.example"};
  c.routes = {route};
  c.state.dir = ::testing::TempDir();
  return c;
}

struct Incoming {
  std::string from = "Anna Kunde <anna@customer.example>";
  std::string subject = "Printer broken";
  std::string kind = "human";
  std::string cls = "support";
  std::string language = "en";
  bool ack = true;
  std::string decision;  // "" = "ack" when ack, else "refused"
  std::string mailbox = "support";
  std::string extra_headers;    // "Name: value\r\n" lines
  int64_t existing_ticket = 0;  // >0: a followup on that ticket
  std::string party = "customer";
  std::string body = "Hello, please help.";
  std::vector<std::string> flags;  // the decision's flags
};

struct Recorded {
  int64_t message_row = 0;
  int64_t ticket_id = 0;
};

class Rig {
 public:
  Rig() : clock(kT0), config(RigConfig()) {
    auto s = store::Store::Open(":memory:", &clock);
    INBOXD_CHECK(s.has_value());
    db = std::move(*s);
    auto t = TemplateSet::Load(INBOXD_SOURCE_DIR "/templates", "", {});
    INBOXD_CHECK(t.has_value());
    templates = std::make_unique<TemplateSet>(std::move(*t));
  }

  std::unique_ptr<Planner> NewPlanner() {
    auto p = Planner::Create(&config, db.get(), templates.get(), "test-key",
                             [](std::string_view raw) {
                               return ingest::ParseMessage(raw, core::Limits{});
                             });
    INBOXD_CHECK(p.has_value());
    return std::move(*p);
  }
  std::unique_ptr<OutboxDrain> NewDrain(DrainOptions o = {}) {
    auto d = OutboxDrain::Create(&config, db.get(),
                                 {{"support", &mailer}, {"sales", &mailer}},
                                 &sent, templates.get(), "test-key", o);
    INBOXD_CHECK(d.has_value());
    return std::move(*d);
  }

  // Stores a customer's message and classify's decision for it.
  Recorded Receive(const Incoming& in) {
    const int n = ++received_;
    store::RawMessageIn raw;
    raw.mailbox = in.mailbox;
    raw.folder = "INBOX";
    raw.uid_validity = 7;
    raw.uid = static_cast<uint32_t>(n);
    raw.arrived_at = clock.Now();
    raw.message_id = "m" + std::to_string(n) + "@customer.example";
    raw.raw = "From: " + in.from + "\r\nTo: " + in.mailbox +
              "@shop.example\r\nSubject: " + in.subject + "\r\nMessage-ID: <" +
              raw.message_id +
              ">\r\nDate: Tue, 24 Nov 2026 09:00:00 +0000\r\n" +
              in.extra_headers + "\r\n" + in.body + "\r\n";
    raw.sha256 = core::Sha256Hex(raw.raw);
    raw.size = raw.raw.size();
    auto ref = db->PutRawMessage(raw);
    INBOXD_CHECK(ref.has_value());
    store::DecisionRow d;
    d.kind = in.kind;
    d.cls = in.cls;
    d.thread = in.existing_ticket > 0 ? "followup" : "new";
    d.language = in.language;
    d.ack = in.ack;
    d.party = in.party;
    d.flags = in.flags;
    d.decision = !in.decision.empty() ? in.decision
                 : in.ack             ? "ack"
                                      : "refused";
    Recorded out{ref->id, in.existing_ticket};
    if (in.existing_ticket > 0) {
      d.ticket_id = in.existing_ticket;
      INBOXD_CHECK(db->RecordDecision(ref->id, d).has_value());
    } else {
      store::TicketIn t;
      t.mailbox = in.mailbox;
      t.prefix = in.mailbox == "sales" ? "Q" : "S";
      t.customer = "anna@customer.example";
      t.subject = in.subject;
      t.normalized_subject = in.subject;
      t.cls = in.cls;
      t.language = in.language;
      t.opened_at = clock.Now();
      auto ticket = db->RecordDecisionWithNewTicket(ref->id, t, d);
      INBOXD_CHECK(ticket.has_value());
      out.ticket_id = ticket->id;
    }
    return out;
  }

  std::vector<store::Outgoing> Rows(store::OutboxState s) {
    auto rows = db->ListInState(s);
    INBOXD_CHECK(rows.has_value());
    return *rows;
  }
  std::vector<store::Event> Events(const std::string& type) {
    store::EventFilter f;
    f.type = type;
    f.limit = 0;
    auto e = db->ListEvents(f);
    INBOXD_CHECK(e.has_value());
    return *e;
  }
  // Sends per Message-ID header value seen by the FakeMailer.
  std::map<std::string, int> SendsPerMessageId() {
    std::map<std::string, int> out;
    for (const auto& s : mailer.sent()) {
      auto m = ingest::ParseMessage(s.raw, core::Limits{});
      INBOXD_CHECK(m.has_value());
      ++out[m->message_id];
    }
    return out;
  }

  core::FakeClock clock;
  config::Config config;
  std::unique_ptr<store::Store> db;
  std::unique_ptr<TemplateSet> templates;
  FakeMailer mailer;
  FakeSentFolder sent;

 private:
  int received_ = 0;
};

}  // namespace inboxd::responder::testing
