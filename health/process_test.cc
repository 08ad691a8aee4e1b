// process_test.cc: parsing /proc/self/statm, and that the resident size read
// from this process is real (it grows when memory is touched).
#include "health/process.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>

namespace inboxd::health {
namespace {

TEST(ParseStatmTest, Table) {
  const struct {
    const char* text;
    int64_t page_size;
    int64_t want;  // -1: error
  } cases[] = {
      {"1000 250 100 10 0 500 0\n", 4096, 250 * 4096},
      {"1000 250", 4096, 250 * 4096},
      {"0 0 0 0 0 0 0\n", 4096, 0},
      {"7 3 1 1 0 2 0", 65536, 3 * 65536},
      {"", 4096, -1},
      {"1000", 4096, -1},
      {"1000\n250", 4096, -1},
      {"1000  250", 4096, -1},
      {"1000 x", 4096, -1},
      {"1000 -1", 4096, -1},
      {"1000 250", 0, -1},
      {"1 9223372036854775807", 4096, -1},  // overflows bytes
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto got = ParseStatmResidentBytes(c.text, c.page_size);
    if (c.want < 0) {
      ASSERT_FALSE(got.has_value());
      EXPECT_EQ(got.error().code, core::Code::kInternal);
      EXPECT_EQ(got.error().message.rfind("statm: ", 0), 0u);
    } else {
      ASSERT_TRUE(got.has_value()) << got.error().message;
      EXPECT_EQ(*got, c.want);
    }
  }
}

TEST(ReadResidentMemoryBytesTest, GrowsWhenMemoryIsTouched) {
  auto before = ReadResidentMemoryBytes();
  ASSERT_TRUE(before.has_value()) << before.error().message;
  EXPECT_GT(*before, 0);
  // 64 MiB allocated and written: resident, unlike merely allocated memory.
  constexpr size_t kSize = size_t{64} << 20;
  auto block = std::make_unique<char[]>(kSize);
  std::memset(block.get(), 0x5a, kSize);
  auto after = ReadResidentMemoryBytes();
  ASSERT_TRUE(after.has_value()) << after.error().message;
  EXPECT_GE(*after - *before, static_cast<int64_t>(kSize / 2))
      << *before << " -> " << *after;
  // Keep the writes from being optimised away.
  EXPECT_EQ(block[kSize - 1], 0x5a);
}

}  // namespace
}  // namespace inboxd::health
