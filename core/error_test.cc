#include "core/error.h"

#include <gtest/gtest.h>

#include "core/clock.h"

namespace inboxd::core {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0)
    return Fail(Error::InvalidArgument("odd value " + std::to_string(x)));
  return x / 2;
}

TEST(ErrorTest, ResultCarriesValueOrError) {
  auto ok = Half(4);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 2);
  auto bad = Half(3);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Code::kInvalidArgument);
  EXPECT_EQ(bad.error().Wrap("halving").ToString(),
            "invalid_argument: halving: odd value 3");
}

TEST(ClockTest, FakeClockMovesOnlyWhenTold) {
  FakeClock clock(TimePoint(std::chrono::seconds(1'700'000'000)));
  EXPECT_EQ(FormatUtc(clock.Now()), "2023-11-14T22:13:20Z");
  clock.Advance(std::chrono::hours(2));
  EXPECT_EQ(FormatUtc(clock.Now()), "2023-11-15T00:13:20Z");
}

}  // namespace
}  // namespace inboxd::core
