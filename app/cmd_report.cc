// cmd_report.cc: `inboxd report sla|accounts` (issue 11 items 4, 6, 7).
#include "app/commands.h"

namespace inboxd::app {

void RegisterReportCommands(CLI::App& app, int* exit_code) {
  (void)app;
  (void)exit_code;
}

}  // namespace inboxd::app
