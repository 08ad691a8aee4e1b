// outbox_drain.cc: the transactional outbox's sender (outbox_drain.h).
#include "responder/outbox_drain.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/shutdown.h"
#include "core/text.h"
#include "responder/lifecycle.h"
#include "responder/planner.h"

namespace inboxd::responder {

namespace {

using core::Error;
using core::Fail;
using core::Result;

constexpr std::string_view kAlertKind = "agent_alert";

const config::Mailbox* FindMailbox(const config::Config& config,
                                   std::string_view name) {
  for (const config::Mailbox& m : config.mailboxes) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

bool IsAddress(std::string_view s) {
  return s.find('@') != std::string_view::npos;
}

}  // namespace

std::chrono::seconds BackoffDelay(int attempts, std::chrono::seconds initial,
                                  std::chrono::seconds max) {
  std::chrono::seconds d = initial;
  for (int i = 0; i < attempts && d < max; ++i) d *= 2;
  return std::min(d, max);
}

DrainOptions DrainOptionsFrom(const config::Responder& r) {
  DrainOptions o;
  o.initial_backoff = r.retry_after;
  o.max_backoff = r.retry_max;
  o.max_age = r.give_up_after;
  return o;
}

Result<std::unique_ptr<OutboxDrain>> OutboxDrain::Create(
    const config::Config* config, store::Store* store,
    std::map<std::string, Mailer*, std::less<>> mailers,
    SentFolder* sent_folder, const TemplateSet* templates, std::string hmac_key,
    DrainOptions options) {
  if (config == nullptr || store == nullptr || sent_folder == nullptr ||
      templates == nullptr) {
    return Fail(Error::InvalidArgument(
        "outbox drain: missing config/store/sent folder/templates"));
  }
  for (const auto& [name, mailer] : mailers) {
    if (mailer == nullptr) {
      return Fail(
          Error::InvalidArgument("outbox drain: no mailer for " + name));
    }
  }
  if (options.initial_backoff.count() <= 0 ||
      options.max_backoff < options.initial_backoff ||
      options.max_age.count() <= 0 || options.max_per_run <= 0) {
    return Fail(Error::InvalidArgument("outbox drain: bad options"));
  }
  std::unique_ptr<OutboxDrain> d(new OutboxDrain());
  for (const config::Mailbox& m : config->mailboxes) {
    auto c = MakeComposer(*config, m, hmac_key);
    if (!c) return Fail(c.error());
    d->composers_.emplace(m.name, std::move(*c));
  }
  d->config_ = config;
  d->store_ = store;
  d->mailers_ = std::move(mailers);
  d->sent_ = sent_folder;
  d->templates_ = templates;
  d->options_ = options;
  return d;
}

Result<DrainReport> OutboxDrain::DrainOnce(core::TimePoint now) {
  DrainReport report;
  copies_due_.clear();
  FinishUnrecorded(report);
  Recover(now, report);
  // A shutdown stops between two messages: the one under way is finished
  // (core::kShutdownGrace), the rest stays queued for the next start.
  for (int i = 0; i < options_.max_per_run && !core::ShutdownRequested(); ++i) {
    auto row = store_->ClaimNextDue(now);
    if (!row) return Fail(row.error().Wrap("outbox drain: claim"));
    if (!row->has_value()) break;
    if (!SendRow(**row, now, report)) break;
  }
  // The copies of this run's sends (C1), now that no acknowledgement waits
  // behind them. One left out by a shutdown is appended by a later run
  // (below: it looks in Sent first).
  for (const store::Outgoing& row : copies_due_) {
    if (core::ShutdownRequested()) break;
    AppendToSent(row, /*look_first=*/false, report);
  }
  copies_due_.clear();
  // Copies still missing from Sent (C1), including older runs' failures.
  auto missing = store_->ListSentNotAppended();
  if (!missing) {
    report.errors.push_back(missing.error().ToString());
  } else {
    for (const store::Outgoing& row : *missing) {
      if (core::ShutdownRequested()) break;
      AppendToSent(row, /*look_first=*/true, report);
    }
  }
  return report;
}

void OutboxDrain::FinishUnrecorded(DrainReport& report) {
  for (auto it = unrecorded_.begin(); it != unrecorded_.end();) {
    auto s = store_->MarkSent(it->first, it->second);
    if (s || s.error().code == core::Code::kFailedPrecondition) {
      // kFailedPrecondition: no longer "sending" (e.g. already marked).
      it = unrecorded_.erase(it);
    } else {
      report.errors.push_back(s.error().ToString());
      ++it;
    }
  }
}

void OutboxDrain::Recover(core::TimePoint now, DrainReport& report) {
  auto rows = store_->ListInState(store::OutboxState::kSending);
  if (!rows) {
    report.errors.push_back(rows.error().Wrap("outbox recovery").ToString());
    return;
  }
  for (const store::Outgoing& row : *rows) {
    if (core::ShutdownRequested()) break;
    if (unrecorded_.contains(row.id)) continue;  // known sent; MarkSent owed
    auto found = sent_->ContainsMessageId(row.mailbox, row.message_id);
    if (!found) {
      // Cannot tell: never resend blind. Looked up again next run.
      report.errors.push_back(
          found.error()
              .Wrap("outbox recovery <" + core::Printable(row.message_id) + ">")
              .ToString());
      continue;
    }
    if (*found) {
      // The server took it before the crash (and the copy is in Sent).
      auto s = store_->MarkSent(row.id, now);
      if (!s) {
        report.errors.push_back(s.error().ToString());
        continue;
      }
      ++report.recovered_from_sent;
      if (auto a = store_->MarkAppendedToSent(row.id); !a) {
        report.errors.push_back(a.error().ToString());
      }
      continue;
    }
    ++report.resent_after_crash;
    // The documented duplicate window, recorded before the resend so that a
    // crash during it still leaves the trace (and the daemon's log shows it).
    store::EventIn ev;
    ev.type = "outbox.resending";
    ev.mailbox = row.mailbox;
    ev.ticket_id = row.ticket_id;
    ev.data = nlohmann::json({{"outbox", row.id},
                              {"kind", row.kind},
                              {"reason",
                               "left in 'sending' by a crash and not found in "
                               "Sent: the recipient may get it twice"}})
                  .dump();
    if (auto a = store_->AppendEvent(ev); !a) {
      report.errors.push_back(a.error().ToString());
    }
    if (!SendRow(row, now, report)) return;
  }
}

bool OutboxDrain::SendRow(const store::Outgoing& row, core::TimePoint now,
                          DrainReport& report) {
  auto mailer = mailers_.find(row.mailbox);
  if (mailer == mailers_.end()) {
    Defer(row, now,
          Error::FailedPrecondition("no mailer for mailbox " + row.mailbox),
          report);
    return true;
  }
  auto sent = mailer->second->Send(row.envelope_from, row.recipients, row.raw);
  if (sent) {
    RecordSent(row, now, report);
    return true;
  }
  const Error& e = sent.error();
  switch (e.code) {
    case core::Code::kFailedPrecondition:  // 5xx: permanent
      FailRow(row, e.message, now, report);
      return true;
    case core::Code::kAborted:
      // Cut during DATA by a shutdown: left in "sending", as after a crash;
      // the next start's Recover looks for it in Sent before resending.
      report.errors.push_back(e.ToString());
      return false;
    case core::Code::kUnavailable:
      if (core::ShutdownRequested()) {
        // Cut before DATA by a shutdown: not sent, due again at once, and
        // not counted as an attempt.
        if (auto s = store_->Requeue(row.id, now, e.message); !s) {
          report.errors.push_back(s.error().ToString());
        }
        return false;
      }
      Defer(row, now, e, report);
      return true;
    case core::Code::kPermissionDenied:  // AUTH refused: stop this run
      Defer(row, now, e, report);
      report.errors.push_back(
          e.Wrap("outbox drain: mailbox " + row.mailbox).ToString());
      return false;
    default:  // kUnavailable (4xx, network) and anything unexpected
      Defer(row, now, e, report);
      return true;
  }
}

void OutboxDrain::RecordSent(const store::Outgoing& row, core::TimePoint now,
                             DrainReport& report) {
  ++report.sent;
  if (row.kind == "ack" && row.ticket_id > 0) {
    if (auto t = store_->GetTicket(row.ticket_id); t) {
      report.ack_latency_seconds.push_back(
          std::chrono::duration<double>(now - t->opened_at).count());
    }
  }
  auto s = store_->MarkSent(row.id, now);
  if (!s) {
    // The server has it: never resend. Put the copy in Sent now, so even a
    // restart (which forgets unrecorded_) finds it there.
    unrecorded_[row.id] = now;
    report.errors.push_back(s.error().ToString());
    if (auto a = sent_->Append(row.mailbox, row.raw); !a) {
      report.errors.push_back(a.error().ToString());
    }
    return;
  }
  copies_due_.push_back(row);
  if (row.ticket_id > 0) MeetByOurMail(row, now, report);
}

void OutboxDrain::MeetByOurMail(const store::Outgoing& row, core::TimePoint now,
                                DrainReport& report) {
  auto milestones = store_->ListMilestones(row.ticket_id);
  if (!milestones) {
    report.errors.push_back(milestones.error().ToString());
    return;
  }
  for (const store::Milestone& m : *milestones) {
    if (m.state == store::MilestoneState::kMet || !m.evidence.by.empty() ||
        !MetByOurMail(row.kind, m)) {
      continue;
    }
    store::MilestoneEvidence ev;
    ev.by = "our_mail";
    ev.outbox_id = row.id;
    ev.message_id = row.message_id;
    ev.mailbox = row.mailbox;
    ev.at = now;
    ev.actor = "inboxd";
    if (auto st = store_->MeetMilestone(row.ticket_id, m.milestone_id, ev);
        !st) {
      report.errors.push_back(st.error().ToString());
    }
  }
}

void OutboxDrain::AppendToSent(const store::Outgoing& row, bool look_first,
                               DrainReport& report) {
  const std::string what =
      "sent copy <" + core::Printable(row.message_id) + ">";
  bool present = false;
  if (look_first) {
    // An earlier APPEND may have landed before MarkAppendedToSent failed.
    auto found = sent_->ContainsMessageId(row.mailbox, row.message_id);
    if (!found) {
      report.errors.push_back(found.error().Wrap(what).ToString());
      return;
    }
    present = *found;
  }
  if (!present) {
    if (auto a = sent_->Append(row.mailbox, row.raw); !a) {
      report.errors.push_back(a.error().Wrap(what).ToString());
      return;  // retried via ListSentNotAppended, never a resend
    }
  }
  if (auto m = store_->MarkAppendedToSent(row.id); !m) {
    report.errors.push_back(m.error().Wrap(what).ToString());
    return;
  }
  if (!sent_->Discards()) ++report.appended;
}

void OutboxDrain::Defer(const store::Outgoing& row, core::TimePoint now,
                        const Error& error, DrainReport& report) {
  if (now - row.created_at >= options_.max_age) {
    FailRow(row,
            "gave up after " + std::to_string(options_.max_age.count()) +
                "s of temporary failures; last: " + error.message,
            now, report);
    return;
  }
  const core::TimePoint next =
      now + BackoffDelay(row.attempts, options_.initial_backoff,
                         options_.max_backoff);
  if (auto s = store_->MarkDeferred(row.id, next, error.message); !s) {
    // Left in "sending": the next run's recovery finds it absent from Sent
    // and sends it again.
    report.errors.push_back(s.error().ToString());
    return;
  }
  ++report.deferred;
}

void OutboxDrain::FailRow(const store::Outgoing& row, const std::string& error,
                          core::TimePoint now, DrainReport& report) {
  // The alert first: it is idempotent (deterministic Message-ID), so a crash
  // or store error before MarkFailed repeats the send (another 5xx) and
  // finds the alert already queued.
  if (auto a = Alert(row, error, now, report); !a) {
    report.errors.push_back(a.error().ToString());
    return;  // still "sending": retried next run
  }
  if (auto s = store_->MarkFailed(row.id, error); !s) {
    report.errors.push_back(s.error().ToString());
    return;
  }
  ++report.failed;
}

std::pair<std::string, std::string> OutboxDrain::AlertAddress(
    std::string_view cls) const {
  auto agent_of_team =
      [&](std::string_view team) -> std::pair<std::string, std::string> {
    for (const config::Agent& a : config_->agents) {
      if (a.team == team || a.name == team) return {a.address, a.name};
    }
    return {"", ""};
  };
  for (const config::Route& r : config_->routes) {
    if (r.cls != cls) continue;
    if (!r.escalate_to.empty() && IsAddress(r.escalate_to.front())) {
      return {r.escalate_to.front(), r.escalate_to.front()};
    }
    if (IsAddress(r.primary)) return {r.primary, r.primary};
    if (!r.primary.empty()) return agent_of_team(r.primary);
  }
  return {"", ""};
}

core::Status OutboxDrain::Alert(const store::Outgoing& row,
                                const std::string& error, core::TimePoint now,
                                DrainReport& report) {
  auto audit = [&](const std::string& why) -> core::Status {
    store::EventIn in;
    in.type = "agent.alert";
    in.mailbox = row.mailbox;
    in.ticket_id = row.ticket_id;
    in.data = nlohmann::json{
        {"outbox", row.id},
        {"kind", row.kind},
        {"message_id", row.message_id},
        {"error", core::Printable(error)},
        {"not_sent",
         why}}.dump();
    auto id = store_->AppendEvent(in);
    if (!id) return Fail(id.error().Wrap("agent.alert"));
    ++report.alerts_audited;
    return core::Ok();
  };
  if (row.kind.starts_with(kAlertKind)) {
    return audit("the failed message is itself an alert");
  }
  const config::Mailbox* mailbox = FindMailbox(*config_, row.mailbox);
  auto composer = composers_.find(row.mailbox);
  if (row.ticket_id <= 0 || mailbox == nullptr ||
      composer == composers_.end()) {
    return audit("no ticket or mailbox to alert about");
  }
  auto ticket = store_->GetTicket(row.ticket_id);
  if (!ticket) return Fail(ticket.error().Wrap("agent alert"));
  auto [to, agent_name] = AlertAddress(ticket->cls);
  if (to.empty()) return audit("no alert address configured");

  TemplateVars vars = CommonTemplateVars(*config_, *mailbox, *ticket);
  vars["agent_name"] = agent_name;
  vars["reason"] = core::StripCrLf(
      "our " + row.kind + " to " + ticket->customer +
      " was refused by the mail server: " + core::Printable(error));
  vars["due_at"] = "";
  const std::string lang =
      ReplyLanguage(*templates_, mailbox->language, mailbox->language);
  auto rendered = templates_->Render(kAlertKind, lang, mailbox->language,
                                     mailbox->name, ticket->cls, vars);
  if (!rendered) return Fail(rendered.error().Wrap("agent alert"));
  ReplySpec spec;
  spec.ticket_id = ticket->Tag();
  spec.ticket_tag = vars["ticket_tag"];
  spec.kind = std::string(kAlertKind) + "-" + std::to_string(row.id);
  auto mail = composer->second.ComposeNotice(to, spec, *rendered, now);
  if (!mail) {
    if (mail.error().code == core::Code::kFailedPrecondition ||
        mail.error().code == core::Code::kInvalidArgument) {
      return audit("alert address refused: " + mail.error().message);
    }
    return Fail(mail.error().Wrap("agent alert"));
  }
  auto queued = EnqueueMail(*store_, row.ticket_id, *mailbox, kAlertKind,
                            std::move(*mail),
                            "outbox " + std::to_string(row.id) + " failed");
  if (!queued) return Fail(queued.error().Wrap("agent alert"));
  if (!*queued) return core::Ok();  // queued by an earlier attempt
  ++report.alerts_queued;
  return core::Ok();
}

}  // namespace inboxd::responder
