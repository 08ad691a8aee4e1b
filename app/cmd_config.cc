// cmd_config.cc: `inboxd check-config FILE` and `inboxd config show FILE`,
// and the helpers every command shares (commands.h).
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "app/commands.h"
#include "app/logging.h"
#include "config/loader.h"
#include "config/show.h"
#include "core/text.h"

namespace inboxd::app {

bool LoadConfigOrReport(const std::string& path, config::Config* out) {
  auto cfg = config::LoadConfig(path);
  if (!cfg) {
    PrintError(cfg.error().message);
    return false;
  }
  *out = std::move(*cfg);
  ConfigureLogging(out->log_level);
  return true;
}

std::string OperatorActor() {
  if (const char* sudo = std::getenv("SUDO_USER"); sudo && *sudo) {
    return std::string("unix:") + sudo;
  }
  if (const passwd* pw = ::getpwuid(::geteuid())) {
    return std::string("unix:") + pw->pw_name;
  }
  return "unix:" + std::to_string(::geteuid());
}

bool IsDateOnly(std::string_view s) {
  s = core::Trim(s);
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

std::string AddDays(std::string_view s, int days) {
  s = core::Trim(s);
  const std::chrono::year_month_day ymd{
      std::chrono::year{std::stoi(std::string(s.substr(0, 4)))},
      std::chrono::month{
          static_cast<unsigned>(std::stoi(std::string(s.substr(5, 2))))},
      std::chrono::day{
          static_cast<unsigned>(std::stoi(std::string(s.substr(8, 2))))}};
  if (!ymd.ok()) return std::string(s);  // ParseLocalOrRfc3339 reports it
  const std::chrono::year_month_day out{std::chrono::sys_days{ymd} +
                                        std::chrono::days{days}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(out.year()),
                unsigned(out.month()), unsigned(out.day()));
  return buf;
}

void RegisterConfigCommands(CLI::App& app, int* exit_code) {
  auto* check = app.add_subcommand(
      "check-config", "validate a config file; exit 2 naming file:line:key");
  auto check_path = std::make_shared<std::string>();
  auto connect = std::make_shared<bool>(false);
  check->add_option("file", *check_path, "config file")->required();
  check->add_flag("--connect", *connect,
                  "also log in to every mailbox over IMAP and SMTP, check its "
                  "folders and show the server's capabilities (changes no "
                  "mail); exit 1 when a mailbox cannot be served");
  check->callback([check_path, connect, exit_code] {
    config::Config cfg;
    if (!LoadConfigOrReport(*check_path, &cfg)) {
      *exit_code = kExitConfig;
      return;
    }
    std::printf("%s: ok (%zu mailbox%s)\n", check_path->c_str(),
                cfg.mailboxes.size(), cfg.mailboxes.size() == 1 ? "" : "es");
    if (*connect) *exit_code = CheckConnect(cfg);
  });

  auto* cfg_cmd = app.add_subcommand("config", "inspect the configuration");
  cfg_cmd->require_subcommand(1);
  auto* show = cfg_cmd->add_subcommand(
      "show", "print the effective configuration (secrets masked)");
  auto show_path = std::make_shared<std::string>();
  show->add_option("file", *show_path, "config file")->required();
  show->callback([show_path, exit_code] {
    config::Config cfg;
    if (!LoadConfigOrReport(*show_path, &cfg)) {
      *exit_code = kExitConfig;
      return;
    }
    std::fputs(config::ShowConfig(cfg).c_str(), stdout);
  });
}

}  // namespace inboxd::app
