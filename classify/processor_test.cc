// Tests for the processing stage over a real :memory: store and a FakeClock:
// raw messages go in through Store::PutRawMessage, as ingest writes them.
#include "classify/processor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/hash.h"
#include "store/store.h"

namespace inboxd::classify {
namespace {

using namespace std::chrono_literals;
using std::chrono::November;

const core::TimePoint kT0{std::chrono::sys_days{2026y / November / 23} + 10h};

// A test message; headers are written in this order, CRLF line ends.
struct Mail {
  std::string from = "Carol Customer <Carol@Customer.example>";
  std::string to = "support@shop.example";
  std::string subject = "Printer does not start";
  std::string message_id = "c1@customer.example";
  std::vector<std::string> extra;  // more header lines
  std::string body = "Hello, my printer does not start. Can you help?";

  std::string Raw() const {
    std::string r;
    for (const std::string& h : extra) r += h + "\r\n";
    r += "From: " + from + "\r\n";
    r += "To: " + to + "\r\n";
    r += "Subject: " + subject + "\r\n";
    if (!message_id.empty()) r += "Message-ID: <" + message_id + ">\r\n";
    r += "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n";
    r += "MIME-Version: 1.0\r\n";
    r += "Content-Type: text/plain; charset=utf-8\r\n\r\n";
    r += body + "\r\n";
    return r;
  }
};

config::Config TestConfig() {
  config::Config c = config::Defaults();
  config::Mailbox support;
  support.name = "support";
  support.address = "support@shop.example";
  config::Mailbox sales;
  sales.name = "sales";
  sales.address = "sales@shop.example";
  sales.default_class = "quote";
  config::Mailbox team;  // no ticket_prefix: the name upper-cased
  team.name = "team-b";
  team.address = "team-b@shop.example";
  c.mailboxes = {support, sales, team};
  c.classify.ticket_prefix = {{"support", "S"}, {"sales", "Q"}};
  c.responder.message_id_domain = "mid.shop.example";
  config::Agent alice;
  alice.name = "Alice";
  alice.address = "alice@shop.example";
  c.agents = {alice};
  return c;
}

class ProcessorTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(TestConfig()); }

  void Open(const config::Config& config) {
    config_ = config;
    processor_.reset();
    store_.reset();
    auto s = store::Store::Open(":memory:", &clock_);
    ASSERT_TRUE(s) << s.error().ToString();
    store_ = std::move(*s);
    auto p = Processor::Create(config_, store_.get(), &clock_);
    ASSERT_TRUE(p) << p.error().ToString();
    processor_ = std::move(*p);
  }

  // The first sync of (mailbox, folder) happens now.
  void FirstSync(const std::string& mailbox,
                 const std::string& folder = "INBOX") {
    ASSERT_TRUE(store_->AdvanceCheckpoint(mailbox, folder, 7, 0));
  }

  int64_t Put(const std::string& raw, const std::string& mailbox = "support",
              const std::string& folder = "INBOX", uint32_t uid = 0,
              store::Role role = store::Role::kIncoming,
              std::optional<core::TimePoint> arrived = std::nullopt,
              uint32_t uid_validity = 7) {
    store::RawMessageIn in;
    in.mailbox = mailbox;
    in.folder = folder;
    in.uid_validity = uid_validity;
    in.uid = uid_validity == 0 ? 0 : (uid != 0 ? uid : ++next_uid_);
    in.role = role;
    in.arrived_at = arrived.value_or(clock_.Now());
    in.raw = raw;
    in.sha256 = core::Sha256Hex(raw);
    in.size = raw.size();
    size_t at = raw.find("Message-ID: <");
    if (at != std::string::npos) {
      at += 13;
      in.message_id = raw.substr(at, raw.find('>', at) - at);
    }
    auto ref = store_->PutRawMessage(in);
    EXPECT_TRUE(ref) << ref.error().ToString();
    return ref ? ref->id : 0;
  }

  ProcessReport Process() {
    auto r = processor_->ProcessPending();
    EXPECT_TRUE(r) << r.error().ToString();
    if (!r) return {};
    for (const std::string& e : r->errors) ADD_FAILURE() << e;
    return *r;
  }

  store::Decision DecisionOf(int64_t row) {
    auto d = store_->GetDecision(row);
    EXPECT_TRUE(d) << d.error().ToString();
    return d ? *d : store::Decision{};
  }

  store::Ticket TicketOf(int64_t id) {
    auto t = store_->GetTicket(id);
    EXPECT_TRUE(t) << t.error().ToString();
    return t ? *t : store::Ticket{};
  }

  std::vector<store::Event> Events(const std::string& type,
                                   int64_t message_row = 0) {
    store::EventFilter f;
    f.type = type;
    f.message_row = message_row;
    auto e = store_->ListEvents(f);
    EXPECT_TRUE(e) << e.error().ToString();
    return e ? *e : std::vector<store::Event>{};
  }

  int64_t TicketCount() {
    auto s = store_->Stats();
    EXPECT_TRUE(s);
    return s ? s->tickets_open + s->tickets_waiting + s->tickets_closed : -1;
  }

