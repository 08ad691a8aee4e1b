// planner.cc: decisions -> deadlines + queued acknowledgements (planner.h).
#include "responder/planner.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "classify/ack_decision.h"
#include "classify/forbidden_phrases.h"
#include "core/shutdown.h"
#include "core/text.h"
#include "responder/assignment.h"
#include "responder/lifecycle.h"
#include "responder/notice.h"
#include "responder/store_history.h"

namespace inboxd::responder {

namespace {

using core::Error;
using core::Fail;
using core::Result;

constexpr std::string_view kRefusedEvent = "ack.refused";
constexpr std::string_view kAckKind = "ack";

std::string HexEncode(const unsigned char* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[p[i] >> 4]);
    out.push_back(kHex[p[i] & 0xf]);
  }
  return out;
}

Result<std::string> ReadKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Fail(Error::InvalidArgument("hmac key " + path + ": cannot read"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string key(core::Trim(ss.str()));
  if (key.empty()) {
    return Fail(Error::InvalidArgument("hmac key " + path + ": empty"));
  }
  return key;
}

const config::Mailbox* FindMailbox(const config::Config& config,
                                   std::string_view name) {
  for (const config::Mailbox& m : config.mailboxes) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

// The first Reply-To address, else From (what Composer::ReplyRecipient
// would pick), before any validation: the loop guard judges it.
std::string CandidateRecipient(const core::Message& m) {
  for (const core::Address& a : m.reply_to) {
    if (!a.addr.empty()) return a.addr;
  }
  return m.from.addr;
}

}  // namespace

std::string AckReason(int64_t message_row) {
  return "ack for message " + std::to_string(message_row);
}

std::string_view AckTemplateFor(std::string_view cls) {
  if (cls == "quote") return "quote_ack";
  if (cls == "complaint") return "complaint_receipt";
  return "ack";
}

std::string_view AnswerMilestoneFor(std::string_view cls) {
  if (cls == "quote") return "D2";
  if (cls == "complaint") return "D6";
  if (cls == "support") return "D3";
  if (cls == "personal") return "D4";
  return "";
}

std::string FormatTicketTag(std::string_view format, std::string_view prefix,
                            int64_t number) {
  std::string out(format);
  auto replace = [&](std::string_view key, const std::string& value) {
    for (size_t p = out.find(key); p != std::string::npos;
         p = out.find(key, p + value.size())) {
      out.replace(p, key.size(), value);
    }
  };
  replace("{prefix}", std::string(prefix));
  replace("{number}", std::to_string(number));
  return out;
}

Result<std::string> LoadOrCreateHmacKey(const config::Config& config) {
  if (!config.responder.hmac_key_file.empty()) {
    return ReadKeyFile(config.responder.hmac_key_file);
  }
  const std::string path =
      (std::filesystem::path(config.state.dir) / "hmac.key").string();
  // Create it exclusively: two processes starting at once both end up
  // reading the one key that won.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    unsigned char bytes[kHmacKeyBytes];
    if (RAND_bytes(bytes, sizeof bytes) != 1) {
      ::close(fd);
      ::unlink(path.c_str());
      return Fail(Error::Internal("hmac key: RAND_bytes failed"));
    }
    const std::string hex = HexEncode(bytes, sizeof bytes) + "\n";
    const bool ok = ::write(fd, hex.data(), hex.size()) ==
                        static_cast<ssize_t>(hex.size()) &&
                    ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    if (!ok) {
      ::unlink(path.c_str());
      return Fail(Error::Unavailable("hmac key " + path +
                                     ": write: " + std::strerror(err)));
    }
  } else if (errno != EEXIST) {
    return Fail(Error::Unavailable("hmac key " + path +
                                   ": create: " + std::strerror(errno)));
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Fail(Error::Unavailable("hmac key " + path +
                                   ": stat: " + std::strerror(errno)));
  }
  if ((st.st_mode & 077) != 0) {
    return Fail(Error::InvalidArgument(
        "hmac key " + path + ": readable by group or others (chmod 600)"));
  }
  return ReadKeyFile(path);
}

