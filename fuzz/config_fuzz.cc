// config_fuzz.cc: libFuzzer target for the config loader (config/loader.h).
// The body is FuzzConfig in fuzz_targets.h, shared with
// fuzz/regression_test.cc.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return inboxd::fuzz::RunOne(inboxd::fuzz::FuzzConfig, data, size);
}
