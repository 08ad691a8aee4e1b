#include "tests/rig/cyrus_rig.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#ifndef INBOXD_SOURCE_DIR
#define INBOXD_SOURCE_DIR "."
#endif

namespace inboxd::tests {
namespace {

namespace fs = std::filesystem;
using core::Error;
using core::Fail;
using rig_internal::CanConnect;
using rig_internal::ChildrenOf;
using rig_internal::FreePort;
using rig_internal::ProcessGone;
using rig_internal::ReadFile;
using rig_internal::RemoveRigDir;
using rig_internal::Tail;
using rig_internal::WaitPortsFree;

// cyrus-common's programs; imapd and idled come from kCyrusImapdDir.
constexpr std::string_view kCommonBin = "/usr/lib/cyrus/bin/";
// The SASL realm of the rig's users: Cyrus asks sasldb for user@servername.
constexpr std::string_view kServerName = "cyrus-test.local";
// A top-level folder the admin lends a user while ResetUidValidity
// recreates that user.
constexpr std::string_view kStash = "inboxd-rig-stash";
constexpr std::string_view kAllRights = "lrswipkxtecdan";

std::string CommonBin(std::string_view name) {
  return std::string(kCommonBin) + std::string(name);
}
std::string PrivateBin(std::string_view name) {
  return std::string(kCyrusImapdDir) + "/usr/lib/cyrus/bin/" +
         std::string(name);
}

// What Start needs installed; "" when all is there, else what is missing.
std::string Missing() {
  std::string missing;
  for (const std::string& f :
       {CommonBin("master"), CommonBin("lmtpd"), CommonBin("ctl_cyrusdb"),
        CommonBin("cyr_info"), PrivateBin("imapd"), PrivateBin("idled"),
        std::string("/usr/sbin/saslpasswd2")}) {
    if (!fs::exists(f)) missing += " " + f;
  }
  if (::getpwnam("cyrus") == nullptr) missing += " user cyrus";
  return missing;
}

// imapd.conf(5). @NAME@ stands for a value Start fills in.
constexpr std::string_view kImapdConf =
    R"(# inboxd test rig (tests/rig/cyrus_rig.cc): 127.0.0.1 only.
configdirectory: @DIR@/config
partition-default: @DIR@/spool
defaultpartition: default
proc_path: @DIR@/run/proc
mboxname_lockpath: @DIR@/run/lock
sievedir: @DIR@/sieve
# No idlesocket: imapd 3.6.1 notifies idled at configdirectory/socket/idle
# whatever idlesocket says, and binds its own socket beside it.
servername: @SERVERNAME@
admins: cyrus
# Debian's /etc/imapd.conf says no to both; the compiled defaults (yes)
# would show the Sent folder as "Sent" with separator "/".
altnamespace: no
unixhierarchysep: no
allowplaintext: yes
# The default pauses 3 s after each failed login.
failedloginpause: 0
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: @DIR@/sasldb2
sasl_mech_list: PLAIN LOGIN
tls_server_cert: @DIR@/cert.pem
tls_server_key: @DIR@/key.pem
# No DELETED.* copies left behind by ResetUidValidity.
delete_mode: immediate
expunge_mode: immediate
syslog_prefix: inboxd-cyrus-rig
)";

// cyrus.conf(5). master does not pass its own -C on: every cmd= names the
// config itself, or the child reads /etc/imapd.conf. lmtpd -a: LMTP over
// TCP without AUTH (else "430 Authentication required"), as an MTA on
// 127.0.0.1 would deliver.
constexpr std::string_view kCyrusConf =
    R"(# inboxd test rig (tests/rig/cyrus_rig.cc): 127.0.0.1 only.
START {
  recover cmd="@BIN@ctl_cyrusdb -r -C @CONF@"
}
SERVICES {
  imap cmd="@PRIVATE_BIN@imapd -C @CONF@" listen="127.0.0.1:@IMAP_PORT@" prefork=0 maxchild=100
  imaps cmd="@PRIVATE_BIN@imapd -s -C @CONF@" listen="127.0.0.1:@IMAPS_PORT@" prefork=0 maxchild=50
  lmtp cmd="@BIN@lmtpd -a -C @CONF@" listen="127.0.0.1:@LMTP_PORT@" prefork=0 maxchild=5
}
EVENTS {
  checkpoint cmd="@BIN@ctl_cyrusdb -c -C @CONF@" period=30
}
# In DAEMON (not START, as in Debian's example) so that master stops it.
DAEMON {
  idled cmd="@PRIVATE_BIN@idled -C @CONF@"
}
)";

