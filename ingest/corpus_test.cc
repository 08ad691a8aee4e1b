// Conformance over the shared public corpus (../shared/corpus, or the
// directory in $INBOXD_CORPUS): every message parses or is refused with
// DataLoss (then quarantined); nothing crashes. Skipped when absent.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>

#include "core/limits.h"
#include "ingest/file_source.h"
#include "ingest/mime_adapter.h"

namespace inboxd::ingest {
namespace {

std::filesystem::path CorpusDir() {
  if (const char* env = std::getenv("INBOXD_CORPUS"); env && *env) return env;
  return std::filesystem::path(INBOXD_SOURCE_DIR) / ".." / "shared" / "corpus";
}

TEST(CorpusTest, EveryMessageParsesOrIsRefused) {
  std::filesystem::path dir = CorpusDir();
  if (!std::filesystem::exists(dir)) {
    GTEST_SKIP() << "no corpus at " << dir;
  }
  FileSourceOptions opt;
  opt.skip_suffixes = {".md", ".csv"};  // README.md and labels.csv
  core::Limits limits;
  size_t items = 0, parsed = 0, refused = 0, read_errors = 0, warned = 0;
  size_t from_html = 0, with_dsn = 0, no_text = 0;
  std::map<std::string, size_t> reasons;
  FileSource src(dir, opt);
  auto st = src.ForEach([&](MailItem&& item) {
    ++items;
    if (!item.raw.has_value()) {
      ++read_errors;
      ADD_FAILURE() << item.label << ": " << item.raw.error().ToString();
      return true;
    }
    auto r = ParseMessage(*item.raw, limits);
    if (r.has_value()) {
      ++parsed;
      if (!r->warnings.empty()) ++warned;
      if (r->text_from_html) ++from_html;
      if (r->delivery_status) ++with_dsn;
      if (r->text.empty()) ++no_text;
      EXPECT_EQ(r->raw_size, item.raw->size()) << item.label;
      EXPECT_EQ(r->sha256.size(), 64u) << item.label;
    } else {
      ++refused;
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
  EXPECT_GT(items, 0u);
  EXPECT_EQ(parsed + refused, items - read_errors);
}

}  // namespace
}  // namespace inboxd::ingest
