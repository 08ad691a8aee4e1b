// fuzz_targets.h: the body of each libFuzzer target, shared by the fuzzers
// (fuzz/<name>_fuzz.cc, clang -fsanitize=fuzzer) and the regression test
// (fuzz/regression_test.cc, any compiler), and where each target's seeds
// come from.
//
// A body feeds one untrusted input to a parser and checks what that parser's
// header promises (UTF-8 out, limits kept, round trips, one error per line).
// It returns "" when every promise held, else the broken one. Crashes,
// leaks, hangs and undefined behaviour are caught by the sanitizers and by
// libFuzzer, not here. Bodies keep no state between inputs (only read-only
// data built once) and never read files.
//
// Does not: run the fuzzer (libFuzzer does, see scripts/fuzz) or find the
// shared corpus (scripts/fuzz passes it to fuzz/seed_corpus.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace inboxd::fuzz {

// Runs one input; returns "" or the broken promise, e.g.
// "ParseMessage: subject is not valid UTF-8".
using Body = std::string (*)(std::string_view input);

// ingest::ParseMessage and ParseHeadersBestEffort (ingest/mime_adapter.h),
// with the default limits and with tight ones.
std::string FuzzMime(std::string_view input);
// DecodeHeaderText, ParseHeaderParams, DecodeRfc2231Value (ingest/rfc2047.h)
// and the transfer and charset decoders they use; the input is one
// unfolded header value.
std::string FuzzRfc2047(std::string_view input);
// ParseAddressList and ParseMailbox (ingest/address.h); the input is one
// unfolded header value.
std::string FuzzAddress(std::string_view input);
// ParseImapResponse and the small IMAP formats (ingest/imap_parser.h); the
// input is one complete server response.
std::string FuzzImapParser(std::string_view input);
// Operator rule text to compiled rules: config::ParseRules
// (config/loader.h), classify::RuleEngine::Compile and Match
// (classify/rule_engine.h).
std::string FuzzRules(std::string_view input);
// config::ParseConfig (config/loader.h), and ShowConfig reading back.
std::string FuzzConfig(std::string_view input);

// How a fixture file becomes seeds for a target.
enum class SeedSplit {
  kWhole,          // the file as it is
  kHeaderValues,   // every unfolded "Name: value" value in the file
  kAddressValues,  // values of address fields (From, To, Cc, ...)
  kTomlTables,     // the file, and each [table] / [[array]] section alone
};

struct Target {
  // "mime": fuzz/mime_fuzz.cc, build/fuzz/corpus/mime and the regression
  // inputs in tests/fixtures/fuzz/mime/.
  std::string_view name;
  Body body;
  SeedSplit split;
  // Seed files and folders (searched recursively), relative to the source
  // tree; every one must exist.
  std::vector<std::string_view> seed_paths;
  // scripts/fuzz also seeds from ../shared/corpus (*.eml) when present.
  bool shared_corpus;
  // libFuzzer -max_len: longer inputs make no new paths, only slower runs.
  size_t max_len;
  // libFuzzer -dict, relative to the source tree.
  std::string_view dict;
};

// Every target, in the order scripts/fuzz runs them.
const std::vector<Target>& Targets();
// The target called `name`, or nullptr.
const Target* FindTarget(std::string_view name);

// The seed files of `target` under `source_dir` (sorted). Failure: a seed
// path that does not exist is returned in *missing.
std::vector<std::filesystem::path> SeedFiles(
    const Target& target, const std::filesystem::path& source_dir,
    std::vector<std::string>* missing);

// The seeds one fixture file gives `target`: split as target.split says,
// each cut to target.max_len, without duplicates, in file order.
std::vector<std::string> SeedsFromFile(const Target& target,
                                       std::string_view bytes);

// LLVMFuzzerTestOneInput's body: runs `body` and aborts (a crash for
// libFuzzer, which then writes the input out) when it reports a failure.
inline int RunOne(Body body, const uint8_t* data, size_t size) {
  std::string failed =
      body(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!failed.empty()) {
    std::fprintf(stderr, "fuzz check failed: %s\n", failed.c_str());
    std::abort();
  }
  return 0;
}

}  // namespace inboxd::fuzz