  core::FakeClock clock_{kT0};
  config::Config config_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Processor> processor_;
  uint32_t next_uid_ = 0;
};

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_F(ProcessorTest, FirstContactOpensTicketWithAckDue) {
  FirstSync("support");
  clock_.Advance(60s);
  Mail m;
  m.extra = {"Reply-To: Carol <Carol.Replies@Customer.example>"};
  int64_t row = Put(m.Raw());

  ProcessReport r = Process();
  EXPECT_EQ(r.processed, 1u);
  EXPECT_EQ(r.new_tickets, 1u);
  EXPECT_EQ(r.acks_due, 1u);
  EXPECT_EQ(r.followups + r.automatic + r.quarantined + r.duplicates, 0u);

  store::Decision d = DecisionOf(row);
  EXPECT_EQ(d.kind, "human");
  EXPECT_EQ(d.thread, "new");
  EXPECT_TRUE(d.ack);
  ASSERT_NE(d.ticket_id, 0);
  store::Ticket t = TicketOf(d.ticket_id);
  EXPECT_EQ(t.Tag(), "S-1000");
  EXPECT_EQ(t.customer, "carol.replies@customer.example");  // Reply-To wins
  EXPECT_EQ(t.normalized_subject, "printer does not start");
  EXPECT_EQ(t.mailboxes, std::vector<std::string>{"support"});
  EXPECT_EQ(t.opened_at, kT0 + 60s);  // INTERNALDATE, not the Date header
  EXPECT_TRUE(Contains(d.reasons_json, "ack: first contact"));
}

// Each parse is left in the parse cache for the planner (one parse per
// message, issue 13); an unparseable message leaves nothing.
TEST_F(ProcessorTest, ParsesAreLeftInTheParseCache) {
  core::ParseCache cache;
  processor_->SetParseCache(&cache);
  FirstSync("support");
  Mail m;
  const int64_t row = Put(m.Raw());
  Process();
  auto parsed = cache.Get(row);
  ASSERT_NE(parsed, nullptr);
  EXPECT_EQ(parsed->subject, "Printer does not start");
  EXPECT_EQ(cache.size(), 1u);
}

TEST_F(ProcessorTest, TicketPrefixAndCustomerFallbacks) {
  struct Case {
    std::string mailbox;
    std::string want_tag;
  } cases[] = {
      {"support", "S-1000"},     // classify.ticket_prefix
      {"sales", "Q-1000"},       // classify.ticket_prefix
      {"team-b", "TEAMB-1000"},  // none: the name upper-cased, alnum only
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.mailbox);
    Open(TestConfig());
    Mail m;
    m.to = c.mailbox + "@shop.example";
    int64_t row = Put(m.Raw(), c.mailbox);
    Process();
    store::Decision d = DecisionOf(row);
    store::Ticket t = TicketOf(d.ticket_id);
    EXPECT_EQ(t.Tag(), c.want_tag);
    EXPECT_EQ(t.customer, "carol@customer.example");  // From, lower case
    EXPECT_EQ(t.mailbox, c.mailbox);
  }
}

