// cmd_config.cc: `inboxd check-config FILE` and `inboxd config show FILE`.
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "app/commands.h"
#include "config/loader.h"
#include "config/show.h"

namespace inboxd::app {

bool LoadConfigOrReport(const std::string& path, config::Config* out) {
  auto cfg = config::LoadConfig(path);
  if (!cfg) {
    std::fprintf(stderr, "%s\n", cfg.error().message.c_str());
    return false;
  }
  *out = std::move(*cfg);
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

void RegisterConfigCommands(CLI::App& app, int* exit_code) {
  auto* check = app.add_subcommand(
      "check-config", "validate a config file; exit 2 naming file:line:key");
  auto check_path = std::make_shared<std::string>();
  check->add_option("file", *check_path, "config file")->required();
  check->callback([check_path, exit_code] {
    config::Config cfg;
    if (!LoadConfigOrReport(*check_path, &cfg)) {
      *exit_code = kExitConfig;
      return;
    }
    std::printf("%s: ok (%zu mailbox%s)\n", check_path->c_str(),
                cfg.mailboxes.size(), cfg.mailboxes.size() == 1 ? "" : "es");
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
