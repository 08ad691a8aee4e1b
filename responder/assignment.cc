// assignment.cc: see assignment.h.
#include "responder/assignment.h"

#include <algorithm>
#include <optional>

#include "core/text.h"
#include "responder/business_calendar.h"
#include "responder/composer.h"

namespace inboxd::responder {
namespace {

using core::Fail;
using core::Result;

// Cuts `s` to at most `max` bytes at a UTF-8 boundary, marking the cut.
std::string Excerpt(std::string_view s, size_t max) {
  std::string text(core::Trim(s));
  if (text.size() <= max) return text;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return text.substr(0, n) + "\n[...]";
}

bool Addressed(const core::Message& m, std::string_view addr) {
  for (const auto* list : {&m.to, &m.cc}) {
    for (const core::Address& a : *list) {
      if (core::IEquals(a.addr, addr)) return true;
    }
  }
  return false;
}

// The customer's latest message on the ticket (its row), 0 when none.
Result<int64_t> LatestCustomerMessage(store::Store& store, int64_t ticket_id) {
  auto rows = store.ListTicketMessages(ticket_id);
  if (!rows) return Fail(rows.error());
  for (auto it = rows->rbegin(); it != rows->rend(); ++it) {
    auto d = store.GetDecision(*it);
    if (!d) {
      if (d.error().code == core::Code::kNotFound) continue;
      return Fail(d.error());
    }
    if (d->party == "customer") return *it;
  }
  return int64_t{0};
}

}  // namespace

Result<std::vector<std::string>> QueueAssignment(const AssignmentContext& ctx,
                                                 MailboxParts& parts,
                                                 const AssignmentRequest& req,
                                                 core::TimePoint now) {
  std::vector<std::string> sent;
  const config::Config& config = *ctx.config;
  const store::Ticket& ticket = *req.ticket;
  if (!config.routing.assignment_mail || req.targets.empty()) return sent;
  auto absences = ctx.store->ListAbsences(now);
  if (!absences) return Fail(absences.error());

  // The customer's message it carries.
  core::Message message;
  message.subject = ticket.subject;
  std::string raw;
  core::TimePoint received = ticket.opened_at;
  auto row = req.message_row > 0 ? Result<int64_t>(req.message_row)
                                 : LatestCustomerMessage(*ctx.store, ticket.id);
  if (!row) return Fail(row.error());
  if (*row > 0) {
    auto stored = ctx.store->GetMessage(*row);
    if (!stored) return Fail(stored.error());
    received = stored->arrived_at;
    raw = stored->raw;
    auto parsed = (*ctx.parser)(stored->raw);
    if (parsed) message = std::move(*parsed);  // else: attached as it came
  }
  core::Address customer{"", ticket.customer};
  if (auto r = parts.composer.ReplyRecipient(message)) customer = *r;
  if (customer.name.empty()) customer.name = message.from.name;

  // The next deadline a person must meet (not one our own mail meets).
  std::optional<core::TimePoint> next_due;
  auto milestones = ctx.store->ListMilestones(ticket.id);
  if (!milestones) return Fail(milestones.error());
  for (const store::Milestone& m : *milestones) {
    if (m.state != store::MilestoneState::kOpen || m.paused_at) continue;
    if (MetByOurMail("ack", m) || MetByOurMail("csat", m)) continue;
    if (!next_due || m.due_at < *next_due) next_due = m.due_at;
  }

  const config::Mailbox& mailbox = *parts.mailbox;
  int n = 0;
  for (const Target& t : req.targets) {
    ++n;
    if (ctx.guard->IsOwnAddress(t.address)) continue;  // already there
    if (Addressed(message, t.address)) continue;       // they have it
    const bool away = std::any_of(
        absences->begin(), absences->end(), [&](const store::Absence& a) {
          return core::IEquals(a.agent, t.address) && a.Covers(now);
        });
    if (away) continue;
    const std::string lang =
        ReplyLanguage(*ctx.templates, t.language, mailbox.language);
    TemplateVars vars = CommonTemplateVars(config, mailbox, ticket);
    vars["agent_name"] = t.name;
    vars["reason"] = core::StripCrLf(req.reason);
    vars["followup"] = req.followup ? "yes" : "";
    vars["customer_address"] = customer.addr;
    vars["customer_name"] = core::StripCrLf(customer.name);
    vars["original_subject"] = core::StripCrLf(message.subject);
    vars["customer_text"] = Excerpt(message.text, kMaxAssignmentQuote);
    auto received_text = FormatLocalTime(received, mailbox.time_zone, lang);
    if (!received_text) return Fail(received_text.error());
    vars["received_at"] = *received_text;
    vars["due_at"] = "";
    if (next_due) {
      auto due_text = FormatLocalTime(*next_due, mailbox.time_zone, lang);
      if (!due_text) return Fail(due_text.error());
      vars["due_at"] = *due_text;
    }
    auto rendered = ctx.templates->Render("assignment", lang, mailbox.language,
                                          mailbox.name, ticket.cls, vars);
    if (!rendered) return Fail(rendered.error());
    ReplySpec spec;
    spec.ticket_id = ticket.Tag();
    spec.ticket_tag = vars["ticket_tag"];
    spec.kind = req.step + "-" + std::to_string(n);
    auto mail = parts.composer.ComposeAssignment(
        t.address, message, raw, customer, spec, *rendered, now);
    if (!mail) {
      if (mail.error().code == core::Code::kFailedPrecondition ||
          mail.error().code == core::Code::kInvalidArgument) {
        continue;  // an address the composer refuses: nothing to send
      }
      return Fail(mail.error());
    }
    auto queued = EnqueueMail(
        *ctx.store, ticket.id, mailbox, "assignment", std::move(*mail),
        req.step + " of " + ticket.Tag() + " to " +
            core::AsciiLower(t.address) + ": " + core::StripCrLf(req.reason));
    if (!queued) return Fail(queued.error());
    sent.push_back(t.address);
  }
  return sent;
}

}  // namespace inboxd::responder
