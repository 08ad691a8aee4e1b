// cmd_audit.cc: `inboxd audit verify` and `inboxd forget` (issue 11 items 2 and
// 5).
#include "app/commands.h"

namespace inboxd::app {

void RegisterAuditCommands(CLI::App& app, int* exit_code) {
  (void)app;
  (void)exit_code;
}

}  // namespace inboxd::app
