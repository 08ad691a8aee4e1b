// notice.cc: see notice.h.
#include "responder/notice.h"

#include "responder/business_calendar.h"
#include "responder/composer.h"

namespace inboxd::responder {

core::Result<std::vector<std::string>> QueueNotice(
    const NoticeContext& ctx, const store::Ticket& ticket, MailboxParts& parts,
    std::string_view template_name, const std::string& step,
    const std::vector<Target>& targets, TemplateVars vars, core::TimePoint now,
    std::optional<core::TimePoint> due) {
  std::vector<std::string> sent;
  const config::Mailbox& mailbox = *parts.mailbox;
  TemplateVars common = CommonTemplateVars(*ctx.config, mailbox, ticket);
  for (auto& [k, v] : common) vars.emplace(k, v);
  int n = 0;
  for (const Target& t : targets) {
    ++n;
    if (ctx.guard->IsOwnAddress(t.address)) continue;  // would loop back in
    // An agent reads their own language ([[agent]] language).
    const std::string lang =
        ReplyLanguage(*ctx.templates, t.language, mailbox.language);
    TemplateVars v = vars;
    if (due) {
      auto text = FormatLocalTime(*due, mailbox.time_zone, lang);
      if (!text) return core::Fail(text.error());
      v["due_at"] = *text;
    }
    if (template_name == "agent_alert") {
      v["agent_name"] = t.name;
    } else {
      v["escalate_to_name"] = t.name;
    }
    auto rendered = ctx.templates->Render(template_name, lang, mailbox.language,
                                          mailbox.name, ticket.cls, v);
    if (!rendered) return core::Fail(rendered.error());
    ReplySpec spec;
    spec.ticket_id = ticket.Tag();
    spec.ticket_tag = v["ticket_tag"];
    spec.kind = step + "-" + std::to_string(n);
    auto mail = parts.composer.ComposeNotice(t.address, spec, *rendered, now);
    if (!mail) {
      if (mail.error().code == core::Code::kFailedPrecondition ||
          mail.error().code == core::Code::kInvalidArgument) {
        continue;  // an address the composer refuses: not sent, recorded
      }
      return core::Fail(mail.error());
    }
    auto queued = EnqueueMail(*ctx.store, ticket.id, mailbox, template_name,
                              std::move(*mail), step + " of " + ticket.Tag());
    if (!queued) return core::Fail(queued.error());
    sent.push_back(t.address);
  }
  return sent;
}

}  // namespace inboxd::responder
