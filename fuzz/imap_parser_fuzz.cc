// imap_parser_fuzz.cc: libFuzzer target for the IMAP response parser
// (ingest/imap_parser.h). The body is FuzzImapParser in fuzz_targets.h, shared
// with fuzz/regression_test.cc.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return inboxd::fuzz::RunOne(inboxd::fuzz::FuzzImapParser, data, size);
}
