#include "tests/rig/mail_server_rig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

namespace inboxd::tests {
namespace {

using core::Error;
using core::Fail;

sockaddr_in Loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  return a;
}

// The command as an error may quote it: a LOGIN without its password, and
// no more than a line's start.
std::string Describe(std::string_view command) {
  if (command.starts_with("LOGIN ")) {
    return std::string(command.substr(0, command.find(' ', 6))) + " ***";
  }
  std::string_view first = command.substr(0, command.find("\r\n"));
  return std::string(first.substr(0, 100));
}

// The size of a literal announced at the end of `line` ("... {123}" or
// "{123+}"), or nullopt.
std::optional<size_t> LiteralSize(std::string_view line) {
  if (!line.ends_with('}')) return std::nullopt;
  size_t open = line.rfind('{');
  if (open == std::string_view::npos) return std::nullopt;
  std::string_view digits = line.substr(open + 1, line.size() - open - 2);
  if (digits.ends_with('+')) digits.remove_suffix(1);
  size_t n = 0;
  auto [end, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size() ||
      digits.empty()) {
    return std::nullopt;
  }
  return n;
}

}  // namespace

std::string MailServerRig::imap_url() const {
  return "imap://127.0.0.1:" + std::to_string(imap_port());
}
std::string MailServerRig::imaps_url() const {
  return "imaps://127.0.0.1:" + std::to_string(imaps_port());
}

core::Status MailServerRig::DeliverManyUnseen(
    const std::string& user, const std::string& folder,
    const std::vector<std::string>& raws) {
  for (const auto& raw : raws) {
    if (auto st = DeliverUnseen(user, folder, raw); !st) return st;
  }
  return core::Ok();
}

std::string MailServerRig::PasswordOf(const std::string& user) const {
  for (const auto& u : users_) {
    if (u.name == user) return u.password;
  }
  return "";
}

core::Result<std::set<std::string>> MailServerRig::Capabilities(
    const std::string& user) const {
  auto session = RigImapSession::Login(imap_port(), user, PasswordOf(user));
  if (!session) return Fail(session.error());
  auto lines = session->Run("CAPABILITY");
  if (!lines) return Fail(lines.error());
  std::set<std::string> caps;
  for (const auto& line : *lines) {
    if (!line.starts_with("CAPABILITY ")) continue;
    std::istringstream words(line.substr(11));
    std::string w;
    while (words >> w) {
      for (char& c : w) c = static_cast<char>(std::toupper(c));
      caps.insert(w);
    }
  }
  if (caps.empty()) {
    return Fail(
        Error::Unavailable(std::string(server()) + ": no CAPABILITY response"));
  }
  return caps;
}

core::Result<RigImapSession> RigImapSession::Login(
    int port, const std::string& user, const std::string& password) {
  const std::string where = "rig imap 127.0.0.1:" + std::to_string(port);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Fail(Error::Unavailable(where + ": socket failed"));
  timeval tv{};
  tv.tv_sec = 30;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  // A literal's last bytes must not wait for the ACK of its command line.
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a = Loopback(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return Fail(Error::Unavailable(where + ": connect failed"));
  }
  RigImapSession session(fd);
  auto greeting = session.ReadLine();
  if (!greeting) return Fail(greeting.error().Wrap(where));
  if (!greeting->starts_with("* OK")) {
    return Fail(Error::Unavailable(where + ": greeting " + *greeting));
  }
  auto login =
      session.Run("LOGIN " + ImapQuote(user) + " " + ImapQuote(password));
  if (!login) return Fail(login.error().Wrap(where + " as " + user));
  return session;
}

