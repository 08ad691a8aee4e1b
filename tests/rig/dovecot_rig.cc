#include "tests/rig/dovecot_rig.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#ifndef INBOXD_SOURCE_DIR
#define INBOXD_SOURCE_DIR "."
#endif

namespace inboxd::tests {
namespace {

namespace fs = std::filesystem;
using core::Error;
using core::Fail;
using rig_internal::CanConnect;
using rig_internal::FreePort;
using rig_internal::ProcessGone;
using rig_internal::ReadFile;
using rig_internal::RemoveRigDir;
using rig_internal::Tail;
using rig_internal::WaitPortsFree;

}  // namespace

core::Result<std::unique_ptr<DovecotRig>> DovecotRig::Start(
    const std::vector<User>& users) {
  if (!fs::exists("/usr/sbin/dovecot")) {
    auto inst = RunShell(std::string(INBOXD_SOURCE_DIR) +
                         "/scripts/install-deps --with-servers");
    if (!inst) return Fail(inst.error());
  }
  std::unique_ptr<DovecotRig> rig(new DovecotRig());
  rig->users_ = users;
  char tmpl[] = "/tmp/inboxd-dovecot-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    return Fail(Error::Unavailable("mkdtemp failed"));
  }
  rig->dir_ = tmpl;
  const std::string& d = rig->dir_;
  for (const char* sub : {"run", "state", "mail"})
    fs::create_directories(d + "/" + sub);
  // Dovecot's unprivileged processes must be able to traverse the dir.
  fs::permissions(d, fs::perms::owner_all | fs::perms::group_read |
                         fs::perms::group_exec | fs::perms::others_read |
                         fs::perms::others_exec);
  auto cert = RunShell("openssl req -x509 -newkey rsa:2048 -nodes -keyout " +
                       d + "/key.pem -out " + d +
                       "/cert.pem -days 2 -subj /CN=localhost "
                       "-addext 'subjectAltName=DNS:localhost,IP:127.0.0.1'");
  if (!cert) return Fail(cert.error());
  {
    std::ofstream u(d + "/users");
    for (const auto& user : users) {
      u << user.name << ":{PLAIN}" << user.password << "::::::\n";
    }
  }
  rig->imap_port_ = FreePort();
  rig->imaps_port_ = FreePort();
  std::ofstream conf(d + "/dovecot.conf");
  conf << "instance_name = inboxd-rig-" << ::getpid() << "-" << rig->imap_port_
       << "\nbase_dir = " << d << "/run\nstate_dir = " << d
       << "/state\nlog_path = " << d << "/dovecot.log\ninfo_log_path = " << d
       << "/dovecot.log\nprotocols = imap\nlisten = 127.0.0.1\n"
       << "ssl = yes\nssl_cert = <" << d << "/cert.pem\nssl_key = <" << d
       << "/key.pem\ndisable_plaintext_auth = no\n"
       << "auth_mechanisms = plain login xoauth2 oauthbearer\n"
       << "mail_location = maildir:" << d << "/mail/%u\n"
       << "passdb {\n  driver = passwd-file\n  args = scheme=PLAIN "
          "username_format=%u "
       << d << "/users\n}\n"
       << "userdb {\n  driver = static\n  args = uid=nobody gid=nogroup home="
       << d << "/mail/%u\n}\n"
       << "namespace inbox {\n  inbox = yes\n  separator = /\n"
          "  mailbox Sent {\n    special_use = \\Sent\n    auto = subscribe\n"
          "  }\n}\n"
       << "service imap-login {\n  inet_listener imap {\n    address = "
          "127.0.0.1\n    port = "
       << rig->imap_port_
       << "\n  }\n  inet_listener imaps {\n    address = 127.0.0.1\n    port = "
       << rig->imaps_port_ << "\n    ssl = yes\n  }\n}\n"
       << "service stats {\n  inet_listener http {\n    port = 0\n  }\n}\n"
       << "protocol imap {\n  mail_max_userip_connections = 100\n}\n";
  conf.close();
  for (const auto& user : users) {
    for (const char* sub : {"cur", "new", "tmp"}) {
      fs::create_directories(d + "/mail/" + user.name + "/" + sub);
      fs::create_directories(d + "/mail/" + user.name + "/.Sent/" + sub);
    }
  }
  auto own = RunShell("chown -R nobody:nogroup " + d + "/mail");
  if (!own) return Fail(own.error());
  if (auto st = rig->Launch(); !st) return Fail(st.error());
  return rig;
}