Result<Composer> MakeComposer(const config::Config& config,
                              const config::Mailbox& mailbox,
                              const std::string& hmac_key) {
  ComposerOptions o;
  o.mailbox_address = mailbox.address;
  o.display_name = mailbox.display_name;
  o.display_names = mailbox.display_names;
  o.message_id_domain = config.responder.message_id_domain;
  o.hmac_key = hmac_key;
  o.envelope_sender = config.responder.envelope_sender;
  o.noreply_regex = config.responder.noreply_regex;
  for (const config::Mailbox& m : config.mailboxes) {
    o.own_addresses.push_back(m.address);
    o.own_addresses.insert(o.own_addresses.end(), m.aliases.begin(),
                           m.aliases.end());
  }
  auto c = Composer::Create(std::move(o));
  if (!c) return Fail(c.error().Wrap("mailbox " + mailbox.name));
  return c;
}

TemplateVars CommonTemplateVars(const config::Config& config,
                                const config::Mailbox& mailbox,
                                const store::Ticket& ticket) {
  auto address_of = [&](std::string_view name) {
    const config::Mailbox* m = FindMailbox(config, name);
    return m != nullptr ? m->address : mailbox.address;
  };
  // Every shared address, each once (ignoring case), in config order; the
  // renderer joins them in the reply's language (kListSeparator).
  std::vector<std::string> shared;
  for (const config::Mailbox& m : config.mailboxes) {
    const bool seen =
        std::any_of(shared.begin(), shared.end(), [&](const std::string& a) {
          return core::AsciiLower(a) == core::AsciiLower(m.address);
        });
    if (!seen && !m.address.empty()) shared.push_back(m.address);
  }
  if (shared.empty()) shared.push_back(mailbox.address);
  std::string shared_list;
  for (const auto& a : shared) {
    if (!shared_list.empty()) shared_list += kListSeparator;
    shared_list += a;
  }
  auto signature = [&](const std::string& display_name) {
    return !core::Trim(display_name).empty() ? core::StripCrLf(display_name)
                                             : mailbox.address;
  };
  TemplateVars vars = {
      {"ticket_tag", FormatTicketTag(config.classify.ticket_tag_format,
                                     ticket.prefix, ticket.number)},
      {"mailbox_address", mailbox.address},
      {"mailbox_name", mailbox.name},
      {"signature", signature(mailbox.display_name)},
      {"sales_address", address_of("sales")},
      {"support_address", address_of("support")},
      {"shared_addresses", shared_list},
      {"customer_address", ticket.customer},
      {"customer_name", ""},
      {"original_subject", core::StripCrLf(ticket.subject)},
  };
  // Mail in a language with its own display name is signed with it.
  for (const auto& [lang, name] : mailbox.display_names) {
    vars["signature/" + lang] = signature(name);
  }
  return vars;
}

std::string SalutationName(const core::Address& recipient,
                           const core::Address& from) {
  std::string name =
      core::StripCrLf(!recipient.name.empty() ? recipient.name : from.name);
  std::string_view bare = core::Trim(name);
  while (!bare.empty() &&
         (bare.front() == '<' || bare.front() == '\'' || bare.front() == '"')) {
    bare.remove_prefix(1);
  }
  while (!bare.empty() &&
         (bare.back() == '>' || bare.back() == '\'' || bare.back() == '"')) {
    bare.remove_suffix(1);
  }
  // An address for a name: one word with an '@' in it.
  if (bare.find('@') != std::string_view::npos &&
      bare.find(' ') == std::string_view::npos) {
    return "";
  }
  return name;
}

std::string ReplyLanguage(const TemplateSet& templates, std::string_view wanted,
                          std::string_view mailbox_language) {
  const std::vector<std::string> have = templates.Languages();
  auto has = [&](std::string_view l) {
    return !l.empty() && std::find(have.begin(), have.end(), l) != have.end();
  };
  if (has(wanted)) return std::string(wanted);
  if (has(mailbox_language)) return std::string(mailbox_language);
  return "en";
}