TEST_F(ProcessorTest, FollowupsJoinTheTicketAndNeverAck) {
  struct Case {
    std::string name;
    Mail second;
    bool want_followup;
  };
  Mail tag;
  tag.subject = "Re: Printer does not start [#S-1000]";
  tag.message_id = "c2@customer.example";
  Mail refs;
  refs.subject = "more details";
  refs.message_id = "c2@customer.example";
  refs.extra = {"In-Reply-To: <c1@customer.example>",
                "References: <c1@customer.example>"};
  Mail subject;
  subject.subject = "AW: Printer does not start";
  subject.message_id = "c2@customer.example";
  Mail other_subject = subject;  // failing case: another subject
  other_subject.subject = "Re: Invoice question";
  Mail other_customer = subject;  // failing case: another customer
  other_customer.from = "dave@elsewhere.example";
  Mail foreign_tag = tag;  // failing case: a tag that is not ours
  foreign_tag.subject = "Printer [#X-1000]";
  Case cases[] = {
      {"ticket tag", tag, true},
      {"in-reply-to", refs, true},
      {"subject within window", subject, true},
      {"other subject", other_subject, false},
      {"other customer", other_customer, false},
      {"foreign tag", foreign_tag, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Open(TestConfig());
    int64_t first = Put(Mail{}.Raw());
    Process();
    const int64_t ticket = DecisionOf(first).ticket_id;
    clock_.Advance(3600s);
    int64_t second = Put(c.second.Raw());
    ProcessReport r = Process();
    store::Decision d = DecisionOf(second);
    if (c.want_followup) {
      EXPECT_EQ(r.followups, 1u);
      EXPECT_EQ(r.new_tickets, 0u);
      EXPECT_EQ(r.acks_due, 0u);
      EXPECT_EQ(d.thread, "followup");
      EXPECT_FALSE(d.ack);
      EXPECT_EQ(d.ticket_id, ticket);
      auto ev = Events("ticket.followup", second);
      ASSERT_EQ(ev.size(), 1u);
      EXPECT_EQ(ev[0].ticket_id, ticket);
      EXPECT_EQ(Events("ticket.message_attached", second).size(), 1u);
      EXPECT_EQ(TicketCount(), 1);
    } else {
      EXPECT_EQ(r.new_tickets, 1u);
      EXPECT_EQ(d.thread, "new");
      EXPECT_TRUE(d.ack);
      EXPECT_NE(d.ticket_id, ticket);
      EXPECT_EQ(TicketCount(), 2);
    }
  }
}

// Outlook Thread-Index values: a conversation header (22 bytes) and the
// same conversation after one and two replies (5 bytes each).
constexpr char kConversation[] =
    "Thread-Index: AdNST+6DXK4xfZYaRzuyUbaIacENgA==";
constexpr char kConversationReply[] =
    "Thread-Index: AdNST+6DXK4xfZYaRzuyUbaIacENgAHGVF+A";
constexpr char kConversationReply2[] =
    "Thread-Index: AdNST+6DXK4xfZYaRzuyUbaIacENgAECAwQFBgcICQo=";
// Another conversation: differs in the header's timestamp bytes.
constexpr char kOtherConversation[] =
    "Thread-Index: AdOZT+6DXK4xfZYaRzuyUbaIacENgAECAwQF";

// Daemon path (StoreThreadLookup): a reply with nothing but the Outlook
// conversation in common (other subject, no In-Reply-To/References, no tag)
// joins the ticket its conversation opened.
TEST_F(ProcessorTest, OutlookThreadIndexJoinsTheTicketOfItsConversation) {
  struct Case {
    std::string name;
    std::vector<std::string> second_extra;
    bool want_followup;
  } cases[] = {
      {"same conversation, one reply later", {kConversationReply}, true},
      {"same conversation, two replies later", {kConversationReply2}, true},
      {"same conversation header", {kConversation}, true},
      {"other conversation", {kOtherConversation}, false},
      {"no Thread-Index", {}, false},
      {"malformed Thread-Index", {"Thread-Index: AdNST+6D"}, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Open(TestConfig());
    Mail first;
    first.extra = {kConversation};
    int64_t first_row = Put(first.Raw());
    Process();
    const int64_t ticket = DecisionOf(first_row).ticket_id;
    ASSERT_NE(ticket, 0);
    clock_.Advance(3600s);
    Mail second;
    second.subject = "Toner order";  // nothing in common but the sender
    second.message_id = "c2@customer.example";
    second.extra = c.second_extra;
    int64_t second_row = Put(second.Raw());
    ProcessReport r = Process();
    store::Decision d = DecisionOf(second_row);
    if (c.want_followup) {
      EXPECT_EQ(r.followups, 1u);
      EXPECT_EQ(r.new_tickets, 0u);
      EXPECT_EQ(d.thread, "followup");
      EXPECT_FALSE(d.ack);
      EXPECT_EQ(d.ticket_id, ticket);
      EXPECT_TRUE(Contains(d.reasons_json, "thread.thread_index"))
          << d.reasons_json;
      EXPECT_EQ(Events("ticket.followup", second_row).size(), 1u);
      EXPECT_EQ(TicketCount(), 1);
    } else {
      EXPECT_EQ(r.new_tickets, 1u);
      EXPECT_EQ(d.thread, "new");
      EXPECT_TRUE(d.ack);
      EXPECT_NE(d.ticket_id, ticket);
      EXPECT_EQ(TicketCount(), 2);
    }
  }
}

// A follow-up found another way (In-Reply-To) records its own Outlook
// conversation for the ticket; a conversation that opened a ticket stays
// with that ticket.
TEST_F(ProcessorTest, FollowupRecordsItsConversationFirstTicketKeepsIt) {
  Mail first;
  first.extra = {kConversation};
  int64_t first_row = Put(first.Raw());
  Process();
  const int64_t ticket = DecisionOf(first_row).ticket_id;
  ASSERT_NE(ticket, 0);

  Mail followup;  // threads by In-Reply-To, in another conversation
  followup.subject = "more details";
  followup.message_id = "c2@customer.example";
  followup.extra = {"In-Reply-To: <c1@customer.example>", kOtherConversation};
  int64_t followup_row = Put(followup.Raw());
  Process();
  ASSERT_EQ(DecisionOf(followup_row).ticket_id, ticket);

  Mail later;  // only the follow-up's conversation in common
  later.subject = "Toner order";
  later.message_id = "c3@customer.example";
  later.extra = {"Thread-Index: AdOZT+6DXK4xfZYaRzuyUbaIacENgA=="};
  int64_t later_row = Put(later.Raw());
  Process();
  store::Decision d = DecisionOf(later_row);
  EXPECT_EQ(d.thread, "followup");
  EXPECT_EQ(d.ticket_id, ticket);
  EXPECT_EQ(TicketCount(), 1);
  EXPECT_EQ(Events("ticket.thread_index_added").size(), 2u);
}

// Issue 8 item 2: a conversation we have no ticket for (our tag, or a
// reference to a Message-ID at our domain, the original not stored) opens a
// ticket with the answer clock running and gets no acknowledgement.
TEST_F(ProcessorTest, FollowupToUnknownTicketOpensATicketWithoutAck) {
  Mail m;
  m.subject = "Re: old case [#S-1234]";  // our prefix, not in the store
  int64_t row = Put(m.Raw());
  ProcessReport r = Process();
  EXPECT_EQ(r.followups, 1u);
  EXPECT_EQ(r.new_tickets, 1u);
  EXPECT_EQ(r.acks_due, 0u);
  store::Decision d = DecisionOf(row);
  EXPECT_NE(d.ticket_id, 0);
  EXPECT_FALSE(d.ack);
  EXPECT_EQ(d.decision, "followup");
  EXPECT_EQ(d.thread, "followup");
  EXPECT_EQ(TicketCount(), 1);
}

TEST_F(ProcessorTest, ReplyToAnAgentsMailSentBeforeInboxdIsAFollowup) {
  Mail m;
  m.subject = "Re: Your order";
  m.extra = {"In-Reply-To: <4f1a2b3c.5060708@shop.example>",
             "References: <4f1a2b3c.5060708@shop.example>"};
  int64_t row = Put(m.Raw());
  ProcessReport r = Process();
  EXPECT_EQ(r.acks_due, 0u);
  store::Decision d = DecisionOf(row);
  EXPECT_EQ(d.decision, "followup");
  EXPECT_FALSE(d.ack);
  EXPECT_NE(d.ticket_id, 0);

  // A reply to someone else's message is a first contact for us (A2).
  Mail other;
  other.from = "Dan <dan@elsewhere.example>";
  other.message_id = "other@customer.example";
  other.subject = "Re: Your order";
  other.extra = {"In-Reply-To: <abc@elsewhere.example>"};
  int64_t row2 = Put(other.Raw());
  Process();
  EXPECT_EQ(DecisionOf(row2).decision, "ack");
}

TEST_F(ProcessorTest, PersonalMailToAnAgentOpensAnOwnedTicketWithoutAck) {
  Mail m;
  m.subject = "Lunch?";
  m.body = "Hi Alice,\r\nare we still on for lunch on Friday?\r\nTom";
  int64_t row = Put(m.Raw());
  ProcessReport r = Process();
  EXPECT_EQ(r.acks_due, 0u);
  store::Decision d = DecisionOf(row);
  EXPECT_EQ(d.decision, "personal") << d.reasons_json;
  EXPECT_EQ(d.cls, "personal");
  ASSERT_NE(d.ticket_id, 0);
  EXPECT_EQ(TicketOf(d.ticket_id).owner, "alice@shop.example");
}

TEST_F(ProcessorTest, CustomerFollowupIsRecordedAsTheCustomers) {
  int64_t first = Put(Mail{}.Raw());
  Process();
  const int64_t ticket = DecisionOf(first).ticket_id;
  EXPECT_EQ(DecisionOf(first).party, "customer");
  Mail again;
  again.subject = "Re: Printer does not start [#S-1000]";
  again.message_id = "c2@customer.example";
  int64_t second = Put(again.Raw());
  Process();
  // The planner (responder/lifecycle.h) moves the ticket's clocks for it.
  EXPECT_EQ(DecisionOf(second).ticket_id, ticket);
  EXPECT_EQ(DecisionOf(second).party, "customer");
  EXPECT_EQ(TicketOf(ticket).state, store::TicketState::kOpen);
}

TEST_F(ProcessorTest, SameMessageInSalesAndSupportIsOneTicket) {
  FirstSync("support");
  FirstSync("sales");
  Mail m;
  m.to = "sales@shop.example, support@shop.example";

  // Identical bytes in both mailboxes: one stored message, two locations.
  int64_t a = Put(m.Raw(), "sales");
  int64_t b = Put(m.Raw(), "support");
  EXPECT_EQ(a, b);
  // Another copy with its own trace header: a second row, same Message-ID.
  Mail traced = m;
  traced.extra = {"Delivered-To: support-alias@shop.example"};
  int64_t c = Put(traced.Raw(), "support");
  ASSERT_NE(c, a);

  ProcessReport r = Process();
  EXPECT_EQ(r.processed, 2u);
  EXPECT_EQ(r.new_tickets, 1u);
  EXPECT_EQ(r.duplicates, 1u);
  EXPECT_EQ(r.acks_due, 1u);
  EXPECT_EQ(TicketCount(), 1);
  store::Decision da = DecisionOf(a);
  store::Decision dc = DecisionOf(c);
  EXPECT_TRUE(da.ack);
  EXPECT_FALSE(dc.ack);
  EXPECT_EQ(dc.thread, "duplicate");
  EXPECT_EQ(dc.ticket_id, da.ticket_id);
  store::Ticket t = TicketOf(da.ticket_id);
  EXPECT_EQ(t.mailboxes, (std::vector<std::string>{"sales", "support"}));
  EXPECT_EQ(t.mailbox, "sales");  // the first incoming location wins
}

TEST_F(ProcessorTest, AutomaticMailOpensNoTicketAndGetsNoAck) {
  Mail ooo;
  ooo.subject = "Out of Office: Printer does not start";
  ooo.extra = {"Auto-Submitted: auto-replied"};
  ooo.body = "I am out of the office until Monday.";
  Mail list;
  list.subject = "Weekly newsletter";
  list.extra = {"List-Id: <news.list.example>",
                "List-Unsubscribe: <mailto:leave@list.example>"};
  list.message_id = "n1@list.example";
  Mail human;  // the passing case beside them
  human.message_id = "h1@customer.example";
  struct Case {
    std::string name;
    Mail mail;
    std::string want_kind;
  } cases[] = {
      {"out of office", ooo, "auto_reply"},
      {"mailing list", list, "list_bulk"},
      {"human", human, "human"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Open(TestConfig());
    int64_t row = Put(c.mail.Raw());
    ProcessReport r = Process();
    store::Decision d = DecisionOf(row);
    EXPECT_EQ(d.kind, c.want_kind);
    if (c.want_kind == "human") {
      EXPECT_TRUE(d.ack);
      EXPECT_NE(d.ticket_id, 0);
      EXPECT_EQ(r.automatic, 0u);
    } else {
      EXPECT_FALSE(d.ack);
      EXPECT_EQ(d.ticket_id, 0);
      EXPECT_EQ(r.automatic, 1u);
      EXPECT_EQ(TicketCount(), 0);
    }
  }
}

// An RFC 3464 report about the message `original_id`.
std::string Bounce(const std::string& original_id, const std::string& id) {
  return "From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>\r\n"
         "To: support@shop.example\r\n"
         "Subject: Undelivered Mail Returned to Sender\r\n"
         "Message-ID: <" +
         id +
         "@mx.customer.example>\r\n"
         "Auto-Submitted: auto-replied\r\n"
         "MIME-Version: 1.0\r\n"
         "Content-Type: multipart/report; report-type=delivery-status;\r\n"
         " boundary=\"BB\"\r\n\r\n"
         "--BB\r\nContent-Type: text/plain\r\n\r\n"
         "Your message could not be delivered.\r\n"
         "--BB\r\nContent-Type: message/delivery-status\r\n\r\n"
         "Reporting-MTA: dns; mx.customer.example\r\n\r\n"
         "Final-Recipient: rfc822; carol@customer.example\r\n"
         "Action: failed\r\nStatus: 5.1.1\r\n"
         "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
         "--BB\r\nContent-Type: text/rfc822-headers\r\n\r\n"
         "From: support@shop.example\r\n"
         "To: carol@customer.example\r\n"
         "Subject: Re: Printer does not start [#S-1000]\r\n"
         "Message-ID: <" +
         original_id +
         ">\r\n"
         "--BB--\r\n";
}

TEST_F(ProcessorTest, BounceOfOurAckIsLinkedToItsTicket) {
  int64_t first = Put(Mail{}.Raw());
  Process();
  const int64_t ticket = DecisionOf(first).ticket_id;
  store::OutgoingIn ack;
  ack.ticket_id = ticket;
  ack.kind = "ack";
  ack.mailbox = "support";
  ack.message_id = "inboxd.S-1000.ack.0123abcd@mid.shop.example";
  ack.from = "support@shop.example";
  ack.recipients = {"carol@customer.example"};
  ack.envelope_from = "bounces@shop.example";
  ack.raw = "From: support@shop.example\r\n\r\nthanks\r\n";
  ack.reason = "test";
  ASSERT_TRUE(store_->EnqueueOutgoing(ack));

  struct Case {
    std::string name;
    std::string original;
    std::string id;
    size_t want_events;
  } cases[] = {
      {"our ack", "inboxd.S-1000.ack.0123abcd@mid.shop.example", "dsn1", 1},
      {"a foreign message", "x9@elsewhere.example", "dsn2", 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    int64_t row = Put(Bounce(c.original, c.id));
    ProcessReport r = Process();
    EXPECT_EQ(r.automatic, 1u);
    store::Decision d = DecisionOf(row);
    EXPECT_EQ(d.kind, "bounce");
    EXPECT_FALSE(d.ack);
    EXPECT_EQ(d.ticket_id, 0);
    auto ev = Events("outbox.bounced", row);
    ASSERT_EQ(ev.size(), c.want_events) << d.reasons_json;
    if (!ev.empty()) {
      EXPECT_EQ(ev[0].ticket_id, ticket);
      EXPECT_TRUE(Contains(ev[0].data, "5.1.1"));
    }
  }
  EXPECT_EQ(TicketCount(), 1);
}

TEST_F(ProcessorTest, PoisonMessageIsQuarantinedWithoutParsing) {
  struct Case {
    int crashes;  // parses begun and never finished before this run
    bool want_quarantined;
  } cases[] = {{2, true}, {3, true}, {1, false}, {0, false}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.crashes);
    Open(TestConfig());
    const std::string raw = Mail{}.Raw();
    int64_t row = Put(raw);
    for (int i = 0; i < c.crashes; ++i) ASSERT_TRUE(store_->BeginParse(row));
    ProcessReport r = Process();
    auto m = store_->GetMessage(row);
    ASSERT_TRUE(m);
    if (c.want_quarantined) {
      EXPECT_EQ(r.quarantined, 1u);
      EXPECT_EQ(m->state, store::MessageState::kQuarantined);
      EXPECT_EQ(m->quarantine_reason, kPoisonReason);
      EXPECT_EQ(m->parse_attempts, c.crashes);  // not parsed again
      EXPECT_EQ(m->raw, raw);
      EXPECT_EQ(TicketCount(), 0);
    } else {
      EXPECT_EQ(r.quarantined, 0u);
      EXPECT_EQ(m->state, store::MessageState::kProcessed);
      EXPECT_EQ(m->parse_attempts, c.crashes + 1);
    }
  }
}

// Multipart nested `depth` levels deep.
std::string DeepMime(int depth, const std::string& extra_headers) {
  std::string r = extra_headers +
                  "From: Carol <carol@customer.example>\r\n"
                  "To: support@shop.example\r\n"
                  "Subject: Order 77 broken\r\n"
                  "Message-ID: <deep@customer.example>\r\n"
                  "MIME-Version: 1.0\r\n"
                  "Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n";
  for (int i = 1; i <= depth; ++i) {
    r += "--b" + std::to_string(i - 1) +
         "\r\nContent-Type: multipart/mixed; boundary=\"b" + std::to_string(i) +
         "\"\r\n\r\n";
  }
  r += "--b" + std::to_string(depth) +
       "\r\nContent-Type: text/plain\r\n\r\nhi\r\n";
  for (int i = depth; i >= 0; --i) r += "--b" + std::to_string(i) + "--\r\n";
  return r;
}

TEST_F(ProcessorTest, HostileMimeIsQuarantinedWithRawBytesKept) {
  struct Case {
    std::string name;
    std::string raw;
    store::Role role;
    bool want_ticket;
  } cases[] = {
      {"human, incoming", DeepMime(40, ""), store::Role::kIncoming, true},
      {"automatic headers", DeepMime(40, "Auto-Submitted: auto-generated\r\n"),
       store::Role::kIncoming, false},
      {"sent folder", DeepMime(40, ""), store::Role::kSent, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Open(TestConfig());
    int64_t row =
        Put(c.raw, "support", c.role == store::Role::kSent ? "Sent" : "INBOX",
            0, c.role);
    ProcessReport r = Process();
    EXPECT_EQ(r.quarantined, 1u);
    EXPECT_EQ(r.acks_due, 0u);
    auto m = store_->GetMessage(row);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->state, store::MessageState::kQuarantined);
    EXPECT_EQ(m->raw, c.raw);
    EXPECT_TRUE(Contains(m->quarantine_reason, "depth"))
        << m->quarantine_reason;
    auto triage = Events("message.quarantine_triage", row);
    if (c.want_ticket) {
      EXPECT_EQ(r.new_tickets, 1u);
      EXPECT_EQ(TicketCount(), 1);
      ASSERT_EQ(triage.size(), 1u);
      EXPECT_NE(triage[0].ticket_id, 0);
      EXPECT_TRUE(Contains(triage[0].data, "\"reason\":\"quarantined\""));
      EXPECT_TRUE(Contains(triage[0].data, "\"ack\":false"));
      store::Ticket t = TicketOf(triage[0].ticket_id);
      EXPECT_EQ(t.customer, "carol@customer.example");
    } else {
      EXPECT_EQ(TicketCount(), 0);
      EXPECT_TRUE(triage.empty());
    }
  }
}

TEST_F(ProcessorTest, AckWindowOfTheFirstSync) {
  struct Case {
    std::string name;
    std::chrono::seconds arrived_before_first_sync;
    uint32_t uid_validity;
    bool want_ack;
  } cases[] = {
      {"arrived after the first sync", -60s, 7, true},
      {"1h before the first sync", 3600s, 7, true},
      {"exactly ack_window before", 7200s, 7, true},
      {"3h before the first sync", 3 * 3600s, 7, false},
      {"two years before", 730 * 24 * 3600s, 7, false},
      {"replayed file, two years old", 730 * 24 * 3600s, 0, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Open(TestConfig());
    clock_.Set(kT0);
    FirstSync("support");
    clock_.Advance(600s);
    int64_t row =
        Put(Mail{}.Raw(), "support", "INBOX", 0, store::Role::kIncoming,
            kT0 - c.arrived_before_first_sync, c.uid_validity);
    ProcessReport r = Process();
    store::Decision d = DecisionOf(row);
    EXPECT_EQ(d.ack, c.want_ack);
    EXPECT_EQ(r.acks_due, c.want_ack ? 1u : 0u);
    EXPECT_NE(d.ticket_id, 0);  // history still becomes a ticket
    if (!c.want_ack) {
      EXPECT_TRUE(
          Contains(d.reasons_json, "before the ack window of the first sync"))
          << d.reasons_json;
      EXPECT_FALSE(Contains(d.reasons_json, "ack: first contact"));
    }
  }
}

TEST_F(ProcessorTest, AckWindowIsPerMailbox) {
  config::Config c = TestConfig();
  c.mailboxes[0].ack_window = std::chrono::seconds(24 * 3600);
  Open(c);
  FirstSync("support");
  int64_t row = Put(Mail{}.Raw(), "support", "INBOX", 0, store::Role::kIncoming,
                    kT0 - 10h);
  Process();
  EXPECT_TRUE(DecisionOf(row).ack);
}

class AgentReplyTest : public ProcessorTest {
 protected:
  // A first contact on S-1000 with deadlines D1 (ack), D2 (answer) and D6
  // (resolve, not met by a reply).
  int64_t OpenTicket() {
    FirstSync("support");
    FirstSync("support", "Sent");
    int64_t first = Put(Mail{}.Raw());
    Process();
    int64_t ticket = DecisionOf(first).ticket_id;
    auto add = [&](const char* id, const char* name, core::TimePoint due) {
      store::MilestoneIn in;
      in.milestone_id = id;
      in.name = name;
      in.timing.started_at = kT0;
      in.timing.due_at = due;
      EXPECT_TRUE(store_->AddMilestone(ticket, in));
    };
    add("D1", "ack", kT0 + 2h);
    add("D2", "answer", kT0 + 48h);
    add("D6", "resolve", kT0 + 336h);
    return ticket;
  }

  static Mail Reply(const std::string& body) {
    Mail m;
    m.from = "Support <support@shop.example>";
    m.to = "carol@customer.example";
    m.subject = "Re: Printer does not start [#S-1000]";
    m.message_id = "r1@outlook.shop.example";
    m.extra = {"In-Reply-To: <c1@customer.example>"};
    m.body = body;
    return m;
  }

  std::map<std::string, store::MilestoneState> States(int64_t ticket) {
    std::map<std::string, store::MilestoneState> out;
    auto list = store_->ListMilestones(ticket);
    EXPECT_TRUE(list);
    for (const store::Milestone& m : *list) out[m.milestone_id] = m.state;
    return out;
  }
  store::Milestone MilestoneOf(int64_t ticket, const std::string& id) {
    auto list = store_->ListMilestones(ticket);
    EXPECT_TRUE(list);
    for (const store::Milestone& m : *list) {
      if (m.milestone_id == id) return m;
    }
    ADD_FAILURE() << "no milestone " << id;
    return {};
  }
};

TEST_F(AgentReplyTest, ReplyInSentMeetsAnswerDeadlines) {
  int64_t ticket = OpenTicket();
  clock_.Advance(30min);
  int64_t row = Put(Reply("Dear Carol, please update the driver.").Raw(),
                    "support", "Sent", 0, store::Role::kSent);
  ProcessReport r = Process();
  EXPECT_EQ(r.agent_replies, 1u);
  EXPECT_EQ(r.acks_due, 0u);
  EXPECT_EQ(r.new_tickets, 0u);
  store::Decision d = DecisionOf(row);
  EXPECT_FALSE(d.ack);
  EXPECT_EQ(d.ticket_id, ticket);
  auto ev = Events("agent.reply", row);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].actor, "support@shop.example");
  EXPECT_EQ(ev[0].ticket_id, ticket);
  auto states = States(ticket);
  EXPECT_EQ(states["D1"], store::MilestoneState::kMet);
  EXPECT_EQ(states["D2"], store::MilestoneState::kMet);
  EXPECT_EQ(states["D6"], store::MilestoneState::kOpen);
  // The evidence: the reply in the shared Sent folder.
  const store::Milestone d2 = MilestoneOf(ticket, "D2");
  EXPECT_EQ(d2.evidence.by, "sent_folder");
  EXPECT_EQ(d2.evidence.message_id, "r1@outlook.shop.example");
  EXPECT_EQ(d2.evidence.folder, "Sent");
  EXPECT_EQ(d2.evidence.message_row, row);
  EXPECT_EQ(d2.met_at, kT0 + 30min);
  EXPECT_TRUE(TicketOf(ticket).AnsweredSinceCustomer());
  EXPECT_TRUE(Events("agent.reply.flagged", row).empty());
}

TEST_F(AgentReplyTest, LateReplyMarksTheDeadlineMissed) {
  int64_t ticket = OpenTicket();
  clock_.Advance(5h);  // after D1 (2h), before D2 (48h)
  Put(Reply("Sorry for the wait, here is the fix.").Raw(), "support", "Sent", 0,
      store::Role::kSent);
  Process();
  auto states = States(ticket);
  EXPECT_EQ(states["D1"], store::MilestoneState::kMissed);
  EXPECT_EQ(states["D2"], store::MilestoneState::kMet);
}

TEST_F(AgentReplyTest, ForbiddenPhraseIsFlaggedForAManager) {
  struct Case {
    std::string name;
    std::string body;
    bool want_flag;
  } cases[] = {
      {"zh phrase", "您好，这个问题我们不知道。", true},
      {"en phrase", "Honestly, this is not our problem.", true},
      {"config phrase", "We will see, maybe next year.", true},
      {"quoted customer text",
       "Dear Carol, here is the fix.\r\n\r\n> whatever, I don't care", false},
      {"polite", "Dear Carol, the fix is attached.", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    config::Config cfg = TestConfig();
    cfg.templates.forbidden_phrases = {"maybe next year"};
    Open(cfg);
    OpenTicket();
    int64_t row =
        Put(Reply(c.body).Raw(), "support", "Sent", 0, store::Role::kSent);
    Process();
    auto flagged = Events("agent.reply.flagged", row);
    EXPECT_EQ(flagged.size(), c.want_flag ? 1u : 0u);
    EXPECT_EQ(Events("agent.reply", row).size(), 1u);
  }
}

TEST_F(AgentReplyTest, OurOwnAckInSentIsNotAnAgentReply) {
  int64_t ticket = OpenTicket();
  Mail ack = Reply("We received your message [#S-1000].");
  ack.message_id = "inboxd.S-1000.ack.0123abcd@mid.shop.example";
  ack.extra.push_back("Auto-Submitted: auto-replied");
  int64_t row = Put(ack.Raw(), "support", "Sent", 0, store::Role::kSent);
  ProcessReport r = Process();
  EXPECT_EQ(r.agent_replies, 0u);
  EXPECT_EQ(r.automatic, 1u);
  EXPECT_TRUE(Events("agent.reply", row).empty());
  EXPECT_EQ(States(ticket)["D1"], store::MilestoneState::kOpen);
  EXPECT_FALSE(TicketOf(ticket).answered_at.has_value());
}

TEST_F(AgentReplyTest, CcCopyOfAnAgentReplyCountsInternalNoteDoesNot) {
  struct Case {
    std::string name;
    std::string to;
    bool want_reply;
  } cases[] = {
      {"cc copy to the customer", "carol@customer.example", true},
      {"note to a colleague", "alice@shop.example", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Open(TestConfig());
    int64_t ticket = OpenTicket();
    Mail m = Reply("Dear Carol, done.");
    m.from = "Alice <alice@shop.example>";
    m.to = c.to;
    m.extra.push_back("Cc: support@shop.example");
    int64_t row = Put(m.Raw());  // arrives in INBOX, not Sent
    ProcessReport r = Process();
    EXPECT_EQ(r.agent_replies, c.want_reply ? 1u : 0u);
    EXPECT_EQ(r.new_tickets, 0u);
    EXPECT_EQ(r.acks_due, 0u);
    EXPECT_EQ(DecisionOf(row).ticket_id, ticket);
    EXPECT_EQ(TicketOf(ticket).answered_at.has_value(), c.want_reply);
    if (c.want_reply) {
      EXPECT_EQ(MilestoneOf(ticket, "D2").evidence.by, "agent_thread");
    }
  }
}

TEST_F(AgentReplyTest, SentCopyAndCcCopyAreOneReply) {
  int64_t ticket = OpenTicket();
  Mail sent = Reply("Dear Carol, done.");
  sent.extra.push_back("Cc: support@shop.example");
  int64_t a = Put(sent.Raw(), "support", "Sent", 0, store::Role::kSent);
  Mail copy = sent;  // the CC copy, with its own trace header
  copy.extra.push_back("Delivered-To: support@shop.example");
  int64_t b = Put(copy.Raw());
  ASSERT_NE(a, b);
  ProcessReport r = Process();
  EXPECT_EQ(r.agent_replies, 1u);
  EXPECT_EQ(r.duplicates, 1u);
  EXPECT_EQ(Events("agent.reply", a).size(), 1u);
  EXPECT_TRUE(Events("agent.reply", b).empty());
  EXPECT_EQ(DecisionOf(b).ticket_id, ticket);
  EXPECT_EQ(DecisionOf(b).thread, "duplicate");
}

TEST_F(ProcessorTest, MaxBoundsTheBatchOldestFirst) {
  Mail a;
  Mail b;
  b.message_id = "c2@customer.example";
  b.subject = "Re: Printer does not start";
  b.extra = {"In-Reply-To: <c1@customer.example>"};
  int64_t first = Put(a.Raw());
  int64_t second = Put(b.Raw());
  auto none = processor_->ProcessPending(0);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->processed, 0u);
  auto one = processor_->ProcessPending(1);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->processed, 1u);
  EXPECT_EQ(one->new_tickets, 1u);
  auto m = store_->GetMessage(second);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->state, store::MessageState::kStored);
  ProcessReport rest = Process();
  EXPECT_EQ(rest.followups, 1u);
  EXPECT_EQ(DecisionOf(second).ticket_id, DecisionOf(first).ticket_id);
}

TEST_F(ProcessorTest, SecondRunDoesNothing) {
  FirstSync("support");
  Put(Mail{}.Raw());
  Mail ooo;
  ooo.message_id = "o1@customer.example";
  ooo.subject = "Automatic reply: hello";
  ooo.extra = {"Auto-Submitted: auto-replied"};
  Put(ooo.Raw());
  Put(DeepMime(40, ""));
  ProcessReport first = Process();
  EXPECT_EQ(first.processed, 3u);
  auto before = store_->VerifyAuditChain();
  ASSERT_TRUE(before);

  ProcessReport second = Process();
  EXPECT_EQ(second.processed, 0u);
  EXPECT_EQ(second.new_tickets + second.followups + second.automatic +
                second.quarantined + second.acks_due + second.agent_replies,
            0u);
  auto after = store_->VerifyAuditChain();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->count, before->count);
}

