// cmd_export.cc: `inboxd export audit|tickets` (issue 11 item 3): the audit
// log or the tickets with their milestones as CSV or JSON Lines, streamed
// (store/export.h does the work). Only reads the store, so it works while
// `inboxd run` is running; afterwards the export itself is recorded as an
// "operator.export" event with the Unix user who ran it.
//
// Dates: --from and --to take RFC 3339 or a local "YYYY-MM-DD[THH:MM]" in
// the first mailbox's zone (responder::AgentZone). --from is inclusive,
// --to exclusive, except that a date alone in --to means the end of that
// day: `--from 2026-12-01 --to 2026-12-31` covers all of December.
//
// --out FILE is written as FILE.tmp (mode 0600: an export holds personal
// data unless --redact), synced, then renamed over FILE, so a reader never
// sees half an export; without --out (or with "-") the rows go to stdout.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <streambuf>
#include <string>

#include "app/commands.h"
#include "app/pipeline.h"
#include "core/text.h"
#include "responder/planner.h"
#include "responder/routing.h"
#include "store/export.h"
#include "store/store.h"

namespace inboxd::app {

namespace {

namespace fs = std::filesystem;

struct ExportCmdOptions {
  std::string config_path;
  std::string from;
  std::string to;
  std::string mailbox;
  std::string ticket;
  std::string format;
  std::string out;
  bool redact = false;
  bool bom = false;
};

// An std::streambuf writing to a file descriptor through a 64 KiB buffer
// (stdout, or the FILE.tmp we open with mode 0600).
class FdOutBuf final : public std::streambuf {
 public:
  explicit FdOutBuf(int fd) : fd_(fd) { setp(buf_, buf_ + sizeof buf_); }
  ~FdOutBuf() override { Flush(); }

 protected:
  int_type overflow(int_type c) override {
    if (Flush() != 0) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return Flush(); }

 private:
  int Flush() {
    const char* p = pbase();
    while (p < pptr()) {
      const ssize_t n = ::write(fd_, p, static_cast<size_t>(pptr() - p));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return -1;
      p += n;
    }
    setp(buf_, buf_ + sizeof buf_);
    return 0;
  }
  int fd_;
  char buf_[1 << 16];
};

int Usage(const char* cmd, const std::string& message) {
  std::fprintf(stderr, "inboxd export %s: %s\n", cmd, message.c_str());
  return kExitConfig;
}

int Failure(const char* cmd, const std::string& message) {
  std::fprintf(stderr, "inboxd export %s: %s\n", cmd, message.c_str());
  return kExitFailure;
}

int RunExport(const ExportCmdOptions& opt, bool tickets) {
  const char* cmd = tickets ? "tickets" : "audit";
  config::Config cfg;
  if (!LoadConfigOrReport(opt.config_path, &cfg)) return kExitConfig;

  // The selection.
  store::ExportOptions options;
  options.format = opt.format == "jsonl" ? store::ExportFormat::kJsonl
                                         : store::ExportFormat::kCsv;
  options.bom = opt.bom;
  options.mailbox = opt.mailbox;
  const std::string zone = responder::AgentZone(cfg);
  if (!opt.from.empty()) {
    auto t = responder::ParseLocalOrRfc3339(opt.from, zone);
    if (!t) return Usage(cmd, "--from: " + t.error().message);
    options.since = *t;
  }
  if (!opt.to.empty()) {
    // A date alone means through the end of that day.
    auto t = responder::ParseLocalOrRfc3339(
        IsDateOnly(opt.to) ? AddDays(opt.to, 1) : opt.to, zone);
    if (!t) return Usage(cmd, "--to: " + t.error().message);
    options.until = *t;
  }
  if (options.since && options.until && *options.until <= *options.since) {
    return Usage(cmd, "--to must be after --from");
  }
  if (!opt.mailbox.empty()) {
    bool known = false;
    for (const auto& m : cfg.mailboxes) known = known || m.name == opt.mailbox;
    if (!known) {
      return Usage(cmd, "no mailbox '" + core::Printable(opt.mailbox) +
                            "' in " + opt.config_path);
    }
  }

  // The store; none yet (inboxd never ran) means nothing to export.
  const std::string db = StorePath(cfg);
  if (!fs::exists(db)) {
    return Failure(cmd, "no store at " + db + " (inboxd has not run yet)");
  }
  auto st = store::Store::Open(db, core::SystemClock::Default());
  if (!st) return Failure(cmd, st.error().message);
  store::Store& store = **st;
  if (!opt.ticket.empty()) {
    auto id = store::ResolveTicket(store, opt.ticket);
    if (!id) {
      const bool usage = id.error().code == core::Code::kInvalidArgument ||
                         id.error().code == core::Code::kNotFound;
      return (usage ? Usage : Failure)(cmd, "--ticket: " + id.error().message);
    }
    options.ticket_id = *id;
  }
  std::optional<store::Redactor> redactor;
  if (opt.redact) {
    auto key = responder::LoadOrCreateHmacKey(cfg);
    if (!key) {
      return (key.error().code == core::Code::kInvalidArgument
                  ? Usage
                  : Failure)(cmd, "--redact: " + key.error().message);
    }
    redactor.emplace(*key);
    options.redactor = &*redactor;
  }

  // The output: stdout, or FILE.tmp renamed over FILE when complete.
  const bool to_file = !opt.out.empty() && opt.out != "-";
  const std::string tmp = opt.out + ".tmp";
  int fd = STDOUT_FILENO;
  if (to_file) {
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
      return Failure(
          cmd, "--out: cannot create " + tmp + ": " + std::strerror(errno));
    }
  }
  core::Result<int64_t> rows;
  bool flushed = false;
  {
    FdOutBuf buf(fd);
    std::ostream out(&buf);
    rows = tickets ? store::ExportTickets(store, options, out)
                   : store::ExportEvents(store, options, out);
    out.flush();
    flushed = static_cast<bool>(out);
  }
  if (to_file) {
    bool ok = rows.has_value() && flushed && ::fsync(fd) == 0;
    const std::string why = std::strerror(errno);
    ok = (::close(fd) == 0) && ok;
    if (ok && ::rename(tmp.c_str(), opt.out.c_str()) != 0) {
      ::unlink(tmp.c_str());
      return Failure(cmd, "--out: cannot rename " + tmp + " to " + opt.out +
                              ": " + std::strerror(errno));
    }
    if (!ok) {
      ::unlink(tmp.c_str());
      if (rows) return Failure(cmd, "--out: writing " + tmp + ": " + why);
    }
  }
  if (!rows) return Failure(cmd, rows.error().message);
  if (!flushed) return Failure(cmd, "writing the output failed");

