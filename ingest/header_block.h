// header_block.h: splits an RFC 5322 header block into fields, ourselves.
//
// mimetic stops reading headers at the first line without a colon or with
// an 8-bit byte in the name, and turns the rest (Content-Type included) into
// body (DEPS-FACTS 4.2). This parser keeps going instead and records why.
// Does: unfolding (CRLF before WSP removed, WSP kept), field order, 8-bit
// bytes kept raw, a leading mbox "From " line skipped, a header limit. Does
// not: decode values (rfc2047.h) or interpret fields.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/message.h"

namespace inboxd::ingest {

struct HeaderBlock {
  std::vector<core::HeaderField> fields;  // unfolded, trimmed, in order
  // Offset in the input where the body starts (after the blank line), or
  // the input size when there is no body.
  size_t body_offset = 0;
  // Bytes of the header block including its terminating blank line. When
  // the header was cut at the limit this is the full size it would have.
  size_t header_bytes = 0;
  bool truncated = false;  // header_bytes > the limit passed in
  std::vector<std::string> warnings;
};

// Parses the header block at the start of `raw`, reading at most
// `max_header_bytes` bytes of it (beyond that `truncated` is set and the
// fields read so far are kept). The header ends at the first empty line.
// A line that is neither a field nor a continuation is skipped with a
// warning when a field line follows it (so a hidden Content-Type is still
// seen); otherwise the header ends there and that line starts the body.
// Never fails.
HeaderBlock ParseHeaderBlock(std::string_view raw, size_t max_header_bytes);

// Returns the value of the first field named `name` (case-insensitive) or
// nullptr.
const std::string* FindField(const std::vector<core::HeaderField>& fields,
                             std::string_view name);

}  // namespace inboxd::ingest
