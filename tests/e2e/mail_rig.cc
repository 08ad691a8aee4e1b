// mail_rig.cc: see mail_rig.h.
#include "tests/e2e/mail_rig.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace inboxd::e2e {

namespace fs = std::filesystem;
using core::Error;
using core::Fail;

namespace {

const std::string kSrc = INBOXD_SOURCE_DIR;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(c));
  return s;
}

// Writes `raw` to a fresh file in `dir`; returns its path.
std::string WriteTemp(const std::string& dir, int seq, const std::string& raw) {
  std::string path = dir + "/msg-" + std::to_string(seq) + ".eml";
  std::ofstream out(path, std::ios::binary);
  out << raw;
  return path;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

ShellResult Shell(const std::string& cmd) {
  ShellResult r;
  std::string full = "( " + cmd + " ) 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  if (p == nullptr) return r;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string DecodeBase64(const std::string& text) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (char c : text) {
    size_t pos = kAlphabet.find(c);
    if (pos == std::string::npos) continue;  // '=', whitespace
    val = (val << 6) + static_cast<int>(pos);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

std::string DecodeQuotedPrintable(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out += text[i];
      continue;
    }
    if (i + 2 < text.size() && text[i + 1] == '\r' && text[i + 2] == '\n') {
      i += 2;  // soft line break
    } else if (i + 1 < text.size() && text[i + 1] == '\n') {
      i += 1;
    } else if (i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out +=
          static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      out += '=';
    }
  }
  return out;
}

std::string DecodeWords(const std::string& value) {
  std::string out;
  size_t i = 0;
  bool last_was_word = false;
  while (i < value.size()) {
    size_t start = value.find("=?", i);
    if (start == std::string::npos) {
      out += value.substr(i);
      break;
    }
    std::string between = value.substr(i, start - i);
    // Whitespace between two encoded words is dropped (RFC 2047 6.2).
    bool blank = std::all_of(between.begin(), between.end(),
                             [](char c) { return c == ' ' || c == '\t'; });
    if (!(last_was_word && blank)) out += between;
    size_t q1 = value.find('?', start + 2);
    size_t q2 = q1 == std::string::npos ? q1 : value.find('?', q1 + 1);
    size_t end = q2 == std::string::npos ? q2 : value.find("?=", q2 + 1);
    if (end == std::string::npos) {
      out += value.substr(start);
      break;
    }
    char enc = static_cast<char>(std::toupper(value[q1 + 1]));
    std::string payload = value.substr(q2 + 1, end - q2 - 1);
    if (enc == 'B') {
      out += DecodeBase64(payload);
    } else {
      std::replace(payload.begin(), payload.end(), '_', ' ');
      out += DecodeQuotedPrintable(payload);
    }
    i = end + 2;
    last_was_word = true;
  }
  return out;
}

std::string Mail::Header(const std::string& name) const {
  auto it = headers.find(Lower(name));
  return it == headers.end() ? "" : it->second;
}

std::string Mail::Decoded(const std::string& name) const {
  return DecodeWords(Header(name));
}

std::vector<std::string> Mail::HeaderNames() const {
  std::vector<std::string> names;
  std::istringstream in(raw.substr(0, raw.size() - body.size()));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') continue;
    size_t colon = line.find(':');
    names.push_back(Lower(line.substr(0, colon)));
  }
  return names;
}

namespace {

template <typename Pred>
std::vector<Mail> Filter(const std::vector<Mail>& mails, Pred keep) {
  std::vector<Mail> out;
  for (const Mail& m : mails) {
    if (keep(m)) out.push_back(m);
  }
  return out;
}

}  // namespace

std::vector<Mail> WithSubject(const std::vector<Mail>& mails,
                              const std::string& needle) {
  return Filter(mails, [&](const Mail& m) {
    return m.Decoded("Subject").find(needle) != std::string::npos;
  });
}

std::vector<Mail> WithBody(const std::vector<Mail>& mails,
                           const std::string& needle) {
  return Filter(mails, [&](const Mail& m) {
    return m.DecodedBody().find(needle) != std::string::npos;
  });
}

std::vector<Mail> To(const std::vector<Mail>& mails,
                     const std::string& needle) {
  return Filter(mails, [&](const Mail& m) {
    return m.Header("To").find(needle) != std::string::npos;
  });
}

