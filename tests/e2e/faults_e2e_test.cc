// faults_e2e_test.cc: the inboxd binary under faults (issue 12 item 5),
// against a private rig (scripts/rig: Dovecot IMAP+LMTP+Sieve and an SMTP
// relay delivering into it). Each case starts its own rig, breaks one
// thing, and then asserts on the world, not on the daemon's word: every
// customer message stored exactly once (the audit trail's message.stored
// events and `inboxd tickets`), every acknowledgement delivered exactly once
// (the relay's deliveries, by In-Reply-To), `inboxd audit verify` passing.
//
//   a. kill -9 of `inboxd run` at random moments (seeded) while N mails
//      arrive; N = INBOXD_FAULT_MAILS (300), kills = INBOXD_FAULT_KILLS
//      (10), seed = INBOXD_FAULT_SEED (default: the time). scripts/soak runs
//      it with 50 kills.
//   b. Dovecot restarted (scripts/rig restart-imap) in the middle of the
//      first fetch of 300 mails.
//   c. the SMTP server answering 451, 421 (deferred, then delivered once) and
//      550 (failed, never retried, an agent alert), with the relay's fault
//      switch (DIR/smtp-fault, tests/rig/mailrig.py).
//   d. the state dir's file system full (a small tmpfs mounted on it)
//      while large mail arrives; /healthz; resuming after space is freed.
//   e. the wall clock jumping forward and back under libfaketime.
//
// No timing is asserted; figures are printed as "[ figure ]" lines and each
// case's time as "[ time ]". The outbox has no config key for its retry
// backoff (responder/outbox_drain.h DrainOptions: 1 min doubling, fixed in
// app/pipeline.cc), so case c moves the clock of `inboxd once` forward with
// libfaketime instead of waiting minutes.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/ci_env.h"
#include "tests/e2e/mail_rig.h"

namespace inboxd::e2e {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

const std::string kSrc = INBOXD_SOURCE_DIR;
const std::string kPython = "/usr/bin/python3";

// ------------------------------------------------------------- helpers

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  const long n = std::strtol(v, nullptr, 10);
  return n > 0 ? static_cast<int>(n) : fallback;
}

void Sleep(milliseconds d) { std::this_thread::sleep_for(d); }

// A shell command as a child process (a bulk delivery while the daemon
// runs). The destructor waits for it.
class Background {
 public:
  explicit Background(const std::string& cmd) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~Background() { Wait(); }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  // Its exit status (-1 when it could not start or ended by a signal).
  int Wait() {
    if (pid_ <= 0) return status_;
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return status_;
  }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

// True while `pid` is a live process (a zombie, killed but not reaped, is
// not).
bool Alive(pid_t pid) {
  if (pid <= 0) return false;
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() &&
         stat[paren + 2] != 'Z';
}

struct HttpReply {
  int status = 0;  // 0: no answer
  std::string body;
};

// GET http://127.0.0.1:<port><path> (HTTP/1.0, the whole answer read).
HttpReply HttpGet(int port, const std::string& path) {
  HttpReply r;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return r;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return r;
  }
  const std::string req =
      "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) < 0) {
    ::close(fd);
    return r;
  }
  std::string all;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) all.append(buf, n);
  ::close(fd);
  std::smatch m;
  if (std::regex_search(all, m, std::regex("^HTTP/1\\.[01] ([0-9]{3})"))) {
    r.status = std::stoi(m[1]);
  }
  const size_t body = all.find("\r\n\r\n");
  if (body != std::string::npos) r.body = all.substr(body + 4);
  return r;
}

std::string Base64Lines(const std::string& bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t line = 0;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size())
      v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[v & 63] : '=';
    if ((line += 4) >= 76) {
      out += "\r\n";
      line = 0;
    }
  }
  return out + "\r\n";
}

// "<x@y>" for "x@y" or "<x@y>".
std::string Bracketed(const std::string& id) {
  if (id.empty() || id.front() == '<') return id;
  return "<" + id + ">";
}

// The lines of `text` from byte `from` on that match `re`.
std::vector<std::string> LinesMatching(const std::string& text, size_t from,
                                       const std::regex& re) {
  std::vector<std::string> out;
  std::istringstream in(from < text.size() ? text.substr(from) : "");
  std::string line;
  while (std::getline(in, line)) {
    if (std::regex_search(line, re)) out.push_back(line);
  }
  return out;
}

// Prints up to `max` lines, each distinct text once (digits folded, so
// "3 failed" and "4 failed" count as one), with how often it came.
void PrintDistinct(const char* tag, const std::vector<std::string>& lines,
                   size_t max = 12) {
  std::vector<std::pair<std::string, int>> seen;
  std::map<std::string, size_t> index;
  const std::regex digits("[0-9]+");
  for (const std::string& l : lines) {
    // Log lines start with a timestamp; fold numbers for the grouping.
    const std::string key = std::regex_replace(l, digits, "N");
    auto it = index.find(key);
    if (it == index.end()) {
      index[key] = seen.size();
      seen.push_back({l, 1});
    } else {
      ++seen[it->second].second;
    }
  }
  for (size_t i = 0; i < seen.size() && i < max; ++i) {
    std::printf("[ %s ] (x%d) %s\n", tag, seen[i].second,
                seen[i].first.c_str());
  }
  if (seen.size() > max) {
    std::printf("[ %s ] ... %zu more distinct lines\n", tag, seen.size() - max);
  }
}

// Debian's sqlite3 CLI, installed when missing (as root).
bool EnsureSqlite3() {
  if (Shell("command -v sqlite3").status == 0) return true;
  if (::geteuid() == 0) {
    Shell(
        "DEBIAN_FRONTEND=noninteractive apt-get install -y sqlite3 >/dev/null "
        "2>&1 || (apt-get update >/dev/null 2>&1 && "
        "DEBIAN_FRONTEND=noninteractive apt-get install -y sqlite3 "
        ">/dev/null 2>&1)");
  }
  return Shell("command -v sqlite3").status == 0;
}

// libfaketime's preload library (Debian package faketime), installed when
// missing (as root); "" when there is none.
std::string FaketimeLib() {
  auto find = [] {
    ShellResult r = Shell(
        "for f in /usr/lib/*/faketime/libfaketimeMT.so.1 "
        "/usr/lib/faketime/libfaketimeMT.so.1; do [ -f \"$f\" ] && echo "
        "\"$f\" && break; done");
    std::string p = r.out.substr(0, r.out.find('\n'));
    return p;
  };
  std::string lib = find();
  if (lib.empty() && ::geteuid() == 0) {
    Shell(
        "DEBIAN_FRONTEND=noninteractive apt-get install -y faketime "
        ">/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && "
        "DEBIAN_FRONTEND=noninteractive apt-get install -y faketime "
        ">/dev/null 2>&1)");
    lib = find();
  }
  return lib;
}