Result<SendCheck> CheckSend(const LoopGuard& guard, const Composer& composer,
                            ReplyHistory& history,
                            const core::Message& original, LoopCheck check,
                            core::TimePoint now) {
  check.recipient = CandidateRecipient(original);
  auto verdict = guard.Check(check, history, now);
  if (!verdict) return Fail(verdict.error());
  SendCheck out;
  out.facts.kind = check.message_kind;
  if (!verdict->allowed) out.facts.loop_guard_refusal = verdict->reason;
  auto recipient = composer.ReplyRecipient(original);
  if (recipient) {
    out.recipient = std::move(*recipient);
  } else if (recipient.error().code == core::Code::kFailedPrecondition) {
    out.facts.recipient_refusal = recipient.error().message;
  } else {
    return Fail(recipient.error());
  }
  return out;
}

// ------------------------------------------------------------------ Planner

Result<MailboxPartsMap> MakeMailboxParts(const config::Config& config,
                                         const std::string& hmac_key) {
  MailboxPartsMap out;
  for (const config::Mailbox& m : config.mailboxes) {
    auto composer = MakeComposer(config, m, hmac_key);
    if (!composer) return Fail(composer.error());
    auto calendar =
        BusinessCalendar::Create(config.business_hours, m.time_zone);
    if (!calendar) return Fail(calendar.error().Wrap("mailbox " + m.name));
    out.emplace(m.name, std::unique_ptr<MailboxParts>(new MailboxParts{
                            &m, std::move(*composer), std::move(*calendar)}));
  }
  return out;
}

Result<bool> EnqueueMail(store::Store& store, int64_t ticket_id,
                         const config::Mailbox& mailbox, std::string_view kind,
                         OutgoingMail mail, std::string reason) {
  store::OutgoingIn out;
  out.ticket_id = ticket_id;
  out.kind = std::string(kind);
  out.mailbox = mailbox.name;
  out.message_id = std::move(mail.message_id);
  out.from = mailbox.address;
  out.recipients = std::move(mail.recipients);
  out.envelope_from = std::move(mail.envelope_from);
  out.raw = std::move(mail.raw);
  out.reason = std::move(reason);
  auto id = store.EnqueueOutgoing(out);
  if (id) return true;
  if (id.error().code == core::Code::kFailedPrecondition &&
      id.error().message.find("already queued") != std::string::npos) {
    return false;
  }
  return Fail(id.error());
}

Planner::~Planner() = default;

core::Result<core::Message> Planner::Parse(int64_t message_row,
                                           std::string_view raw) {
  if (parse_cache_ != nullptr) {
    if (auto cached = parse_cache_->Get(message_row)) return *cached;
  }
  return parser_(raw);
}

Result<std::unique_ptr<Planner>> Planner::Create(const config::Config* config,
                                                 store::Store* store,
                                                 const TemplateSet* templates,
                                                 std::string hmac_key,
                                                 MessageParser parser) {
  if (config == nullptr || store == nullptr || templates == nullptr) {
    return Fail(
        Error::InvalidArgument("planner: missing config/store/templates"));
  }
  if (hmac_key.empty()) {
    return Fail(Error::InvalidArgument("planner: empty hmac key"));
  }
  if (!parser) return Fail(Error::InvalidArgument("planner: no parser"));
  std::unique_ptr<Planner> p(new Planner());
  p->config_ = config;
  p->store_ = store;
  p->templates_ = templates;
  p->hmac_key_ = std::move(hmac_key);
  p->parser_ = std::move(parser);
  auto parts = MakeMailboxParts(*config, p->hmac_key_);
  if (!parts) return Fail(parts.error());
  p->mailboxes_ = std::move(*parts);
  auto guard = LoopGuard::Create(config->responder, config->mailboxes);
  if (!guard) return Fail(guard.error());
  p->guard_ = std::make_unique<LoopGuard>(std::move(*guard));
  return p;
}

