// loop_guard.h: decides whether inboxd may send an automatic reply
// (issue 5 §3, RFC 3834, house rule 7). Every refusal carries a reason string
// for the audit event.
//
// Refuses when: the message kind is not "human" (auto_reply, bounce,
// list_bulk, spam, ... from classify/); the recipient is one of our own
// addresses (mailbox addresses and aliases, case-insensitive); the recipient
// matches responder.noreply_regex; the ticket already got per_ticket_max
// replies of this kind; the recipient already got per_sender_per_hour
// automatic replies in the sliding hour before now. The counts come from
// ReplyHistory (the store implements it), so the guard is testable with a
// fake. A counting failure refuses (fail closed) and returns the error.
//
// Not here: recognising automatic mail (classify/), sending.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"

namespace re2 {
class RE2;
}

namespace inboxd::responder {

// What the guard needs to know about earlier replies.
class ReplyHistory {
 public:
  virtual ~ReplyHistory() = default;
  // Automatic replies of `kind` already sent or queued for `ticket_id`.
  virtual core::Result<int> CountRepliesForTicket(std::string_view ticket_id,
                                                  std::string_view kind) = 0;
  // Automatic replies sent or queued to `address` (case-insensitive) at or
  // after `since`.
  virtual core::Result<int> CountSentTo(std::string_view address,
                                        core::TimePoint since) = 0;
};

// An in-memory ReplyHistory over `replies` (replay, tests). Never fails.
// Not thread-safe.
class MemoryReplyHistory : public ReplyHistory {
 public:
  struct Reply {
    std::string ticket, kind, to;
    core::TimePoint at;
  };
  std::vector<Reply> replies;

  core::Result<int> CountRepliesForTicket(std::string_view ticket_id,
                                          std::string_view kind) override;
  core::Result<int> CountSentTo(std::string_view address,
                                core::TimePoint since) override;
};

struct LoopCheck {
  std::string message_kind;  // classify's kind: "human" may be answered
  std::string recipient;     // the address the reply would go to
  std::string ticket_id;
  std::string reply_kind = "ack";  // which reply ("ack", "csat", ...)
};

struct LoopVerdict {
  bool allowed = false;
  std::string reason;  // "" when allowed; else for the audit event
};

class LoopGuard {
 public:
  // Compiles the no-reply regex and collects our own addresses (every
  // mailbox address and alias). kInvalidArgument on a bad regex or negative
  // limits.
  static core::Result<LoopGuard> Create(
      const config::Responder& responder,
      const std::vector<config::Mailbox>& mailboxes);
  LoopGuard(LoopGuard&&) noexcept;
  LoopGuard& operator=(LoopGuard&&) noexcept;
  ~LoopGuard();

  // Returns the verdict for one intended reply at `now`. Fails (and the
  // caller must not send) only when `history` fails.
  core::Result<LoopVerdict> Check(const LoopCheck& check, ReplyHistory& history,
                                  core::TimePoint now) const;

  // True when `address` is one of our own addresses.
  bool IsOwnAddress(std::string_view address) const;

 private:
  LoopGuard() = default;
  std::unique_ptr<re2::RE2> noreply_;
  std::vector<std::string> own_;  // lower case
  int per_ticket_max_ = 1;
  int per_sender_per_hour_ = 5;
};

}  // namespace inboxd::responder
