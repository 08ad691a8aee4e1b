// file_source.h: reads mail from files for `inboxd replay` and dry runs.
//
// Does: a single file (any regular file); a directory, recursively, sorted
// by path, hidden entries skipped, symlinked directories not followed; a
// Maildir (a directory with cur/ and new/: only those two are read, tmp/
// never); an mbox file (first line starts with "From " and the name does not
// end in a single_message_suffixes entry such as ".eml"; split at lines
// starting with "From ", ">From " un-escaped, mboxrd style). Streams: one
// item in memory at a time. A file that cannot be read is reported as an
// item with an error, and the walk goes on. Does not: parse MIME
// (mime_adapter.h), lock mailboxes, write anything.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"

namespace inboxd::ingest {

struct MailItem {
  // The file path as reached from the root ("dir/sub/a.eml"); for an mbox,
  // "file#N" with N counted from 1.
  std::string label;
  // The raw bytes, or why they could not be read: Unavailable (I/O error),
  // DataLoss (over max_item_bytes; the bytes are not loaded).
  core::Result<std::string> raw;
};

struct FileSourceOptions {
  // A file or mbox message larger than this is reported as a DataLoss item
  // instead of being loaded (replay must not exhaust memory). Set it above
  // core::Limits::max_message_bytes so the parser can name the real size.
  size_t max_item_bytes = size_t{64} << 20;
  // File names ending in one of these are skipped (e.g. ".md", ".csv" for
  // a corpus folder with documentation beside the mail). Empty: none.
  std::vector<std::string> skip_suffixes;
  // Files with these name endings are one message even when their first
  // line is an mbox "From " envelope line (the parser skips that line). A
  // single saved message often keeps its envelope line, and its body may
  // quote another "From " line unescaped (a bounce): splitting it would
  // turn one message into two.
  std::vector<std::string> single_message_suffixes = {".eml"};
  // Directories nested deeper than this are not entered (loop guard).
  size_t max_dir_depth = 64;
};

class FileSource {
 public:
  FileSource(std::filesystem::path root, FileSourceOptions options);

  // Calls `fn` once per message under the root, in order; stops early when
  // `fn` returns false. Success: every entry was visited (items may carry
  // errors). Failure: NotFound when the root does not exist.
  core::Status ForEach(const std::function<bool(MailItem&&)>& fn) const;

 private:
  // Each returns false when `fn` asked to stop.
  bool VisitPath(const std::filesystem::path& p, size_t depth,
                 const std::function<bool(MailItem&&)>& fn) const;
  bool VisitDir(const std::filesystem::path& dir, size_t depth,
                const std::function<bool(MailItem&&)>& fn) const;
  bool VisitFile(const std::filesystem::path& file,
                 const std::function<bool(MailItem&&)>& fn) const;
  bool VisitMbox(const std::filesystem::path& file,
                 const std::function<bool(MailItem&&)>& fn) const;
  bool Skipped(const std::string& name) const;
  static bool HasSuffix(const std::string& name,
                        const std::vector<std::string>& suffixes);

  std::filesystem::path root_;
  FileSourceOptions options_;
};

}  // namespace inboxd::ingest
