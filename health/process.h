// process.h: facts about this process for the metrics
// (inboxd_process_resident_memory_bytes).
//
// What it does: reads the resident set size from /proc/self/statm (Linux).
// What it does not do: anything portable beyond Linux, or cache.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/error.h"

namespace inboxd::health {

// The resident set size of this process in bytes (the second field of
// /proc/self/statm times the page size). Failure: kUnavailable when the file
// cannot be read (no /proc), kInternal when it does not parse.
core::Result<int64_t> ReadResidentMemoryBytes();

// Parses the text of /proc/<pid>/statm ("size resident shared text lib data
// dt", in pages) and returns resident * page_size. Failure: kInternal naming
// what was wrong ("statm: ...").
core::Result<int64_t> ParseStatmResidentBytes(std::string_view statm,
                                              int64_t page_size);

}  // namespace inboxd::health