// The environment (shell assignments) that runs a command with its wall
// clock at `offset` (libfaketime syntax, e.g. "+65") and its monotonic
// clock untouched. ASan insists on coming first in the preload list unless
// told otherwise.
std::string FaketimeAssignments(const std::string& lib,
                                const std::string& offset) {
  return "LD_PRELOAD=" + ShellQuote(lib) + " FAKETIME=" + ShellQuote(offset) +
         " DONT_FAKE_MONOTONIC=1 FAKETIME_DONT_FAKE_MONOTONIC=1 "
         "ASAN_OPTIONS=\"${ASAN_OPTIONS:-}:verify_asan_link_order=0\" ";
}

// Sets environment variables for the children started while it lives
// (the Daemon class forks from this process), and clears them again.
class ScopedEnv {
 public:
  explicit ScopedEnv(std::vector<std::pair<std::string, std::string>> vars)
      : vars_(std::move(vars)) {
    for (const auto& [k, v] : vars_) {
      const char* old = std::getenv(k.c_str());
      old_.push_back(old ? std::optional<std::string>(old) : std::nullopt);
      ::setenv(k.c_str(), v.c_str(), 1);
    }
  }
  ~ScopedEnv() {
    for (size_t i = 0; i < vars_.size(); ++i) {
      if (old_[i]) {
        ::setenv(vars_[i].first.c_str(), old_[i]->c_str(), 1);
      } else {
        ::unsetenv(vars_[i].first.c_str());
      }
    }
  }

 private:
  std::vector<std::pair<std::string, std::string>> vars_;
  std::vector<std::optional<std::string>> old_;
};

// A tmpfs mounted on `dir` while it lives (unmounted, lazily if busy).
class TmpfsMount {
 public:
  static std::unique_ptr<TmpfsMount> Mount(const std::string& dir,
                                           const std::string& size,
                                           std::string* error) {
    ShellResult r = Shell("mount -t tmpfs -o size=" + size +
                          ",mode=0755 tmpfs " + ShellQuote(dir));
    if (r.status != 0) {
      *error = r.out;
      return nullptr;
    }
    return std::unique_ptr<TmpfsMount>(new TmpfsMount(dir));
  }
  ~TmpfsMount() {
    if (Shell("umount " + ShellQuote(dir_)).status != 0) {
      Shell("umount -l " + ShellQuote(dir_));
    }
  }
  bool Resize(const std::string& size) {
    return Shell("mount -o remount,size=" + size + " " + ShellQuote(dir_))
               .status == 0;
  }
  // Free bytes for an unprivileged writer.
  unsigned long long FreeBytes() const {
    struct statvfs fs {};
    if (::statvfs(dir_.c_str(), &fs) != 0) return 0;
    return static_cast<unsigned long long>(fs.f_bavail) * fs.f_frsize;
  }

 private:
  explicit TmpfsMount(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

// What the world says about a set of customer messages.
struct Outcome {
  int mails = 0;
  int not_stored = 0;    // no message.stored event in support/INBOX
  int stored_twice = 0;  // extra message.stored events
  int tickets = 0;       // tickets whose customer sent one of them
  int lost = 0;          // no acknowledgement delivered
  int doubles = 0;       // acknowledgements delivered beyond the first
  int stray = 0;         // acknowledgements answering none of them
};

// ------------------------------------------------------------- fixture

class FaultsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    t0_ = SteadyClock::now();
    auto rig = MailRig::Start();
    if (!rig) {
      INBOXD_SKIP_OR_FAIL()
          << "the mail rig did not start: " << rig.error().message;
    }
    rig_ = std::move(*rig);
  }

  void TearDown() override {
    rig_.reset();  // the rig's stop is part of the case's time
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::printf("[ time ] %s: %.1f s\n", info->name(), SecondsSince(t0_));
  }

