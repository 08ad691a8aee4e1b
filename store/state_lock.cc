#include "store/state_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace inboxd::store {

namespace fs = std::filesystem;

core::Result<std::unique_ptr<StateLock>> StateLock::Acquire(
    const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return core::Fail(
        core::Error::Unavailable("state dir " + dir + ": " + ec.message()));
  }
  ::chmod(dir.c_str(), 0700);
  const std::string path = (fs::path(dir) / "inboxd.lock").string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return core::Fail(
        core::Error::Unavailable("lock " + path + ": " + std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {0};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) {
        pid.pop_back();
      }
      return core::Fail(core::Error::FailedPrecondition(
          "state dir " + dir + " is in use by another inboxd" +
          (pid.empty() ? std::string() : " (pid " + pid + ")") +
          ": only one `inboxd run` or `inboxd once` may work on it"));
    }
    return core::Fail(
        core::Error::Unavailable("lock " + path + ": " + std::strerror(err)));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) !=
                                     static_cast<ssize_t>(pid.size())) {
    // The pid is for people; the lock is what counts.
  }
  ::fchmod(fd, 0600);
  return std::unique_ptr<StateLock>(new StateLock(fd, path));
}

StateLock::~StateLock() {
  // Closing the descriptor releases the flock.
  ::close(fd_);
}

core::Status SecureStateDir(const std::string& dir) {
  std::error_code ec;
  if (::chmod(dir.c_str(), 0700) != 0) {
    return core::Fail(core::Error::Unavailable("state dir " + dir + ": " +
                                               std::strerror(errno)));
  }
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::error_code type_ec;
    if (!entry.is_regular_file(type_ec)) continue;
    struct stat st {};
    if (::stat(entry.path().c_str(), &st) != 0) continue;
    if ((st.st_mode & 0077) != 0 &&
        ::chmod(entry.path().c_str(), st.st_mode & 0700) != 0) {
      return core::Fail(core::Error::Unavailable(
          "state dir " + entry.path().string() + ": " + std::strerror(errno)));
    }
  }
  if (ec) {
    return core::Fail(
        core::Error::Unavailable("state dir " + dir + ": " + ec.message()));
  }
  return core::Ok();
}

core::Result<uint64_t> FreeBytes(const std::string& dir) {
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) != 0) {
    return core::Fail(core::Error::Unavailable("state dir " + dir + ": " +
                                               std::strerror(errno)));
  }
  return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

}  // namespace inboxd::store
