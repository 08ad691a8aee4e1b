// rfc2047_fuzz.cc: libFuzzer target for RFC 2047 / RFC 2231 header text
// (ingest/rfc2047.h). The body is FuzzRfc2047 in fuzz_targets.h, shared with
// fuzz/regression_test.cc.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return inboxd::fuzz::RunOne(inboxd::fuzz::FuzzRfc2047, data, size);
}
