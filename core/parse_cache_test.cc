#include "core/parse_cache.h"

#include <gtest/gtest.h>

namespace inboxd::core {
namespace {

Message WithSubject(std::string s) {
  Message m;
  m.subject = std::move(s);
  return m;
}

TEST(ParseCacheTest, KeepsTheNewestUpToItsCapacity) {
  ParseCache cache(2);
  EXPECT_EQ(cache.Get(1), nullptr);
  cache.Put(1, WithSubject("one"));
  cache.Put(2, WithSubject("two"));
  ASSERT_NE(cache.Get(1), nullptr);
  EXPECT_EQ(cache.Get(1)->subject, "one");
  cache.Put(3, WithSubject("three"));  // drops 1, the oldest put
  EXPECT_EQ(cache.Get(1), nullptr);
  EXPECT_EQ(cache.Get(2)->subject, "two");
  EXPECT_EQ(cache.Get(3)->subject, "three");
  EXPECT_EQ(cache.size(), 2u);
  // A put for a row that is there replaces it.
  cache.Put(2, WithSubject("two again"));
  EXPECT_EQ(cache.Get(2)->subject, "two again");
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.hits(), 5);
  EXPECT_EQ(cache.misses(), 2);
  // An entry handed out outlives its eviction.
  auto held = cache.Get(3);
  cache.Put(4, WithSubject("four"));
  cache.Put(5, WithSubject("five"));
  EXPECT_EQ(cache.Get(3), nullptr);
  EXPECT_EQ(held->subject, "three");
  ParseCache off(0);
  off.Put(1, WithSubject("x"));
  EXPECT_EQ(off.Get(1), nullptr);
}

}  // namespace
}  // namespace inboxd::core
