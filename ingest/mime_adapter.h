// mime_adapter.h: raw RFC 5322 / MIME bytes -> core::Message, defensively.
//
// Does: enforces the named limits of core::Limits before any structure is
// built (message size, header bytes, MIME depth and part count, checked as
// the tree is walked, before descending); parses headers (header_block.h),
// addresses (address.h), encoded words and parameters (rfc2047.h), dates,
// charsets (charset.h); picks the body text (first inline text/plain, else
// HTML -> text); lists attachments and leaf part types; reads RFC 3464
// delivery reports. Hostile or broken input returns DataLoss with a precise
// reason, never a crash. Does not: classify, store, or normalise scripts.
//
// Why not mimetic for the tree: Debian's mimetic 0.9.8 splits on boundaries
// found in mid-line, loses or misplaces parts when an inner closing boundary
// is missing, uses "--" as the boundary when the parameter is missing, throws
// std::length_error on tiny inputs, overflows the stack on deep nesting and
// has no limits (DEPS-FACTS 4.2). Each of these needs a line-start boundary
// scan of our own to detect; that scan *is* a splitter, so the tree is built
// here (one pass per nesting level, views into the raw bytes, no copies of
// undecoded parts) and mimetic is not linked.
#pragma once

#include <string_view>

#include "core/error.h"
#include "core/limits.h"
#include "core/message.h"

namespace inboxd::ingest {

// Parses `raw` into a fully filled Message (sha256 and raw_size always set).
// Success: the message; odd but harmless things are in Message::warnings.
// Failure: DataLoss with the reason, e.g. "message 30000000 bytes over limit
// 26214400", "header block 1200000 bytes over limit 1048576", "mime depth
// 21 over limit 20", "mime part count 1001 over limit 1000", "no header
// block". The caller quarantines the raw bytes with that reason.
core::Result<core::Message> ParseMessage(std::string_view raw,
                                         const core::Limits& limits);

// Reads what it can of the header block (at most limits.max_header_bytes):
// headers, message_id, from, sender, reply_to, to, cc, subject, date,
// in_reply_to, references, return_path, content_type; sha256 and raw_size
// are always set. For quarantine records of messages ParseMessage refused.
// Never fails.
core::Message ParseHeadersBestEffort(std::string_view raw,
                                     const core::Limits& limits);

}  // namespace inboxd::ingest
