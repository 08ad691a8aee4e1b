// regression_test.cc: runs every fuzz target's body (fuzz_targets.h) over
// the target's seeds from the fixtures and over every input the fuzzers
// once failed on (tests/fixtures/fuzz/<target>/), in the normal build, so a
// fixed crash stays fixed under plain ctest and under ASan + UBSan.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

#include "core/text.h"
#include "fuzz/fuzz_targets.h"

namespace inboxd::fuzz {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = INBOXD_SOURCE_DIR;
const fs::path kFoundDir = kSourceDir / "tests/fixtures/fuzz";

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in) << "cannot read " << p;
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

std::vector<std::string> TargetNames() {
  std::vector<std::string> names;
  for (const Target& t : Targets()) names.emplace_back(t.name);
  return names;
}

class FuzzRegression : public testing::TestWithParam<std::string> {};

// Every seed the fuzzer starts from, and every input a fuzzer once failed
// on (minimized, named for the defect, run as it is), keeps every promise
// the target's body checks.
TEST_P(FuzzRegression, SeedsAndFoundInputsPass) {
  const Target* t = FindTarget(GetParam());
  ASSERT_NE(t, nullptr);
  std::vector<std::string> missing;
  std::vector<fs::path> files = SeedFiles(*t, kSourceDir, &missing);
  EXPECT_TRUE(missing.empty()) << "missing seed path " << missing.front();
  size_t seeds = 0;
  for (const fs::path& file : files) {
    for (const std::string& seed : SeedsFromFile(*t, ReadFile(file))) {
      ++seeds;
      EXPECT_EQ(t->body(seed), "")
          << file << ", seed \"" << core::Printable(seed.substr(0, 200))
          << "\"";
    }
  }
  EXPECT_GT(seeds, 0u) << "target " << t->name << " has no seeds";
  EXPECT_TRUE(fs::is_regular_file(kSourceDir / t->dict)) << t->dict;
  std::error_code ec;
  for (fs::directory_iterator it(kFoundDir / t->name, ec), end;
       !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    EXPECT_EQ(t->body(ReadFile(it->path())), "") << it->path();
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzRegression,
                         testing::ValuesIn(TargetNames()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// A folder of found inputs that names no target would never be run.
TEST(FuzzRegressionLayout, EveryFoundInputFolderNamesATarget) {
  std::error_code ec;
  for (fs::directory_iterator it(kFoundDir, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (!it->is_directory()) continue;
    EXPECT_NE(FindTarget(it->path().filename().string()), nullptr)
        << it->path() << " names no fuzz target";
  }
}

}  // namespace
}  // namespace inboxd::fuzz
