#include "ingest/file_source.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>
#include <utility>

namespace inboxd::ingest {
namespace fs = std::filesystem;
namespace {

bool IsHidden(const std::string& name) {
  return !name.empty() && name[0] == '.';
}

core::Error IoError(const fs::path& p, const std::error_code& ec) {
  return core::Error::Unavailable("read " + p.string() + ": " + ec.message());
}

// Lists a directory's entries sorted by name. On error returns false and
// sets *ec.
bool ListSorted(const fs::path& dir, std::vector<fs::directory_entry>* out,
                std::error_code* ec) {
  fs::directory_iterator it(dir, *ec);
  if (*ec) return false;
  for (; it != fs::directory_iterator(); it.increment(*ec)) {
    if (*ec) return false;
    out->push_back(*it);
  }
  std::sort(out->begin(), out->end(),
            [](const fs::directory_entry& a, const fs::directory_entry& b) {
              return a.path().filename() < b.path().filename();
            });
  return true;
}

bool IsMaildir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir / "cur", ec) && fs::is_directory(dir / "new", ec);
}

// Reads the first line's first bytes: an mbox starts with "From ".
bool LooksLikeMbox(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  char buf[5] = {};
  in.read(buf, sizeof buf);
  return in.gcount() == 5 && std::memcmp(buf, "From ", 5) == 0;
}

// True for an RFC 4155 "From_" line: "From ", the envelope sender, then a
// timestamp ("From jane@example.org Mon Nov 23 10:00:00 2026"; Thunderbird
// writes "-" as the sender). A bare "From " line without a time and year is
// body text a broken writer failed to escape, not a separator.
bool IsFromLine(std::string_view line) {
  if (!line.starts_with("From ")) return false;
  std::string_view rest = line.substr(5);
  size_t sp = rest.find(' ');
  if (sp == 0 || sp == std::string_view::npos) return false;
  std::string_view stamp = rest.substr(sp + 1);
  bool has_time = false;
  for (size_t i = 1; i + 1 < stamp.size(); ++i) {
    if (stamp[i] == ':' &&
        std::isdigit(static_cast<unsigned char>(stamp[i - 1])) &&
        std::isdigit(static_cast<unsigned char>(stamp[i + 1]))) {
      has_time = true;
      break;
    }
  }
  size_t digits = 0, best = 0;
  for (char c : stamp) {
    digits = std::isdigit(static_cast<unsigned char>(c)) ? digits + 1 : 0;
    best = std::max(best, digits);
  }
  return has_time && best >= 4;
}

}  // namespace

FileSource::FileSource(fs::path root, FileSourceOptions options)
    : root_(std::move(root)), options_(std::move(options)) {}

core::Status FileSource::ForEach(
    const std::function<bool(MailItem&&)>& fn) const {
  std::error_code ec;
  if (!fs::exists(root_, ec)) {
    return core::Fail(core::Error::NotFound("replay path " + root_.string() +
                                            ": no such file or directory"));
  }
  VisitPath(root_, 0, fn);
  return core::Ok();
}

bool FileSource::Skipped(const std::string& name) const {
  return IsHidden(name) || HasSuffix(name, options_.skip_suffixes);
}

bool FileSource::HasSuffix(const std::string& name,
                           const std::vector<std::string>& suffixes) {
  for (const auto& suffix : suffixes) {
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return true;
    }
  }
  return false;
}

bool FileSource::VisitPath(const fs::path& p, size_t depth,
                           const std::function<bool(MailItem&&)>& fn) const {
  std::error_code ec;
  auto st = fs::status(p, ec);
  if (ec) return fn(MailItem{p.string(), core::Fail(IoError(p, ec))});
  if (fs::is_directory(st)) return VisitDir(p, depth, fn);
  if (fs::is_regular_file(st)) return VisitFile(p, fn);
  return true;  // sockets, fifos, devices: not mail
}