Result<PlanReport> Planner::PlanPending(core::TimePoint now) {
  PlanReport report;
  // Pending work is a query (decisions.planned_at unset); a decision that
  // failed stays pending and is skipped for the rest of this run.
  std::set<int64_t> failed;
  while (true) {
    auto rows = store_->ListUnplannedDecisions(kPlanBatch);
    if (!rows) return Fail(rows.error().Wrap("plan: list decisions"));
    int fresh = 0;
    if (core::ShutdownRequested()) break;  // the rest on the next start
    for (int64_t row : *rows) {
      if (core::ShutdownRequested()) break;
      if (failed.contains(row)) continue;
      ++fresh;
      auto st = PlanDecision(row, now, report);
      if (!st) {
        ++report.errors;
        report.error_messages.push_back(st.error().ToString());
        failed.insert(row);
      }
    }
    if (fresh == 0 || static_cast<int>(rows->size()) < kPlanBatch) break;
  }
  return report;
}

core::Status Planner::PlanDecision(int64_t message_row, core::TimePoint now,
                                   PlanReport& report) {
  const std::string what = "plan message " + std::to_string(message_row);
  auto decision = store_->GetDecision(message_row);
  if (!decision) return Fail(decision.error().Wrap(what));
  const store::Decision& d = *decision;
  // The ticket's clocks first: every customer message on a ticket, whatever
  // happens to its acknowledgement (issue 9 item 2).
  if (d.ticket_id > 0 && d.party == "customer") {
    auto clocks = PlanClock(d, now, report);
    if (!clocks) return Fail(clocks.error().Wrap(what));
  }
  // The acknowledgement and the mark "planned" commit together, so a crash
  // cannot queue twice or refuse twice.
  auto batch = store_->BeginBatch();
  if (!batch) return Fail(batch.error().Wrap(what));
  if (d.ack) {
    ++report.candidates;
    auto outcome = PlanOne(d, now);
    if (!outcome) return Fail(outcome.error());
    switch (*outcome) {
      case Outcome::kEnqueued:
        ++report.enqueued;
        break;
      case Outcome::kRefused:
        ++report.refused;
        break;
      case Outcome::kAlreadyDone:
        ++report.already_done;
        break;
    }
  }
  if (d.ticket_id > 0 && d.party == "customer") {
    auto told = TellAbsence(d, now);
    if (!told) return Fail(told.error().Wrap(what));
    if (*told) ++report.absence_notices;
  }
  if (d.ticket_id > 0 && d.party == "agent" &&
      std::find(d.flags.begin(), d.flags.end(),
                classify::kForbiddenPhraseFlag) != d.flags.end()) {
    if (auto st = NoticeForbiddenPhrase(d, now); !st) {
      return Fail(st.error().Wrap(what));
    }
  }
  if (auto st = store_->MarkDecisionPlanned(message_row); !st) {
    return Fail(st.error().Wrap(what));
  }
  return (*batch)->Commit();
}

Result<Assignment> Planner::AssignNewTicket(const store::Ticket& ticket,
                                            core::TimePoint now) {
  auto absences = store_->ListAbsences(now);
  if (!absences) return Fail(absences.error());
  auto last = store_->FindLastOwner(ticket.customer, ticket.id);
  if (!last) return Fail(last.error());
  AssignInput in;
  in.cls = ticket.cls.empty() ? "other" : ticket.cls;
  in.mailbox = ticket.mailbox;
  in.personal_agent = ticket.owner;  // the classifier's addressed agent
  in.last_owner = *last;
  in.at = now;
  Assignment a = AssignOwner(*config_, *absences, in);
  if (auto st = store_->SetTicketOwner(ticket.id, a.owner, a.reason, "inboxd");
      !st) {
    return Fail(st.error());
  }
  return a;
}

