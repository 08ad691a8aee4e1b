// seed_corpus.cc: inboxd_fuzz_seeds, the helper scripts/fuzz uses to list
// the targets and to fill a target's working corpus from the fixtures, so
// that the seed table (fuzz_targets.cc) has one reader.
//
//   inboxd_fuzz_seeds list
//       prints "NAME MAX_LEN DICT" for every target, in run order.
//   inboxd_fuzz_seeds seed TARGET SOURCE_DIR OUT_DIR [SHARED_CORPUS_DIR]
//       writes every seed of TARGET (fixtures under SOURCE_DIR, the inputs in
//       SOURCE_DIR/tests/fixtures/fuzz/TARGET/ as they are, and *.eml under
//       SHARED_CORPUS_DIR for targets that take it) into OUT_DIR, one file
//       per seed named by its SHA-256, and prints how many.
//
// Exit status: 0 on success, 1 when a seed path is missing or a file cannot
// be read or written, 2 on bad usage.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "core/hash.h"
#include "fuzz/fuzz_targets.h"

namespace inboxd::fuzz {
namespace {

namespace fs = std::filesystem;

bool ReadFile(const fs::path& p, std::string* out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in),
              std::istreambuf_iterator<char>());
  return !in.bad();
}

// Regular files under `dir` (recursively) that `keep` accepts, sorted.
template <typename Keep>
std::vector<fs::path> FilesUnder(const fs::path& dir, Keep keep) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_regular_file(ec) && keep(it->path())) files.push_back(*it);
  }
  std::sort(files.begin(), files.end());
  return files;
}

int Seed(const Target& t, const fs::path& source_dir, const fs::path& out_dir,
         const fs::path& shared_dir) {
  std::vector<std::string> missing;
  std::vector<fs::path> fixtures = SeedFiles(t, source_dir, &missing);
  for (const std::string& m : missing) {
    std::fprintf(stderr, "inboxd_fuzz_seeds: %s: seed path %s is missing\n",
                 std::string(t.name).c_str(), m.c_str());
  }
  if (!missing.empty()) return 1;
  // Inputs that once failed are seeds as they are (never split).
  std::vector<fs::path> found =
      FilesUnder(source_dir / "tests/fixtures/fuzz" / t.name,
                 [](const fs::path&) { return true; });
  std::vector<fs::path> shared;
  if (t.shared_corpus && !shared_dir.empty()) {
    shared = FilesUnder(
        shared_dir, [](const fs::path& p) { return p.extension() == ".eml"; });
  }
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) {
    std::fprintf(stderr, "inboxd_fuzz_seeds: cannot create %s: %s\n",
                 out_dir.c_str(), ec.message().c_str());
    return 1;
  }
  std::set<std::string> written;
  auto write = [&](const std::string& seed) {
    std::string name = core::Sha256Hex(seed);
    if (!written.insert(name).second) return true;
    std::ofstream out(out_dir / name, std::ios::binary | std::ios::trunc);
    out.write(seed.data(), static_cast<std::streamsize>(seed.size()));
    return static_cast<bool>(out);
  };
  size_t files = 0;
  for (const auto* list : {&fixtures, &shared, &found}) {
    for (const fs::path& p : *list) {
      std::string bytes;
      if (!ReadFile(p, &bytes)) {
        std::fprintf(stderr, "inboxd_fuzz_seeds: cannot read %s\n", p.c_str());
        return 1;
      }
      ++files;
      std::vector<std::string> seeds;
      if (list == &found) {
        seeds.push_back(std::move(bytes));
      } else {
        seeds = SeedsFromFile(t, bytes);
      }
      for (const std::string& s : seeds) {
        if (!write(s)) {
          std::fprintf(stderr, "inboxd_fuzz_seeds: cannot write to %s\n",
                       out_dir.c_str());
          return 1;
        }
      }
    }
  }
  std::printf(
      "%zu seeds from %zu files (%zu fixtures, %zu shared corpus, %zu "
      "regression inputs)\n",
      written.size(), files, fixtures.size(), shared.size(), found.size());
  return 0;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && args[0] == "list") {
    for (const Target& t : Targets()) {
      std::printf("%s %zu %s\n", std::string(t.name).c_str(), t.max_len,
                  std::string(t.dict).c_str());
    }
    return 0;
  }
  if ((args.size() == 4 || args.size() == 5) && args[0] == "seed") {
    const Target* t = FindTarget(args[1]);
    if (t == nullptr) {
      std::fprintf(stderr, "inboxd_fuzz_seeds: unknown target %s\n",
                   args[1].c_str());
      return 2;
    }
    return Seed(*t, args[2], args[3], args.size() == 5 ? args[4] : "");
  }
  std::fprintf(stderr,
               "usage: inboxd_fuzz_seeds list\n"
               "       inboxd_fuzz_seeds seed TARGET SOURCE_DIR OUT_DIR "
               "[SHARED_CORPUS_DIR]\n");
  return 2;
}

}  // namespace
}  // namespace inboxd::fuzz

int main(int argc, char** argv) { return inboxd::fuzz::Main(argc, argv); }
