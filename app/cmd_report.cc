// cmd_report.cc: `inboxd report sla` (the SLA report as one HTML file or a
// CSV table) and `inboxd report accounts` (key accounts without contact for
// [report] care_after), issue 11 items 4, 6, 7. Wiring only: store/report.h
// computes and renders. Both only read the store (they work while `inboxd
// run` is running) and record themselves as an "operator.report" event with
// the Unix user.
//
// Dates: --from and --to take "YYYY-MM-DD" (a local date in the first
// mailbox's zone; also RFC 3339 or "YYYY-MM-DDTHH:MM"); a date alone in
// --to includes that whole day. Default: the last 30 days, today included.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "app/commands.h"
#include "app/pipeline.h"
#include "core/text.h"
#include "responder/lifecycle.h"
#include "responder/routing.h"
#include "store/report.h"
#include "store/store.h"

namespace inboxd::app {

namespace {

namespace fs = std::filesystem;

// The default period, in days (today included).
constexpr int kDefaultDays = 30;

struct ReportCmdOptions {
  std::string config_path;
  std::string from;
  std::string to;
  std::string format;
  std::string out;
};

int Usage(const char* cmd, const std::string& message) {
  std::fprintf(stderr, "inboxd report %s: %s\n", cmd, message.c_str());
  return kExitConfig;
}

int Failure(const char* cmd, const std::string& message) {
  std::fprintf(stderr, "inboxd report %s: %s\n", cmd, message.c_str());
  return kExitFailure;
}

// The options every report needs from the config.
store::ReportOptions BaseOptions(const config::Config& cfg,
                                 core::TimePoint now) {
  store::ReportOptions o;
  o.now = now;
  o.time_zone = responder::AgentZone(cfg);
  o.accounts = cfg.accounts;
  o.care_after = cfg.report.care_after;
  // The config outlives the report (it is the caller's local).
  o.find_account = [&cfg](std::string_view customer) {
    return responder::FindAccount(cfg, customer);
  };
  return o;
}

// Opens the store; none yet (inboxd never ran) is an error the operator
// can act on.
core::Result<std::unique_ptr<store::Store>> OpenStore(
    const config::Config& cfg) {
  const std::string db = StorePath(cfg);
  if (!fs::exists(db)) {
    return core::Fail(core::Error::NotFound("no store at " + db +
                                            " (inboxd has not run yet)"));
  }
  return store::Store::Open(db, core::SystemClock::Default());
}

// Writes `text` to stdout, or to FILE.tmp renamed over FILE.
core::Status WriteOut(const std::string& out, const std::string& text) {
  if (out.empty() || out == "-") {
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
        std::fflush(stdout) != 0) {
      return core::Fail(core::Error::Unavailable("writing stdout failed"));
    }
    return core::Ok();
  }
  const std::string tmp = out + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    return core::Fail(core::Error::Unavailable("--out: cannot create " + tmp +
                                               ": " + std::strerror(errno)));
  }
  const bool wrote = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !closed || std::rename(tmp.c_str(), out.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    return core::Fail(
        core::Error::Unavailable("--out: writing " + out + ": " + why));
  }
  return core::Ok();
}

// Records the command (after its output is complete).
core::Status Record(store::Store& store, nlohmann::json data) {
  auto ev = store.AppendEvent({.type = "operator.report",
                               .mailbox = "",
                               .ticket_id = 0,
                               .message_row = 0,
                               .actor = OperatorActor(),
                               .data = data.dump()});
  if (!ev) return core::Fail(ev.error());
  return core::Ok();
}