core::Status Planner::PlanClock(const store::Decision& d, core::TimePoint now,
                                PlanReport& report) {
  auto ticket = store_->GetTicket(d.ticket_id);
  if (!ticket) return Fail(ticket.error());
  auto mb = mailboxes_.find(ticket->mailbox);
  if (mb == mailboxes_.end()) {
    // Transient on purpose: the mailbox may come back with the config.
    return Fail(Error::FailedPrecondition("mailbox '" + ticket->mailbox +
                                          "' is not configured"));
  }
  const BusinessCalendar& calendar = mb->second->calendar;
  auto milestones = store_->ListMilestones(ticket->id);
  if (!milestones) return Fail(milestones.error());
  if (milestones->empty()) {
    // A new ticket: its owner (routing.h: R1-R4, absence), its clocks and
    // the owner's assignment mail, together (a crash repeats all three).
    auto batch = store_->BeginBatch();
    if (!batch) return Fail(batch.error());
    auto assigned = AssignNewTicket(*ticket, now);
    if (!assigned) return Fail(assigned.error());
    auto added = EnsureMilestones(*store_, *config_, calendar, *ticket,
                                  ticket->opened_at);
    if (!added) return Fail(added.error());
    if (*added > 0) ++report.clocks;
    if (!assigned->owner.empty()) {
      auto owned = store_->GetTicket(ticket->id);
      if (!owned) return Fail(owned.error());
      AssignmentRequest req;
      req.ticket = &*owned;
      req.targets = ResolveTargets(*config_, assigned->owner);
      req.step = "assign";
      req.reason = assigned->reason;
      AssignmentContext ctx{store_, config_, templates_, &parser_,
                            guard_.get()};
      auto sent = QueueAssignment(ctx, *mb->second, req, now);
      if (!sent) return Fail(sent.error());
      report.assignments += static_cast<int>(sent->size());
    }
    return (*batch)->Commit();
  }
  auto stored = store_->GetMessage(d.message_row);
  if (!stored) return Fail(stored.error());
  // The actor is hashed into the audit chain and could never be erased:
  // "customer", not the address (the ticket names the customer).
  auto line = OnCustomerMessage(*store_, *config_, calendar, *ticket,
                                stored->arrived_at, "customer");
  if (!line) return Fail(line.error());
  if (!line->empty()) ++report.clocks;
  // The owner hears of the follow-up with the message itself (a repeat
  // after a crash is "already queued": one Message-ID per message).
  if (!ticket->owner.empty()) {
    AssignmentRequest req;
    req.ticket = &*ticket;
    req.targets = ResolveTargets(*config_, ticket->owner);
    req.step = "msg-" + std::to_string(d.message_row);
    req.reason = "the customer wrote again";
    req.message_row = d.message_row;
    req.followup = true;
    AssignmentContext ctx{store_, config_, templates_, &parser_, guard_.get()};
    auto sent = QueueAssignment(ctx, *mb->second, req, now);
    if (!sent) return Fail(sent.error());
    report.assignments += static_cast<int>(sent->size());
  }
  return core::Ok();
}

Result<Planner::Outcome> Planner::Refuse(const store::Decision& d,
                                         const std::string& mailbox,
                                         const std::string& reason) {
  store::EventIn in;
  in.type = std::string(kRefusedEvent);
  in.mailbox = mailbox;
  in.ticket_id = d.ticket_id;
  in.message_row = d.message_row;
  in.data = nlohmann::json{
      {"reason", core::Printable(reason)},
      {"kind",
       d.kind}}.dump();
  auto id = store_->AppendEvent(in);
  if (!id) return Fail(id.error().Wrap("plan: audit ack.refused"));
  return Outcome::kRefused;
}