std::string Mail::DecodedBody() const {
  // Decode each part by its Content-Transfer-Encoding; headers of parts
  // are kept (harmless for "contains" checks).
  // Dovecot's Maildir stores LF line ends; work on LF throughout.
  std::string lf;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n') continue;
    lf += body[i];
  }
  std::string out;
  std::string lower = Lower(lf);
  std::string top_cte = Lower(Header("Content-Transfer-Encoding"));
  if (top_cte.find("quoted-printable") != std::string::npos) {
    return DecodeQuotedPrintable(lf);
  }
  if (top_cte.find("base64") != std::string::npos) return DecodeBase64(lf);
  size_t pos = 0;
  while (true) {
    size_t cte = lower.find("content-transfer-encoding:", pos);
    if (cte == std::string::npos) break;
    size_t line_end = lower.find('\n', cte);
    std::string kind = lower.substr(cte, line_end - cte);
    size_t start = lf.find("\n\n", cte);
    if (start == std::string::npos) break;
    start += 2;
    // The next boundary line ("--" and the boundary; a text line of dashes
    // such as "----- Bea wrote -----" is not one).
    size_t end = lf.find("\n--", start);
    while (end != std::string::npos && end + 3 < lf.size() &&
           lf[end + 3] == '-') {
      end = lf.find("\n--", end + 3);
    }
    if (end == std::string::npos) end = lf.size();
    std::string part = lf.substr(start, end - start);
    if (kind.find("quoted-printable") != std::string::npos) {
      out += DecodeQuotedPrintable(part);
    } else if (kind.find("base64") != std::string::npos) {
      out += DecodeBase64(part);
    } else {
      out += part;
    }
    out += "\n";
    pos = end;
  }
  return out.empty() ? lf : out;
}