core::Status DovecotRig::Launch() {
  // Redirected: the daemon would otherwise hold popen's pipe open.
  auto r = RunShell("/usr/sbin/dovecot -c " + dir_ + "/dovecot.conf >>" + dir_ +
                    "/dovecot.out 2>&1 </dev/null");
  if (!r) {
    return Fail(Error::Unavailable(r.error().message + "dovecot.out:\n" +
                                   Tail(ReadFile(dir_ + "/dovecot.out")) +
                                   "dovecot.log:\n" +
                                   Tail(ReadFile(dir_ + "/dovecot.log"))));
  }
  running_ = true;
  for (int i = 0; i < 200; ++i) {
    if (CanConnect(imap_port_) && CanConnect(imaps_port_)) return core::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Fail(Error::Unavailable("dovecot did not come up; log:\n" +
                                 Tail(ReadFile(dir_ + "/dovecot.log"))));
}

core::Status DovecotRig::Stop() {
  if (!running_) return core::Ok();
  running_ = false;
  std::string pid_text = ReadFile(dir_ + "/run/master.pid");
  int pid = std::atoi(pid_text.c_str());
  if (pid <= 0) return Fail(Error::Unavailable("no dovecot master.pid"));
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 200 && !ProcessGone(pid); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  WaitPortsFree({imap_port_, imaps_port_});
  return core::Ok();
}

core::Status DovecotRig::Restart() {
  if (auto st = Stop(); !st) return st;
  return Launch();
}

DovecotRig::~DovecotRig() {
  (void)Stop();
  RemoveRigDir(dir_);
}

std::string DovecotRig::MaildirOf(const std::string& user,
                                  const std::string& folder) const {
  std::string base = dir_ + "/mail/" + user;
  return folder == "INBOX" ? base : base + "/." + folder;
}

core::Status DovecotRig::DeliverUnseen(const std::string& user,
                                       const std::string& folder,
                                       const std::string& raw) {
  std::string md = MaildirOf(user, folder);
  std::string name = std::to_string(::time(nullptr)) + ".rig" +
                     std::to_string(::getpid()) + "_" + std::to_string(++seq_) +
                     ".localhost";
  std::string tmp = md + "/tmp/" + name;
  {
    std::ofstream out(tmp, std::ios::binary);
    out.write(raw.data(), static_cast<std::streamsize>(raw.size()));
    if (!out) return Fail(Error::Unavailable("cannot write " + tmp));
  }
  if (::chown(tmp.c_str(), 65534, 65534) != 0) {
    // nobody:nogroup is 65534 on Debian; dovecot can still read a 0644 file.
  }
  std::error_code ec;
  fs::rename(tmp, md + "/new/" + name, ec);
  if (ec) return Fail(Error::Unavailable("rename failed: " + ec.message()));
  return core::Ok();
}

core::Result<std::string> DovecotRig::Doveadm(const std::string& args) const {
  return RunShell("/usr/bin/doveadm -c " + dir_ + "/dovecot.conf " + args);
}

core::Status DovecotRig::Kick(const std::string& user) const {
  auto r = Doveadm("kick " + user);
  // doveadm kick exits non-zero when nobody was connected; that is fine.
  (void)r;
  return core::Ok();
}

core::Result<std::vector<std::string>> DovecotRig::Flags(
    const std::string& user, const std::string& folder) const {
  auto out = Doveadm("-f flow fetch -u " + user + " 'uid flags' mailbox " +
                     folder + " all");
  if (!out) return Fail(out.error());
  std::vector<std::string> lines;
  std::stringstream ss(*out);
  std::string line;
  while (std::getline(ss, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

core::Status DovecotRig::ResetUidValidity(const std::string& user,
                                          const std::string& folder) {
  (void)Kick(user);
  // UIDVALIDITY is derived from the clock; make sure a second has passed.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  std::string md = MaildirOf(user, folder);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(md, ec)) {
    std::string n = e.path().filename().string();
    if (n.starts_with("dovecot-uidlist") || n.starts_with("dovecot.index")) {
      fs::remove(e.path(), ec);
    }
  }
  std::string root = dir_ + "/mail/" + user;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    std::string n = e.path().filename().string();
    if (n.starts_with("dovecot.list.index")) fs::remove(e.path(), ec);
  }
  return core::Ok();
}

}  // namespace inboxd::tests