bool FileSource::VisitDir(const fs::path& dir, size_t depth,
                          const std::function<bool(MailItem&&)>& fn) const {
  if (depth > options_.max_dir_depth) {
    return fn(
        MailItem{dir.string(), core::Fail(core::Error::DataLoss(
                                   "directory nesting over limit " +
                                   std::to_string(options_.max_dir_depth)))});
  }
  if (IsMaildir(dir)) {
    // Maildir: tmp/ holds deliveries in progress and is never read.
    for (const char* sub : {"cur", "new"}) {
      std::vector<fs::directory_entry> entries;
      std::error_code ec;
      if (!ListSorted(dir / sub, &entries, &ec)) {
        if (!fn(MailItem{(dir / sub).string(),
                         core::Fail(IoError(dir / sub, ec))})) {
          return false;
        }
        continue;
      }
      for (const auto& e : entries) {
        if (Skipped(e.path().filename().string())) continue;
        std::error_code ec2;
        if (!e.is_regular_file(ec2)) continue;
        if (!VisitFile(e.path(), fn)) return false;
      }
    }
    return true;
  }
  std::vector<fs::directory_entry> entries;
  std::error_code ec;
  if (!ListSorted(dir, &entries, &ec)) {
    return fn(MailItem{dir.string(), core::Fail(IoError(dir, ec))});
  }
  for (const auto& e : entries) {
    if (Skipped(e.path().filename().string())) continue;
    std::error_code ec2;
    if (e.is_symlink(ec2) && e.is_directory(ec2)) continue;  // no loops
    if (!VisitPath(e.path(), depth + 1, fn)) return false;
  }
  return true;
}

bool FileSource::VisitFile(const fs::path& file,
                           const std::function<bool(MailItem&&)>& fn) const {
  if (!HasSuffix(file.filename().string(), options_.single_message_suffixes) &&
      LooksLikeMbox(file)) {
    return VisitMbox(file, fn);
  }
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) return fn(MailItem{file.string(), core::Fail(IoError(file, ec))});
  if (size > options_.max_item_bytes) {
    return fn(
        MailItem{file.string(),
                 core::Fail(core::Error::DataLoss(
                     "file " + std::to_string(size) + " bytes over limit " +
                     std::to_string(options_.max_item_bytes)))});
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return fn(
        MailItem{file.string(),
                 core::Fail(IoError(
                     file, std::error_code(errno, std::generic_category())))});
  }
  std::string data(size, '\0');
  in.read(data.data(), static_cast<std::streamsize>(size));
  data.resize(static_cast<size_t>(in.gcount()));
  if (in.bad()) {
    return fn(
        MailItem{file.string(), core::Fail(core::Error::Unavailable(
                                    "read " + file.string() + ": i/o error"))});
  }
  return fn(MailItem{file.string(), std::move(data)});
}

bool FileSource::VisitMbox(const fs::path& file,
                           const std::function<bool(MailItem&&)>& fn) const {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return fn(
        MailItem{file.string(),
                 core::Fail(IoError(
                     file, std::error_code(errno, std::generic_category())))});
  }
  size_t n = 0;
  std::string msg;
  bool oversize = false;
  bool started = false;
  auto emit = [&]() -> bool {
    ++n;
    std::string label = file.string() + "#" + std::to_string(n);
    if (oversize) {
      return fn(
          MailItem{std::move(label),
                   core::Fail(core::Error::DataLoss(
                       "mbox message over limit " +
                       std::to_string(options_.max_item_bytes) + " bytes"))});
    }
    // The blank line before the next "From " belongs to the mbox format.
    if (msg.ends_with("\r\n\r\n")) {
      msg.resize(msg.size() - 2);
    } else if (msg.ends_with("\n\n")) {
      msg.pop_back();
    }
    return fn(MailItem{std::move(label), std::move(msg)});
  };
  std::string line;
  bool after_blank = true;  // the first line is a separator by detection
  while (std::getline(in, line)) {
    bool had_newline = !in.eof();
    bool blank = line.empty() || line == "\r";
    // The first line was checked by LooksLikeMbox; later separators must be
    // proper From_ lines after a blank line (RFC 4155).
    bool separator = line.starts_with("From ") &&
                     (!started || (after_blank && IsFromLine(line)));
    after_blank = blank;
    if (separator) {
      if (started && !emit()) return false;
      started = true;
      msg.clear();
      oversize = false;
      continue;  // the From_ line is not part of the message
    }
    // mboxrd: ">From ", ">>From " ... lose one '>'.
    size_t gt = line.find_first_not_of('>');
    if (gt != 0 && gt != std::string::npos &&
        line.compare(gt, 5, "From ") == 0) {
      line.erase(0, 1);
    }
    if (oversize) continue;
    if (msg.size() + line.size() + 1 > options_.max_item_bytes) {
      oversize = true;
      msg.clear();
      msg.shrink_to_fit();
      continue;
    }
    msg += line;
    if (had_newline) msg += '\n';
  }
  if (in.bad()) {
    return fn(
        MailItem{file.string(), core::Fail(core::Error::Unavailable(
                                    "read " + file.string() + ": i/o error"))});
  }
  if (started) return emit();
  return true;
}

}  // namespace inboxd::ingest