  // Recorded after the export, so it is not part of it.
  nlohmann::json data = {{"what", cmd},
                         {"format", opt.format},
                         {"redact", opt.redact},
                         {"rows", *rows},
                         {"out", to_file ? opt.out : std::string("-")}};
  if (options.since) data["from"] = core::FormatUtc(*options.since);
  if (options.until) data["to"] = core::FormatUtc(*options.until);
  if (!opt.mailbox.empty()) data["mailbox"] = opt.mailbox;
  if (!opt.ticket.empty()) data["ticket"] = opt.ticket;
  auto ev = store.AppendEvent({.type = "operator.export",
                               .mailbox = opt.mailbox,
                               .ticket_id = options.ticket_id,
                               .message_row = 0,
                               .actor = OperatorActor(),
                               .data = data.dump()});
  if (!ev) {
    return Failure(cmd, "the export is complete but recording it failed: " +
                            ev.error().message);
  }
  if (to_file) {
    std::fprintf(stderr, "inboxd export %s: %lld rows written to %s\n", cmd,
                 static_cast<long long>(*rows), opt.out.c_str());
  }
  return kExitOk;
}

void AddExportCommand(CLI::App& parent, const char* name, const char* help,
                      bool tickets, int* exit_code) {
  auto opt = std::make_shared<ExportCmdOptions>();
  auto* c = parent.add_subcommand(name, help);
  c->add_option("--config", opt->config_path, "config file")->required();
  c->add_option("--from", opt->from,
                "from this time on (RFC 3339, or YYYY-MM-DD[THH:MM] in the "
                "first mailbox's zone)");
  c->add_option("--to", opt->to,
                "before this time (a date alone: through the end of that "
                "day)");
  c->add_option("--mailbox", opt->mailbox, "only this mailbox");
  c->add_option("--ticket", opt->ticket,
                "only this ticket (a tag such as Q-1000, or an id)");
  c->add_option("--format", opt->format, "csv or jsonl")
      ->required()
      ->check(CLI::IsMember({"csv", "jsonl"}));
  c->add_flag("--redact", opt->redact,
              "replace addresses by keyed hashes, leave out subjects and "
              "bodies (POLICY A3)");
  c->add_flag("--bom", opt->bom,
              "CSV: start with the UTF-8 byte order mark (for Excel)");
  c->add_option("--out", opt->out,
                "write to this file (atomically) instead of stdout");
  c->callback(
      [opt, tickets, exit_code] { *exit_code = RunExport(*opt, tickets); });
}

}  // namespace

void RegisterExportCommands(CLI::App& app, int* exit_code) {
  auto* exp = app.add_subcommand(
      "export", "the audit log or the tickets as CSV or JSON Lines");
  exp->require_subcommand(1);
  AddExportCommand(*exp, "audit",
                   "audit events, oldest first (one row per event)", false,
                   exit_code);
  AddExportCommand(*exp, "tickets",
                   "tickets with their milestones and the evidence that met "
                   "them",
                   true, exit_code);
}

}  // namespace inboxd::app
