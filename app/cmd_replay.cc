// cmd_replay.cc: `inboxd replay` and `inboxd explain`: parse and classify
// mail files offline (no store, no network, nothing sent). Threads are
// followed within one run: a message that opens a ticket is remembered, so
// a later reply in the same run is a follow-up.
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "app/commands.h"
#include "classify/classifier.h"
#include "classify/explain.h"
#include "classify/thread.h"
#include "config/loader.h"
#include "core/text.h"
#include "ingest/file_source.h"
#include "ingest/mime_adapter.h"
#include "responder/business_calendar.h"
#include "responder/lifecycle.h"
#include "responder/loop_guard.h"
#include "responder/planner.h"

namespace inboxd::app {

namespace {

struct ReplayOptions {
  std::string config_path;
  std::vector<std::string> paths;
  bool json = false;
  bool stats = false;
};

// What replay decided for one file.
struct Outcome {
  std::string label;
  core::Message msg;
  std::optional<classify::Decision> decision;
  bool quarantined = false;
  std::string error;  // quarantine reason or read error; "" when fine
  const config::Mailbox* mailbox = nullptr;
  std::optional<classify::TicketRef> ticket;  // opened or found in this run
};

// The configured mailbox a message was delivered to: the first whose
// address or alias is among To/Cc/Delivered-To; nullptr when none matches.
const config::Mailbox* MailboxFor(const config::Config& cfg,
                                  const core::Message& msg) {
  auto matches = [&](const config::Mailbox& mb, std::string_view addr) {
    if (core::IEquals(mb.address, addr)) return true;
    for (const auto& a : mb.aliases) {
      if (core::IEquals(a, addr)) return true;
    }
    return false;
  };
  for (const auto& mb : cfg.mailboxes) {
    for (const auto* list : {&msg.to, &msg.cc}) {
      for (const auto& a : *list) {
        if (matches(mb, a.addr)) return &mb;
      }
    }
    for (auto v : msg.HeaderAll("Delivered-To")) {
      if (matches(mb, core::Trim(v))) return &mb;
    }
  }
  return nullptr;
}

// The replay equivalent of the store: opens a ticket for each new human
// message so later messages of the same run thread onto it.
class ReplayTickets {
 public:
  explicit ReplayTickets(const config::Config& cfg) : cfg_(cfg) {}
  const classify::ThreadLookup& lookup() const { return lookup_; }

  // Opens or extends the ticket of `o`; returns it (nullopt for mail that
  // belongs to no ticket, such as automatic mail).
  std::optional<classify::TicketRef> Record(const Outcome& o) {
    const classify::Decision& d = *o.decision;
    std::optional<classify::TicketRef> ticket = d.ticket;
    // As the processor does: every human message from a customer that is
    // on no known ticket opens one (first contact, personal mail, or a
    // conversation whose start we never saw).
    if ((!ticket || ticket->number == 0) && d.kind == classify::Kind::kHuman &&
        d.sender_role == classify::SenderRole::kCustomer) {
      std::string prefix =
          classify::TicketPrefix(cfg_, o.mailbox ? o.mailbox->name : "ticket");
      int64_t& next = next_number_[prefix];
      if (next == 0) next = 1000;
      ticket =
          classify::TicketRef{prefix, next++, o.mailbox ? o.mailbox->name : ""};
      lookup_.AddTicket(*ticket);
      std::string norm = classify::NormalizeSubject(o.msg.subject, nullptr);
      lookup_.AddSubject(core::AsciiLower(o.msg.from.addr), norm,
                         o.msg.date.value_or(core::TimePoint{}), *ticket);
    }
    if (!ticket || ticket->number == 0) return std::nullopt;
    if (!o.msg.message_id.empty()) {
      lookup_.AddMessageId(o.msg.message_id, *ticket);
    }
    if (const std::string* ti = o.msg.Header("Thread-Index")) {
      if (auto base = classify::ThreadIndexBase(*ti)) {
        lookup_.AddThreadIndex(*base, *ticket);
      }
    }
    return ticket;
  }

