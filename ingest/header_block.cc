#include "ingest/header_block.h"

#include <algorithm>

#include "core/text.h"

namespace inboxd::ingest {
namespace {

// Returns the line at raw[pos] without its line end, and sets *next to the
// start of the following line.
std::string_view LineAt(std::string_view raw, size_t pos, size_t* next) {
  size_t nl = raw.find('\n', pos);
  size_t end = nl == std::string_view::npos ? raw.size() : nl;
  *next = nl == std::string_view::npos ? raw.size() : nl + 1;
  std::string_view line = raw.substr(pos, end - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

enum class LineKind { kEmpty, kContinuation, kField, kField8Bit, kBad };

// Classifies a header line; for fields sets *colon to the colon's index.
LineKind Classify(std::string_view line, size_t* colon) {
  if (line.empty()) return LineKind::kEmpty;
  if (line[0] == ' ' || line[0] == '\t') return LineKind::kContinuation;
  bool eight_bit = false;
  for (size_t i = 0; i < line.size(); ++i) {
    auto c = static_cast<unsigned char>(line[i]);
    if (c == ':') {
      if (i == 0) return LineKind::kBad;
      *colon = i;
      return eight_bit ? LineKind::kField8Bit : LineKind::kField;
    }
    if (c >= 0x80) {
      eight_bit = true;
    } else if (c <= 32 || c == 127) {
      // RFC 5322 ftext excludes these; "Subject :" (obs-optional, WSP
      // before the colon) is allowed when only WSP follows the name.
      if (c == ' ' || c == '\t') {
        size_t j = i;
        while (j < line.size() && (line[j] == ' ' || line[j] == '\t')) ++j;
        if (j < line.size() && line[j] == ':') {
          *colon = j;
          return eight_bit ? LineKind::kField8Bit : LineKind::kField;
        }
      }
      return LineKind::kBad;
    }
  }
  return LineKind::kBad;
}

}  // namespace

HeaderBlock ParseHeaderBlock(std::string_view raw, size_t max_header_bytes) {
  HeaderBlock hb;
  size_t pos = 0;
  size_t line_no = 0;
  constexpr size_t kNone = static_cast<size_t>(-1);
  size_t current = kNone;  // index of the field being unfolded
  bool ended = false;
  while (pos < raw.size()) {
    if (pos > max_header_bytes) {
      hb.truncated = true;
      break;
    }
    size_t next;
    std::string_view line = LineAt(raw, pos, &next);
    ++line_no;
    if (next > max_header_bytes && !line.empty()) {
      hb.truncated = true;  // this line would cross the limit
      break;
    }
    size_t colon = 0;
    LineKind kind = Classify(line, &colon);
    if (kind == LineKind::kEmpty) {
      hb.body_offset = next;
      hb.header_bytes = next;
      ended = true;
      break;
    }
    if (kind == LineKind::kContinuation) {
      if (current != kNone) {
        hb.fields[current].value.append(
            line);  // unfold: the line end goes, WSP stays
      } else {
        hb.warnings.push_back("header line " + std::to_string(line_no) +
                              " is a continuation without a field");
      }
      pos = next;
      continue;
    }
    if (kind == LineKind::kField || kind == LineKind::kField8Bit) {
      if (kind == LineKind::kField8Bit) {
        hb.warnings.push_back("8-bit byte in header name on line " +
                              std::to_string(line_no));
      }
      core::HeaderField f;
      f.name = std::string(core::Trim(line.substr(0, colon)));
      f.value = std::string(line.substr(colon + 1));
      hb.fields.push_back(std::move(f));
      current = hb.fields.size() - 1;
      pos = next;
      continue;
    }
    // A bad line. An mbox separator at the very top is not a header.
    if (line_no == 1 && line.starts_with("From ")) {
      hb.warnings.push_back("leading mbox From_ line skipped");
      pos = next;
      continue;
    }
    // If a field line follows, this is garbage inside the header (and may
    // hide a Content-Type below it): skip it. Otherwise the header ended
    // without the blank line and this line starts the body.
    size_t after;
    size_t c2 = 0;
    LineKind next_kind = next < raw.size()
                             ? Classify(LineAt(raw, next, &after), &c2)
                             : LineKind::kEmpty;
    bool field_follows = next_kind == LineKind::kField ||
                         next_kind == LineKind::kField8Bit ||
                         next_kind == LineKind::kContinuation;
    if (field_follows && !hb.fields.empty()) {
      hb.warnings.push_back("header line " + std::to_string(line_no) +
                            " without colon skipped; header parsing went on");
      current = kNone;
      pos = next;
      continue;
    }
    if (field_follows && hb.fields.empty()) {
      hb.warnings.push_back("header line " + std::to_string(line_no) +
                            " without colon skipped before the first field");
      pos = next;
      continue;
    }
    hb.warnings.push_back("header ended at line " + std::to_string(line_no) +
                          " without a blank line");
    hb.body_offset = pos;
    hb.header_bytes = pos;
    ended = true;
    break;
  }
  if (!ended) {
    if (hb.truncated) {
      // Report the full size: find the blank line beyond the limit (one
      // linear scan, no parsing).
      size_t blank = raw.find("\n\n", pos > 0 ? pos - 1 : 0);
      size_t blank_crlf = raw.find("\n\r\n", pos > 0 ? pos - 1 : 0);
      size_t end = std::min(
          blank == std::string_view::npos ? raw.size() : blank + 2,
          blank_crlf == std::string_view::npos ? raw.size() : blank_crlf + 3);
      hb.header_bytes = end;
      hb.body_offset = end;
    } else {
      hb.header_bytes = raw.size();
      hb.body_offset = raw.size();
    }
  }
  if (hb.header_bytes > max_header_bytes) hb.truncated = true;
  for (auto& f : hb.fields) f.value = std::string(core::Trim(f.value));
  return hb;
}

const std::string* FindField(const std::vector<core::HeaderField>& fields,
                             std::string_view name) {
  for (const auto& f : fields) {
    if (core::IEquals(f.name, name)) return &f.value;
  }
  return nullptr;
}

}  // namespace inboxd::ingest
