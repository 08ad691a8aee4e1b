#include "ingest/imap_reader.h"

#include <gtest/gtest.h>

#include <deque>

namespace inboxd::ingest {
namespace {

using std::chrono::milliseconds;

// Hands out fixed chunks, then times out (or fails when told).
class ChunkTransport final : public ImapTransport {
 public:
  explicit ChunkTransport(std::deque<std::string> chunks,
                          bool fail_at_end = false)
      : chunks_(std::move(chunks)), fail_at_end_(fail_at_end) {}
  core::Status Send(std::string_view) override { return core::Ok(); }
  core::Result<size_t> Recv(char* buf, size_t cap, milliseconds) override {
    if (chunks_.empty()) {
      if (fail_at_end_) return core::Fail(core::Error::Unavailable("closed"));
      return size_t{0};
    }
    std::string& c = chunks_.front();
    size_t n = std::min(cap, c.size());
    c.copy(buf, n);
    c.erase(0, n);
    if (c.empty()) chunks_.pop_front();
    return n;
  }
  void Add(std::string c) { chunks_.push_back(std::move(c)); }

 private:
  std::deque<std::string> chunks_;
  bool fail_at_end_;
};

TEST(ImapReaderTest, SplitsResponsesAndSkipsLiteralsByCount) {
  const std::string body =
      "A004 OK injected\r\n* 9 FETCH (FLAGS ())\r\n{3}\r\n";
  const std::string fetch = "* 1 FETCH (BODY[] {" +
                            std::to_string(body.size()) + "}\r\n" + body +
                            " UID 5)\r\n";
  const std::string all = "* 1 EXISTS\r\n" + fetch + "A004 OK done\r\n";
  // Every split point of the stream must give the same three responses.
  for (size_t split = 1; split < all.size(); ++split) {
    ChunkTransport t({all.substr(0, split), all.substr(split)});
    ImapReader reader(&t, {});
    std::vector<std::string> got;
    while (true) {
      auto r = reader.Read(milliseconds(0));
      ASSERT_TRUE(r.has_value());
      if (!r->has_value()) break;
      got.push_back(**r);
    }
    ASSERT_EQ(got.size(), 3u) << "split " << split;
    EXPECT_EQ(got[0], "* 1 EXISTS\r\n");
    EXPECT_EQ(got[1], fetch);
    EXPECT_EQ(got[2], "A004 OK done\r\n");
  }
}

TEST(ImapReaderTest, KeepsPartialResponseAcrossTimeout) {
  ChunkTransport t({"* 3 EXI"});
  ImapReader reader(&t, {});
  auto first = reader.Read(milliseconds(0));
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(first->has_value());
  t.Add("STS\r");
  auto second = reader.Read(milliseconds(0));
  ASSERT_TRUE(second.has_value());
  EXPECT_FALSE(second->has_value());
  t.Add("\n");
  auto third = reader.Read(milliseconds(0));
  ASSERT_TRUE(third.has_value());
  ASSERT_TRUE(third->has_value());
  EXPECT_EQ(**third, "* 3 EXISTS\r\n");
}

TEST(ImapReaderTest, Limits) {
  struct Case {
    std::string stream;
    ImapReaderLimits limits;
    bool ok;
  } cases[] = {
      {"* SEARCH 1 2 3\r\n", {16, 100}, true},
      {"* SEARCH 1 2 3 4 5 6 7\r\n", {16, 100}, false},  // line too long
      {"* SEARCH 1 2 3 4 5 6 7", {16, 100}, false},      // and unfinished
      {"* 1 FETCH (BODY[] {10}\r\n0123456789)\r\n", {64, 10}, true},
      {"* 1 FETCH (BODY[] {11}\r\n01234567890)\r\n", {64, 10}, false},
  };
  for (const auto& c : cases) {
    ChunkTransport t({c.stream});
    ImapReader reader(&t, c.limits);
    auto r = reader.Read(milliseconds(0));
    if (c.ok) {
      ASSERT_TRUE(r.has_value()) << c.stream;
      EXPECT_TRUE(r->has_value()) << c.stream;
    } else {
      ASSERT_FALSE(r.has_value()) << c.stream;
      EXPECT_EQ(r.error().code, core::Code::kDataLoss) << c.stream;
    }
  }
}

TEST(ImapReaderTest, TransportFailureIsUnavailable) {
  ChunkTransport t({"* 1 FETCH (BODY[] {10}\r\n01234"}, /*fail_at_end=*/true);
  ImapReader reader(&t, {});
  auto r = reader.Read(milliseconds(0));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, core::Code::kUnavailable);
}

}  // namespace
}  // namespace inboxd::ingest
