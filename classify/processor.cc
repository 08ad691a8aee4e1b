#include "classify/processor.h"

#include <algorithm>
#include <climits>
#include <nlohmann/json.hpp>
#include <optional>

#include "classify/agent_reply.h"
#include "classify/return_date.h"
#include "classify/thread.h"
#include "core/shutdown.h"
#include "core/text.h"
#include "ingest/mime_adapter.h"

namespace inboxd::classify {
namespace {

using core::Error;
using core::Fail;

// Where a message counts: the first incoming location, else the first
// location (a Sent folder).
struct Placement {
  std::string mailbox;
  std::string folder;
  store::Role role = store::Role::kIncoming;
  uint32_t uid_validity = 0;
  core::TimePoint arrived_at;
};

Placement Place(const store::StoredMessage& m) {
  const store::MessageLocation* chosen = nullptr;
  for (const store::MessageLocation& loc : m.locations) {
    if (loc.role == store::Role::kIncoming) {
      chosen = &loc;
      break;
    }
  }
  if (chosen == nullptr && !m.locations.empty()) chosen = &m.locations[0];
  if (chosen == nullptr) return {"", "", m.role, 0, m.arrived_at};
  return {chosen->mailbox, chosen->folder, chosen->role, chosen->uid_validity,
          chosen->arrived_at};
}

const config::Mailbox* FindMailbox(const config::Config& config,
                                   const std::string& name) {
  for (const config::Mailbox& m : config.mailboxes) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::string CleanAddress(std::string_view addr) {
  return core::SanitizeUtf8(core::AsciiLower(core::Trim(addr)));
}

// Reply-To (first non-empty) or From, lower case.
std::string CustomerAddress(const core::Message& msg) {
  for (const core::Address& a : msg.reply_to) {
    if (!a.empty()) return CleanAddress(a.addr);
  }
  return CleanAddress(msg.from.addr);
}

bool SameAddress(std::string_view a, std::string_view b) {
  return !a.empty() && core::IEquals(core::Trim(a), core::Trim(b));
}

// True when `addr` is a shared mailbox's address or alias.
bool IsMailboxAddress(const config::Config& config, std::string_view addr) {
  for (const config::Mailbox& m : config.mailboxes) {
    if (SameAddress(addr, m.address)) return true;
    for (const std::string& alias : m.aliases) {
      if (SameAddress(addr, alias)) return true;
    }
  }
  return false;
}

// True when To or Cc names someone who is neither a shared mailbox (address
// or alias) nor an agent: the message went to a customer.
bool HasExternalRecipient(const core::Message& msg,
                          const config::Config& config) {
  for (const auto* list : {&msg.to, &msg.cc}) {
    for (const core::Address& a : *list) {
      if (a.empty()) continue;
      bool internal = IsMailboxAddress(config, a.addr);
      for (const config::Agent& agent : config.agents) {
        if (SameAddress(a.addr, agent.address)) internal = true;
      }
      const std::string domain = a.Domain();
      for (const std::string& d : config.classify.agent_domains) {
        if (!domain.empty() && core::IEquals(domain, d)) internal = true;
      }
      if (!internal) return true;
    }
  }
  return false;
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ReasonsJson(const std::vector<std::string>& reasons) {
  nlohmann::json j = nlohmann::json::array();
  for (const std::string& r : reasons) j.push_back(core::SanitizeUtf8(r));
  return Dump(j);
}

store::DecisionRow BaseRow(const Decision& d) {
  store::DecisionRow row;
  row.kind = std::string(KindName(d.kind));
  row.cls = d.cls;
  row.thread = d.followup ? "followup" : "new";
  row.language = d.language;
  row.ack = d.decision.ack;
  row.decision = std::string(AckOutcomeName(d.decision.outcome));
  return row;
}

// Decides again with the facts this stage added (ack_decision.h) and
// records the outcome in `row`.
void RedecideRow(const Decision& d, const AckFacts& facts,
                 std::vector<std::string>* reasons, store::DecisionRow* row) {
  const AckDecision again = Redecide(d.decision, facts, reasons);
  row->ack = again.ack;
  row->decision = std::string(AckOutcomeName(again.outcome));
}

// The store id of a ticket the classifier named; 0 when there is none or
// the store does not have it.
core::Result<int64_t> TicketIdOf(store::Store& store,
                                 const std::optional<TicketRef>& ref) {
  if (!ref || ref->number == 0 || ref->prefix.empty()) return 0;
  auto t = store.FindTicketByTag(ref->prefix, ref->number);
  if (t) return t->id;
  if (t.error().code == core::Code::kNotFound) return 0;
  return Fail(t.error());
}

// The Outlook conversation of `msg` (ThreadIndexBase of its Thread-Index
// header); "" when it has none or the header is malformed.
std::string ThreadIndexBaseOf(const core::Message& msg) {
  const std::string* ti = msg.Header("Thread-Index");
  if (ti == nullptr) return "";
  return ThreadIndexBase(*ti).value_or("");
}

// Records the Outlook conversation of `msg` for a ticket it joined, so a
// later reply in that conversation finds the ticket (ThreadLookup::
// ByThreadIndex). Idempotent: a conversation already recorded (for this or
// an older ticket) stays as it is. Failure: the store's error.
core::Status RecordThreadIndex(store::Store& store, int64_t ticket_id,
                               const core::Message& msg) {
  const std::string base = ThreadIndexBaseOf(msg);
  if (ticket_id == 0 || base.empty()) return core::Ok();
  return store.AddTicketThreadIndex(ticket_id, base);
}

store::TicketIn NewTicket(const config::Config& config,
                          const core::Message& msg, const Decision& d,
                          const Placement& place, int64_t first_message) {
  store::TicketIn in;
  in.owner = d.personal_agent;
  in.flags = d.flags;
  in.mailbox = place.mailbox;
  in.prefix = TicketPrefix(config, place.mailbox);
  in.customer = CustomerAddress(msg);
  in.subject = core::SanitizeUtf8(msg.subject);
  in.normalized_subject = core::SanitizeUtf8(NormalizeSubject(msg.subject));
  in.cls = d.cls;
  in.language = d.language;
  in.opened_at = place.arrived_at;
  in.first_message = first_message;
  // Recorded with the ticket, in the same transaction.
  in.thread_index_base = ThreadIndexBaseOf(msg);
  return in;
}

// The configured agent whose address `addr` is; nullptr when none.
const config::Agent* AgentByAddress(const config::Config& config,
                                    std::string_view addr) {
  for (const config::Agent& a : config.agents) {
    if (SameAddress(a.address, addr)) return &a;
  }
  return nullptr;
}

// An agent's own out-of-office reply marks them absent (POLICY R2): until
// the return date it states, else for [routing] detected_absence.
core::Status NoteAgentAbsence(store::Store& store, const config::Config& config,
                              const core::Message& msg, const Placement& place,
                              const config::Mailbox* mailbox,
                              std::vector<std::string>* reasons) {
  const config::Agent* agent = AgentByAddress(config, msg.from.addr);
  if (agent == nullptr) return core::Ok();
  const std::string zone = mailbox != nullptr ? mailbox->time_zone : "UTC";
  store::AbsenceIn in;
  in.agent = agent->address;
  in.from = place.arrived_at;
  in.until = place.arrived_at + config.routing.detected_absence;
  in.source = "detected";
  in.detail = "out-of-office reply <" + core::Printable(msg.message_id) + ">";
  auto found =
      FindReturnDate(msg.subject + "\n" + msg.text, place.arrived_at, zone);
  if (found) {
    in.until = found->until;
    in.detail += ": \"" + found->matched + "\"";
  } else {
    in.detail +=
        ": no return date, " +
        std::to_string(config.routing.detected_absence.count() / 3600) + " h";
  }
  auto id = store.AddAbsence(in);
  if (!id) return Fail(id.error());
  reasons->push_back("agent " + agent->name + " is away until " +
                     core::FormatUtc(in.until) + " (" + in.detail + ")");
  return core::Ok();
}

// The "no ack: ..." reason when the message arrived before the ack window
// of its mailbox's first sync; std::nullopt when an ack may be sent.
core::Result<std::optional<std::string>> AckWindowRefusal(
    store::Store& store, const core::Clock& clock, const Placement& place,
    const config::Mailbox* mailbox) {
  // Replayed from files: no first sync to protect.
  if (place.uid_validity == 0) return std::optional<std::string>();
  const config::Seconds window =
      mailbox ? mailbox->ack_window : config::Mailbox{}.ack_window;
  auto checkpoints = store.ListCheckpoints();
  if (!checkpoints) return Fail(checkpoints.error());
  // No checkpoint yet (ingest creates it before fetching, so this is a
  // race at most): the first sync is now, as ingest assumes.
  core::TimePoint first = clock.Now();
  for (const store::Checkpoint& cp : *checkpoints) {
    if (cp.mailbox == place.mailbox && cp.first_seen_at < first) {
      first = cp.first_seen_at;
    }
  }
  if (place.arrived_at + window >= first) return std::optional<std::string>();
  return std::optional<std::string>(
      "arrived " + core::FormatUtc(place.arrived_at) +
      ", before the ack window of the first sync (first sync " +
      core::FormatUtc(first) + ", ack_window " +
      std::to_string(window.count()) + "s)");
}

}  // namespace

core::Result<std::unique_ptr<Processor>> Processor::Create(
    const config::Config& config, store::Store* store,
    const core::Clock* clock) {
  INBOXD_CHECK(store != nullptr);
  INBOXD_CHECK(clock != nullptr);
  auto classifier = Classifier::Create(config);
  if (!classifier) return Fail(classifier.error());
  std::unique_ptr<Processor> p(new Processor());
  p->config_ = config;
  p->store_ = store;
  p->clock_ = clock;
  p->classifier_ = std::move(*classifier);
  p->threads_ = std::make_unique<StoreThreadLookup>(store);
  p->forbidden_phrases_ = AgentReplyForbiddenPhrases(config);
  p->our_domains_ = OurMessageIdDomains(config);
  return p;
}

core::Result<ProcessReport> Processor::ProcessPending(size_t max) {
  ProcessReport report;
  if (max == 0) return report;
  auto pending = store_->ListUnprocessed(
      static_cast<int>(std::min<size_t>(max, static_cast<size_t>(INT_MAX))));
  if (!pending) return Fail(pending.error().Wrap("process pending"));
  for (const store::UnprocessedMessage& p : *pending) {
    if (core::ShutdownRequested()) break;  // the rest on the next start
    auto st = ProcessOne(p, &report);
    if (st) continue;
    Error e = st.error().Wrap("process message " + std::to_string(p.id));
    if (e.code == core::Code::kUnavailable) return Fail(e);
    // Stop here: a later message of the same thread must not be decided
    // before this one (it would open a second ticket). The next run retries;
    // the poison rule quarantines a message that keeps failing.
    report.errors.push_back(e.ToString());
    break;
  }
  return report;
}

// The per-message steps. Each branch ends with the one store call that moves
// the message out of "stored" (RecordDecision*, MarkQuarantined); what comes
// before it is idempotent.
core::Status Processor::ProcessOne(const store::UnprocessedMessage& pending,
                                   ProcessReport* report) {
  const int64_t row = pending.id;

  // Poison rule: two parses begun and never finished.
  if (pending.parse_attempts >= kPoisonAttempts) {
    if (auto st = store_->MarkQuarantined(row, std::string(kPoisonReason));
        !st) {
      return st;
    }
    ++report->quarantined;
    ++report->processed;
    return core::Ok();
  }
  if (auto n = store_->BeginParse(row); !n) return Fail(n.error());
  auto stored = store_->GetMessage(row);
  if (!stored) return Fail(stored.error());

  const Placement place = Place(*stored);
  const config::Mailbox* mailbox = FindMailbox(config_, place.mailbox);
  Context ctx;
  ctx.mailbox = mailbox;
  ctx.folder = place.role == store::Role::kSent ? FolderRole::kSent
                                                : FolderRole::kIncoming;
  ctx.threads = threads_.get();
  ctx.now = clock_->Now();

  core::Result<core::Message> parsed =
      stored->truncated
          ? core::Result<core::Message>(Fail(Error::DataLoss(
                "only the header block is stored (message over the size "
                "limit)")))
          : ingest::ParseMessage(stored->raw, config_.limits);
  if (!parsed) {
    // ---------------------------------------------------- quarantine
    const std::string reason = parsed.error().message;
    if (place.role == store::Role::kIncoming) {
      core::Message headers =
          ingest::ParseHeadersBestEffort(stored->raw, config_.limits);
      auto d = classifier_->Classify(headers, ctx);
      if (!d) return Fail(d.error());
      // No From: nobody to answer; the quarantine record is the trail.
      if (d->kind == Kind::kHuman && d->sender_role == SenderRole::kCustomer &&
          !headers.from.empty()) {
        // The ticket: the one this message (same Message-ID) or its thread
        // is on, one an interrupted earlier run opened for it, or a new one.
        int64_t ticket_id = 0;
        if (!headers.message_id.empty()) {
          auto t = store_->FindTicketByMessageId(headers.message_id);
          if (t) {
            ticket_id = t->id;
          } else if (t.error().code != core::Code::kNotFound) {
            return Fail(t.error());
          }
        }
        if (ticket_id == 0 && d->followup) {
          auto t = TicketIdOf(*store_, d->ticket);
          if (!t) return Fail(t.error());
          ticket_id = *t;
        }
        if (ticket_id != 0) {
          auto a = store_->AttachMessageToTicket(ticket_id, row);
          if (!a) return Fail(a.error());
          if (auto st = RecordThreadIndex(*store_, ticket_id, headers); !st) {
            return st;
          }
        } else {
          store::EventFilter f;
          f.message_row = row;
          f.type = "ticket.created";
          f.limit = 1;
          auto earlier = store_->ListEvents(f);
          if (!earlier) return Fail(earlier.error());
          if (!earlier->empty()) {
            ticket_id = earlier->front().ticket_id;
          } else {
            auto t = store_->CreateTicket(
                NewTicket(config_, headers, *d, place, row));
            if (!t) return Fail(t.error());
            ticket_id = t->id;
            ++report->new_tickets;
          }
        }
        std::vector<std::string> reasons = d->reasons;
        AckFacts facts = d->facts;
        facts.quarantined = true;
        facts.quarantine_reason = reason;
        const AckDecision q = Redecide(d->decision, facts, &reasons);
        nlohmann::json data = {
            {"kind", KindName(d->kind)},
            {"thread", d->followup ? "followup" : "new"},
            {"ack", false},
            {"decision", AckOutcomeName(q.outcome)},
            {"reason", "quarantined"},
            {"error", core::SanitizeUtf8(reason)},
            {"reasons", nlohmann::json::parse(ReasonsJson(reasons))}};
        store::EventIn ev{.type = "message.quarantine_triage",
                          .mailbox = place.mailbox,
                          .ticket_id = ticket_id,
                          .message_row = row,
                          .actor = "inboxd",
                          .data = Dump(data)};
        if (auto r = AppendEventOnce(*store_, ev); !r) return Fail(r.error());
      }
    }
    if (auto st = store_->MarkQuarantined(row, reason); !st) return st;
    ++report->quarantined;
    ++report->processed;
    return core::Ok();
  }

  if (parse_cache_ != nullptr) parse_cache_->Put(row, *parsed);
  const core::Message& msg = *parsed;
  auto decided = classifier_->Classify(msg, ctx);
  if (!decided) return Fail(decided.error());
  const Decision& d = *decided;
  store::DecisionRow out = BaseRow(d);
  std::vector<std::string> reasons = d.reasons;
  const bool sent = place.role == store::Role::kSent;

  // ------------------------------------------------------ automatic mail
  // (and our own messages, e.g. the copy of an ack in the Sent folder).
  if (d.kind != Kind::kHuman || d.sender_role == SenderRole::kSelf) {
    if (d.kind == Kind::kBounce && !d.bounced_message_id.empty()) {
      const bool ours = IsOurMessageId(d.bounced_message_id, our_domains_);
      int64_t ticket_id = 0;
      std::string tag;
      auto t = store_->FindTicketByMessageId(d.bounced_message_id);
      if (t) {
        ticket_id = t->id;
        tag = t->Tag();
      } else if (t.error().code != core::Code::kNotFound) {
        return Fail(t.error());
      }
      if (ours || ticket_id != 0) {
        nlohmann::json data = {{"bounced_message_id", d.bounced_message_id},
                               {"ours", ours},
                               {"ticket", tag}};
        if (msg.delivery_status) {
          data["action"] = msg.delivery_status->action;
          data["status"] = msg.delivery_status->status;
          data["final_recipient"] = msg.delivery_status->final_recipient;
        }
        store::EventIn ev{
            .type = ours ? "outbox.bounced" : "ticket.reply_bounced",
            .mailbox = place.mailbox,
            .ticket_id = ticket_id,
            .message_row = row,
            .actor = "inboxd",
            .data = Dump(data)};
        if (auto r = AppendEventOnce(*store_, ev); !r) return Fail(r.error());
        reasons.push_back(
            std::string(ours ? "outbox.bounced" : "ticket.reply_bounced") +
            (tag.empty() ? "" : " on " + tag));
      }
    }
    if (d.kind == Kind::kAutoReply && !sent) {
      // An agent's own out-of-office reply (POLICY R2): they are away until
      // the date it states, else for [routing] detected_absence.
      if (auto st =
              NoteAgentAbsence(*store_, config_, msg, place, mailbox, &reasons);
          !st) {
        return st;
      }
    }
    out.reasons_json = ReasonsJson(reasons);
    if (auto st = store_->RecordDecision(row, out); !st) return st;
    ++report->automatic;
    ++report->processed;
    return core::Ok();
  }

  // ------------------------------------------- a copy of a known message
  // The same message already on a ticket (a copy delivered to another
  // mailbox with its own trace headers, or the CC copy of an agent's reply
  // whose Sent copy was processed first): it joins that ticket.
  if (!msg.message_id.empty()) {
    auto t = store_->FindTicketByMessageId(msg.message_id);
    if (t) {
      reasons.push_back("thread duplicate: same Message-ID as a message on " +
                        t->Tag() + " (delivered to more than one mailbox)");
      AckFacts facts = d.facts;
      facts.duplicate = true;
      RedecideRow(d, facts, &reasons, &out);
      out.thread = "duplicate";
      out.ticket_id = t->id;
      out.reasons_json = ReasonsJson(reasons);
      if (auto st = store_->RecordDecision(row, out); !st) return st;
      ++report->duplicates;
      ++report->processed;
      return core::Ok();
    }
    if (t.error().code != core::Code::kNotFound) return Fail(t.error());
  }

  // -------------------------------------------------------- agent mail
  if (sent || d.sender_role == SenderRole::kAgent) {
    auto ticket_id = TicketIdOf(*store_, d.ticket);
    if (!ticket_id) return Fail(ticket_id.error());
    const bool to_customer = HasExternalRecipient(msg, config_);
    if (to_customer && (sent || d.followup)) {
      AgentReply reply;
      reply.message_row = row;
      reply.ticket_id = *ticket_id;
      reply.ticket_tag =
          *ticket_id != 0 && d.ticket ? d.ticket->ToString() : "";
      reply.mailbox = place.mailbox;
      reply.agent = CleanAddress(msg.from.addr);
      reply.at = place.arrived_at;
      reply.flagged = FindForbiddenPhrases(msg.text, forbidden_phrases_);
      // Evidence (issue 9 item 4): the shared Sent folder; a CC/BCC copy
      // of mail sent as the shared mailbox; or mail from an agent's own
      // address on the thread.
      reply.by =
          sent ? "sent_folder"
               : (IsMailboxAddress(config_, msg.from.addr) ? "cc_copy"
                                                           : "agent_thread");
      reply.message_id = msg.message_id;
      reply.folder = place.folder;
      auto outcome = RecordAgentReply(*store_, config_, reply);
      if (!outcome) return Fail(outcome.error());
      std::string line = "agent reply by " + core::Printable(reply.agent);
      line += reply.ticket_tag.empty() ? " (no ticket found)"
                                       : " on " + reply.ticket_tag;
      if (!outcome->deadlines_met.empty()) {
        line += "; met";
        for (const std::string& id : outcome->deadlines_met) line += " " + id;
      }
      if (!outcome->deadlines_missed.empty()) {
        line += "; answered late";
        for (const std::string& id : outcome->deadlines_missed) {
          line += " " + id;
        }
      }
      if (outcome->answered) line += "; answered";
      reasons.push_back(line);
      for (const std::string& p : reply.flagged) {
        reasons.push_back("agent.reply.flagged: forbidden phrase '" + p +
                          "' (POLICY C5)");
      }
      // The planner tells the escalation address the same day (issue 11
      // item 7); the ticket carries the flag.
      if (!reply.flagged.empty() && *ticket_id != 0) {
        out.flags = {std::string(kForbiddenPhraseFlag)};
      }
      ++report->agent_replies;
    } else {
      reasons.push_back(
          to_customer
              ? "agent message that starts no thread: no ticket opened"
              : "agent message without a customer recipient: not an answer");
    }
    out.ticket_id = *ticket_id;
    out.party = "agent";
    out.reasons_json = ReasonsJson(reasons);
    if (auto st = store_->RecordDecision(row, out); !st) return st;
    ++report->processed;
    return core::Ok();
  }

  // ----------------------------------------------------- customer mail
  out.party = "customer";
  out.flags = d.flags;
  if (d.followup) {
    auto ticket_id = TicketIdOf(*store_, d.ticket);
    if (!ticket_id) return Fail(ticket_id.error());
    if (*ticket_id == 0) {
      // A conversation we have no ticket for (the customer answers an
      // agent's mail sent before inboxd ran, or a ticket the store lost):
      // a ticket of its own, with the answer clock running for a person
      // (the planner sets its deadlines), never an acknowledgement.
      const std::string tag = d.ticket ? d.ticket->ToString() : "";
      reasons.push_back(
          "follow-up of " + (tag.empty() ? "a message of ours" : tag) +
          " that is not in the store: new ticket, answer clock running");
      out.reasons_json = ReasonsJson(reasons);
      auto ticket = store_->RecordDecisionWithNewTicket(
          row, NewTicket(config_, msg, d, place, 0), out);
      if (!ticket) return Fail(ticket.error());
      ++report->new_tickets;
      ++report->followups;
      ++report->processed;
      return core::Ok();
    }
    const std::string tag = d.ticket ? d.ticket->ToString() : "";
    nlohmann::json data = {{"ticket", tag},
                           {"found", *ticket_id != 0},
                           {"customer", CustomerAddress(msg)}};
    store::EventIn ev{.type = "ticket.followup",
                      .mailbox = place.mailbox,
                      .ticket_id = *ticket_id,
                      .message_row = row,
                      .actor = "inboxd",
                      .data = Dump(data)};
    if (auto r = AppendEventOnce(*store_, ev); !r) return Fail(r.error());
    if (auto st = RecordThreadIndex(*store_, *ticket_id, msg); !st) return st;
    // What the customer's message does to the ticket's state and clocks
    // (reopen, resume, restart D6) is the planner's (responder/lifecycle.h):
    // it knows the calendars.
    out.ticket_id = *ticket_id;
    out.reasons_json = ReasonsJson(reasons);
    if (auto st = store_->RecordDecision(row, out); !st) return st;
    ++report->followups;
    ++report->processed;
    return core::Ok();
  }

  // A first contact from a customer (or personal mail to an agent): a
  // ticket, and an ack when due.
  if (d.ack) {
    auto refusal = AckWindowRefusal(*store_, *clock_, place, mailbox);
    if (!refusal) return Fail(refusal.error());
    if (*refusal) {
      AckFacts facts = d.facts;
      facts.ack_window_refusal = **refusal;
      RedecideRow(d, facts, &reasons, &out);
    }
  }
  const bool ack = out.ack;
  out.reasons_json = ReasonsJson(reasons);
  auto ticket = store_->RecordDecisionWithNewTicket(
      row, NewTicket(config_, msg, d, place, 0), out);
  if (!ticket) return Fail(ticket.error());
  ++report->new_tickets;
  if (ack) ++report->acks_due;
  ++report->processed;
  return core::Ok();
}

}  // namespace inboxd::classify
