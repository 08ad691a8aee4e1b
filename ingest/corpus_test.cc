// Conformance over the shared public corpus (../shared/corpus, or the
// directory in $INBOXD_CORPUS): every message parses or is refused with
// DataLoss (then quarantined); nothing crashes. Skipped when absent, a
// failure when CI is set (tests/ci_env.h).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "core/limits.h"
#include "ingest/file_source.h"
#include "ingest/mime_adapter.h"
#include "tests/ci_env.h"

namespace inboxd::ingest {
namespace {

std::filesystem::path CorpusDir() {
  if (const char* env = std::getenv("INBOXD_CORPUS"); env && *env) return env;
  return std::filesystem::path(INBOXD_SOURCE_DIR) / ".." / "shared" / "corpus";
}

// path (relative to the corpus) -> category, from labels.csv's first two
// columns; empty when the file is absent.
std::map<std::string, std::string> ReadCategories(
    const std::filesystem::path& dir) {
  std::map<std::string, std::string> out;
  std::ifstream in(dir / "labels.csv");
  std::string line;
  std::getline(in, line);  // header row
  while (std::getline(in, line)) {
    size_t c1 = line.find(',');
    if (c1 == std::string::npos) continue;
    size_t c2 = line.find(',', c1 + 1);
    out[line.substr(0, c1)] = line.substr(c1 + 1, c2 - c1 - 1);
  }
  return out;
}

struct Tally {
  size_t items = 0, parsed = 0, refused = 0, dsn = 0, html = 0, no_text = 0,
         warned = 0;
};

TEST(CorpusTest, EveryMessageParsesOrIsRefused) {
  std::filesystem::path dir = CorpusDir();
  if (!std::filesystem::exists(dir)) {
    INBOXD_SKIP_OR_FAIL() << "no corpus at " << dir;
  }
  FileSourceOptions opt;
  opt.skip_suffixes = {".md", ".csv"};  // README.md and labels.csv
  core::Limits limits;
  size_t items = 0, parsed = 0, refused = 0, read_errors = 0, warned = 0;
  size_t from_html = 0, with_dsn = 0, no_text = 0;
  std::map<std::string, size_t> reasons;
  std::map<std::string, std::string> categories = ReadCategories(dir);
  std::map<std::string, Tally> by_category;
  FileSource src(dir, opt);
  auto st = src.ForEach([&](MailItem&& item) {
    ++items;
    std::string rel =
        std::filesystem::path(item.label).lexically_relative(dir).string();
    if (size_t hash = rel.rfind('#'); hash != std::string::npos) {
      rel.resize(hash);  // an mbox message: "file#N"
    }
    auto cat_it = categories.find(rel);
    Tally& t = by_category[cat_it == categories.end() ? "(unlabelled)"
                                                      : cat_it->second];
    ++t.items;
    if (!item.raw.has_value()) {
      ++read_errors;
      ADD_FAILURE() << item.label << ": " << item.raw.error().ToString();
      return true;
    }
    auto r = ParseMessage(*item.raw, limits);
    if (r.has_value()) {
      ++parsed;
      ++t.parsed;
      if (!r->warnings.empty()) ++warned, ++t.warned;
      if (r->text_from_html) ++from_html, ++t.html;
      if (r->delivery_status) ++with_dsn, ++t.dsn;
      if (r->text.empty()) ++no_text, ++t.no_text;
      EXPECT_EQ(r->raw_size, item.raw->size()) << item.label;
      EXPECT_EQ(r->sha256.size(), 64u) << item.label;
    } else {
      ++refused;
      ++t.refused;
      EXPECT_EQ(r.error().code, core::Code::kDataLoss) << item.label;
      ++reasons[r.error().message];
      // A refused message still yields a quarantine record.
      core::Message q = ParseHeadersBestEffort(*item.raw, limits);
      EXPECT_EQ(q.raw_size, item.raw->size()) << item.label;
      std::cout << "refused " << item.label << ": " << r.error().message
                << "\n";
    }
    return true;
  });
  ASSERT_TRUE(st.has_value()) << st.error().ToString();
  std::cout << "corpus " << dir << ": " << items << " items, " << parsed
            << " parsed (" << warned << " with warnings, " << from_html
            << " text from HTML, " << with_dsn << " with delivery status, "
            << no_text << " without text), " << refused
            << " refused (DataLoss), " << read_errors << " read errors\n";
  std::cout << "category        items parsed refused warned dsn html "
               "no_text\n";
  for (const auto& [cat, t] : by_category) {
    std::printf("%-15s %5zu %6zu %7zu %6zu %3zu %4zu %7zu\n", cat.c_str(),
                t.items, t.parsed, t.refused, t.warned, t.dsn, t.html,
                t.no_text);
  }
  EXPECT_GT(items, 0u);
  EXPECT_EQ(parsed + refused, items - read_errors);
}

}  // namespace
}  // namespace inboxd::ingest
