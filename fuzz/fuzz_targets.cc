// fuzz_targets.cc: the table of fuzz targets and how fixture files become
// their seeds.
#include "fuzz/fuzz_targets.h"

#include <algorithm>
#include <set>
#include <system_error>

#include "core/text.h"

namespace inboxd::fuzz {
namespace {

namespace fs = std::filesystem;

// Fields whose values are address lists or mailboxes.
constexpr std::string_view kAddressFields[] = {"from",
                                               "to",
                                               "cc",
                                               "bcc",
                                               "reply-to",
                                               "sender",
                                               "return-path",
                                               "resent-from",
                                               "resent-to",
                                               "resent-cc",
                                               "delivered-to",
                                               "x-original-to",
                                               "final-recipient",
                                               "original-recipient",
                                               "disposition-notification-to"};

// True for a file a seed folder contributes: mail (.eml), templates
// (.mustache), TOML and IMAP transcripts (.txt); not READMEs or label
// tables.
bool IsSeedFile(const fs::path& p) {
  std::string ext = p.extension().string();
  return ext == ".eml" || ext == ".mustache" || ext == ".toml" || ext == ".txt";
}

// Each "Name: value" field in `text` (at any line start, so that the
// headers of MIME parts and enclosed messages count too), unfolded and
// trimmed, with its name lower case.
std::vector<std::pair<std::string, std::string>> HeaderFields(
    std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  bool in_field = false;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (in_field && !line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      out.back().second += line;  // unfold: the line end goes, WSP stays
      continue;
    }
    in_field = false;
    size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    bool is_name = std::all_of(name.begin(), name.end(),
                               [](char c) { return c > ' ' && c < 127; });
    if (!is_name) continue;
    out.emplace_back(core::AsciiLower(name),
                     std::string(line.substr(colon + 1)));
    in_field = true;
  }
  for (auto& [name, value] : out) value = std::string(core::Trim(value));
  return out;
}

// `text`, and each of its sections from a "[table]" or "[[array]]" line to
// the next one (comment lines before a header stay with the section above).
std::vector<std::string> TomlTables(std::string_view text) {
  std::vector<std::string> out = {std::string(text)};
  std::vector<size_t> starts;
  for (size_t pos = 0; pos < text.size();) {
    if (text[pos] == '[') starts.push_back(pos);
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  for (size_t i = 0; i < starts.size(); ++i) {
    size_t end = i + 1 < starts.size() ? starts[i + 1] : text.size();
    out.emplace_back(text.substr(starts[i], end - starts[i]));
  }
  return out;
}

}  // namespace

const std::vector<Target>& Targets() {
  static const auto* targets = [] {
    // Mail fixtures: test messages, example mail and the reply templates
    // (each starts with a Subject header).
    const std::vector<std::string_view> mail = {"tests/fixtures/mime",
                                                "tests/fixtures/lookalikes",
                                                "examples/mail", "templates"};
    return new std::vector<Target>{
        {"mime", FuzzMime, SeedSplit::kWhole, mail, true, 64u << 10,
         "fuzz/dict/mail.dict"},
        {"rfc2047", FuzzRfc2047, SeedSplit::kHeaderValues, mail, true, 4096,
         "fuzz/dict/mail.dict"},
        {"address", FuzzAddress, SeedSplit::kAddressValues, mail, true, 4096,
         "fuzz/dict/mail.dict"},
        {"imap_parser",
         FuzzImapParser,
         SeedSplit::kWhole,
         {"fuzz/seeds/imap_parser"},
         false,
         8192,
         "fuzz/dict/imap.dict"},
        {"rules",
         FuzzRules,
         SeedSplit::kTomlTables,
         {"classify/default_rules.toml", "config/inboxd.example.toml"},
         false,
         16u << 10,
         "fuzz/dict/toml.dict"},
        {"config",
         FuzzConfig,
         SeedSplit::kTomlTables,
         {"config/inboxd.example.toml", "examples/inboxd.toml",
          "tests/fixtures/lookalikes/inboxd.toml"},
         false,
         24u << 10,
         "fuzz/dict/toml.dict"},
    };
  }();
  return *targets;
}

const Target* FindTarget(std::string_view name) {
  for (const Target& t : Targets()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::vector<fs::path> SeedFiles(const Target& target,
                                const fs::path& source_dir,
                                std::vector<std::string>* missing) {
  std::vector<fs::path> files;
  for (std::string_view rel : target.seed_paths) {
    fs::path p = source_dir / rel;
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
      continue;
    }
    if (!fs::is_directory(p, ec)) {
      missing->emplace_back(rel);
      continue;
    }
    for (fs::recursive_directory_iterator it(p, ec), end; !ec && it != end;
         it.increment(ec)) {
      if (it->is_regular_file(ec) && IsSeedFile(it->path())) {
        files.push_back(it->path());
      }
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

std::vector<std::string> SeedsFromFile(const Target& target,
                                       std::string_view bytes) {
  std::vector<std::string> seeds;
  switch (target.split) {
    case SeedSplit::kWhole:
      seeds.emplace_back(bytes);
      break;
    case SeedSplit::kHeaderValues:
      for (auto& [name, value] : HeaderFields(bytes)) {
        seeds.push_back(std::move(value));
      }
      break;
    case SeedSplit::kAddressValues:
      for (auto& [name, value] : HeaderFields(bytes)) {
        if (std::find(std::begin(kAddressFields), std::end(kAddressFields),
                      name) != std::end(kAddressFields)) {
          seeds.push_back(std::move(value));
        }
      }
      break;
    case SeedSplit::kTomlTables:
      seeds = TomlTables(bytes);
      break;
  }
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (std::string& s : seeds) {
    if (s.size() > target.max_len) s.resize(target.max_len);
    if (seen.insert(s).second) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace inboxd::fuzz