core::Result<std::unique_ptr<MailRig>> MailRig::Start() {
  if (::geteuid() != 0) {
    return Fail(Error::Unavailable("the mail rig needs root"));
  }
  char tmpl[] = "/tmp/inboxd-e2e-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    return Fail(Error::Unavailable("mkdtemp failed"));
  }
  std::unique_ptr<MailRig> rig(new MailRig());
  rig->dir_ = tmpl;
  ShellResult r = Shell(kSrc + "/scripts/rig start " + ShellQuote(rig->dir_));
  if (r.status != 0) {
    // The rig's own logs say why (e.g. a Dovecot binary gone missing).
    std::string logs;
    for (const char* log : {"dovecot.out", "dovecot.log", "relay.log"}) {
      std::string text = ReadAll(rig->dir_ + "/" + log);
      if (text.size() > 2000) text = text.substr(text.size() - 2000);
      if (!text.empty()) logs += std::string("\n") + log + ":\n" + text;
    }
    return Fail(
        Error::Unavailable("scripts/rig start failed: " + r.out + logs));
  }
  std::istringstream env(ReadAll(rig->dir_ + "/env"));
  std::string line;
  while (std::getline(env, line)) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) {
      rig->env_[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  fs::create_directories(rig->dir_ + "/test-msgs");
  return rig;
}

MailRig::~MailRig() {
  Shell(kSrc + "/scripts/rig stop " + ShellQuote(dir_));
  if (std::getenv("INBOXD_KEEP_RIG") == nullptr) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

std::string MailRig::env(const std::string& key) const {
  auto it = env_.find(key);
  return it == env_.end() ? "" : it->second;
}

core::Status MailRig::Deliver(const std::string& user, const std::string& raw) {
  std::string f = WriteTemp(dir_ + "/test-msgs", ++seq_, raw);
  ShellResult r = Shell(kSrc + "/scripts/rig deliver " + ShellQuote(dir_) +
                        " " + ShellQuote(user) + " " + ShellQuote(f));
  if (r.status != 0) return Fail(Error::Unavailable("deliver: " + r.out));
  return core::Ok();
}

core::Status MailRig::Send(const std::string& from, const std::string& to,
                           const std::string& raw) {
  std::string f = WriteTemp(dir_ + "/test-msgs", ++seq_, raw);
  ShellResult r =
      Shell(kSrc + "/scripts/rig send " + ShellQuote(dir_) + " " +
            ShellQuote(from) + " " + ShellQuote(to) + " " + ShellQuote(f));
  if (r.status != 0) return Fail(Error::Unavailable("send: " + r.out));
  return core::Ok();
}

core::Status MailRig::Vacation(const std::string& user, int seconds,
                               const std::string& text) {
  ShellResult r = Shell(kSrc + "/scripts/rig vacation " + ShellQuote(dir_) +
                        " " + ShellQuote(user) + " " + std::to_string(seconds) +
                        (text.empty() ? "" : " " + ShellQuote(text)));
  if (r.status != 0) return Fail(Error::Unavailable("vacation: " + r.out));
  return core::Ok();
}

std::vector<Mail> MailRig::Messages(const std::string& user,
                                    const std::string& folder) const {
  std::string md = dir_ + "/mail/" + user;
  if (folder != "INBOX") md += "/." + folder;
  std::vector<std::string> files;
  for (const char* sub : {"/new", "/cur"}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(md + sub, ec)) {
      files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<Mail> mails;
  for (const auto& f : files) {
    Mail m;
    m.file = f;
    m.raw = ReadAll(f);
    size_t split = m.raw.find("\r\n\r\n");
    size_t skip = 4;
    if (split == std::string::npos) {
      split = m.raw.find("\n\n");
      skip = 2;
    }
    std::string head = m.raw.substr(0, split);
    m.body = split == std::string::npos ? "" : m.raw.substr(split + skip);
    std::istringstream in(head);
    std::string line, name, value;
    auto flush = [&] {
      if (!name.empty()) m.headers.emplace(Lower(name), value);
      name.clear();
      value.clear();
    };
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
        value += " " + line.substr(line.find_first_not_of(" \t"));
        continue;
      }
      flush();
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      name = line.substr(0, colon);
      size_t v = line.find_first_not_of(" \t", colon + 1);
      value = v == std::string::npos ? "" : line.substr(v);
    }
    flush();
    mails.push_back(std::move(m));
  }
  return mails;
}

std::vector<std::string> MailRig::DeliveriesTo(const std::string& user) const {
  std::vector<std::string> out;
  std::istringstream in(ReadAll(dir_ + "/deliveries.jsonl"));
  std::string line;
  std::string key = "\"user\": \"" + user + "\"";
  while (std::getline(in, line)) {
    if (line.find(key) != std::string::npos) out.push_back(line);
  }
  return out;
}

ShellResult MailRig::Inboxd(const std::string& args, bool with_config) const {
  std::string cmd = std::string(INBOXD_BIN) + " " + args;
  if (with_config) cmd += " --config " + ShellQuote(config());
  return Shell(cmd);
}

Daemon::Daemon(std::string config, std::string log_path, std::string extra)
    : config_(std::move(config)),
      log_path_(std::move(log_path)),
      extra_(std::move(extra)) {}

Daemon::~Daemon() {
  if (pid_ > 0) Stop(SIGTERM);
}

core::Status Daemon::Start() {
  std::string cmd = std::string("exec ") + INBOXD_BIN + " run --config " +
                    ShellQuote(config_) + " " + extra_ + " >>" +
                    ShellQuote(log_path_) + " 2>&1";
  pid_t pid = ::fork();
  if (pid < 0) return Fail(Error::Unavailable("fork failed"));
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  pid_ = pid;
  return core::Ok();
}

int Daemon::Stop(int sig, std::chrono::seconds wait) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  auto until = std::chrono::steady_clock::now() + wait;
  int st = 0;
  bool killed = false;
  while (::waitpid(pid_, &st, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= until) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &st, 0);
      killed = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
  return !killed && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

bool MailRig::WaitDaemonConnected() const {
  return WaitFor(
      [&] {
        ShellResult r = Inboxd("status --json");
        return r.out.find("\"connected\": true") != std::string::npos;
      },
      std::chrono::seconds(60));
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

std::string CustomerMail(const std::string& from, const std::string& to,
                         const std::string& subject, const std::string& msgid,
                         const std::string& body) {
  return "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject +
         "\r\nDate: " + RfcDateNow() + "\r\nMessage-ID: " + msgid +
         "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8"
         "\r\n\r\n" +
         body + "\r\n";
}

std::vector<Mail> Acks(const std::vector<Mail>& mails) {
  std::vector<Mail> out;
  for (const auto& m : mails) {
    if (m.Header("Auto-Submitted") == "auto-replied" &&
        m.Header("From").find("@shop.example") != std::string::npos) {
      out.push_back(m);
    }
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string RfcDateNow() {
  char buf[64];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

}  // namespace inboxd::e2e
