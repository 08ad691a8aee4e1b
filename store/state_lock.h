// state_lock.h: one writer per state directory.
//
// `inboxd run` and `inboxd once` hold an exclusive flock(2) on
// <state.dir>/inboxd.lock for as long as they run, so a second daemon (or a
// `once` beside a daemon) is refused instead of sending every
// acknowledgement twice. The kernel drops the lock when the process ends,
// kill -9 included: a stale file never blocks a restart. Read-only commands
// (status, tickets, audit verify, export, report) take no lock; SQLite's WAL
// lets them read while the daemon writes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/error.h"

namespace inboxd::store {

class StateLock {
 public:
  // Creates `dir` (0700) when missing, sets it to 0700, takes the lock and
  // writes this process's pid into the lock file (0600).
  // kFailedPrecondition when another process holds it ("state dir ... is in
  // use by pid N"); kUnavailable when the file cannot be opened.
  static core::Result<std::unique_ptr<StateLock>> Acquire(
      const std::string& dir);
  ~StateLock();  // releases the lock (the file stays)

  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  StateLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

// Tightens the state directory for a daemon that runs unattended (issue 12
// item 7): the directory 0700 and every regular file directly in it (the
// database, its -wal and -shm, the HMAC key, the lock) 0600; files an older
// version created with a wider umask are narrowed too. Errors: kUnavailable.
core::Status SecureStateDir(const std::string& dir);

// Below this much free space on the state directory's file system the store
// is not writable for practical purposes: SQLite needs room for its WAL
// before a commit can fail cleanly (/healthz, and the error of a store that
// cannot be opened, say so).
inline constexpr uint64_t kMinStateDirFreeBytes = uint64_t{16} << 20;

// Bytes an unprivileged writer may still use on the file system of `dir`
// (statvfs f_bavail). Errors: kUnavailable naming the directory.
core::Result<uint64_t> FreeBytes(const std::string& dir);

}  // namespace inboxd::store
