#include "ingest/sync_backoff.h"

#include <gtest/gtest.h>

namespace inboxd::ingest {
namespace {

using std::chrono::seconds;

TEST(BackoffTest, DoublesUpToCapAndResets) {
  Backoff b(seconds(1), seconds(300));
  const int want[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300};
  for (int w : want) EXPECT_EQ(b.Next(), seconds(w));
  EXPECT_EQ(b.failures(), 12);
  b.Reset();
  EXPECT_EQ(b.Next(), seconds(1));
  // Many failures never overflow past the cap.
  for (int i = 0; i < 100; ++i) EXPECT_LE(b.Next(), seconds(300));
}

TEST(BackoffTest, CapBelowInitial) {
  Backoff b(seconds(10), seconds(3));
  EXPECT_EQ(b.Next(), seconds(3));
  EXPECT_EQ(b.Next(), seconds(3));
}

}  // namespace
}  // namespace inboxd::ingest