Result<bool> Planner::TellAbsence(const store::Decision& d,
                                  core::TimePoint now) {
  // Nobody away (the usual case): no need to load or parse anything.
  auto absences = store_->ListAbsences(now);
  if (!absences) return Fail(absences.error());
  if (absences->empty()) return false;
  auto ticket = store_->GetTicket(d.ticket_id);
  if (!ticket) return Fail(ticket.error());
  auto mb = mailboxes_.find(ticket->mailbox);
  if (mb == mailboxes_.end()) return false;
  MailboxParts& parts = *mb->second;
  auto stored = store_->GetMessage(d.message_row);
  if (!stored) return Fail(stored.error());
  auto message = Parse(d.message_row, stored->raw);
  if (!message) return false;  // quarantined: no automatic mail
  // The absent agent the customer wrote to: To/Cc, or the owner of the
  // ticket a follow-up continues (R2/R3).
  const config::Agent* away = nullptr;
  std::optional<core::TimePoint> until;
  auto check = [&](std::string_view addr) {
    if (away != nullptr) return;
    for (const config::Agent& a : config_->agents) {
      if (!core::IEquals(a.address, addr)) continue;
      if (auto u = AbsentUntil(*absences, a.address, now,
                               config_->routing.absence_threshold)) {
        away = &a;
        until = u;
      }
    }
  };
  for (const auto* list : {&message->to, &message->cc}) {
    for (const core::Address& a : *list) check(a.addr);
  }
  if (d.thread != "new") check(ticket->owner);
  if (away == nullptr) return false;
  // Once per customer and absence.
  int64_t absence_id = 0;
  for (const store::Absence& a : *absences) {
    if (core::IEquals(a.agent, away->address) && a.Covers(now)) {
      absence_id = a.id;
    }
  }
  const std::string reason = "absence " + std::to_string(absence_id) + " of " +
                             core::AsciiLower(away->address);
  auto sent =
      store_->CountOutgoingTo(ticket->customer, "absence_fallback", reason);
  if (!sent) return Fail(sent.error());
  if (*sent > 0) return false;

  StoreHistory history(store_);
  LoopCheck check_in;
  check_in.message_kind = d.kind;
  check_in.ticket_id = std::to_string(ticket->id);
  check_in.reply_kind = "absence-" + std::to_string(absence_id);
  auto send =
      CheckSend(*guard_, parts.composer, history, *message, check_in, now);
  if (!send) return Fail(send.error());
  if (send->facts.loop_guard_refusal || send->facts.recipient_refusal) {
    return false;  // the ack path audits refusals; nothing more here
  }
  const config::Mailbox& mailbox = *parts.mailbox;
  const std::string lang =
      ReplyLanguage(*templates_, d.language, mailbox.language);
  TemplateVars vars = CommonTemplateVars(*config_, mailbox, *ticket);
  vars["customer_address"] = send->recipient.addr;
  vars["customer_name"] = SalutationName(send->recipient, message->from);
  vars["original_subject"] = core::StripCrLf(message->subject);
  vars["agent_name"] = away->name;
  // Who handles it now: the ticket's owner when it is an agent, else the
  // shared mailbox (never the reason for the absence).
  vars["alternative_address"] =
      ticket->owner.find('@') != std::string::npos &&
              !core::IEquals(ticket->owner, away->address)
          ? ticket->owner
          : mailbox.address;
  auto until_text = FormatLocalTime(*until, mailbox.time_zone, lang);
  vars["absent_until"] = until_text ? *until_text : "";
  auto rendered = templates_->Render("absence_fallback", lang, mailbox.language,
                                     mailbox.name, ticket->cls, vars);
  if (!rendered) return Fail(rendered.error());
  ReplySpec spec;
  spec.ticket_id = ticket->Tag();
  spec.ticket_tag = vars["ticket_tag"];
  spec.kind = "absence-" + std::to_string(absence_id);
  auto mail = parts.composer.ComposeReply(*message, spec, *rendered, now);
  if (!mail) {
    if (mail.error().code == core::Code::kFailedPrecondition) return false;
    return Fail(mail.error());
  }
  return EnqueueMail(*store_, ticket->id, mailbox, "absence_fallback",
                     std::move(*mail), reason);
}

