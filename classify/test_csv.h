// test_csv.h: reads the labels.csv files of the conformance tests
// (../shared/corpus, tests/fixtures/lookalikes). Tests only.
#pragma once

#include <string>
#include <vector>

namespace inboxd::classify::testing {

// Splits one CSV line with "quoted, fields" and "" escapes (RFC 4180, one
// line per record); a CR is dropped.
inline std::vector<std::string> CsvFields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back().push_back(c);
    }
  }
  return out;
}

}  // namespace inboxd::classify::testing