// `text` with each @NAME@ of `values` replaced.
std::string Fill(
    std::string_view text,
    const std::vector<std::pair<std::string_view, std::string>>& values) {
  std::string out(text);
  for (const auto& [name, value] : values) {
    for (size_t at = out.find(name); at != std::string::npos;
         at = out.find(name, at + value.size())) {
      out.replace(at, name.size(), value);
    }
  }
  return out;
}

std::string RandomPassword() {
  std::ifstream in("/dev/urandom", std::ios::binary);
  std::string out;
  for (int i = 0; i < 16; ++i) {
    out += "0123456789abcdef"[static_cast<unsigned char>(in.get()) % 16];
  }
  return out;
}

// Reads one IMAP astring (atom or quoted) from `s` at `pos`, advancing it.
std::string NextToken(std::string_view s, size_t& pos) {
  while (pos < s.size() && s[pos] == ' ') ++pos;
  std::string out;
  if (pos < s.size() && s[pos] == '"') {
    for (++pos; pos < s.size() && s[pos] != '"'; ++pos) {
      if (s[pos] == '\\' && pos + 1 < s.size()) ++pos;
      out += s[pos];
    }
    ++pos;
    return out;
  }
  while (pos < s.size() && s[pos] != ' ') out += s[pos++];
  return out;
}

// The EXISTS count among EXAMINE's untagged lines ("3 EXISTS").
uint32_t Exists(const std::vector<std::string>& lines) {
  for (const auto& l : lines) {
    if (l.ends_with(" EXISTS")) {
      return static_cast<uint32_t>(std::atoi(l.c_str()));
    }
  }
  return 0;
}

// The number after `key` in `line` ("... UIDVALIDITY 123)" -> 123), or 0.
uint64_t NumberAfter(std::string_view line, std::string_view key) {
  size_t at = line.find(key);
  if (at == std::string_view::npos) return 0;
  return std::strtoull(std::string(line.substr(at + key.size())).c_str(),
                       nullptr, 10);
}

}  // namespace

core::Result<std::unique_ptr<CyrusRig>> CyrusRig::Start(
    const std::vector<User>& users) {
  if (!Missing().empty()) {
    auto inst = RunShell(std::string(INBOXD_SOURCE_DIR) +
                         "/scripts/install-deps --with-servers");
    if (!inst) return Fail(inst.error());
    if (std::string m = Missing(); !m.empty()) {
      return Fail(Error::Unavailable(
          "cyrus: still missing after scripts/install-deps --with-servers:" +
          m));
    }
  }
  std::unique_ptr<CyrusRig> rig(new CyrusRig());
  rig->users_ = users;
  char tmpl[] = "/tmp/inboxd-cyrus-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    return Fail(Error::Unavailable("mkdtemp failed"));
  }
  rig->dir_ = tmpl;
  const std::string& d = rig->dir_;
  // config/socket: idled's socket and each imapd's own idle.<pid> socket.
  for (const char* sub :
       {"config/socket", "spool", "run/proc", "run/lock", "sieve"}) {
    fs::create_directories(d + "/" + sub);
  }
  auto cert = RunShell("openssl req -x509 -newkey rsa:2048 -nodes -keyout " +
                       d + "/key.pem -out " + d +
                       "/cert.pem -days 2 -subj /CN=localhost "
                       "-addext 'subjectAltName=DNS:localhost,IP:127.0.0.1'");
  if (!cert) return Fail(cert.error());

  rig->imap_port_ = FreePort();
  rig->imaps_port_ = FreePort();
  rig->lmtp_port_ = FreePort();
  const std::string conf = d + "/imapd.conf";
  const std::vector<std::pair<std::string_view, std::string>> values = {
      {"@DIR@", d},
      {"@CONF@", conf},
      {"@SERVERNAME@", std::string(kServerName)},
      {"@BIN@", std::string(kCommonBin)},
      {"@PRIVATE_BIN@", PrivateBin("")},
      {"@IMAP_PORT@", std::to_string(rig->imap_port_)},
      {"@IMAPS_PORT@", std::to_string(rig->imaps_port_)},
      {"@LMTP_PORT@", std::to_string(rig->lmtp_port_)}};
  std::ofstream(conf) << Fill(kImapdConf, values);
  std::ofstream(d + "/cyrus.conf") << Fill(kCyrusConf, values);

  // The users and the admin, in a private sasldb (password on stdin).
  rig->admin_password_ = RandomPassword();
  std::vector<User> accounts = users;
  accounts.push_back({"cyrus", rig->admin_password_});
  for (const auto& a : accounts) {
    const std::string pw = d + "/saslpw.tmp";
    std::ofstream(pw, std::ios::binary) << a.password;
    auto st = RunShell("/usr/sbin/saslpasswd2 -p -c -f " + d + "/sasldb2 -u " +
                       std::string(kServerName) + " '" + a.name + "' <" + pw);
    fs::remove(pw);
    if (!st) return Fail(st.error());
  }
  auto own = RunShell("chown -R cyrus:mail " + d);
  if (!own) return Fail(own.error());
  if (auto st = rig->Launch(); !st) return Fail(st.error());

  // The admin creates each user's INBOX and Sent (marked \Sent, RFC 6154).
  auto admin = rig->Admin();
  if (!admin) return Fail(admin.error());
  for (const auto& u : users) {
    for (const std::string& cmd :
         {"CREATE " + ImapQuote("user." + u.name),
          "CREATE " + ImapQuote("user." + u.name + ".Sent") +
              " (USE (\\Sent))"}) {
      if (auto r = admin->Run(cmd); !r) {
        return Fail(r.error().Wrap("cyrus: admin"));
      }
    }
  }
  return rig;
}

