// commands.h: the inboxd subcommands. Each RegisterX adds one CLI11
// subcommand whose callback sets *exit_code. Wiring only: the work is done by
// the libraries.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>

#include "config/config.h"

namespace inboxd::app {

// Exit statuses shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // a run failed (I/O, server)
inline constexpr int kExitConfig = 2;   // bad config or usage

// `check-config --connect`: every mailbox over IMAP and SMTP; kExitOk when
// all can be served, else kExitFailure (app/cmd_check_connect.cc).
int CheckConnect(const config::Config& cfg);

// Loads the config at `path`, or prints its errors to stderr (one
// FILE:LINE:COL: KEY: message line each) and returns false.
bool LoadConfigOrReport(const std::string& path, config::Config* out);

void RegisterConfigCommands(CLI::App& app, int* exit_code);
void RegisterReplayCommands(CLI::App& app, int* exit_code);
void RegisterSyncCommands(CLI::App& app, int* exit_code);
void RegisterTicketCommands(CLI::App& app, int* exit_code);
void RegisterAbsenceCommands(CLI::App& app, int* exit_code);
// Issue 11: `audit verify`, `forget` (cmd_audit.cc); `export audit|tickets`
// (cmd_export.cc); `report sla|accounts` (cmd_report.cc).
void RegisterAuditCommands(CLI::App& app, int* exit_code);
void RegisterExportCommands(CLI::App& app, int* exit_code);
void RegisterReportCommands(CLI::App& app, int* exit_code);

// The person running an operator command, for the actor of its audit
// events: "unix:<SUDO_USER>" when run through sudo, else "unix:<user>"
// (the uid when it has no name).
std::string OperatorActor();

// Date-only arguments of --from/--to (export, report): true for
// "YYYY-MM-DD" (digits and dashes; the calendar is checked by the parser).
bool IsDateOnly(std::string_view s);
// "YYYY-MM-DD" `days` later (negative: earlier); `s` must be IsDateOnly
// (an impossible date comes back unchanged, for the parser to report).
std::string AddDays(std::string_view s, int days);

}  // namespace inboxd::app
