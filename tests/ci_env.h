// ci_env.h: whether a test runs in CI, and a skip that becomes a failure
// there.
//
// Does: InCi() reads the CI environment variable (set, not empty, not "0" or
// "false"; .ci/run sets it). INBOXD_SKIP_OR_FAIL() is for a test that cannot
// run here (no mail rig, server, python or ../shared/corpus): outside CI it
// skips like GTEST_SKIP(); in CI, which has root, the servers and
// ../shared/corpus, the same thing is a broken CI and the test fails.
// Does not: replace GTEST_SKIP() for a skip that is right everywhere.
//
// Usage, in a TEST body or SetUp() (it returns from the function, so use it
// where GTEST_SKIP() would go; not in SetUpTestSuite(): gtest turns any
// failure there into skips, so record the error there and call this from
// SetUp()):
//   if (!rig) INBOXD_SKIP_OR_FAIL() << rig.error().message;
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string_view>

namespace inboxd::tests {

inline bool InCi() {
  const char* v = std::getenv("CI");
  if (v == nullptr) return false;
  std::string_view s(v);
  return !s.empty() && s != "0" && s != "false";
}

}  // namespace inboxd::tests

// Streams like GTEST_SKIP(): a skip outside CI, a fatal failure in CI. Built
// the way gtest builds GTEST_SKIP() and FAIL(), with the kind picked at run
// time.
#define INBOXD_SKIP_OR_FAIL()                                                \
  return GTEST_MESSAGE_(                                                     \
      ::inboxd::tests::InCi()                                                \
          ? "cannot run here, and CI is set: a failure, not a skip (CI has " \
            "root, the servers and ../shared/corpus):"                       \
          : "cannot run here (a failure when CI is set):",                   \
      ::inboxd::tests::InCi() ? ::testing::TestPartResult::kFatalFailure     \
                              : ::testing::TestPartResult::kSkip)