core::Status CyrusRig::Launch() {
  // As the cyrus user, which owns the dir; -d daemonizes, -L keeps stderr.
  auto r = RunShell("/usr/sbin/runuser -u cyrus -- " + CommonBin("master") +
                    " -C " + dir_ + "/imapd.conf -M " + dir_ +
                    "/cyrus.conf -p " + dir_ + "/run/master.pid -L " + dir_ +
                    "/master.log -d </dev/null >>" + dir_ + "/master.out 2>&1");
  if (!r) {
    return Fail(Error::Unavailable(
        "cyrus: master did not start: " + r.error().message + Diagnosis()));
  }
  running_ = true;
  for (int i = 0; i < 200; ++i) {
    if (CanConnect(imap_port_) && CanConnect(imaps_port_) &&
        CanConnect(lmtp_port_)) {
      return core::Ok();
    }
    int pid = std::atoi(ReadFile(dir_ + "/run/master.pid").c_str());
    if (pid > 0 && ProcessGone(pid)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Fail(
      Error::Unavailable("cyrus did not come up on 127.0.0.1" + Diagnosis()));
}

std::string CyrusRig::Diagnosis() const {
  int pid = std::atoi(ReadFile(dir_ + "/run/master.pid").c_str());
  auto up = [](int port) {
    return std::to_string(port) + (CanConnect(port) ? " up" : " down");
  };
  // Cyrus reports its own errors (a port it cannot bind, a bad option) to
  // syslog only; without one, master's stderr and conf-lint are all there
  // is.
  auto lint =
      RunShell(CommonBin("cyr_info") + " -C " + dir_ + "/imapd.conf conf-lint");
  return "\nmaster pid " + std::to_string(pid) +
         (pid > 0 && !ProcessGone(pid) ? " running" : " not running") +
         "; imap " + up(imap_port_) + ", imaps " + up(imaps_port_) + ", lmtp " +
         up(lmtp_port_) +
         "\nunknown imapd.conf options (cyr_info conf-lint): " +
         (lint ? *lint : lint.error().message) + "\nmaster.log:\n" +
         Tail(ReadFile(dir_ + "/master.log")) + "master.out:\n" +
         Tail(ReadFile(dir_ + "/master.out")) +
         "(more in syslog, ident inboxd-cyrus-rig, where there is one)";
}

core::Status CyrusRig::Stop() {
  if (!running_) return core::Ok();
  running_ = false;
  int pid = std::atoi(ReadFile(dir_ + "/run/master.pid").c_str());
  if (pid <= 0) return Fail(Error::Unavailable("cyrus: no master.pid"));
  // master stops its children (imapd, lmtpd, idled) on SIGTERM. A master
  // whose service could not bind its port spins and ignores SIGTERM: after
  // 5 s it and its children get SIGKILL.
  const std::vector<int> children = ChildrenOf(pid);
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 200 && !ProcessGone(pid); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  if (!ProcessGone(pid)) {
    ::kill(pid, SIGKILL);
    for (int child : children) ::kill(child, SIGKILL);
  }
  WaitPortsFree({imap_port_, imaps_port_, lmtp_port_});
  return core::Ok();
}

core::Status CyrusRig::Restart() {
  if (auto st = Stop(); !st) return st;
  return Launch();
}

CyrusRig::~CyrusRig() {
  (void)Stop();
  RemoveRigDir(dir_);
}

core::Result<RigImapSession> CyrusRig::Admin() const {
  return RigImapSession::Login(imap_port_, "cyrus", admin_password_);
}

core::Result<RigImapSession> CyrusRig::As(const std::string& user) const {
  return RigImapSession::Login(imap_port_, user, PasswordOf(user));
}

std::string CyrusRig::AdminName(const std::string& user,
                                const std::string& folder) {
  return "user." + user + (folder == "INBOX" ? "" : folder.substr(5));
}

core::Status CyrusRig::DeliverUnseen(const std::string& user,
                                     const std::string& folder,
                                     const std::string& raw) {
  auto s = As(user);
  if (!s) return Fail(s.error());
  auto r = s->Run(
      "APPEND " + ImapQuote(folder) + " {" + std::to_string(raw.size()) + "}",
      raw);
  if (!r) return Fail(r.error().Wrap("cyrus: deliver to " + user));
  return core::Ok();
}

core::Status CyrusRig::DeliverManyUnseen(const std::string& user,
                                         const std::string& folder,
                                         const std::vector<std::string>& raws) {
  if (raws.empty()) return core::Ok();
  std::string cmd = "APPEND " + ImapQuote(folder);
  for (const auto& raw : raws) {
    cmd += " {" + std::to_string(raw.size()) + "+}\r\n" + raw;
  }
  auto s = As(user);
  if (!s) return Fail(s.error());
  auto r = s->Run(cmd);
  if (!r) return Fail(r.error().Wrap("cyrus: deliver to " + user));
  return core::Ok();
}

core::Status CyrusRig::Kick(const std::string& user) const {
  // Each imapd keeps run/proc/<pid>: service, host, user, mailbox, command.
  std::vector<int> pids;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_ + "/run/proc", ec)) {
    std::istringstream fields(ReadFile(e.path().string()));
    std::string service, host, who;
    std::getline(fields, service, '\t');
    std::getline(fields, host, '\t');
    std::getline(fields, who, '\t');
    int pid = std::atoi(e.path().filename().c_str());
    if (who == user && pid > 0 && ::kill(pid, SIGTERM) == 0) {
      pids.push_back(pid);
    }
  }
  for (int pid : pids) {
    for (int i = 0; i < 200 && !ProcessGone(pid); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return core::Ok();
}

core::Result<std::vector<std::string>> CyrusRig::Flags(
    const std::string& user, const std::string& folder) const {
  auto s = As(user);
  if (!s) return Fail(s.error());
  auto examined = s->Run("EXAMINE " + ImapQuote(folder));
  if (!examined) return Fail(examined.error());
  std::vector<std::pair<uint64_t, std::string>> rows;
  if (Exists(*examined) > 0) {
    auto fetched = s->Run("UID FETCH 1:* (FLAGS)");
    if (!fetched) return Fail(fetched.error());
    for (const auto& l : *fetched) {
      // "3 FETCH (FLAGS (\Seen $Done) UID 7)", in either order.
      size_t f = l.find("FLAGS (");
      if (f == std::string::npos) continue;
      size_t end = l.find(')', f);
      rows.emplace_back(NumberAfter(l, "UID "), l.substr(f + 7, end - f - 7));
    }
  }
  std::sort(rows.begin(), rows.end());
  std::vector<std::string> lines;
  for (const auto& [uid, flags] : rows) {
    lines.push_back("uid=" + std::to_string(uid) + " flags=" + flags);
  }
  return lines;
}

core::Status CyrusRig::ResetUidValidity(const std::string& user,
                                        const std::string& folder) {
  auto ctx = "cyrus: reset uidvalidity " + user + "/" + folder;
  (void)Kick(user);
  auto admin = Admin();
  if (!admin) return Fail(admin.error().Wrap(ctx));
  auto run = [&](RigImapSession& s, const std::string& cmd) -> core::Status {
    auto r = s.Run(cmd);
    if (!r) return Fail(r.error().Wrap(ctx));
    return core::Ok();
  };
  struct Folder {
    std::string name;
    bool sent = false;
    uint32_t exists = 0;
  };
  std::vector<Folder> folders;
  uint64_t before = 0;
  {
    // The user's folders (parents before children), then each one copied
    // into its own stash folder, which the admin lends the user.
    auto s = As(user);
    if (!s) return Fail(s.error().Wrap(ctx));
    auto listed = s->Run("LIST \"\" \"INBOX*\"");
    if (!listed) return Fail(listed.error().Wrap(ctx));
    for (const auto& l : *listed) {
      size_t close = l.find(')');
      if (!l.starts_with("LIST (") || close == std::string::npos) continue;
      size_t pos = close + 1;
      NextToken(l, pos);  // the hierarchy delimiter
      Folder f{NextToken(l, pos)};
      f.sent = l.substr(0, close).find("\\Sent") != std::string::npos;
      folders.push_back(f);
    }
    std::sort(folders.begin(), folders.end(),
              [](const Folder& a, const Folder& b) { return a.name < b.name; });
    auto status = s->Run("STATUS " + ImapQuote(folder) + " (UIDVALIDITY)");
    if (!status || status->empty()) {
      return Fail(Error::Unavailable(ctx + ": no STATUS"));
    }
    before = NumberAfter(status->front(), "UIDVALIDITY ");
    const std::string stash = ImapQuote(std::string(kStash));
    for (const std::string& cmd :
         {"CREATE " + stash,
          "SETACL " + stash + " " + user + " " + std::string(kAllRights),
          "SETACL " + stash + " cyrus " + std::string(kAllRights)}) {
      if (auto st = run(*admin, cmd); !st) return st;
    }
    for (size_t i = 0; i < folders.size(); ++i) {
      const std::string to =
          ImapQuote(std::string(kStash) + "." + std::to_string(i));
      if (auto st = run(*s, "CREATE " + to); !st) return st;
      auto examined = s->Run("EXAMINE " + ImapQuote(folders[i].name));
      if (!examined) return Fail(examined.error().Wrap(ctx));
      folders[i].exists = Exists(*examined);
      if (folders[i].exists == 0) continue;
      if (auto st = run(*s, "UID COPY 1:* " + to); !st) return st;
    }
  }
  // The admin deletes the user (all of its folders) and creates them anew;
  // an admin holds only the "a" right until it grants itself more.
  const std::string inbox = ImapQuote(AdminName(user, "INBOX"));
  for (const std::string& cmd :
       {"SETACL " + inbox + " cyrus " + std::string(kAllRights),
        "DELETE " + inbox}) {
    if (auto st = run(*admin, cmd); !st) return st;
  }
  for (const auto& f : folders) {
    if (auto st = run(*admin, "CREATE " + ImapQuote(AdminName(user, f.name)) +
                                  (f.sent ? " (USE (\\Sent))" : ""));
        !st) {
      return st;
    }
  }
  {
    auto s = As(user);  // the old session ended with the user
    if (!s) return Fail(s.error().Wrap(ctx));
    for (size_t i = 0; i < folders.size(); ++i) {
      if (folders[i].exists == 0) continue;
      const std::string from =
          ImapQuote(std::string(kStash) + "." + std::to_string(i));
      if (auto st = run(*s, "EXAMINE " + from); !st) return st;
      if (auto st = run(*s, "UID COPY 1:* " + ImapQuote(folders[i].name));
          !st) {
        return st;
      }
    }
    (void)s->Run("UNSELECT");
    auto status = s->Run("STATUS " + ImapQuote(folder) + " (UIDVALIDITY)");
    if (!status || status->empty()) {
      return Fail(Error::Unavailable(ctx + ": no STATUS after"));
    }
    if (NumberAfter(status->front(), "UIDVALIDITY ") == before) {
      return Fail(Error::Unavailable(ctx + ": UIDVALIDITY did not change"));
    }
  }
  for (size_t i = 0; i < folders.size(); ++i) {
    if (auto st = run(*admin, "DELETE " + ImapQuote(std::string(kStash) + "." +
                                                    std::to_string(i)));
        !st) {
      return st;
    }
  }
  return run(*admin, "DELETE " + ImapQuote(std::string(kStash)));
}

}  // namespace inboxd::tests