  static std::string MessageId(const std::string& series, int i) {
    return "<" + series + "-" + std::to_string(i) + "@customers.example>";
  }
  static std::string Customer(const std::string& series, int i) {
    return series + std::to_string(i) + "@customers.example";
  }
  static std::vector<std::string> Ids(const std::string& series, int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) ids.push_back(MessageId(series, i));
    return ids;
  }

  // Writes customer mail `i` of `series` (its own sender) to a file.
  std::string WriteMail(const std::string& series, int i,
                        const std::string& body = "") {
    const std::string who = Customer(series, i);
    const std::string raw =
        body.empty()
            ? CustomerMail("Customer " + std::to_string(i) + " <" + who + ">",
                           "support@shop.example",
                           "Order " + std::to_string(1000 + i),
                           MessageId(series, i))
            : CustomerMail("Customer " + std::to_string(i) + " <" + who + ">",
                           "support@shop.example",
                           "Order " + std::to_string(1000 + i),
                           MessageId(series, i), body);
    const std::string path =
        rig_->dir() + "/test-msgs/" + series + "-" + std::to_string(i) + ".eml";
    std::ofstream(path, std::ios::binary) << raw;
    return path;
  }
  std::vector<std::string> WriteMails(const std::string& series, int n,
                                      const std::string& body = "") {
    std::vector<std::string> files;
    for (int i = 0; i < n; ++i) files.push_back(WriteMail(series, i, body));
    return files;
  }

  // `scripts/rig deliver` of `files` into support's INBOX in one process.
  std::string DeliverCommand(const std::vector<std::string>& files,
                             int pace_ms = 0) const {
    std::string cmd =
        kSrc + "/scripts/rig deliver " + ShellQuote(rig_->dir()) + " support";
    if (pace_ms > 0) cmd += " --pace-ms " + std::to_string(pace_ms);
    for (const auto& f : files) cmd += " " + ShellQuote(f);
    return cmd + " >>" + ShellQuote(rig_->dir() + "/deliver.log") + " 2>&1";
  }
  void DeliverAll(const std::vector<std::string>& files) {
    ShellResult r = Shell(DeliverCommand(files));
    ASSERT_EQ(r.status, 0) << ReadFile(rig_->dir() + "/deliver.log");
  }

  // The relay's deliveries to `user` that are our automatic replies.
  std::vector<json> Deliveries(const std::string& user) const {
    std::vector<json> out;
    for (const std::string& line : rig_->DeliveriesTo(user)) {
      json j = json::parse(line, nullptr, false);
      if (!j.is_discarded()) out.push_back(std::move(j));
    }
    return out;
  }
  // Acknowledgements delivered to the customer user, by In-Reply-To.
  std::map<std::string, int> AcksByInReplyTo() const {
    std::map<std::string, int> n;
    for (const json& j : Deliveries("customer")) {
      if (j.value("auto_submitted", "") != "auto-replied") continue;
      ++n[j.value("in_reply_to", "")];
    }
    return n;
  }
  // How many of `ids` have an acknowledgement delivered.
  int Acked(const std::vector<std::string>& ids) const {
    const auto acks = AcksByInReplyTo();
    int n = 0;
    for (const auto& id : ids) n += acks.contains(id) ? 1 : 0;
    return n;
  }

  // The audit trail, one event per element.
  std::vector<json> Audit() const {
    ShellResult r = rig_->Inboxd("export audit --format jsonl");
    EXPECT_EQ(r.status, 0) << r.out.substr(0, 2000);
    std::vector<json> events;
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
      json j = json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.is_object()) events.push_back(std::move(j));
    }
    return events;
  }
  // message.stored events of support/INBOX, by Message-ID.
  static std::map<std::string, int> StoredInInbox(
      const std::vector<json>& events) {
    std::map<std::string, int> n;
    for (const json& e : events) {
      if (e.value("type", "") != "message.stored" ||
          e.value("mailbox", "") != "support") {
        continue;
      }
      const json& d = e["data"];
      if (!d.is_object() || d.value("folder", "") != "INBOX") continue;
      ++n[Bracketed(d.value("message_id", ""))];
    }
    return n;
  }
  // `inboxd tickets --json --state all`.
  json Tickets() const {
    ShellResult r = rig_->Inboxd("tickets --json --state all");
    EXPECT_EQ(r.status, 0) << r.out.substr(0, 2000);
    json j = json::parse(r.out, nullptr, false);
    return j.is_array() ? j : json::array();
  }
  // support/INBOX's `messages` in `inboxd status --json` (-1: not yet).
  int InboxMessages() const {
    ShellResult r = rig_->Inboxd("status --json");
    json j = json::parse(r.out, nullptr, false);
    if (j.is_discarded()) return -1;
    for (const json& m : j.value("mailboxes", json::array())) {
      if (m.value("name", "") != "support") continue;
      for (const json& f : m.value("folders", json::array())) {
        if (f.value("folder", "") == "INBOX") return f.value("messages", -1);
      }
    }
    return -1;
  }

  // Stored once? Acknowledged once? For the messages `ids` of `series`.
  Outcome Check(const std::string& series, const std::vector<std::string>& ids,
                const std::vector<json>& events) const {
    Outcome o;
    o.mails = static_cast<int>(ids.size());
    const auto stored = StoredInInbox(events);
    const auto acks = AcksByInReplyTo();
    const std::set<std::string> wanted(ids.begin(), ids.end());
    for (const auto& id : ids) {
      auto s = stored.find(id);
      const int ns = s == stored.end() ? 0 : s->second;
      if (ns == 0) ++o.not_stored;
      if (ns > 1) o.stored_twice += ns - 1;
      auto a = acks.find(id);
      const int na = a == acks.end() ? 0 : a->second;
      if (na == 0) ++o.lost;
      if (na > 1) o.doubles += na - 1;
    }
    for (const auto& [id, n] : acks) {
      if (!wanted.contains(id) &&
          id.find("@customers.example") != std::string::npos &&
          id.find("<" + series + "-") == 0) {
        o.stray += n;
      }
    }
    std::set<std::string> customers;
    for (const json& t : Tickets()) {
      const std::string c = t.value("customer", "");
      if (c.rfind(series, 0) == 0 &&
          c.find("@customers.example") != std::string::npos) {
        customers.insert(c);
        ++o.tickets;
      }
    }
    if (static_cast<int>(customers.size()) != o.tickets) o.tickets = -1;
    return o;
  }
  void ExpectOnce(const Outcome& o) {
    EXPECT_EQ(o.not_stored, 0) << "messages never stored";
    EXPECT_EQ(o.stored_twice, 0) << "messages stored twice";
    EXPECT_EQ(o.tickets, o.mails) << "one ticket per customer (-1: two "
                                     "tickets for one customer)";
    EXPECT_EQ(o.lost, 0) << "messages never acknowledged";
    EXPECT_EQ(o.stray, 0) << "acknowledgements of unknown messages";
  }

  // Resends the daemon logged as the documented crash window
  // (responder/outbox_drain.h; app/cmd_sync.cc LogStages).
  static int ResentAfterCrash(const std::string& log) {
    int resent = 0;
    std::regex re(
        "outbox: ([0-9]+) message\\(s\\) left in 'sending' by a crash were "
        "not");
    for (auto it = std::sregex_iterator(log.begin(), log.end(), re);
         it != std::sregex_iterator(); ++it) {
      resent += std::stoi((*it)[1]);
    }
    return resent;
  }

  // For each acknowledgement's recipient: how many process starts
  // (config.loaded events, one per `run` or `once`) lie between the last
  // claim of its outbox row (outbox.sending) and its outbox.sent: 0 for a
  // row sent by the process that claimed it.
  static std::map<std::string, int> RestartsBetweenClaimAndSent(
      const std::vector<json>& events) {
    std::map<int64_t, std::string> recipient;  // ack row -> recipient
    std::map<int64_t, int> claimed_in;         // row -> epoch of last claim
    std::map<std::string, int> out;
    int epoch = 0;
    for (const json& e : events) {
      const std::string type = e.value("type", "");
      const json& d = e["data"];
      if (type == "config.loaded") ++epoch;
      if (!d.is_object() || !d.contains("outbox")) continue;
      const int64_t row = d.value("outbox", int64_t{-1});
      if (type == "outbox.queued" && d.value("kind", "") == "ack" &&
          d.contains("recipients") && !d["recipients"].empty()) {
        recipient[row] = d["recipients"][0].get<std::string>();
      } else if (type == "outbox.sending") {
        claimed_in[row] = epoch;
      } else if (type == "outbox.sent" && recipient.contains(row) &&
                 claimed_in.contains(row)) {
        out[recipient[row]] = epoch - claimed_in[row];
      }
    }
    return out;
  }

  void ExpectAuditVerifies() {
    ShellResult r = rig_->Inboxd("audit verify");
    EXPECT_EQ(r.status, 0) << r.out;
  }

  void AppendConfig(const std::string& toml) {
    std::ofstream(rig_->config(), std::ios::app) << "\n" << toml << "\n";
    ShellResult r = rig_->Inboxd("check-config " + ShellQuote(rig_->config()),
                                 /*with_config=*/false);
    ASSERT_EQ(r.status, 0) << r.out;
  }

  // `inboxd once` with the wall clock at `offset` (libfaketime).
  ShellResult OnceAt(const std::string& lib, const std::string& offset) {
    return Shell(FaketimeAssignments(lib, offset) + INBOXD_BIN +
                 " once --config " + ShellQuote(rig_->config()));
  }

  SteadyClock::time_point t0_;
  std::unique_ptr<MailRig> rig_;
};

// ------------------------------------------------------------- a. kill -9