 private:
  const config::Config& cfg_;
  classify::InMemoryThreadLookup lookup_;
  std::map<std::string, int64_t> next_number_;
};

// The sending side's checks in replay (responder::CheckSend, as the planner
// runs them): the loop guard counts the acknowledgements this run would have
// sent (by the messages' Date), and the reply address must be one the
// composer accepts. Nothing is sent; no key is needed for the checks.
class ReplaySendCheck {
 public:
  // kInvalidArgument as LoopGuard::Create and MakeComposer.
  static core::Result<std::unique_ptr<ReplaySendCheck>> Create(
      const config::Config& cfg) {
    auto guard = responder::LoopGuard::Create(cfg.responder, cfg.mailboxes);
    if (!guard) return core::Fail(guard.error());
    std::unique_ptr<ReplaySendCheck> c(
        new ReplaySendCheck(cfg, std::move(*guard)));
    for (const config::Mailbox& mb : cfg.mailboxes) {
      auto composer = responder::MakeComposer(cfg, mb, "replay");
      if (!composer) return core::Fail(composer.error());
      c->composers_.emplace(mb.name, std::move(*composer));
    }
    return c;
  }

  // Decides `o` again with the loop guard's and the composer's facts when
  // it would be acknowledged, and counts the acknowledgement. A message in
  // no configured mailbox is left as it is (no composer to ask).
  void Apply(Outcome* o) {
    if (!o->decision || !o->decision->ack) return;
    const config::Mailbox* mb =
        o->mailbox ? o->mailbox
                   : (cfg_.mailboxes.empty() ? nullptr : &cfg_.mailboxes[0]);
    if (mb == nullptr) return;
    classify::Decision& d = *o->decision;
    const core::TimePoint at =
        o->msg.date.value_or(core::SystemClock::Default()->Now());
    responder::LoopCheck check;
    check.message_kind = std::string(classify::KindName(d.kind));
    check.ticket_id = o->ticket ? o->ticket->ToString() : "";
    check.reply_kind = "ack";
    auto send = responder::CheckSend(guard_, composers_.at(mb->name), history_,
                                     o->msg, check, at);
    if (!send) return;  // the in-memory history never fails
    d.facts.loop_guard_refusal = send->facts.loop_guard_refusal;
    d.facts.recipient_refusal = send->facts.recipient_refusal;
    d.decision = classify::Redecide(d.decision, d.facts, &d.reasons);
    d.ack = d.decision.ack;
    if (d.ack) {
      history_.replies.push_back(
          {check.ticket_id, check.reply_kind, send->recipient.addr, at});
    }
  }

 private:
  ReplaySendCheck(const config::Config& cfg, responder::LoopGuard guard)
      : cfg_(cfg), guard_(std::move(guard)) {}