// House rule 10: fail each write in turn, run again, and check that nothing
// was lost or done twice.
TEST_F(ProcessorTest, EveryWriteFailingOnceLosesNothingAndDuplicatesNothing) {
  for (int n = 0; n < 50; ++n) {
    SCOPED_TRACE(n);
    Open(TestConfig());
    FirstSync("support");
    Mail opening;
    opening.extra = {kConversation};
    int64_t first = Put(opening.Raw());
    Mail followup;
    followup.message_id = "c2@customer.example";
    followup.subject = "Re: Printer does not start";
    followup.extra = {"In-Reply-To: <c1@customer.example>", kOtherConversation};
    clock_.Advance(60s);
    int64_t second = Put(followup.Raw());
    int64_t bad = Put(DeepMime(40, ""));

    store_->FailWriteForTest(n);
    auto r = processor_->ProcessPending();  // may fail or report errors
    store_->FailWriteForTest(-1);
    for (int i = 0; i < 3; ++i) {
      auto again = processor_->ProcessPending();
      ASSERT_TRUE(again) << again.error().ToString();
    }
    auto stats = store_->Stats();
    ASSERT_TRUE(stats);
    EXPECT_EQ(stats->messages_stored, 0);
    EXPECT_EQ(stats->messages_processed, 2);
    EXPECT_EQ(stats->messages_quarantined, 1);
    EXPECT_EQ(TicketCount(), 2);  // the first contact + the quarantined one
    EXPECT_EQ(Events("ticket.followup", second).size(), 1u);
    EXPECT_EQ(Events("message.quarantine_triage", bad).size(), 1u);
    EXPECT_EQ(Events("ticket.created", bad).size(), 1u);
    store::Decision d1 = DecisionOf(first);
    EXPECT_TRUE(d1.ack);
    EXPECT_EQ(DecisionOf(second).ticket_id, d1.ticket_id);
    // Both conversations are on the ticket, each recorded once.
    EXPECT_EQ(Events("ticket.thread_index_added").size(), 2u);
    for (const char* base : {"01d3524fee835cae317d961a473bb251b68869c10d80",
                             "01d3994fee835cae317d961a473bb251b68869c10d80"}) {
      auto t = store_->FindTicketByThreadIndex(base);
      ASSERT_TRUE(t) << base << ": " << t.error().ToString();
      EXPECT_EQ(t->id, d1.ticket_id);
    }
  }
}

}  // namespace
}  // namespace inboxd::classify