// kill -9 of `inboxd run` at random moments (seeded) while N customer mails
// arrive, K times; then a run until every acknowledgement is there, and a
// `once`. Each message stored once; each acknowledged once, except in the
// documented crash window (a kill between the SMTP server's 250 and the
// MarkSent commit, responder/outbox_drain.h): a double is allowed only for
// an ack whose outbox row was claimed by one process and recorded sent by
// a later one (the audit trail), one per restart in between. The resends
// the daemon logged ("resent after a crash") are printed beside it.
TEST_F(FaultsE2eTest, KillNineWhileMailArrivesLosesNothingSendsNothingTwice) {
  const int n = EnvInt("INBOXD_FAULT_MAILS", 300);
  const int kills = EnvInt("INBOXD_FAULT_KILLS", 10);
  const unsigned seed = static_cast<unsigned>(
      EnvInt("INBOXD_FAULT_SEED", static_cast<int>(std::time(nullptr))));
  std::printf("[ seed ] %u (INBOXD_FAULT_SEED=%u repeats the kill moments)\n",
              seed, seed);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> life_ms(300, 2500);
  const std::vector<std::string> files = WriteMails("k9", n);
  const std::vector<std::string> ids = Ids("k9", n);
  const std::string log = rig_->dir() + "/run.log";

  // Each life gets its share of the mail, delivered over about that life
  // (the rest keeps arriving while the next daemon starts).
  std::vector<std::unique_ptr<Background>> deliveries;
  int killed = 0;
  for (int k = 0; k < kills; ++k) {
    Daemon d(rig_->config(), log);
    ASSERT_TRUE(d.Start());
    const int life = life_ms(rng);
    const int from = k * n / kills, to = (k + 1) * n / kills;
    if (to > from) {
      std::vector<std::string> slice(files.begin() + from, files.begin() + to);
      deliveries.push_back(std::make_unique<Background>(
          DeliverCommand(slice, life / (to - from))));
    }
    Sleep(milliseconds(life));
    d.Stop(SIGKILL);
    ++killed;
  }
  for (auto& b : deliveries) {
    EXPECT_EQ(b->Wait(), 0) << ReadFile(rig_->dir() + "/deliver.log");
  }
  const double killing_s = SecondsSince(t0_);

  // A last run until every acknowledgement is there, then a `once`.
  {
    Daemon d(rig_->config(), log);
    ASSERT_TRUE(d.Start());
    EXPECT_TRUE(WaitFor([&] { return Acked(ids) == n; }, seconds(300)))
        << "acknowledged " << Acked(ids) << " of " << n;
    Sleep(seconds(2));  // a late double would show up now
    EXPECT_EQ(d.Stop(SIGTERM), 0);
  }
  ShellResult once = rig_->Inboxd("once");
  EXPECT_EQ(once.status, 0) << once.out;

  const std::vector<json> events = Audit();
  const Outcome o = Check("k9", ids, events);
  const std::string run_log = ReadFile(log);
  const int resent = ResentAfterCrash(run_log);
  // Each double must be the documented window: the ack's outbox row was
  // claimed ("sending") by one process and recorded sent by a later one,
  // i.e. a kill came between the SMTP server's 250 and MarkSent
  // (responder/outbox_drain.h). A row may be resent once per such restart.
  const std::map<std::string, int> crossed =
      RestartsBetweenClaimAndSent(events);
  const auto acks = AcksByInReplyTo();
  int unexplained = 0, straddling = 0;
  std::string unexplained_ids;
  for (int i = 0; i < n; ++i) {
    auto c = crossed.find(Customer("k9", i));
    const int restarts = c == crossed.end() ? 0 : c->second;
    straddling += restarts > 0 ? 1 : 0;
    auto a = acks.find(ids[i]);
    const int extra = (a == acks.end() ? 0 : a->second) - 1;
    if (extra > restarts) {
      unexplained += extra - restarts;
      unexplained_ids += " " + ids[i];
    }
  }
  std::printf(
      "[ figure ] kill -9: %d kills, %d mails, %d lost, %d double, %d resent "
      "after a crash (logged), %d acks sent across a restart (audit), %d "
      "double not explained by a crash, %d not stored, %d stored twice, %d "
      "tickets; killing phase %.1f s, total %.1f s\n",
      killed, n, o.lost, o.doubles, resent, straddling, unexplained,
      o.not_stored, o.stored_twice, o.tickets, killing_s, SecondsSince(t0_));
  if (o.doubles > resent) {
    // app/cmd_sync.cc logs the resends of a stage run only after the whole
    // run; a kill before that loses the line (see the issue 12 item 5
    // report). The audit trail above is the reliable account.
    std::printf(
        "[ note ] %d double(s) but only %d resend(s) logged: a process "
        "killed after resending and before logging its stage run\n",
        o.doubles, resent);
  }
  ExpectOnce(o);
  EXPECT_EQ(unexplained, 0)
      << "acknowledgements sent twice outside the crash window:"
      << unexplained_ids << "\n"
      << run_log.substr(run_log.size() > 20000 ? run_log.size() - 20000 : 0);
  // The Maildir agrees with the relay's log.
  int relayed = 0;
  for (const auto& [id, k] : AcksByInReplyTo()) relayed += k;
  EXPECT_EQ(static_cast<int>(Acks(rig_->Messages("customer")).size()), relayed);
  ExpectAuditVerifies();
}

// ------------------------------------------------------------- b. Dovecot

// Dovecot stopped and started again while `run` fetches 300 messages (the
// first sync): every message stored once and acknowledged once, no resend.
TEST_F(FaultsE2eTest, DovecotRestartedMidFetchLosesNothingSendsNothingTwice) {
  constexpr int kMails = 300;
  // 64 KiB of text each (19 MB in all), so the first fetch lasts a moment.
  std::string body;
  while (body.size() < 64 * 1024) {
    body += "My order does not arrive, please help. Line " +
            std::to_string(body.size()) + ".\r\n";
  }
  const std::vector<std::string> files = WriteMails("rs", kMails, body);
  const std::vector<std::string> ids = Ids("rs", kMails);
  DeliverAll(files);
  const std::string log = rig_->dir() + "/run.log";
  Daemon d(rig_->config(), log);
  ASSERT_TRUE(d.Start());
  const auto started = SteadyClock::now();
  // The daemon logs the size of a fetch as it begins it: restart Dovecot
  // then (polled every 10 ms).
  const std::regex begun(
      "support/INBOX: [0-9]+ new message\\(s\\) above uid 0");
  bool under_way = false;
  for (auto until = SteadyClock::now() + seconds(60);
       !under_way && SteadyClock::now() < until; Sleep(milliseconds(10))) {
    under_way = std::regex_search(ReadFile(log), begun);
  }
  ASSERT_TRUE(under_way) << ReadFile(log);
  const size_t log_at_restart = ReadFile(log).size();
  const auto restart_at = SteadyClock::now();
  ShellResult r = Shell(kSrc + "/scripts/rig restart-imap " +
                        ShellQuote(rig_->dir()) + " 2>&1");
  ASSERT_EQ(r.status, 0) << r.out;
  const double restart_s = SecondsSince(restart_at);

  EXPECT_TRUE(WaitFor([&] { return Acked(ids) == kMails; }, seconds(240)))
      << "acknowledged " << Acked(ids) << " of " << kMails;
  const double all_acked_s = SecondsSince(started);
  Sleep(seconds(2));
  EXPECT_TRUE(Alive(d.pid()));
  EXPECT_EQ(d.Stop(SIGTERM), 0);
  ShellResult once = rig_->Inboxd("once");
  EXPECT_EQ(once.status, 0) << once.out;

  // Mid-fetch: after the restart the daemon resumed above a uid between
  // the first and the last (uids are 1..300 in delivery order).
  const std::string run_log = ReadFile(log);
  std::smatch resumed;
  const std::string after_restart = run_log.substr(log_at_restart);
  std::regex_search(after_restart, resumed,
                    std::regex("support/INBOX: ([0-9]+) new message\\(s\\) "
                               "above uid ([1-9][0-9]*)"));
  const int stored_before_cut = resumed.empty() ? -1 : std::stoi(resumed[2]);
  const Outcome o = Check("rs", ids, Audit());
  std::printf(
      "[ figure ] Dovecot restart mid-fetch: %d of %d stored when the "
      "connection was cut, the rest fetched after the restart (which took "
      "%.1f s); all acknowledged %.1f s after start; %d lost, %d double, %d "
      "not stored, %d stored twice, %d resent after a crash\n",
      stored_before_cut, kMails, restart_s, all_acked_s, o.lost, o.doubles,
      o.not_stored, o.stored_twice, ResentAfterCrash(run_log));
  PrintDistinct(
      "daemon after the restart",
      LinesMatching(run_log, log_at_restart,
                    std::regex("warning|error|critical|support/INBOX: ")));
  EXPECT_GT(stored_before_cut, 0)
      << "the fetch was not cut mid-way (it ended before the restart, or "
         "never resumed):\n"
      << run_log.substr(0, 20000);
  EXPECT_LT(stored_before_cut, kMails);
  ExpectOnce(o);
  EXPECT_EQ(o.doubles, 0) << "no crash, so no resend is allowed";
  ExpectAuditVerifies();
}

