// cmd_absence.cc: `inboxd absence set|clear|list` (issue 10 item 2): an
// operator records an agent's absence while the daemon runs; every change is
// an audit event with the Unix user who ran the command.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "app/commands.h"
#include "app/pipeline.h"
#include "core/text.h"
#include "responder/business_calendar.h"
#include "responder/routing.h"
#include "store/store.h"

namespace inboxd::app {

namespace {

namespace fs = std::filesystem;

struct AbsenceOptions {
  std::string config_path;
  std::string agent;
  std::string from;
  std::string until;
  bool json = false;
};

// The configured agent named by address or name; nullptr (reported) when
// none.
const config::Agent* FindAgent(const config::Config& cfg,
                               const std::string& who) {
  for (const config::Agent& a : cfg.agents) {
    if (core::IEquals(a.address, who) || a.name == who) return &a;
  }
  std::fprintf(stderr,
               "inboxd absence: no [[agent]] with the address or name '%s'\n",
               core::Printable(who).c_str());
  return nullptr;
}

// Opens the store (creating the state dir as the daemon would).
std::unique_ptr<store::Store> OpenStore(const config::Config& cfg) {
  std::error_code ec;
  fs::create_directories(cfg.state.dir, ec);
  auto st = store::Store::Open(StorePath(cfg), core::SystemClock::Default());
  if (!st) {
    std::fprintf(stderr, "inboxd absence: %s\n", st.error().message.c_str());
    return nullptr;
  }
  // The config's ranges are state too (recorded once, like the daemon does).
  if (auto s = responder::SyncConfigAbsences(**st, cfg); !s) {
    std::fprintf(stderr, "inboxd absence: %s\n", s.error().message.c_str());
    return nullptr;
  }
  return std::move(*st);
}

int RunSet(const AbsenceOptions& opt) {
  config::Config cfg;
  if (!LoadConfigOrReport(opt.config_path, &cfg)) return kExitConfig;
  const config::Agent* agent = FindAgent(cfg, opt.agent);
  if (agent == nullptr) return kExitConfig;
  const std::string zone = responder::AgentZone(cfg);
  auto from =
      opt.from.empty()
          ? core::Result<core::TimePoint>(core::SystemClock::Default()->Now())
          : responder::ParseLocalOrRfc3339(opt.from, zone);
  auto until = responder::ParseLocalOrRfc3339(opt.until, zone);
  if (!from || !until) {
    std::fprintf(stderr, "inboxd absence set: %s\n",
                 (!from ? from.error() : until.error()).message.c_str());
    return kExitConfig;
  }
  if (*until <= *from) {
    std::fprintf(stderr, "inboxd absence set: --until must be after --from\n");
    return kExitConfig;
  }
  auto store = OpenStore(cfg);
  if (!store) return kExitFailure;
  store::AbsenceIn in;
  in.agent = agent->address;
  in.from = *from;
  in.until = *until;
  in.source = "command";
  in.detail = "inboxd absence set";
  in.actor = OperatorActor();
  auto id = store->AddAbsence(in);
  if (!id) {
    std::fprintf(stderr, "inboxd absence set: %s\n",
                 id.error().message.c_str());
    return kExitFailure;
  }
  std::printf("%s is absent from %s until %s (absence %lld)\n",
              agent->address.c_str(), core::FormatUtc(*from).c_str(),
              core::FormatUtc(*until).c_str(), static_cast<long long>(*id));
  return kExitOk;
}

int RunClear(const AbsenceOptions& opt) {
  config::Config cfg;
  if (!LoadConfigOrReport(opt.config_path, &cfg)) return kExitConfig;
  const config::Agent* agent = FindAgent(cfg, opt.agent);
  if (agent == nullptr) return kExitConfig;
  auto store = OpenStore(cfg);
  if (!store) return kExitFailure;
  auto n = store->ClearAbsences(
      agent->address, core::SystemClock::Default()->Now(), OperatorActor());
  if (!n) {
    std::fprintf(stderr, "inboxd absence clear: %s\n",
                 n.error().message.c_str());
    return kExitFailure;
  }
  std::printf("%s: %d absence(s) cleared\n", agent->address.c_str(), *n);
  return kExitOk;
}

int RunList(const AbsenceOptions& opt) {
  config::Config cfg;
  if (!LoadConfigOrReport(opt.config_path, &cfg)) return kExitConfig;
  const core::TimePoint now = core::SystemClock::Default()->Now();
  std::vector<store::Absence> absences;
  {
    auto store = OpenStore(cfg);
    if (!store) return kExitFailure;
    auto list = store->ListAbsences(now);
    if (!list) {
      std::fprintf(stderr, "inboxd absence list: %s\n",
                   list.error().message.c_str());
      return kExitFailure;
    }
    absences = std::move(*list);
  }
  const std::string zone = responder::AgentZone(cfg);
  auto local = [&](core::TimePoint t) {
    auto s = responder::FormatRfc3339Local(t, zone);
    return s ? *s : core::FormatUtc(t);
  };
  if (opt.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const store::Absence& a : absences) {
      out.push_back({{"agent", a.agent},
                     {"from", local(a.from)},
                     {"until", local(a.until)},
                     {"source", a.source},
                     {"detail", core::SanitizeUtf8(a.detail)},
                     {"active", a.Covers(now)}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%-28s %-26s %-26s %-9s %s\n", "AGENT", "FROM", "UNTIL", "SOURCE",
              "DETAIL");
  for (const store::Absence& a : absences) {
    std::printf("%-28s %-26s %-26s %-9s %s\n", a.agent.c_str(),
                local(a.from).c_str(), local(a.until).c_str(), a.source.c_str(),
                core::Printable(a.detail).c_str());
  }
  return kExitOk;
}

}  // namespace

void RegisterAbsenceCommands(CLI::App& app, int* exit_code) {
  auto opt = std::make_shared<AbsenceOptions>();
  auto* absence = app.add_subcommand(
      "absence", "agents' absences (R2/R3): set, clear, list");
  absence->require_subcommand(1);
  const char* time_help =
      "RFC 3339, or YYYY-MM-DD[THH:MM] in the first mailbox's time zone";
  auto* set = absence->add_subcommand("set", "record an agent's absence");
  set->add_option("agent", opt->agent, "agent address or name")->required();
  set->add_option("--config", opt->config_path, "config file")->required();
  set->add_option("--from", opt->from,
                  std::string(time_help) + " (default now)");
  set->add_option("--until", opt->until, time_help)->required();
  set->callback([opt, exit_code] { *exit_code = RunSet(*opt); });
  auto* clear =
      absence->add_subcommand("clear", "end every absence of an agent now");
  clear->add_option("agent", opt->agent, "agent address or name")->required();
  clear->add_option("--config", opt->config_path, "config file")->required();
  clear->callback([opt, exit_code] { *exit_code = RunClear(*opt); });
  auto* list = absence->add_subcommand("list", "absences that have not ended");
  list->add_option("--config", opt->config_path, "config file")->required();
  list->add_flag("--json", opt->json, "JSON output");
  list->callback([opt, exit_code] { *exit_code = RunList(*opt); });
}

}  // namespace inboxd::app