RigImapSession::RigImapSession(RigImapSession&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      next_tag_(other.next_tag_),
      buffer_(std::move(other.buffer_)) {}

RigImapSession::~RigImapSession() {
  if (fd_ < 0) return;
  (void)SendAll("z LOGOUT\r\n");
  ::close(fd_);
}

core::Status RigImapSession::SendAll(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return Fail(Error::Unavailable("send failed"));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return core::Ok();
}

core::Result<std::string> RigImapSession::ReadLine() {
  std::string line;
  // Appends what the socket has to the buffer (blocks up to SO_RCVTIMEO).
  auto fill = [&]() -> core::Status {
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      return Fail(Error::Unavailable(n == 0 ? "connection closed"
                                            : "read failed or timed out"));
    }
    buffer_.append(buf, static_cast<size_t>(n));
    return core::Ok();
  };
  while (true) {
    size_t eol;
    while ((eol = buffer_.find("\r\n")) == std::string::npos) {
      if (auto st = fill(); !st) return Fail(st.error());
    }
    line.append(buffer_, 0, eol);
    buffer_.erase(0, eol + 2);
    auto literal = LiteralSize(line);
    if (!literal) return line;
    while (buffer_.size() < *literal) {
      if (auto st = fill(); !st) return Fail(st.error());
    }
    line.append(buffer_, 0, *literal);
    buffer_.erase(0, *literal);
  }
}

core::Result<std::vector<std::string>> RigImapSession::Run(
    const std::string& command, std::optional<std::string_view> literal) {
  const std::string tag = "r" + std::to_string(next_tag_++);
  auto fail = [&](const std::string& why) {
    return Fail(Error::Unavailable("imap " + Describe(command) + ": " + why));
  };
  if (auto st = SendAll(tag + " " + command + "\r\n"); !st) {
    return fail(st.error().message);
  }
  std::vector<std::string> untagged;
  bool literal_sent = !literal.has_value();
  while (true) {
    auto line = ReadLine();
    if (!line) return fail(line.error().message);
    if (line->starts_with("+") && !literal_sent) {
      if (auto st = SendAll(std::string(*literal) + "\r\n"); !st) {
        return fail(st.error().message);
      }
      literal_sent = true;
      continue;
    }
    if (line->starts_with("* ")) {
      if (line->starts_with("* BYE")) return fail(*line);
      untagged.push_back(line->substr(2));
      continue;
    }
    if (!line->starts_with(tag + " ")) continue;
    if (line->compare(tag.size() + 1, 2, "OK") != 0) return fail(*line);
    return untagged;
  }
}

std::string ImapQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

core::Result<std::string> RunShell(const std::string& cmd) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return Fail(Error::Unavailable("popen failed: " + cmd));
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = ::pclose(p);
  if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    return Fail(Error::Unavailable("command failed (" + std::to_string(st) +
                                   "): " + cmd + "\n" +
                                   rig_internal::Tail(out)));
  }
  return out;
}

namespace rig_internal {

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = Loopback(0);
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

bool CanConnect(int port) {
  // Non-blocking, 200 ms at most: a server that listens but never accepts
  // (a wedged Cyrus master) fills its backlog, and a blocking connect()
  // would then wait for minutes.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_in a = Loopback(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  if (!ok && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    ok = ::poll(&p, 1, 200) == 1 &&
         ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
  }
  ::close(fd);
  return ok;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Tail(const std::string& s, size_t n) {
  return s.size() > n ? s.substr(s.size() - n) : s;
}

std::vector<int> ChildrenOf(int pid) {
  std::vector<int> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    int child = std::atoi(e.path().filename().c_str());
    if (child <= 0) continue;
    // "pid (comm) state ppid ...": the comm may hold spaces and ')'.
    std::string stat = ReadFile(e.path().string() + "/stat");
    size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    int ppid = 0;
    rest >> state >> ppid;
    if (ppid == pid) out.push_back(child);
  }
  return out;
}

void WaitPortsFree(std::initializer_list<int> ports) {
  auto busy = [&] {
    for (int p : ports) {
      if (CanConnect(p)) return true;
    }
    return false;
  };
  for (int i = 0; i < 200 && busy(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
}

void RemoveRigDir(const std::string& dir) {
  if (std::getenv("INBOXD_KEEP_RIG") != nullptr || dir.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

bool ProcessGone(int pid) {
  if (::kill(pid, 0) != 0) return true;
  // A daemon's parent has exited, so an unreaped zombie is possible (in a
  // container whose init does not reap): state 'Z' in /proc/<pid>/stat.
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() &&
         stat[close + 2] == 'Z';
}

}  // namespace rig_internal
}  // namespace inboxd::tests
