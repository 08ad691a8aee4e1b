// process.cc: see process.h.
#include "health/process.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>

namespace inboxd::health {

using core::Error;
using core::Fail;

core::Result<int64_t> ParseStatmResidentBytes(std::string_view statm,
                                              int64_t page_size) {
  // Fields are decimal page counts separated by single spaces.
  const char* p = statm.data();
  const char* end = p + statm.size();
  int64_t fields[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    if (i > 0) {
      if (p == end || *p != ' ') {
        return Fail(Error::Internal("statm: expected at least two fields"));
      }
      ++p;
    }
    auto [next, ec] = std::from_chars(p, end, fields[i]);
    if (ec != std::errc() || fields[i] < 0) {
      return Fail(Error::Internal("statm: field " + std::to_string(i + 1) +
                                  " is not a page count"));
    }
    p = next;
  }
  if (page_size <= 0 || fields[1] > INT64_MAX / page_size) {
    return Fail(Error::Internal("statm: resident size out of range"));
  }
  return fields[1] * page_size;
}

core::Result<int64_t> ReadResidentMemoryBytes() {
  int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Fail(Error::Unavailable(std::string("read /proc/self/statm: ") +
                                   std::strerror(errno)));
  }
  char buf[256];
  ssize_t n;
  do {
    n = ::read(fd, buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  int saved = errno;
  ::close(fd);
  if (n < 0) {
    return Fail(Error::Unavailable(std::string("read /proc/self/statm: ") +
                                   std::strerror(saved)));
  }
  return ParseStatmResidentBytes(std::string_view(buf, static_cast<size_t>(n)),
                                 ::sysconf(_SC_PAGESIZE));
}

}  // namespace inboxd::health