namespace inboxd::classify {
namespace {

// POLICY R2: an agent's own out-of-office reply that reaches a watched
// mailbox marks the agent absent until the date it states (else for
// [routing] detected_absence); it never gets an acknowledgement. A
// customer's auto-reply marks nobody.
TEST_F(ProcessorTest, AgentsOutOfOfficeReplyMarksThemAbsent) {
  struct Case {
    std::string name, from, body;
    bool absent;
    std::string until;  // UTC, "" = received + 24 h
  } cases[] = {
      {"with a return date", "Alice <alice@shop.example>",
       "I am out of the office until Friday, 4 December 2026 and will reply "
       "after my return.",
       true, "2026-12-05T00:00:00Z"},
      {"without a date", "Alice <alice@shop.example>",
       "I am currently out of the office with limited access to e-mail.", true,
       ""},
      {"a customer's auto-reply", "Carol <carol@customer.example>",
       "I am out of the office until 4 December 2026.", false, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Open(TestConfig());
    FirstSync("support");
    Mail m;
    m.from = c.from;
    m.subject = "Automatic reply: Printer does not start";
    m.message_id = "ooo-" + std::to_string(&c - cases) + "@shop.example";
    m.extra = {"Auto-Submitted: auto-replied", "X-Auto-Response-Suppress: All"};
    m.body = c.body;
    int64_t row = Put(m.Raw());
    ProcessReport r = Process();
    EXPECT_EQ(r.automatic, 1u);
    EXPECT_EQ(r.acks_due, 0u);
    EXPECT_FALSE(DecisionOf(row).ack);
    auto absences = store_->ListAbsences(kT0 - std::chrono::hours(1)).value();
    ASSERT_EQ(absences.size(), c.absent ? 1u : 0u);
    if (!c.absent) continue;
    EXPECT_EQ(absences[0].agent, "alice@shop.example");
    EXPECT_EQ(absences[0].source, "detected");
    if (c.until.empty()) {
      EXPECT_EQ(absences[0].until - absences[0].from, std::chrono::hours(24));
    } else {
      EXPECT_EQ(core::FormatUtc(absences[0].until), c.until);
    }
    EXPECT_NE(absences[0].detail.find(m.message_id), std::string::npos);
  }
}

}  // namespace
}  // namespace inboxd::classify
