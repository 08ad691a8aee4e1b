// cmd_audit.cc: `inboxd audit verify` and `inboxd forget` (issue 11 items 2
// and 5).
//
// `audit verify` recomputes the audit chain (Store::VerifyAuditChain) and
// appends nothing, so it can run beside the daemon (SQLite WAL: a reader
// never blocks the writer). `forget ADDRESS` is an erasure request (POLICY
// A3, Store::ForgetAddress) and `forget --older-than DURATION` a retention
// purge run by hand (Store::PurgeOlderThan); both record the operator (the
// Unix user) as the actor of their tombstone event.
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "app/commands.h"
#include "app/pipeline.h"
#include "config/values.h"
#include "core/clock.h"
#include "core/text.h"
#include "store/store.h"

namespace inboxd::app {

namespace {

namespace fs = std::filesystem;

struct VerifyOptions {
  std::string config_path;
  std::string head;
  bool json = false;
};

struct ForgetOptions {
  std::string config_path;
  std::string address;
  std::string older_than;
  bool dry_run = false;
  bool json = false;
};

// Opens the existing store; nullptr (reported as `who: ...`) when there is
// none or it cannot be opened.
std::unique_ptr<store::Store> OpenExistingStore(const config::Config& cfg,
                                                const char* who) {
  const std::string path = StorePath(cfg);
  if (!fs::exists(path)) {
    std::fprintf(stderr, "%s: no store at %s (has inboxd run yet?)\n", who,
                 path.c_str());
    return nullptr;
  }
  auto st = store::Store::Open(path, core::SystemClock::Default());
  if (!st) {
    std::fprintf(stderr, "%s: %s\n", who, st.error().message.c_str());
    return nullptr;
  }
  return std::move(*st);
}

// The event id in the store's "audit chain broken at event N: ..."; 0 when
// the message names none.
int64_t BrokenEvent(const std::string& message) {
  static constexpr std::string_view kAt = "broken at event ";
  const size_t at = message.find(kAt);
  if (at == std::string::npos) return 0;
  int64_t id = 0;
  for (size_t i = at + kAt.size(); i < message.size(); ++i) {
    if (message[i] < '0' || message[i] > '9') break;
    id = id * 10 + (message[i] - '0');
  }
  return id;
}

void PrintJson(const nlohmann::json& j) {
  std::printf("%s\n", j.dump(2).c_str());
}

int RunVerify(const VerifyOptions& opt) {
  static constexpr char kWho[] = "inboxd audit verify";
  config::Config cfg;
  if (!LoadConfigOrReport(opt.config_path, &cfg)) return kExitConfig;
  auto store = OpenExistingStore(cfg, kWho);
  if (!store) return kExitFailure;
  auto head = store->VerifyAuditChain(opt.head);
  if (!head) {
    if (opt.json) {
      PrintJson({{"ok", false},
                 {"error", head.error().message},
                 {"event", BrokenEvent(head.error().message)}});
    }
    std::fprintf(stderr, "%s: %s\n", kWho, head.error().message.c_str());
    return kExitFailure;
  }
  nlohmann::json j = {{"ok", true},
                      {"events", head->count},
                      {"last_id", head->last_id},
                      {"head", head->last_hash},
                      {"erased", head->erased}};
  std::string given;
  bool cut = false;
  if (!opt.head.empty()) {
    cut = head->head_id == 0;
    const int64_t after = cut ? 0 : head->last_id - head->head_id;
    j["given_head"] = {{"hash", opt.head},
                       {"found", !cut},
                       {"id", head->head_id},
                       {"events_after", after}};
    if (cut) {
      j["ok"] = false;
      j["error"] = "the chain does not contain head " + opt.head +
                   ": events after it were cut off or it was never ours";
    } else {
      given = "head " + opt.head + " is event " +
              std::to_string(head->head_id) + ", " + std::to_string(after) +
              " event(s) after it\n";
    }
  }
  if (opt.json) {
    PrintJson(j);
  } else {
    std::printf(
        "audit chain verified: %lld event(s), head event %lld %s, personal "
        "data erased in %lld\n",
        static_cast<long long>(head->count),
        static_cast<long long>(head->last_id), head->last_hash.c_str(),
        static_cast<long long>(head->erased));
    std::printf("%s", given.c_str());
  }
  if (cut) {
    std::fprintf(stderr, "%s: %s\n", kWho,
                 j["error"].get<std::string>().c_str());
    return kExitFailure;
  }
  return kExitOk;
}

nlohmann::json ReportJson(const store::ErasureReport& r) {
  return {{"dry_run", r.dry_run},       {"messages", r.messages},
          {"tickets", r.tickets},       {"events", r.events},
          {"outbox", r.outbox},         {"fields", r.fields},
          {"tombstone", r.tombstone_id}};
}

constexpr char kBackups[] =
    "backups of the state directory made before now, and the mailboxes on "
    "the IMAP server, still hold this data: erase it there too";

int RunForgetAddress(const ForgetOptions& opt, store::Store& store) {
  static constexpr char kWho[] = "inboxd forget";
  auto r = store.ForgetAddress(opt.address, OperatorActor(), opt.dry_run);
  if (!r) {
    std::fprintf(stderr, "%s: %s\n", kWho, r.error().message.c_str());
    return r.error().code == core::Code::kInvalidArgument ? kExitConfig
                                                          : kExitFailure;
  }
  if (opt.json) {
    nlohmann::json j = ReportJson(*r);
    j["address_sha256"] = r->address_sha256;
    j["token"] = r->token;
    j["actor_events"] = r->actor_events;
    PrintJson(j);
  } else {
    std::printf(
        "%s %s: %lld message(s) blanked, %lld ticket(s) now %s, %lld "
        "event(s) erased, %lld outbox row(s) blanked, %lld other field(s) "
        "replaced\n",
        opt.dry_run ? "would forget" : "forgot",
        core::Printable(opt.address).c_str(),
        static_cast<long long>(r->messages), static_cast<long long>(r->tickets),
        r->token.c_str(), static_cast<long long>(r->events),
        static_cast<long long>(r->outbox), static_cast<long long>(r->fields));
    if (!opt.dry_run) {
      std::printf("tombstone: event %lld \"privacy.forgotten\" (sha256 %s)\n",
                  static_cast<long long>(r->tombstone_id),
                  r->address_sha256.c_str());
    } else {
      std::printf("dry run: nothing was changed\n");
    }
    std::printf("note: %s\n", kBackups);
  }
  if (r->actor_events > 0) {
    std::fprintf(stderr,
                 "%s: warning: %lld audit event(s) name the address as their "
                 "actor, which the chain hashes: it stays there\n",
                 kWho, static_cast<long long>(r->actor_events));
  }
  return kExitOk;
}

int RunForgetOlderThan(const ForgetOptions& opt, store::Store& store) {
  static constexpr char kWho[] = "inboxd forget --older-than";
  auto age = config::ParseDuration(opt.older_than);
  if (!age || age->count() == 0) {
    std::fprintf(stderr, "%s: %s, got \"%s\"\n", kWho,
                 age ? "must be longer than 0s" : age.error().message.c_str(),
                 core::Printable(opt.older_than).c_str());
    return kExitConfig;
  }
  const core::TimePoint cutoff = core::SystemClock::Default()->Now() - *age;
  auto r = store.PurgeOlderThan(cutoff, OperatorActor(), opt.dry_run);
  if (!r) {
    std::fprintf(stderr, "%s: %s\n", kWho, r.error().message.c_str());
    return kExitFailure;
  }
  if (opt.json) {
    nlohmann::json j = ReportJson(*r);
    j["cutoff"] = core::FormatUtc(cutoff);
    PrintJson(j);
  } else {
    std::printf(
        "%s mail older than %s (closed tickets and mail without one): %lld "
        "message(s), %lld outbox row(s), %lld event(s)\n",
        opt.dry_run ? "would erase" : "erased", core::FormatUtc(cutoff).c_str(),
        static_cast<long long>(r->messages), static_cast<long long>(r->outbox),
        static_cast<long long>(r->events));
    if (r->tombstone_id > 0) {
      std::printf("tombstone: event %lld \"privacy.retention\"\n",
                  static_cast<long long>(r->tombstone_id));
    }
    std::printf("note: %s\n", kBackups);
  }
  return kExitOk;
}

int RunForget(const ForgetOptions& opt) {
  if (opt.address.empty() == opt.older_than.empty()) {
    std::fprintf(stderr,
                 "inboxd forget: give either ADDRESS or --older-than "
                 "DURATION\n");
    return kExitConfig;
  }
  config::Config cfg;
  if (!LoadConfigOrReport(opt.config_path, &cfg)) return kExitConfig;
  auto store = OpenExistingStore(cfg, "inboxd forget");
  if (!store) return kExitFailure;
  return opt.address.empty() ? RunForgetOlderThan(opt, *store)
                             : RunForgetAddress(opt, *store);
}

}  // namespace

void RegisterAuditCommands(CLI::App& app, int* exit_code) {
  auto vopt = std::make_shared<VerifyOptions>();
  auto* audit = app.add_subcommand("audit", "the audit trail (POLICY A1-A4)");
  audit->require_subcommand(1);
  auto* verify = audit->add_subcommand(
      "verify",
      "recompute the hash chain: exit 0 with the count and head, 1 naming "
      "the first broken event (read-only; safe while the daemon runs)");
  verify->add_option("--config", vopt->config_path, "config file")->required();
  verify->add_option("--head", vopt->head,
                     "a head hash published earlier: also fail when the "
                     "chain no longer contains it (events cut off)");
  verify->add_flag("--json", vopt->json, "JSON output");
  verify->callback([vopt, exit_code] { *exit_code = RunVerify(*vopt); });

  auto fopt = std::make_shared<ForgetOptions>();
  auto* forget = app.add_subcommand(
      "forget",
      "erase a person's data (ADDRESS), or mail older than a duration "
      "(--older-than), keeping the audit chain verifiable (POLICY A3)");
  forget->add_option("address", fopt->address,
                     "the person's address (their tickets, messages, outbox "
                     "rows and the personal data of their events)");
  forget->add_option("--older-than", fopt->older_than,
                     "instead of ADDRESS: erase raw mail older than this "
                     "(\"365d\") of closed tickets and mail without one, as "
                     "[state] retention does daily");
  forget->add_option("--config", fopt->config_path, "config file")->required();
  forget->add_flag("--dry-run", fopt->dry_run, "count only, change nothing");
  forget->add_flag("--json", fopt->json, "JSON output");
  forget->callback([fopt, exit_code] { *exit_code = RunForget(*fopt); });
}

}  // namespace inboxd::app