// ------------------------------------------------------------- c. SMTP

// The relay answers 451 after DATA, then 421 at MAIL FROM (closing the
// connection): the acknowledgement is deferred each time (nothing
// delivered, `once` exits 0: every mailbox synced), is not retried before
// its backoff (1 min, then 2 min), and is delivered exactly once after the
// fault is cleared and the retry time has passed. The clock of `once` is
// moved forward with libfaketime for the backoff (no config key shortens
// it).
TEST_F(FaultsE2eTest, SmtpTemporaryFailuresDeferThenDeliverOnce) {
  const std::string lib = FaketimeLib();
  if (lib.empty()) {
    INBOXD_SKIP_OR_FAIL() << "no libfaketime (apt-get install faketime): "
                             "needed to pass the outbox backoff";
  }
  const std::string fault = rig_->dir() + "/smtp-fault";
  const std::string id = MessageId("tf", 0);
  DeliverAll({WriteMail("tf", 0)});
  auto acks = [&] { return AcksByInReplyTo()[id]; };
  auto summary = [](const std::string& out) {
    std::smatch m;
    std::regex_search(out, m,
                      std::regex("([0-9]+) sent, ([0-9]+) deferred, "
                                 "([0-9]+) failed"));
    return m.empty() ? std::string("?") : m[0].str();
  };
  struct Step {
    const char* what;
    const char* fault;   // "" = none
    const char* offset;  // the wall clock of `once`
    const char* want;    // sent, deferred, failed
    int acks;            // delivered to the customer afterwards
  } steps[] = {
      {"451 after DATA", "451 4.3.0 try later", "+0", "0 sent, 1 deferred", 0},
      {"cleared, retry not due (1 min)", "", "+30", "0 sent, 0 deferred", 0},
      {"421 at MAIL FROM, retry due", "MAIL 421 4.3.2 shutting down", "+65",
       "0 sent, 1 deferred", 0},
      {"cleared, retry not due (2 min)", "", "+120", "0 sent, 0 deferred", 0},
      {"cleared, retry due", "", "+190", "1 sent, 0 deferred", 1},
      {"nothing left", "", "+600", "0 sent, 0 deferred", 1},
  };
  for (const Step& s : steps) {
    if (*s.fault) {
      std::ofstream(fault, std::ios::trunc) << s.fault << "\n";
    } else {
      std::remove(fault.c_str());
    }
    ShellResult r = OnceAt(lib, s.offset);
    std::printf("[ figure ] %s (clock %s s): once exit %d, %s\n", s.what,
                s.offset, r.status, summary(r.out).c_str());
    EXPECT_EQ(r.status, 0) << s.what << ": " << r.out;
    EXPECT_NE(r.out.find(std::string(s.want) + ", 0 failed"), std::string::npos)
        << s.what << ": " << r.out;
    EXPECT_EQ(acks(), s.acks) << s.what;
  }
  // The relay refused exactly twice (451, 421), and the audit trail has
  // both deferrals with the server's reply code.
  const std::vector<std::string> faults = [&] {
    std::vector<std::string> v;
    std::istringstream in(ReadFile(rig_->dir() + "/smtp-faults.jsonl"));
    std::string line;
    while (std::getline(in, line)) v.push_back(line);
    return v;
  }();
  EXPECT_EQ(faults.size(), 2u) << ReadFile(rig_->dir() + "/smtp-faults.jsonl");
  int deferred_451 = 0, deferred_421 = 0, sent = 0;
  for (const json& e : Audit()) {
    const std::string type = e.value("type", "");
    if (type == "outbox.deferred") {
      const std::string error = e["data"].value("error", "");
      std::printf("[ figure ] outbox.deferred: %s\n", error.c_str());
      deferred_451 += error.find("smtp 451") != std::string::npos;
      deferred_421 += error.find("smtp 421") != std::string::npos;
    }
    if (type == "outbox.sent") ++sent;
  }
  std::printf(
      "[ figure ] smtp 4xx: %d deferral(s) with 451, %d with 421, %d sent, "
      "%d delivered\n",
      deferred_451, deferred_421, sent, acks());
  EXPECT_EQ(deferred_451, 1);
  EXPECT_EQ(deferred_421, 1);
  EXPECT_EQ(sent, 1);
  EXPECT_EQ(Deliveries("customer").size(), 1u);
  ExpectAuditVerifies();
}

