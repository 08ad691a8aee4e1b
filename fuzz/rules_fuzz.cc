// rules_fuzz.cc: libFuzzer target for operator rule text to compiled rules
// (config::ParseRules, classify/rule_engine.h). The body is FuzzRules in
// fuzz_targets.h, shared with fuzz/regression_test.cc.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return inboxd::fuzz::RunOne(inboxd::fuzz::FuzzRules, data, size);
}
