// notice.h: internal notices (agent_alert, escalation) about a ticket to
// the people a step names: the watcher's warnings, escalations, board and
// R3 alerts, and the planner's POLICY C5 notice of a flagged agent reply.
//
// Each target gets one mail in their [[agent]] language (else the
// mailbox's), with `due` formatted as due_at in that language; never to one
// of our own addresses (it would come back in). Exactly once: the
// Message-ID is per ticket, step and target position, so a repeat is
// "already queued".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"
#include "responder/lifecycle.h"
#include "responder/loop_guard.h"
#include "responder/planner.h"
#include "responder/templates.h"
#include "store/store.h"

namespace inboxd::responder {

// What QueueNotice reads; not owned.
struct NoticeContext {
  store::Store* store = nullptr;
  const config::Config* config = nullptr;
  const TemplateSet* templates = nullptr;
  const LoopGuard* guard = nullptr;
};

// Queues `template_name` ("agent_alert": the target is agent_name;
// otherwise escalate_to_name) about `ticket` from `parts`' mailbox to each
// target; returns the addresses it went to (a repeat counts; empty: none
// configured or all refused by the composer). Errors: the store's, a
// template's.
core::Result<std::vector<std::string>> QueueNotice(
    const NoticeContext& ctx, const store::Ticket& ticket, MailboxParts& parts,
    std::string_view template_name, const std::string& step,
    const std::vector<Target>& targets, TemplateVars vars, core::TimePoint now,
    std::optional<core::TimePoint> due = std::nullopt);

}  // namespace inboxd::responder