core::Status Planner::NoticeForbiddenPhrase(const store::Decision& d,
                                            core::TimePoint now) {
  auto ticket = store_->GetTicket(d.ticket_id);
  if (!ticket) return Fail(ticket.error());
  auto mb = mailboxes_.find(ticket->mailbox);
  if (mb == mailboxes_.end()) return core::Ok();  // mailbox left the config
  auto stored = store_->GetMessage(d.message_row);
  if (!stored) return Fail(stored.error());
  auto message = Parse(d.message_row, stored->raw);
  if (!message) return core::Ok();
  const std::vector<std::string> phrases = classify::FindForbiddenPhrases(
      message->text, classify::AgentReplyForbiddenPhrases(*config_));
  if (phrases.empty()) return core::Ok();  // the phrase list changed since
  // The ticket's first escalation level, else the first of any route.
  std::vector<Target> targets;
  auto levels = EscalationLevels(*config_, *ticket);
  if (!levels.empty()) {
    targets = std::move(levels.front());
  } else {
    for (const config::Route& r : config_->routes) {
      if (r.escalate_to.empty()) continue;
      targets = ResolveTargets(*config_, r.escalate_to.front());
      if (!targets.empty()) break;
    }
  }
  std::string agent = core::AsciiLower(message->from.addr);
  for (const config::Agent& a : config_->agents) {
    if (core::IEquals(a.address, agent)) agent = a.name + " <" + agent + ">";
  }
  std::string quoted;
  for (const std::string& p : phrases) {
    quoted += (quoted.empty() ? "\"" : ", \"") + p + "\"";
  }
  TemplateVars vars;
  vars["reason"] = "POLICY C5: " + agent + " wrote " + quoted +
                   " in a reply to the customer";
  vars["agent_name"] = "";
  vars["due_at"] = "";
  const NoticeContext ctx{store_, config_, templates_, guard_.get()};
  auto sent = QueueNotice(ctx, *ticket, *mb->second, "escalation",
                          "c5-" + std::to_string(d.message_row), targets,
                          std::move(vars), now);
  if (!sent) return Fail(sent.error());
  return core::Ok();
}

Result<std::optional<core::TimePoint>> Planner::PromisedDue(
    const store::Ticket& ticket, std::string_view cls) {
  const std::string_view id = AnswerMilestoneFor(cls);
  if (id.empty()) return std::optional<core::TimePoint>();
  auto milestones = store_->ListMilestones(ticket.id);
  if (!milestones) return Fail(milestones.error());
  for (const store::Milestone& m : *milestones) {
    if (m.milestone_id == id && m.state == store::MilestoneState::kOpen) {
      return std::optional<core::TimePoint>(m.due_at);
    }
  }
  return std::optional<core::TimePoint>();
}

