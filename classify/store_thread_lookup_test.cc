#include "classify/store_thread_lookup.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/hash.h"

namespace inboxd::classify {
namespace {

using namespace std::chrono_literals;

const core::TimePoint kT0{
    std::chrono::sys_days{std::chrono::year{2026} / 11 / 23}};

class StoreThreadLookupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::Store::Open(":memory:", &clock_);
    ASSERT_TRUE(s) << s.error().ToString();
    store_ = std::move(*s);
    store::RawMessageIn in;
    in.mailbox = "support";
    in.folder = "INBOX";
    in.uid_validity = 1;
    in.uid = 1;
    in.arrived_at = kT0;
    in.raw =
        "From: a@customer.example\r\nMessage-ID: <m1@customer.example>"
        "\r\n\r\nhi\r\n";
    in.sha256 = core::Sha256Hex(in.raw);
    in.size = in.raw.size();
    in.message_id = "m1@customer.example";
    auto ref = store_->PutRawMessage(in);
    ASSERT_TRUE(ref);
    store::TicketIn t;
    t.mailbox = "support";
    t.prefix = "S";
    t.customer = "a@customer.example";
    t.subject = "Printer";
    t.normalized_subject = "printer";
    t.opened_at = kT0;
    t.first_message = ref->id;
    auto created = store_->CreateTicket(t);
    ASSERT_TRUE(created);
    ASSERT_TRUE(store_->AddTicketThreadIndex(created->id, kBase));
  }

  // An Outlook conversation base (22 bytes, lower-case hex).
  const std::string kBase = "01d34d4fee835cae317d961a473bb251b68869c10d80";

  core::FakeClock clock_{kT0};
  std::unique_ptr<store::Store> store_;
};

TEST_F(StoreThreadLookupTest, MapsStoreTicketsAndMisses) {
  StoreThreadLookup lookup(store_.get());
  const TicketRef want{"S", 1000, "support"};
  struct Case {
    std::string name;
    core::Result<std::optional<TicketRef>> got;
    bool want_found;
  } cases[] = {
      {"tag", lookup.ByTag("S", 1000), true},
      {"tag: other number", lookup.ByTag("S", 1001), false},
      {"tag: other prefix", lookup.ByTag("Q", 1000), false},
      {"message id", lookup.ByMessageId("m1@customer.example"), true},
      {"message id: unknown", lookup.ByMessageId("zz@customer.example"), false},
      {"message id: empty", lookup.ByMessageId(""), false},
      {"subject", lookup.BySubject("a@customer.example", "printer", kT0 - 1h),
       true},
      {"subject: other customer",
       lookup.BySubject("b@customer.example", "printer", kT0 - 1h), false},
      {"subject: outside the window",
       lookup.BySubject("a@customer.example", "printer", kT0 + 1h), false},
      {"thread index", lookup.ByThreadIndex(kBase), true},
      {"thread index: other conversation",
       lookup.ByThreadIndex(std::string(44, '0')), false},
      {"thread index: empty", lookup.ByThreadIndex(""), false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_TRUE(c.got) << c.got.error().ToString();
    ASSERT_EQ(c.got->has_value(), c.want_found);
    if (c.want_found) {
      EXPECT_EQ(**c.got, want);
    }
  }
}

// A store error (here: the tickets table is gone, as on a damaged file) is
// returned, never turned into "no thread" (which would open a new ticket).
TEST(StoreThreadLookupErrorTest, StoreErrorsAreReturnedNotMisses) {
  const std::string path =
      ::testing::TempDir() + "inboxd_stl_" + std::to_string(getpid()) + ".db";
  std::filesystem::remove(path);
  core::FakeClock clock(kT0);
  {
    auto s = store::Store::Open(path, &clock);
    ASSERT_TRUE(s) << s.error().ToString();
    std::unique_ptr<store::Store> st = std::move(*s);
    {
      SQLite::Database raw(path, SQLite::OPEN_READWRITE);
      raw.exec("PRAGMA foreign_keys = OFF");
      raw.exec("DROP TABLE ticket_messages");
      raw.exec("DROP TABLE ticket_thread_indexes");
      raw.exec("DROP TABLE tickets");
    }
    StoreThreadLookup lookup(st.get());
    struct Case {
      std::string name;
      core::Result<std::optional<TicketRef>> got;
    } cases[] = {
        {"tag", lookup.ByTag("S", 1000)},
        {"message id", lookup.ByMessageId("m1@customer.example")},
        {"subject", lookup.BySubject("a@customer.example", "printer", kT0)},
        {"thread index", lookup.ByThreadIndex(std::string(44, '0'))},
    };
    for (const Case& c : cases) {
      SCOPED_TRACE(c.name);
      ASSERT_FALSE(c.got);
      EXPECT_NE(c.got.error().code, core::Code::kNotFound);
      EXPECT_NE(c.got.error().message.find("thread lookup"), std::string::npos)
          << c.got.error().message;
    }
  }
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(path + suffix);
  }
}

}  // namespace
}  // namespace inboxd::classify
