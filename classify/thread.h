// thread.h: which ticket a message belongs to (issue 4 §3).
//
// ResolveThread looks, in order, for: a ticket tag in the subject (format
// classify.ticket_tag_format), In-Reply-To/References known to the store, a
// reference to a Message-ID at one of our domains (ConversationDomains: our
// own ids, agents' clients) even when the store has no record of it (issue
// 8: a customer answering an agent's mail sent before inboxd ran), an Outlook
// Thread-Index conversation, and finally the normalized subject of a reply from
// the same customer within classify.thread_window_days. A hit is a follow-up:
// an event on its ticket, never a new ticket and never a new acknowledgement.
//
// A reply to something we never saw (In-Reply-To of a foreign message, "Re:"
// subject, no ticket) is `new`: for inboxd it is a first contact, and the
// customer gets an acknowledgement (POLICY A2). The reason list says so.
//
// ThreadLookup is the store seam: the lead implements it over store::Store;
// InMemoryThreadLookup serves replay and tests. No I/O here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/message.h"

namespace inboxd::classify {

// Outlook Thread-Index: base64 of a 22-byte conversation header plus 5 bytes
// per reply; the 22-byte header identifies the conversation.
inline constexpr size_t kThreadIndexBaseBytes = 22;
// Longest subject fed to subject matching.
inline constexpr size_t kSubjectMaxBytes = 1000;

struct TicketRef {
  std::string prefix;   // "S"
  int64_t number = 0;   // 1042 (0 when only a Message-ID of ours is known)
  std::string mailbox;  // mailbox name, "" when unknown

  // "S-1042"; "" when number is 0.
  std::string ToString() const;
  bool operator==(const TicketRef&) const = default;
};

// Lookups against stored tickets. Each returns the ticket, std::nullopt when
// there is none, or an error (kUnavailable: retry later) from the store.
class ThreadLookup {
 public:
  virtual ~ThreadLookup() = default;
  virtual core::Result<std::optional<TicketRef>> ByTag(
      std::string_view prefix, int64_t number) const = 0;
  // `message_id` without angle brackets.
  virtual core::Result<std::optional<TicketRef>> ByMessageId(
      std::string_view message_id) const = 0;
  // `base` = lower-case hex of the first kThreadIndexBaseBytes bytes.
  virtual core::Result<std::optional<TicketRef>> ByThreadIndex(
      std::string_view base) const = 0;
  // Latest ticket of `customer` (lower-case address) whose normalized
  // subject equals `normalized_subject`, active at or after `since`.
  virtual core::Result<std::optional<TicketRef>> BySubject(
      std::string_view customer, std::string_view normalized_subject,
      core::TimePoint since) const = 0;
};

// In-memory ThreadLookup for replay and tests. Not thread-safe.
class InMemoryThreadLookup : public ThreadLookup {
 public:
  void AddTicket(const TicketRef& ticket);
  void AddMessageId(std::string message_id, const TicketRef& ticket);
  void AddThreadIndex(std::string base, const TicketRef& ticket);
  void AddSubject(std::string customer, std::string normalized_subject,
                  core::TimePoint at, const TicketRef& ticket);

  core::Result<std::optional<TicketRef>> ByTag(std::string_view prefix,
                                               int64_t number) const override;
  core::Result<std::optional<TicketRef>> ByMessageId(
      std::string_view message_id) const override;
  core::Result<std::optional<TicketRef>> ByThreadIndex(
      std::string_view base) const override;
  core::Result<std::optional<TicketRef>> BySubject(
      std::string_view customer, std::string_view normalized_subject,
      core::TimePoint since) const override;

 private:
  struct SubjectEntry {
    std::string customer;
    std::string subject;
    core::TimePoint at;
    TicketRef ticket;
  };
  std::vector<TicketRef> tickets_;
  std::map<std::string, TicketRef> by_message_id_;
  std::map<std::string, TicketRef> by_thread_index_;
  std::vector<SubjectEntry> by_subject_;
};

// A ticket tag found in a subject.
struct TicketTag {
  std::string prefix;
  int64_t number = 0;
};

// Finds the first tag of `format` ("[#{prefix}-{number}]": literal text with
// the placeholders {prefix} = letters/digits starting with a letter, and
// {number} = 1..12 digits) in `subject`. Returns nullopt when there is none
// or the format lacks {number}.
std::optional<TicketTag> FindTicketTag(std::string_view subject,
                                       std::string_view format);

// Strips reply/forward prefixes (Re:, RE:, Fwd:, FW:, AW:, WG:, SV:, VS:, R:,
// I:, Antw:, Ref:, 回复：, 答复：, 回覆：, 转发：, پاسخ:, رد:, ...; repeated,
// with counters like "Re[2]:") and leading bracketed [tags], collapses
// whitespace and lower-cases ASCII. `had_prefix` is set when a reply or
// forward prefix was removed.
std::string NormalizeSubject(std::string_view subject,
                             bool* had_prefix = nullptr);

// Lower-case hex of the conversation part of an Outlook Thread-Index value;
// nullopt when it is not base64 or shorter than kThreadIndexBaseBytes.
std::optional<std::string> ThreadIndexBase(std::string_view thread_index);

// True when `message_id` has the shape of the ids inboxd writes
// ("inboxd.<ticket>.<kind>.<token>@domain", responder/composer.h) and one of
// `our_domains` as its domain (exact, case-insensitive). Agents' clients
// write other ids at the same domain: those are not ours.
bool IsOurMessageId(std::string_view message_id,
                    const std::vector<std::string>& our_domains);

// The Message-ID domains that are ours: classify.own_domains plus
// responder.message_id_domain (or, when that is empty, the domain of every
// mailbox address).
std::vector<std::string> OurMessageIdDomains(const config::Config& config);

// The ticket number prefix of `mailbox`: classify.ticket_prefix[mailbox],
// else the mailbox name upper-cased with everything but letters and digits
// dropped ("support" -> "SUPPORT"; "T" when nothing is left).
std::string TicketPrefix(const config::Config& config,
                         const std::string& mailbox);

struct ThreadResult {
  bool followup = false;
  std::optional<TicketRef> ticket;  // set when the ticket is known
  std::vector<std::string> notes;   // human-readable, for reasons
};

// The domains whose Message-IDs mark a conversation with us:
// OurMessageIdDomains plus every mailbox address domain,
// classify.agent_domains and every agent address domain (lower case).
std::vector<std::string> ConversationDomains(const config::Config& config);

// True when the domain of `message_id` is one of `domains` or a subdomain
// of one ("mail.shop.example" for "shop.example"), case-insensitively.
bool IsAtDomain(std::string_view message_id,
                const std::vector<std::string>& domains);

// Resolves the thread of `msg` as described at the top of this file.
// A tag whose prefix is any configured classify.ticket_prefix counts even
// when the store has no such ticket. `now` is used when the message has no
// Date. Failure: the lookup's error.
core::Result<ThreadResult> ResolveThread(const core::Message& msg,
                                         const config::Config& config,
                                         const ThreadLookup& lookup,
                                         core::TimePoint now);

}  // namespace inboxd::classify