  const config::Config& cfg_;
  responder::LoopGuard guard_;
  std::map<std::string, responder::Composer> composers_;
  responder::MemoryReplyHistory history_;
};

// Parses (or quarantines) and classifies one raw message.
Outcome Decide(const config::Config& cfg, const classify::Classifier& clf,
               const ReplayTickets& tickets, std::string label,
               const std::string& raw) {
  Outcome o;
  o.label = std::move(label);
  auto parsed = ingest::ParseMessage(raw, cfg.limits);
  if (parsed) {
    o.msg = std::move(*parsed);
  } else {
    // Never lost: the raw bytes stay where they are and the reason is shown;
    // what can be read of the header is still classified (for the record),
    // but nothing quarantined is ever acknowledged automatically.
    o.quarantined = true;
    o.error = parsed.error().message;
    o.msg = ingest::ParseHeadersBestEffort(raw, cfg.limits);
  }
  o.mailbox = MailboxFor(cfg, o.msg);
  classify::Context ctx;
  ctx.mailbox = o.mailbox;
  ctx.folder = classify::FolderRole::kIncoming;
  ctx.threads = &tickets.lookup();
  ctx.now = core::SystemClock::Default()->Now();
  auto d = clf.Classify(o.msg, ctx);
  if (!d) {
    o.error = d.error().message;
    return o;
  }
  o.decision = std::move(*d);
  if (o.quarantined) {
    // The same table as the live pipeline (classify/ack_decision.h).
    classify::Decision& d = *o.decision;
    d.facts.quarantined = true;
    d.facts.quarantine_reason = o.error;
    d.decision = classify::Redecide(d.decision, d.facts, &d.reasons);
    d.ack = d.decision.ack;
  }
  return o;
}

// The milestones a customer's message would start (responder/lifecycle.h,
// the function the planner calls), from its Date in the mailbox's calendar;
// an empty array for automatic mail, agents' mail and messages without a
// mailbox.
nlohmann::json MilestonesJson(const config::Config& cfg, const Outcome& o) {
  nlohmann::json out = nlohmann::json::array();
  if (!o.decision || o.mailbox == nullptr || o.quarantined) return out;
  const classify::Decision& d = *o.decision;
  if (d.kind != classify::Kind::kHuman ||
      d.sender_role != classify::SenderRole::kCustomer) {
    return out;
  }
  static std::map<std::string, std::optional<responder::BusinessCalendar>>
      calendars;
  auto it = calendars.find(o.mailbox->name);
  if (it == calendars.end()) {
    auto c = responder::BusinessCalendar::Create(cfg.business_hours,
                                                 o.mailbox->time_zone);
    it = calendars
             .emplace(
                 o.mailbox->name,
                 c ? std::optional<responder::BusinessCalendar>(std::move(*c))
                   : std::nullopt)
             .first;
  }
  if (!it->second) return out;
  const core::TimePoint start =
      o.msg.date.value_or(core::SystemClock::Default()->Now());
  for (const config::Deadline& dl : responder::MilestonesFor(
           cfg, d.cls.empty() ? "other" : d.cls, o.msg.from.addr)) {
    nlohmann::json m = {{"name", dl.name},
                        {"id", dl.id},
                        {"clock", dl.clock},
                        {"due", nullptr}};
    if (!responder::StartsAtClose(dl)) {
      auto t = responder::TimeMilestone(*it->second, cfg.deadlines, dl, start);
      if (t) {
        auto due =
            responder::FormatRfc3339Local(t->due_at, o.mailbox->time_zone);
        if (due) m["due"] = *due;
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

nlohmann::json ToJson(const config::Config& cfg, const Outcome& o) {
  nlohmann::json j;
  if (o.decision) {
    j = classify::DecisionJson(*o.decision);
  } else {
    j = {{"kind", nullptr},
         {"class", nullptr},
         {"thread", nullptr},
         {"language", nullptr},
         {"ack", false},
         {"decision", "refused"},
         {"decision_rules", nlohmann::json::array({"decide.error"})},
         {"reasons", nlohmann::json::array()}};
  }
  j["file"] = o.label;
  j["message_id"] = core::SanitizeUtf8(o.msg.message_id);
  j["from"] = core::SanitizeUtf8(o.msg.from.addr);
  j["subject"] = core::SanitizeUtf8(o.msg.subject);
  if (o.ticket) j["ticket"] = o.ticket->ToString();
  j["mailbox"] = o.mailbox ? nlohmann::json(o.mailbox->name) : nullptr;
  j["sha256"] = o.msg.sha256;
  j["quarantined"] = o.quarantined;
  j["error"] = o.error.empty() ? nlohmann::json(nullptr)
                               : nlohmann::json(core::SanitizeUtf8(o.error));
  if (o.quarantined) {
    j["reasons"].push_back("quarantined: " + core::SanitizeUtf8(o.error));
  }
  j["milestones"] = MilestonesJson(cfg, o);
  return j;
}

// The file name alone when the label is too long for the table.
std::string Shorten(const std::string& label) {
  if (label.size() <= 28) return label;
  size_t slash = label.rfind('/');
  std::string name =
      slash == std::string::npos ? label : label.substr(slash + 1);
  return name.size() <= 28 ? name : "..." + name.substr(name.size() - 25);
}

// One line per message for people: file, kind, class, language, thread, ack
// and the first reason.
std::string ToLine(const Outcome& o) {
  char buf[160];
  const auto* d = o.decision ? &*o.decision : nullptr;
  std::snprintf(
      buf, sizeof buf, "%-28s %-10s %-9s %-4s %-8s %-8s %-9s ",
      core::Printable(Shorten(o.label)).c_str(),
      d ? std::string(classify::KindName(d->kind)).c_str() : "-",
      d && !d->cls.empty() ? d->cls.c_str() : "-",
      d && !d->language.empty() ? d->language.c_str() : "-",
      d ? (d->followup ? "followup" : "new") : "-",
      o.ticket ? o.ticket->ToString().c_str() : "-",
      d ? std::string(classify::AckOutcomeName(d->decision.outcome)).c_str()
        : "-");
  std::string line = buf;
  if (o.quarantined) {
    line += "QUARANTINED: " + core::Printable(o.error);
  } else if (!o.error.empty()) {
    line += "error: " + core::Printable(o.error);
  } else if (d && !d->reasons.empty()) {
    // For human mail the class is the interesting part; otherwise the rule
    // that made it automatic.
    std::string why = d->reasons.front();
    if (d->kind == classify::Kind::kHuman) {
      for (const auto& r : d->reasons) {
        if (r.starts_with("class ")) why = r;
      }
    }
    line += core::Printable(why);
  }
  return line;
}

// Loads --config, or the built-in defaults without one. False on error
// (already printed).
bool LoadConfigOrDefaults(const std::string& path, config::Config* out) {
  if (path.empty()) {
    *out = config::Defaults();
    return true;
  }
  return LoadConfigOrReport(path, out);
}

int RunReplay(const ReplayOptions& opt) {
  config::Config cfg;
  if (!LoadConfigOrDefaults(opt.config_path, &cfg)) return kExitConfig;
  auto clf = classify::Classifier::Create(cfg);
  if (!clf) {
    std::fprintf(stderr, "inboxd: %s\n", clf.error().message.c_str());
    return kExitConfig;
  }
  ReplayTickets tickets(cfg);
  auto sends = ReplaySendCheck::Create(cfg);
  if (!sends) {
    std::fprintf(stderr, "inboxd: %s\n", sends.error().message.c_str());
    return kExitConfig;
  }
  ingest::FileSourceOptions fopt;
  fopt.max_item_bytes = cfg.limits.max_message_bytes + (1u << 20);
  // A corpus or export folder often holds its documentation beside the mail.
  fopt.skip_suffixes = {".md", ".csv", ".json", ".toml", ".sh", ".py"};

  if (!opt.json) {
    std::printf("%-28s %-10s %-9s %-4s %-8s %-8s %-9s %s\n", "FILE", "KIND",
                "CLASS", "LANG", "THREAD", "TICKET", "DECISION", "WHY");
  }
  int rc = kExitOk;
  size_t count = 0, bytes = 0;
  std::chrono::nanoseconds busy{0};
  for (const std::string& path : opt.paths) {
    ingest::FileSource source(path, fopt);
    auto st = source.ForEach([&](ingest::MailItem&& item) {
      Outcome o;
      if (!item.raw) {
        o.label = item.label;
        o.error = item.raw.error().message;
        o.quarantined = item.raw.error().code == core::Code::kDataLoss;
        if (!o.quarantined) rc = kExitFailure;
      } else {
        auto t0 = std::chrono::steady_clock::now();
        o = Decide(cfg, **clf, tickets, item.label, *item.raw);
        if (o.decision) o.ticket = tickets.Record(o);
        (*sends)->Apply(&o);
        busy += std::chrono::steady_clock::now() - t0;
        bytes += item.raw->size();
      }
      ++count;
      if (opt.json) {
        std::string line = ToJson(cfg, o).dump(
            -1, ' ', false, nlohmann::json::error_handler_t::replace);
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stdout);
      } else {
        std::printf("%s\n", ToLine(o).c_str());
      }
      return true;
    });
    if (!st) {
      std::fprintf(stderr, "inboxd replay: %s: %s\n", path.c_str(),
                   st.error().message.c_str());
      rc = kExitFailure;
    }
  }
  if (opt.stats) {
    std::fprintf(stderr,
                 "stats: %zu messages, %zu bytes, %.6f s parse+classify\n",
                 count, bytes, std::chrono::duration<double>(busy).count());
  }
  return rc;
}

int RunExplain(const std::string& config_path, const std::string& file) {
  config::Config cfg;
  if (!LoadConfigOrDefaults(config_path, &cfg)) return kExitConfig;
  auto clf = classify::Classifier::Create(cfg);
  if (!clf) {
    std::fprintf(stderr, "inboxd: %s\n", clf.error().message.c_str());
    return kExitConfig;
  }
  ReplayTickets tickets(cfg);
  auto sends = ReplaySendCheck::Create(cfg);
  if (!sends) {
    std::fprintf(stderr, "inboxd: %s\n", sends.error().message.c_str());
    return kExitConfig;
  }
  ingest::FileSourceOptions fopt;
  fopt.max_item_bytes = cfg.limits.max_message_bytes + (1u << 20);
  int rc = kExitOk;
  size_t n = 0;
  auto st =
      ingest::FileSource(file, fopt).ForEach([&](ingest::MailItem&& item) {
        if (n++ > 0) std::printf("\n");
        std::printf("file:       %s\n", core::Printable(item.label).c_str());
        if (!item.raw) {
          std::printf("error:      %s\n",
                      core::Printable(item.raw.error().message).c_str());
          rc = kExitFailure;
          return true;
        }
        Outcome o = Decide(cfg, **clf, tickets, item.label, *item.raw);
        std::printf("mailbox:    %s\n",
                    o.mailbox ? o.mailbox->name.c_str() : "-");
        if (o.quarantined) {
          std::printf("QUARANTINED: %s\n", core::Printable(o.error).c_str());
          std::printf(
              "  raw bytes kept (sha256 %s); a person must look at it\n",
              o.msg.sha256.c_str());
        }
        if (o.decision) {
          o.ticket = tickets.Record(o);
          (*sends)->Apply(&o);
          std::fputs(classify::Explain(o.msg, *o.decision).c_str(), stdout);
          if (o.ticket && !o.decision->ticket) {
            std::printf("ticket:     %s (opened by this message)\n",
                        o.ticket->ToString().c_str());
          }
        } else {
          std::printf("error:      %s\n", core::Printable(o.error).c_str());
          rc = kExitFailure;
        }
        for (const auto& w : o.msg.warnings) {
          std::printf("warning:    %s\n", core::Printable(w).c_str());
        }
        return true;
      });
  if (!st) {
    std::fprintf(stderr, "inboxd explain: %s: %s\n", file.c_str(),
                 st.error().message.c_str());
    return kExitFailure;
  }
  return rc;
}

}  // namespace

void RegisterReplayCommands(CLI::App& app, int* exit_code) {
  auto opt = std::make_shared<ReplayOptions>();
  auto* replay = app.add_subcommand(
      "replay",
      "parse and classify mail files offline (.eml, directories, Maildirs, "
      "mbox); sends nothing");
  replay->add_option("--config", opt->config_path, "config file (optional)");
  replay->add_flag("--json", opt->json, "one JSON object per message");
  replay->add_flag(
      "--stats", opt->stats,
      "print message count, bytes and parse+classify time to stderr");
  replay->add_option("paths", opt->paths, "files, directories, Maildirs, mbox")
      ->required();
  replay->callback([opt, exit_code] { *exit_code = RunReplay(*opt); });

  auto ex_config = std::make_shared<std::string>();
  auto ex_file = std::make_shared<std::string>();
  auto* explain = app.add_subcommand(
      "explain", "show every decision about a message and the rule behind it");
  explain->add_option("--config", *ex_config, "config file (optional)");
  explain->add_option("file", *ex_file, "the message (.eml)")->required();
  explain->callback([ex_config, ex_file, exit_code] {
    *exit_code = RunExplain(*ex_config, *ex_file);
  });
}

}  // namespace inboxd::app
