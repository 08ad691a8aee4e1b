// cmd_export.cc: `inboxd export audit|tickets` (issue 11 item 3).
#include "app/commands.h"

namespace inboxd::app {

void RegisterExportCommands(CLI::App& app, int* exit_code) {
  (void)app;
  (void)exit_code;
}

}  // namespace inboxd::app
