// main.cc: the inboxd binary. Parses the command line and dispatches to a
// subcommand (app/cmd_*.cc); nothing else happens here.
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/commands.h"
#include "app/logging.h"

#ifndef INBOXD_VERSION
#define INBOXD_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
  // Everything inboxd creates (the store, its WAL, keys, quarantine,
  // exports) is for the service user only (issue 12 item 7).
  ::umask(077);
  // Logs on stderr from the first line; the config's log_level applies once
  // a command has loaded it.
  inboxd::app::ConfigureLogging("info");
  CLI::App app{"inboxd: runs shared sales@/support@ mailboxes on autopilot"};
  app.set_version_flag("--version", std::string("inboxd ") + INBOXD_VERSION);
  app.require_subcommand(1);
  int exit_code = inboxd::app::kExitOk;
  inboxd::app::RegisterConfigCommands(app, &exit_code);
  inboxd::app::RegisterReplayCommands(app, &exit_code);
  inboxd::app::RegisterSyncCommands(app, &exit_code);
  inboxd::app::RegisterTicketCommands(app, &exit_code);
  inboxd::app::RegisterAbsenceCommands(app, &exit_code);
  inboxd::app::RegisterAuditCommands(app, &exit_code);
  inboxd::app::RegisterExportCommands(app, &exit_code);
  inboxd::app::RegisterReportCommands(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    // CLI11 uses 0 for --help/--version; any usage error is our exit 2.
    return rc == 0 ? 0 : inboxd::app::kExitConfig;
  }
  std::fflush(stdout);
  return exit_code;
}
