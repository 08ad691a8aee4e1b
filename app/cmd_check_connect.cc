// cmd_check_connect.cc: `inboxd check-config --connect FILE`: for every
// mailbox, log in over IMAP and SMTP with the real secret source, resolve
// and EXAMINE every folder (read-only), show the Sent folder chosen and the
// capabilities that matter with what inboxd does without each. Changes no
// mail: LIST, NAMESPACE and EXAMINE over IMAP; over SMTP no MAIL FROM.
#include <cstdio>
#include <set>
#include <string>

#include "app/commands.h"
#include "app/pipeline.h"
#include "config/config.h"
#include "core/text.h"
#include "ingest/folder_names.h"
#include "ingest/imap_credentials.h"
#include "responder/mailer.h"

namespace inboxd::app {

namespace {

struct Capability {
  const char* name;
  const char* without;  // what inboxd does when the server lacks it
};

// The IMAP capabilities inboxd uses, and the fallback for each.
constexpr Capability kCapabilities[] = {
    {"IDLE",
     "polling every 60 s (inboxd run --poll) instead of hearing of new mail "
     "at once"},
    {"NOTIFY", "one connection per watched folder instead of one per mailbox"},
    {"CONDSTORE",
     "agents' flags are read in full on every sync instead of only the "
     "changes"},
    {"LITERAL+",
     "each APPEND of a Sent copy waits one round trip for the server's "
     "go-ahead"},
    {"MOVE", "nothing: inboxd never moves or changes mail"},
    {"SPECIAL-USE", "the Sent folder is found by its name only"},
    {"NAMESPACE", "folder names are tried without a namespace prefix"},
};

// Checks one mailbox, printing a line per check. True when it can be
// served: IMAP login, every folder, a Sent folder and SMTP login work.
bool CheckMailbox(const config::Config& cfg, const config::Mailbox& mb) {
  bool ok = true;
  auto fail = [&](const std::string& what) {
    std::printf("  FAIL %s\n", what.c_str());
    ok = false;
  };
  std::printf("mailbox %s\n", mb.name.c_str());
  auto src = ingest::MakeImapSource(mb, cfg.limits);
  auto caps = src->Capabilities();
  if (!caps) {
    fail("imap " + core::Printable(mb.imap_url) + ": " + caps.error().message);
  } else {
    std::printf("  imap %s: logged in as \"%s\"\n",
                core::Printable(mb.imap_url).c_str(),
                core::Printable(mb.username).c_str());
    std::string have;
    for (const auto& c : kCapabilities) {
      have += std::string(have.empty() ? "" : ", ") + c.name + " " +
              (caps->contains(c.name) ? "yes" : "no");
    }
    std::printf("  capabilities: %s\n", have.c_str());
    for (const auto& c : kCapabilities) {
      if (!caps->contains(c.name)) {
        std::printf("  without %s: %s\n", c.name, c.without);
      }
    }
    auto list = src->ListFolders();
    auto ns =
        list ? src->PersonalNamespace()
             : core::Result<ingest::NamespaceInfo>(core::Fail(list.error()));
    if (!list || !ns) {
      fail("imap: " + (!list ? list.error() : ns.error()).message);
    } else {
      if (!ns->prefix.empty()) {
        std::printf("  personal namespace: \"%s\", separator '%c'\n",
                    core::Printable(ns->prefix).c_str(), ns->delimiter);
      }
      auto check = [&](const std::string& configured, ingest::FolderRole role,
                       const char* key) {
        auto choice = ingest::ResolveFolder(configured, role, *list, *ns);
        if (!choice) {
          fail(std::string(key) + " \"" + core::Printable(configured) +
               "\": " + choice.error().message);
          return;
        }
        if (choice->name.empty()) {
          fail(std::string(key) +
               ": none configured and no Sent folder on the server (no "
               "\\Sent SPECIAL-USE, no usual name): agents' replies would "
               "not be seen; set sent_folder");
          return;
        }
        auto st = src->Examine(choice->name);
        if (!st) {
          fail(std::string(key) + " \"" +
               core::Printable(ingest::DecodeModifiedUtf7(choice->name)) +
               "\": " + st.error().message);
          return;
        }
        std::printf(
            "  %s \"%s\": \"%s\" (%s), %u message%s, selectable\n", key,
            core::Printable(configured).c_str(),
            core::Printable(ingest::DecodeModifiedUtf7(choice->name)).c_str(),
            choice->why.c_str(), st->exists, st->exists == 1 ? "" : "s");
      };
      for (const auto& f : mb.folders) {
        check(f, ingest::FolderRole::kIncoming, "folder");
      }
      check(mb.sent_folder, ingest::FolderRole::kSent, "sent_folder");
    }
  }
  src->Close();
  auto so = SmtpOptionsFor(cfg, mb);
  auto mailer = so ? responder::SmtpMailer::Create(std::move(*so))
                   : core::Result<std::unique_ptr<responder::SmtpMailer>>(
                         core::Fail(so.error()));
  auto probe = mailer ? (*mailer)->Probe()
                      : core::Result<std::string>(core::Fail(mailer.error()));
  if (!probe) {
    fail(probe.error().message);
  } else {
    std::printf("  smtp %s: %s\n", core::Printable(mb.smtp_url).c_str(),
                probe->c_str());
  }
  std::printf("  %s\n", ok ? "ok" : "cannot be served");
  return ok;
}

}  // namespace

int CheckConnect(const config::Config& cfg) {
  int failed = 0;
  for (const auto& mb : cfg.mailboxes) {
    if (!CheckMailbox(cfg, mb)) ++failed;
  }
  if (failed > 0) {
    std::printf("%d of %zu mailbox%s cannot be served\n", failed,
                cfg.mailboxes.size(), cfg.mailboxes.size() == 1 ? "" : "es");
    return kExitFailure;
  }
  std::printf("all %zu mailbox%s can be served\n", cfg.mailboxes.size(),
              cfg.mailboxes.size() == 1 ? "" : "es");
  return kExitOk;
}

}  // namespace inboxd::app