int RunSla(const ReportCmdOptions& opt) {
  const char* cmd = "sla";
  config::Config cfg;
  if (!LoadConfigOrReport(opt.config_path, &cfg)) return kExitConfig;
  const core::TimePoint now = core::SystemClock::Default()->Now();
  store::ReportOptions options = BaseOptions(cfg, now);
  const std::string& zone = options.time_zone;
  const std::string today = store::FormatLocalRfc3339(now, zone).substr(0, 10);

  // --to: a date alone includes that day; default: through today.
  const std::string to_text =
      opt.to.empty() ? AddDays(today, 1)
                     : (IsDateOnly(opt.to) ? AddDays(opt.to, 1) : opt.to);
  auto to = responder::ParseLocalOrRfc3339(to_text, zone);
  if (!to) return Usage(cmd, "--to: " + to.error().message);
  std::string from_text = opt.from;
  if (from_text.empty()) {
    // The 30 local days before --to's day (or before tomorrow).
    const std::string end_day =
        opt.to.empty()
            ? AddDays(today, 1)
            : (IsDateOnly(opt.to)
                   ? AddDays(opt.to, 1)
                   : store::FormatLocalRfc3339(*to, zone).substr(0, 10));
    from_text = AddDays(end_day, -kDefaultDays);
  }
  auto from = responder::ParseLocalOrRfc3339(from_text, zone);
  if (!from) return Usage(cmd, "--from: " + from.error().message);
  if (*to <= *from) return Usage(cmd, "--to must not be before --from");
  options.from = *from;
  options.to = *to;
  if (!cfg.mailboxes.empty()) {
    options.title = "inboxd SLA report: " + cfg.mailboxes.front().name;
    for (size_t i = 1; i < cfg.mailboxes.size(); ++i) {
      options.title += ", " + cfg.mailboxes[i].name;
    }
  }

  auto st = OpenStore(cfg);
  if (!st) return Failure(cmd, st.error().message);
  auto text = store::RenderSlaReportForPeriod(**st, options, opt.format);
  if (!text) {
    return (text.error().code == core::Code::kInvalidArgument
                ? Usage
                : Failure)(cmd, text.error().message);
  }
  if (auto w = WriteOut(opt.out, *text); !w) {
    return Failure(cmd, w.error().message);
  }
  const bool to_file = !opt.out.empty() && opt.out != "-";
  if (auto r = Record(**st, {{"what", "sla"},
                             {"format", opt.format},
                             {"from", core::FormatUtc(*from)},
                             {"to", core::FormatUtc(*to)},
                             {"out", to_file ? opt.out : std::string("-")}});
      !r) {
    return Failure(cmd, "the report is complete but recording it failed: " +
                            r.error().message);
  }
  if (to_file) {
    std::fprintf(stderr, "inboxd report sla: %s to %s written to %s\n",
                 store::FormatLocalMinute(*from, zone).c_str(),
                 store::FormatLocalMinute(*to, zone).c_str(), opt.out.c_str());
  }
  return kExitOk;
}

int RunAccounts(const ReportCmdOptions& opt) {
  const char* cmd = "accounts";
  config::Config cfg;
  if (!LoadConfigOrReport(opt.config_path, &cfg)) return kExitConfig;
  store::ReportOptions options =
      BaseOptions(cfg, core::SystemClock::Default()->Now());
  auto st = OpenStore(cfg);
  if (!st) return Failure(cmd, st.error().message);
  auto care = store::BuildCareList(**st, options);
  if (!care) return Failure(cmd, care.error().message);
  auto text = store::RenderCareList(*care, options.time_zone, opt.format);
  if (!text) return Usage(cmd, text.error().message);
  if (auto w = WriteOut("", *text); !w) return Failure(cmd, w.error().message);
  if (auto r = Record(**st, {{"what", "accounts"},
                             {"format", opt.format},
                             {"listed", care->size()}});
      !r) {
    return Failure(cmd, "the list is complete but recording it failed: " +
                            r.error().message);
  }
  return kExitOk;
}

}  // namespace

void RegisterReportCommands(CLI::App& app, int* exit_code) {
  auto* report = app.add_subcommand(
      "report", "reports for managers: the SLA report, key-account care");
  report->require_subcommand(1);

  auto sla_opt = std::make_shared<ReportCmdOptions>();
  auto* sla = report->add_subcommand(
      "sla",
      "volume, acknowledgement latency, milestones met/missed/at risk, "
      "breaches, key accounts to call, flagged replies (HTML or CSV)");
  sla->add_option("--config", sla_opt->config_path, "config file")->required();
  sla->add_option("--from", sla_opt->from,
                  "first day (YYYY-MM-DD in the first mailbox's zone); "
                  "default: 30 days before --to");
  sla->add_option("--to", sla_opt->to,
                  "last day, included (YYYY-MM-DD); default: today");
  sla->add_option("--format", sla_opt->format, "html or csv")
      ->required()
      ->check(CLI::IsMember({"html", "csv"}));
  sla->add_option("--out", sla_opt->out,
                  "write to this file instead of stdout");
  sla->callback([sla_opt, exit_code] { *exit_code = RunSla(*sla_opt); });

  auto acc_opt = std::make_shared<ReportCmdOptions>();
  acc_opt->format = "text";
  auto* accounts = report->add_subcommand(
      "accounts",
      "key accounts ([[account]] key_account = true) with no contact for "
      "[report] care_after (POLICY C7)");
  accounts->add_option("--config", acc_opt->config_path, "config file")
      ->required();
  accounts->add_option("--format", acc_opt->format, "text, csv or json")
      ->check(CLI::IsMember({"text", "csv", "json"}));
  accounts->callback(
      [acc_opt, exit_code] { *exit_code = RunAccounts(*acc_opt); });
}

}  // namespace inboxd::app
