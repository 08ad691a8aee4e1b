// address_fuzz.cc: libFuzzer target for the address parser (ingest/address.h).
// The body is FuzzAddress in fuzz_targets.h, shared with
// fuzz/regression_test.cc.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return inboxd::fuzz::RunOne(inboxd::fuzz::FuzzAddress, data, size);
}