// The relay refuses the customer's address with 550 at RCPT TO: the
// acknowledgement fails at once (outbox.failed with the server's reply),
// an agent_alert is queued to the route's escalation address and delivered
// there, and the acknowledgement is never tried again, fault or not.
TEST_F(FaultsE2eTest, SmtpPermanentFailureFailsOnceAndAlertsAnAgent) {
  AppendConfig(
      "[[route]]\nclass = \"support\"\nprimary = \"agent@shop.example\"\n"
      "escalate_to = \"manager@shop.example\"\n\n[routing]\n"
      "assignment_mail = false\n");
  const std::string fault = rig_->dir() + "/smtp-fault";
  std::ofstream(fault, std::ios::trunc)
      << "RCPT 550 5.1.1 no such user\nrcpt @customers.example\n";
  const std::string id = MessageId("pf", 0);
  DeliverAll({WriteMail("pf", 0)});
  ShellResult r = rig_->Inboxd("once");
  EXPECT_EQ(r.status, 0) << r.out;
  // The ack failed at once (the alert to the manager may go out in the
  // same drain or the next).
  EXPECT_NE(r.out.find(" 0 deferred, 1 failed"), std::string::npos) << r.out;
  std::remove(fault.c_str());
  for (int i = 0; i < 2; ++i) {
    ShellResult again = rig_->Inboxd("once");
    EXPECT_EQ(again.status, 0) << again.out;
    EXPECT_NE(again.out.find(" 0 deferred, 0 failed"), std::string::npos)
        << again.out;
  }
  const std::vector<json> events = Audit();
  int failed = 0, alerts_queued = 0, alerts_audited = 0;
  int64_t failed_row = -1;
  std::string failed_error;
  for (const json& e : events) {
    const std::string type = e.value("type", "");
    const json& d = e["data"];
    if (type == "outbox.failed") {
      ++failed;
      failed_row = d.value("outbox", int64_t{-1});
      failed_error = d.value("error", "");
    }
    if (type == "outbox.queued" &&
        d.dump().find("agent_alert") != std::string::npos) {
      ++alerts_queued;
    }
    if (type == "agent.alert") ++alerts_audited;
  }
  // How often the failed row was claimed for sending: once.
  int claimed = 0;
  for (const json& e : events) {
    if (e.value("type", "") == "outbox.sending" &&
        e["data"].value("outbox", int64_t{-2}) == failed_row) {
      ++claimed;
    }
  }
  const auto manager = Deliveries("manager");
  const std::string faults = ReadFile(rig_->dir() + "/smtp-faults.jsonl");
  const int refusals =
      static_cast<int>(std::count(faults.begin(), faults.end(), '\n'));
  std::printf(
      "[ figure ] smtp 550: %d outbox.failed (\"%s\"), %d agent_alert "
      "queued, %d agent.alert audited, %d delivered to the manager, %d to "
      "the customer; the relay refused %d time(s); the ack was claimed %d "
      "time(s)\n",
      failed, failed_error.c_str(), alerts_queued, alerts_audited,
      static_cast<int>(manager.size()), AcksByInReplyTo()[id], refusals,
      claimed);
  EXPECT_EQ(failed, 1);
  EXPECT_NE(failed_error.find("550"), std::string::npos) << failed_error;
  EXPECT_EQ(alerts_queued, 1);
  EXPECT_EQ(manager.size(), 1u);
  EXPECT_EQ(AcksByInReplyTo()[id], 0);
  EXPECT_EQ(refusals, 1) << faults;
  EXPECT_EQ(claimed, 1) << "the failed ack was claimed again";
  ExpectAuditVerifies();
}

// ------------------------------------------------------------- d. disk full

