// loop_guard.cc: see loop_guard.h.
#include "responder/loop_guard.h"

#include <re2/re2.h>

#include "core/text.h"

namespace inboxd::responder {

using core::Error;
using core::Fail;

LoopGuard::LoopGuard(LoopGuard&&) noexcept = default;
LoopGuard& LoopGuard::operator=(LoopGuard&&) noexcept = default;
LoopGuard::~LoopGuard() = default;

core::Result<LoopGuard> LoopGuard::Create(
    const config::Responder& responder,
    const std::vector<config::Mailbox>& mailboxes) {
  if (responder.per_ticket_max < 0 || responder.per_sender_per_hour < 0) {
    return Fail(Error::InvalidArgument(
        "responder: per_ticket_max and per_sender_per_hour must be >= 0"));
  }
  LoopGuard g;
  g.per_ticket_max_ = responder.per_ticket_max;
  g.per_sender_per_hour_ = responder.per_sender_per_hour;
  if (!responder.noreply_regex.empty()) {
    g.noreply_ =
        std::make_unique<re2::RE2>(responder.noreply_regex, re2::RE2::Quiet);
    if (!g.noreply_->ok()) {
      return Fail(Error::InvalidArgument("responder.noreply_regex: " +
                                         g.noreply_->error()));
    }
  }
  for (const config::Mailbox& m : mailboxes) {
    if (!m.address.empty()) g.own_.push_back(core::AsciiLower(m.address));
    for (const std::string& a : m.aliases) {
      g.own_.push_back(core::AsciiLower(a));
    }
  }
  return g;
}

bool LoopGuard::IsOwnAddress(std::string_view address) const {
  std::string lower = core::AsciiLower(core::Trim(address));
  for (const std::string& own : own_) {
    if (own == lower) return true;
  }
  return false;
}

core::Result<LoopVerdict> LoopGuard::Check(const LoopCheck& check,
                                           ReplyHistory& history,
                                           core::TimePoint now) const {
  auto refuse = [](std::string reason) {
    return LoopVerdict{false, std::move(reason)};
  };
  std::string rcpt = core::Printable(core::Trim(check.recipient));
  if (check.message_kind != "human") {
    return refuse("message kind '" + core::Printable(check.message_kind) +
                  "' is not human (RFC 3834: no automatic reply to automatic "
                  "mail)");
  }
  if (rcpt.empty()) return refuse("no recipient");
  if (IsOwnAddress(rcpt)) {
    return refuse("recipient " + rcpt + " is one of our own addresses");
  }
  if (noreply_ && re2::RE2::PartialMatch(rcpt, *noreply_)) {
    return refuse("recipient " + rcpt +
                  " matches responder.noreply_regex (no-reply/daemon)");
  }
  auto per_ticket =
      history.CountRepliesForTicket(check.ticket_id, check.reply_kind);
  if (!per_ticket) {
    return Fail(per_ticket.error().Wrap("loop guard: count per ticket"));
  }
  if (*per_ticket >= per_ticket_max_) {
    return refuse("ticket " + core::Printable(check.ticket_id) +
                  " already got " + std::to_string(*per_ticket) + " " +
                  core::Printable(check.reply_kind) + " (limit " +
                  std::to_string(per_ticket_max_) + " per ticket)");
  }
  auto per_sender = history.CountSentTo(rcpt, now - std::chrono::hours(1));
  if (!per_sender) {
    return Fail(per_sender.error().Wrap("loop guard: count per sender"));
  }
  if (*per_sender >= per_sender_per_hour_) {
    return refuse("recipient " + rcpt + " already got " +
                  std::to_string(*per_sender) +
                  " automatic replies in the last hour (limit " +
                  std::to_string(per_sender_per_hour_) + ")");
  }
  return LoopVerdict{true, ""};
}

core::Result<int> MemoryReplyHistory::CountRepliesForTicket(
    std::string_view ticket_id, std::string_view kind) {
  int n = 0;
  for (const Reply& r : replies) n += r.ticket == ticket_id && r.kind == kind;
  return n;
}

core::Result<int> MemoryReplyHistory::CountSentTo(std::string_view address,
                                                  core::TimePoint since) {
  int n = 0;
  for (const Reply& r : replies) {
    n += core::IEquals(r.to, address) && r.at >= since;
  }
  return n;
}

}  // namespace inboxd::responder