Result<Planner::Outcome> Planner::PlanOne(const store::Decision& d,
                                          core::TimePoint now) {
  const int64_t message_row = d.message_row;
  const std::string what =
      "plan ack for message " + std::to_string(message_row);
  if (d.ticket_id <= 0) return Refuse(d, "", "decision has no ticket");
  if (now - d.decided_at > kStaleAck) {
    return Refuse(d, "",
                  "decision is " +
                      std::to_string((now - d.decided_at).count() / 86400) +
                      " days old: an acknowledgement now helps nobody");
  }

  auto ticket = store_->GetTicket(d.ticket_id);
  if (!ticket) return Fail(ticket.error().Wrap(what));
  auto mb = mailboxes_.find(ticket->mailbox);
  if (mb == mailboxes_.end()) {
    // Transient on purpose: the mailbox may come back with the config.
    return Fail(Error::FailedPrecondition(
        what + ": mailbox '" + ticket->mailbox + "' is not configured"));
  }
  MailboxParts& parts = *mb->second;
  const config::Mailbox& mailbox = *parts.mailbox;

  auto stored = store_->GetMessage(message_row);
  if (!stored) return Fail(stored.error().Wrap(what));
  auto message = Parse(message_row, stored->raw);
  if (!message) {
    // The parser is deterministic: this will not get better.
    return Refuse(
        d, mailbox.name,
        "original message cannot be parsed: " + message.error().message);
  }

  // Loop guard and reply address, then the one decision table
  // (classify/ack_decision.h), like the classifier's and the processor's.
  StoreHistory history(store_);
  LoopCheck check;
  check.message_kind = d.kind;
  check.ticket_id = std::to_string(ticket->id);
  check.reply_kind = std::string(kAckKind);
  auto send = CheckSend(*guard_, parts.composer, history, *message, check, now);
  if (!send) return Fail(send.error().Wrap(what));
  const classify::AckDecision decided = classify::DecideAck(send->facts);
  if (!decided.ack) return Refuse(d, mailbox.name, decided.reason);
  const core::Address& recipient = send->recipient;

  // The due time the reply promises (D8), from the ticket's milestones.
  std::string cls = d.cls;
  if (cls.empty()) cls = ticket->cls;
  if (cls.empty()) cls = mailbox.default_class;
  if (cls.empty()) cls = "other";
  auto due = PromisedDue(*ticket, cls);
  if (!due) return Fail(due.error().Wrap(what));

  const std::string lang =
      ReplyLanguage(*templates_, d.language, mailbox.language);
  std::string due_text;  // "": no answer milestone, no time promised
  if (*due) {
    auto text = FormatLocalTime(**due, mailbox.time_zone, lang);
    if (!text) return Fail(text.error().Wrap(what));
    due_text = std::move(*text);
  }
  TemplateVars vars = CommonTemplateVars(*config_, mailbox, *ticket);
  vars["customer_address"] = recipient.addr;
  vars["customer_name"] = SalutationName(recipient, message->from);
  vars["original_subject"] = core::StripCrLf(message->subject);
  vars["due_at"] = due_text;
  if (!parts.calendar.IsBusinessTime(stored->arrived_at)) {
    // Outside business hours or on a holiday: when the office opens again
    // (issue 10 item 5), the first business second after arrival.
    auto opens = parts.calendar.AddBusinessTime(stored->arrived_at,
                                                std::chrono::seconds(1));
    if (opens) {
      auto text = FormatLocalTime(*opens - std::chrono::seconds(1),
                                  mailbox.time_zone, lang);
      if (text) vars["office_opens_at"] = *text;
    }
  }
  if (cls == "support") {
    // POLICY C3: say in writing whether Software Assurance covers it.
    if (const config::Account* account =
            FindAccount(*config_, ticket->customer)) {
      const std::string today = core::FormatUtc(now).substr(0, 10);
      if (!account->software_assurance_until.empty() &&
          account->software_assurance_until >= today) {
        auto until = FormatLocalDate(account->software_assurance_until, lang);
        vars["assurance_until"] =
            until ? *until : account->software_assurance_until;
      } else {
        vars["assurance_not_covered"] = "yes";
      }
    }
  }
  const std::string_view name = AckTemplateFor(cls);
  auto rendered =
      templates_->Render(name, lang, mailbox.language, mailbox.name, cls, vars);
  if (!rendered) return Fail(rendered.error().Wrap(what));

  ReplySpec spec;
  spec.ticket_id = ticket->Tag();
  spec.ticket_tag = vars["ticket_tag"];
  spec.kind = std::string(kAckKind);
  auto mail = parts.composer.ComposeReply(*message, spec, *rendered, now);
  if (!mail) {
    if (mail.error().code == core::Code::kFailedPrecondition) {
      return Refuse(d, mailbox.name, mail.error().message);
    }
    return Fail(mail.error().Wrap(what));
  }

  auto queued = EnqueueMail(*store_, ticket->id, mailbox, kAckKind,
                            std::move(*mail), AckReason(message_row));
  if (!queued) return Fail(queued.error().Wrap(what));
  // false: a concurrent run won.
  return *queued ? Outcome::kEnqueued : Outcome::kAlreadyDone;
}

}  // namespace inboxd::responder