// The state dir is a 24 MiB tmpfs; large mail fills it while `run` works.
// The daemon must not crash or corrupt the store, /healthz must answer 503
// naming the store while it is full, and once space is freed it resumes by
// itself: every message stored once and acknowledged once, /healthz 200.
TEST_F(FaultsE2eTest, StateDirDiskFullPausesThenResumesWithoutLoss) {
  if (!EnsureSqlite3()) {
    INBOXD_SKIP_OR_FAIL() << "no sqlite3 CLI (apt-get install sqlite3)";
  }
  const std::string state = rig_->dir() + "/inboxd-state";
  const std::string db = state + "/inboxd.db";
  std::string error;
  auto fs = TmpfsMount::Mount(state, "24m", &error);
  if (!fs) {
    INBOXD_SKIP_OR_FAIL() << "cannot mount a tmpfs on the state dir: " << error;
  }
  ShellResult ports =
      Shell(kPython + " " + kSrc + "/tests/rig/mailrig.py freeports 1");
  ASSERT_EQ(ports.status, 0) << ports.out;
  const int port = std::stoi(ports.out);
  AppendConfig("[http]\nlisten = \"127.0.0.1:" + std::to_string(port) + "\"");
  auto integrity = [&] {
    ShellResult r =
        Shell("sqlite3 " + ShellQuote(db) + " 'PRAGMA integrity_check'");
    return r.out.substr(0, r.out.find_last_not_of("\n") + 1);
  };

  const std::string log = rig_->dir() + "/run.log";
  // A short tick: the stages retry every second, not every 30.
  Daemon d(rig_->config(), log, "--tick 1");
  ASSERT_TRUE(d.Start());
  ASSERT_TRUE(WaitFor([&] { return HttpGet(port, "/healthz").status == 200; },
                      seconds(60)))
      << ReadFile(log);

  // Small mail first: the daemon works.
  constexpr int kSmall = 5;
  DeliverAll(WriteMails("ds", kSmall));
  const auto small_ids = Ids("ds", kSmall);
  ASSERT_TRUE(WaitFor([&] { return Acked(small_ids) == kSmall; }, seconds(60)))
      << ReadFile(log);

  // Then mail with a 2 MiB attachment (2.7 MB encoded) until the file
  // system is full: 12 of them are more than the tmpfs holds.
  constexpr int kBig = 12;
  std::string attachment(2 << 20, '\0');
  std::mt19937 rng(12);
  for (char& c : attachment) c = static_cast<char>(rng());
  const std::string encoded = Base64Lines(attachment);
  std::vector<std::string> big_files;
  for (int i = 0; i < kBig; ++i) {
    const std::string who = Customer("dl", i);
    const std::string raw =
        "From: Customer " + std::to_string(i) + " <" + who +
        ">\r\nTo: support@shop.example\r\nSubject: Photos of the broken "
        "part " +
        std::to_string(i) + "\r\nDate: " + RfcDateNow() +
        "\r\nMessage-ID: " + MessageId("dl", i) +
        "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
        "boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; "
        "charset=utf-8\r\n\r\nThe part arrived broken, photos attached. "
        "Please help.\r\n--b1\r\nContent-Type: application/octet-stream\r\n"
        "Content-Transfer-Encoding: base64\r\nContent-Disposition: "
        "attachment; filename=\"photos.bin\"\r\n\r\n" +
        encoded + "--b1--\r\n";
    const std::string path =
        rig_->dir() + "/test-msgs/dl-" + std::to_string(i) + ".eml";
    std::ofstream(path, std::ios::binary) << raw;
    big_files.push_back(path);
  }
  const auto big_ids = Ids("dl", kBig);
  const size_t log_at_full = ReadFile(log).size();
  const auto fill_at = SteadyClock::now();
  Background big(DeliverCommand(big_files, 200));

  // Full: SQLite said so, and /healthz says so.
  const std::regex full_re("full|No space|ENOSPC", std::regex::icase);
  HttpReply health;
  const bool full = WaitFor(
      [&] {
        health = HttpGet(port, "/healthz");
        return health.status == 503 &&
               !LinesMatching(ReadFile(log), log_at_full, full_re).empty();
      },
      seconds(120));
  EXPECT_EQ(big.Wait(), 0) << ReadFile(rig_->dir() + "/deliver.log");
  EXPECT_TRUE(full) << "no disk-full error in the log or no 503 from "
                       "/healthz; free bytes "
                    << fs->FreeBytes() << "\n"
                    << ReadFile(log).substr(log_at_full);
  const double full_after_s = SecondsSince(fill_at);
  // Stay full a few seconds: the daemon retries meanwhile.
  Sleep(seconds(4));
  health = HttpGet(port, "/healthz");
  const unsigned long long free_when_full = fs->FreeBytes();
  const bool alive_when_full = Alive(d.pid());
  const std::string integrity_when_full = integrity();
  ShellResult verify_when_full = rig_->Inboxd("audit verify");
  ShellResult status_when_full = rig_->Inboxd("status --json");
  const size_t daemon_json_when_full = ReadFile(state + "/daemon.json").size();
  std::printf(
      "[ figure ] disk full after %.1f s of large mail; %llu KiB free; "
      "/healthz %d \"%s\"; daemon alive: %s; integrity_check: %s; audit "
      "verify exit %d; status daemon_running: %s (daemon.json %zu bytes)\n",
      full_after_s, free_when_full >> 10, health.status,
      health.body.substr(0, health.body.find_last_not_of("\n") + 1).c_str(),
      alive_when_full ? "yes" : "NO", integrity_when_full.c_str(),
      verify_when_full.status,
      status_when_full.out.find("\"daemon_running\": true") != std::string::npos
          ? "true"
          : "false",
      daemon_json_when_full);
  PrintDistinct(
      "daemon while full",
      LinesMatching(ReadFile(log), log_at_full,
                    std::regex("warn|error|critical|full", std::regex::icase)));
  EXPECT_EQ(health.status, 503) << health.body;
  EXPECT_NE(health.body.find("store"), std::string::npos) << health.body;
  EXPECT_TRUE(alive_when_full) << ReadFile(log).substr(log_at_full);
  EXPECT_EQ(integrity_when_full, "ok");
  EXPECT_EQ(verify_when_full.status, 0) << verify_when_full.out;

  // What the log says, from the first large mail until now (full), about
  // ingest and about the stages (process, plan, drain).
  const std::string full_log = ReadFile(log).substr(log_at_full);
  std::printf(
      "[ figure ] since the large mail began: %zu ingest warning(s), %zu "
      "stage error(s) (\"warning stages:\"), %zu stage report(s)\n",
      LinesMatching(full_log, 0, std::regex("warning .*INBOX: unavailable"))
          .size(),
      LinesMatching(full_log, 0, std::regex("warning stages: ")).size(),
      LinesMatching(full_log, 0, std::regex("info stages: ")).size());

  // Space again: the daemon resumes by itself.
  ASSERT_TRUE(fs->Resize("256m"));
  const auto freed_at = SteadyClock::now();
  std::vector<std::string> all_ids = small_ids;
  all_ids.insert(all_ids.end(), big_ids.begin(), big_ids.end());
  EXPECT_TRUE(WaitFor([&] { return Acked(big_ids) == kBig; }, seconds(180)))
      << "acknowledged " << Acked(big_ids) << " of " << kBig << "\n"
      << ReadFile(log).substr(log_at_full);
  const double resumed_s = SecondsSince(freed_at);
  EXPECT_TRUE(WaitFor([&] { return HttpGet(port, "/healthz").status == 200; },
                      seconds(30)))
      << HttpGet(port, "/healthz").body;
  Sleep(seconds(2));
  EXPECT_TRUE(Alive(d.pid()));
  EXPECT_EQ(d.Stop(SIGTERM), 0);
  ShellResult once = rig_->Inboxd("once");
  EXPECT_EQ(once.status, 0) << once.out;

  std::vector<json> events = Audit();
  Outcome small = Check("ds", small_ids, events);
  Outcome large = Check("dl", big_ids, events);
  std::printf(
      "[ figure ] disk full: resumed %.1f s after space was freed; %d+%d "
      "mails, %d lost, %d double, %d not stored, %d stored twice\n",
      resumed_s, kSmall, kBig, small.lost + large.lost,
      small.doubles + large.doubles, small.not_stored + large.not_stored,
      small.stored_twice + large.stored_twice);
  ExpectOnce(small);
  ExpectOnce(large);
  EXPECT_EQ(small.doubles + large.doubles, 0);
  EXPECT_EQ(integrity(), "ok");
  ExpectAuditVerifies();
}

// ------------------------------------------------------------- e. clock

// `inboxd run` under libfaketime (wall clock only; the monotonic clock is
// left alone): mail A, +26 h (A's 24 h deadline is missed and escalated),
// back 3 h to +23 h, mail B (warned at once: by the daemon's clock 23 h of
// its window are gone, since the server's INTERNALDATE is real time),
// forward to +50 h (B missed, A's second escalation level), mail C. No
// acknowledgement or notice is sent twice, nothing is lost, no crash, the
// audit chain verifies, and every watcher step happened at most once per
// milestone.
TEST_F(FaultsE2eTest, WallClockJumpsSendNothingTwiceLoseNothing) {
  const std::string lib = FaketimeLib();
  if (lib.empty()) {
    INBOXD_SKIP_OR_FAIL() << "no libfaketime (apt-get install faketime)";
  }
  AppendConfig(
      "[deadlines]\ndelay_notice_for = []\n\n[deadlines.support]\nack = "
      "\"2h\"\nreply = { within = \"24h\", clock = \"calendar\" }\n\n"
      "[[route]]\nclass = \"support\"\nprimary = \"agent@shop.example\"\n"
      "escalate_to = [\"manager@shop.example\", \"board@shop.example\"]\n\n"
      "[routing]\nassignment_mail = false\n");
  const std::string clock_file = rig_->dir() + "/faketime";
  auto set_clock = [&](long offset_s) {
    const std::string tmp = clock_file + ".tmp";
    std::ofstream(tmp, std::ios::trunc)
        << (offset_s >= 0 ? "+" : "") << offset_s << "\n";
    std::rename(tmp.c_str(), clock_file.c_str());
  };
  set_clock(0);
  const std::string log = rig_->dir() + "/run.log";
  Daemon d(rig_->config(), log, "--tick 1");
  {
    const char* asan = std::getenv("ASAN_OPTIONS");
    ScopedEnv env({{"LD_PRELOAD", lib},
                   {"FAKETIME_TIMESTAMP_FILE", clock_file},
                   {"FAKETIME_NO_CACHE", "1"},
                   {"DONT_FAKE_MONOTONIC", "1"},
                   {"FAKETIME_DONT_FAKE_MONOTONIC", "1"},
                   {"ASAN_OPTIONS", std::string(asan ? asan : "") +
                                        ":verify_asan_link_order=0"}});
    ASSERT_TRUE(d.Start());
  }
  // The daemon's wall clock, as it writes it into daemon.json.
  auto daemon_now = [&]() -> std::time_t {
    json j = json::parse(ReadFile(rig_->dir() + "/inboxd-state/daemon.json"),
                         nullptr, false);
    if (j.is_discarded()) return 0;
    std::tm tm{};
    const std::string at = j.value("updated_at", "");
    if (::strptime(at.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return 0;
    return ::timegm(&tm);
  };
  auto clock_at = [&](long offset_s) {
    return WaitFor(
        [&] {
          const std::time_t t = daemon_now();
          return t != 0 && std::labs(static_cast<long>(t - std::time(nullptr)) -
                                     offset_s) < 120;
        },
        seconds(30));
  };
  // Tickets of `series` whose "reply" milestone satisfies `pred`.
  auto replies = [&](const std::string& series, auto pred) {
    int n = 0;
    for (const json& t : Tickets()) {
      if (t.value("customer", "").rfind(series, 0) != 0) continue;
      for (const json& m : t.value("milestones", json::array())) {
        if (m.value("name", "") == "reply" && pred(m)) ++n;
      }
    }
    return n;
  };
  auto missed_level = [](int level) {
    return [level](const json& m) {
      return m.value("state", "") == "missed" &&
             m.value("escalation_level", 0) >= level;
    };
  };
  constexpr int kBatch = 5;
  const auto ids_a = Ids("ca", kBatch);
  const auto ids_b = Ids("cb", kBatch);
  const auto ids_c = Ids("cc", kBatch);

  // Now: mail A, acknowledged.
  ASSERT_TRUE(clock_at(0)) << "daemon.json never showed the daemon's clock\n"
                           << ReadFile(log);
  DeliverAll(WriteMails("ca", kBatch));
  ASSERT_TRUE(WaitFor([&] { return Acked(ids_a) == kBatch; }, seconds(60)))
      << ReadFile(log);

  // +26 h: A's 24 h reply deadline is missed and escalated to level 1 (no
  // warning: the breach comes first).
  set_clock(26 * 3600);
  ASSERT_TRUE(clock_at(26 * 3600))
      << "libfaketime does not move the daemon's wall clock (static "
         "binary?); daemon.json says "
      << ReadFile(rig_->dir() + "/inboxd-state/daemon.json");
  EXPECT_TRUE(WaitFor([&] { return replies("ca", missed_level(1)) == kBatch; },
                      seconds(60)))
      << ReadFile(log);
  Sleep(seconds(3));  // the notices go out

  // Back 3 h to +23 h: mail B.
  set_clock(23 * 3600);
  ASSERT_TRUE(clock_at(23 * 3600));
  DeliverAll(WriteMails("cb", kBatch));
  EXPECT_TRUE(WaitFor([&] { return Acked(ids_b) == kBatch; }, seconds(60)))
      << ReadFile(log);
  Sleep(seconds(3));

  // Forward to +50 h: B missed; A's level 2 (escalate_every 4 h); mail C.
  set_clock(50 * 3600);
  ASSERT_TRUE(clock_at(50 * 3600));
  EXPECT_TRUE(WaitFor(
      [&] {
        return replies("cb", missed_level(1)) == kBatch &&
               replies("ca", missed_level(2)) == kBatch;
      },
      seconds(60)))
      << ReadFile(log);
  DeliverAll(WriteMails("cc", kBatch));
  EXPECT_TRUE(WaitFor([&] { return Acked(ids_c) == kBatch; }, seconds(60)))
      << ReadFile(log);
  Sleep(seconds(3));
  EXPECT_TRUE(Alive(d.pid())) << ReadFile(log);
  EXPECT_EQ(d.Stop(SIGTERM), 0);
  ShellResult once = OnceAt(lib, "+" + std::to_string(50 * 3600));
  EXPECT_EQ(once.status, 0) << once.out;

  // Nothing lost, no acknowledgement twice.
  const std::vector<json> events = Audit();
  Outcome oa = Check("ca", ids_a, events);
  Outcome ob = Check("cb", ids_b, events);
  Outcome oc = Check("cc", ids_c, events);
  for (const Outcome* o : {&oa, &ob, &oc}) {
    ExpectOnce(*o);
    EXPECT_EQ(o->doubles, 0);
  }
  // No message delivered twice to anyone (our Message-IDs are
  // deterministic, so a resend carries the same one).
  std::map<std::string, int> per_user;
  int twice = 0;
  for (const char* user : {"customer", "agent", "manager", "board"}) {
    std::map<std::string, int> by_id;
    for (const json& j : Deliveries(user)) {
      ++by_id[j.value("message_id", "")];
      ++per_user[user];
    }
    for (const auto& [id, k] : by_id) {
      if (k > 1) {
        twice += k - 1;
        ADD_FAILURE() << id << " delivered " << k << " times to " << user;
      }
    }
  }
  // Every watcher step at most once per milestone (and level).
  std::map<std::string, int> steps;
  std::map<std::string, int> by_type;
  for (const json& e : events) {
    const std::string type = e.value("type", "");
    if (type.rfind("milestone.", 0) != 0 || type == "milestone.set") continue;
    const json& d = e["data"];
    std::string key =
        type + " ticket " + e["ticket"].dump() + " " + d.value("milestone", "");
    if (d.contains("level")) key += " level " + d["level"].dump();
    ++steps[key];
    ++by_type[type];
  }
  for (const auto& [key, k] : steps) {
    EXPECT_LE(k, 1) << key << " happened " << k << " times";
  }
  std::string types;
  for (const auto& [t, k] : by_type) {
    types += " " + t + "=" + std::to_string(k);
  }
  std::printf(
      "[ figure ] clock jumps (+26 h, -3 h, +27 h): %d mails, %d lost, %d "
      "double; delivered: %d to customers, %d to the owner, %d to level 1, "
      "%d to level 2; %d delivered twice; events:%s\n",
      3 * kBatch, oa.lost + ob.lost + oc.lost,
      oa.doubles + ob.doubles + oc.doubles, per_user["customer"],
      per_user["agent"], per_user["manager"], per_user["board"], twice,
      types.c_str());
  // A was already past its due time at +26 h: breached without a warning
  // (watcher.cc: the breach comes first). B arrived at +23 h, 23 h into its
  // window by the daemon's clock: warned then, breached at +50 h.
  auto warned = [](const json& m) {
    return !m.value("warned_at", json()).is_null();
  };
  EXPECT_EQ(replies("cb", warned), kBatch);
  EXPECT_EQ(replies("ca", warned), 0);
  EXPECT_EQ(replies("ca", missed_level(2)), kBatch);
  EXPECT_EQ(replies("cb", missed_level(1)), kBatch);
  ExpectAuditVerifies();
}

}  // namespace
}  // namespace inboxd::e2e
