#include "classify/thread.h"

#include <re2/re2.h>

#include <algorithm>
#include <chrono>

#include "core/text.h"

namespace inboxd::classify {
namespace {

// Reply and forward prefixes of common clients and languages.
const re2::RE2& ReplyPrefix() {
  static const re2::RE2 re(
      "(?i)^\\s*(?:re|fwd?|aw|wg|sv|vs|vb|r|i|antw|antwort|ref|tr|rv|res|enc|"
      "odp|pd|ynt|ilt|atb|vá|rif|doorst|fs|转发|轉發|转寄|轉寄|回复|回覆|答复|"
      "答覆|返信|転送|ответ|отв|пересл|پاسخ|رد|fw|forward)"
      "\\s*(?:\\[\\d+\\]|\\(\\d+\\))?\\s*[:：]\\s*");
  return re;
}

const re2::RE2& BracketTag() {
  static const re2::RE2 re("^\\s*\\[[^\\]]{0,80}\\]\\s*");
  return re;
}

std::string EscapeRegex(std::string_view s) {
  return re2::RE2::QuoteMeta(re2::StringPiece(s.data(), s.size()));
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string TicketRef::ToString() const {
  if (number == 0) return "";
  return prefix + "-" + std::to_string(number);
}

void InMemoryThreadLookup::AddTicket(const TicketRef& ticket) {
  tickets_.push_back(ticket);
}
void InMemoryThreadLookup::AddMessageId(std::string message_id,
                                        const TicketRef& ticket) {
  by_message_id_[std::move(message_id)] = ticket;
}
void InMemoryThreadLookup::AddThreadIndex(std::string base,
                                          const TicketRef& ticket) {
  by_thread_index_[core::AsciiLower(base)] = ticket;
}
void InMemoryThreadLookup::AddSubject(std::string customer,
                                      std::string normalized_subject,
                                      core::TimePoint at,
                                      const TicketRef& ticket) {
  by_subject_.push_back(
      {core::AsciiLower(customer), std::move(normalized_subject), at, ticket});
}

core::Result<std::optional<TicketRef>> InMemoryThreadLookup::ByTag(
    std::string_view prefix, int64_t number) const {
  for (const TicketRef& t : tickets_) {
    if (core::IEquals(t.prefix, prefix) && t.number == number) return t;
  }
  return std::nullopt;
}

core::Result<std::optional<TicketRef>> InMemoryThreadLookup::ByMessageId(
    std::string_view message_id) const {
  auto it = by_message_id_.find(std::string(message_id));
  if (it == by_message_id_.end()) return std::nullopt;
  return it->second;
}

core::Result<std::optional<TicketRef>> InMemoryThreadLookup::ByThreadIndex(
    std::string_view base) const {
  auto it = by_thread_index_.find(core::AsciiLower(base));
  if (it == by_thread_index_.end()) return std::nullopt;
  return it->second;
}

core::Result<std::optional<TicketRef>> InMemoryThreadLookup::BySubject(
    std::string_view customer, std::string_view normalized_subject,
    core::TimePoint since) const {
  std::optional<TicketRef> best;
  core::TimePoint best_at{};
  for (const SubjectEntry& e : by_subject_) {
    if (e.customer != core::AsciiLower(customer) ||
        e.subject != normalized_subject || e.at < since) {
      continue;
    }
    if (!best || e.at >= best_at) {
      best = e.ticket;
      best_at = e.at;
    }
  }
  return best;
}

std::optional<TicketTag> FindTicketTag(std::string_view subject,
                                       std::string_view format) {
  size_t p = format.find("{prefix}");
  size_t n = format.find("{number}");
  if (n == std::string_view::npos) return std::nullopt;
  // Build the regex from the literal pieces around the placeholders.
  std::string re_text;
  bool prefix_first = p != std::string_view::npos && p < n;
  size_t pos = 0;
  auto literal_until = [&](size_t end) {
    re_text += EscapeRegex(format.substr(pos, end - pos));
  };
  if (p == std::string_view::npos) {
    literal_until(n);
    re_text += "()(\\d{1,12})";
    pos = n + 8;
  } else if (prefix_first) {
    literal_until(p);
    re_text += "([A-Za-z][A-Za-z0-9]{0,15})";
    pos = p + 8;
    literal_until(n);
    re_text += "(\\d{1,12})";
    pos = n + 8;
  } else {
    literal_until(n);
    re_text += "(\\d{1,12})";
    pos = n + 8;
    literal_until(p);
    re_text += "([A-Za-z][A-Za-z0-9]{0,15})";
    pos = p + 8;
  }
  re_text += EscapeRegex(format.substr(pos));
  re2::RE2::Options opts;
  opts.set_case_sensitive(false);
  opts.set_log_errors(false);
  re2::RE2 re(re_text, opts);
  if (!re.ok()) return std::nullopt;
  std::string a, b;
  if (!re2::RE2::PartialMatch(
          re2::StringPiece(subject.data(),
                           std::min(subject.size(), kSubjectMaxBytes)),
          re, &a, &b)) {
    return std::nullopt;
  }
  TicketTag tag;
  std::string digits = (p == std::string_view::npos || prefix_first) ? b : a;
  tag.prefix = (p == std::string_view::npos) ? "" : (prefix_first ? a : b);
  tag.number = std::stoll(digits);  // 1..12 digits: fits
  return tag;
}

std::string NormalizeSubject(std::string_view subject, bool* had_prefix) {
  if (had_prefix != nullptr) *had_prefix = false;
  std::string s(core::Trim(subject.substr(0, kSubjectMaxBytes)));
  re2::StringPiece rest;
  for (int guard = 0; guard < 50; ++guard) {
    re2::StringPiece in(s);
    if (re2::RE2::Consume(&in, ReplyPrefix())) {
      if (had_prefix != nullptr) *had_prefix = true;
    } else if (!re2::RE2::Consume(&in, BracketTag())) {
      break;
    }
    s = std::string(in.data(), in.size());
  }
  // Collapse whitespace and fold ASCII case.
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(core::AsciiLower(c));
  }
  return out;
}

std::optional<std::string> ThreadIndexBase(std::string_view thread_index) {
  std::string bytes;
  int bits = 0;
  unsigned acc = 0;
  for (char c : core::Trim(thread_index)) {
    if (c == '=') break;
    int v = Base64Value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
    if (bytes.size() >= kThreadIndexBaseBytes) break;
  }
  if (bytes.size() < kThreadIndexBaseBytes) return std::nullopt;
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : bytes) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 15]);
  }
  return hex;
}

bool IsOurMessageId(std::string_view message_id,
                    const std::vector<std::string>& our_domains) {
  size_t at = message_id.rfind('@');
  if (at == std::string_view::npos || at == 0) return false;
  // Our shape (responder/composer.h MakeMessageId): "inboxd.<ticket>.<kind>.
  // <token>@<domain>". The domain alone is not enough: agents' own clients
  // (Thunderbird, Outlook) write Message-IDs at the same domain.
  std::string_view local = core::Trim(message_id.substr(0, at));
  while (!local.empty() && local.front() == '<') local.remove_prefix(1);
  if (!core::IStartsWith(local, "inboxd.")) return false;
  std::string_view domain = core::Trim(message_id.substr(at + 1));
  while (!domain.empty() && domain.back() == '>') domain.remove_suffix(1);
  for (const std::string& d : our_domains) {
    if (!d.empty() && core::IEquals(domain, d)) return true;
  }
  return false;
}

std::vector<std::string> ConversationDomains(const config::Config& config) {
  std::vector<std::string> out = OurMessageIdDomains(config);
  auto add = [&out](std::string d) {
    d = core::AsciiLower(core::Trim(d));
    if (d.empty()) return;
    if (std::find(out.begin(), out.end(), d) == out.end()) {
      out.push_back(std::move(d));
    }
  };
  for (const config::Mailbox& m : config.mailboxes) {
    add(core::Address{"", m.address}.Domain());
  }
  for (const std::string& d : config.classify.agent_domains) add(d);
  for (const config::Agent& a : config.agents) {
    add(core::Address{"", a.address}.Domain());
  }
  return out;
}

bool IsAtDomain(std::string_view message_id,
                const std::vector<std::string>& domains) {
  size_t at = message_id.rfind('@');
  if (at == std::string_view::npos || at == 0) return false;
  std::string_view domain = core::Trim(message_id.substr(at + 1));
  while (!domain.empty() && domain.back() == '>') domain.remove_suffix(1);
  for (const std::string& d : domains) {
    if (d.empty() || domain.size() < d.size()) continue;
    if (!core::IEquals(domain.substr(domain.size() - d.size()), d)) continue;
    // "shop.example" or a subdomain such as "mail.shop.example".
    if (domain.size() == d.size() ||
        domain[domain.size() - d.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

std::string TicketPrefix(const config::Config& config,
                         const std::string& mailbox) {
  auto it = config.classify.ticket_prefix.find(mailbox);
  if (it != config.classify.ticket_prefix.end() && !it->second.empty()) {
    return it->second;
  }
  std::string p;
  for (char c : mailbox) {
    if ((c >= 'a' && c <= 'z')) {
      p.push_back(static_cast<char>(c - 'a' + 'A'));
    } else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      p.push_back(c);
    }
  }
  return p.empty() ? std::string("T") : p;
}

std::vector<std::string> OurMessageIdDomains(const config::Config& config) {
  std::vector<std::string> out = config.classify.own_domains;
  if (!config.responder.message_id_domain.empty()) {
    out.push_back(config.responder.message_id_domain);
  } else {
    for (const config::Mailbox& m : config.mailboxes) {
      core::Address a{"", m.address};
      if (!a.Domain().empty()) out.push_back(a.Domain());
    }
  }
  return out;
}

core::Result<ThreadResult> ResolveThread(const core::Message& msg,
                                         const config::Config& config,
                                         const ThreadLookup& lookup,
                                         core::TimePoint now) {
  ThreadResult r;
  // 1. Ticket tag in the subject.
  if (auto tag =
          FindTicketTag(msg.subject, config.classify.ticket_tag_format)) {
    auto found = lookup.ByTag(tag->prefix, tag->number);
    if (!found) return core::Fail(found.error());
    std::string shown = tag->prefix + "-" + std::to_string(tag->number);
    if (*found) {
      r.followup = true;
      r.ticket = **found;
      r.notes.push_back("thread.ticket_tag: subject carries ticket " + shown);
      return r;
    }
    // A tag with one of our prefixes (configured, or derived from a
    // mailbox name) is ours even if the store lost it.
    std::vector<std::pair<std::string, std::string>> ours(
        config.classify.ticket_prefix.begin(),
        config.classify.ticket_prefix.end());
    for (const config::Mailbox& box : config.mailboxes) {
      ours.emplace_back(box.name, TicketPrefix(config, box.name));
    }
    for (const auto& [box, prefix] : ours) {
      if (core::IEquals(prefix, tag->prefix)) {
        r.followup = true;
        r.ticket = TicketRef{tag->prefix, tag->number, box};
        r.notes.push_back("thread.ticket_tag: subject carries our tag " +
                          shown + " (ticket not in store)");
        return r;
      }
    }
  }
  // 2. In-Reply-To and References against stored Message-IDs; 3. ours.
  std::vector<std::string_view> refs;
  if (!msg.in_reply_to.empty()) refs.push_back(msg.in_reply_to);
  for (auto it = msg.references.rbegin(); it != msg.references.rend(); ++it) {
    refs.push_back(*it);
  }
  for (std::string_view id : refs) {
    auto found = lookup.ByMessageId(id);
    if (!found) return core::Fail(found.error());
    if (*found) {
      r.followup = true;
      r.ticket = **found;
      r.notes.push_back("thread.references: refers to stored message <" +
                        core::Printable(id.substr(0, 200)) + ">");
      return r;
    }
  }
  // A reference to a Message-ID at one of our domains (our own ids, our
  // agents' clients, the shop's systems): the customer answers us, even when
  // the original predates inboxd or was sent around it.
  std::vector<std::string> ours = ConversationDomains(config);
  for (std::string_view id : refs) {
    if (IsAtDomain(id, ours)) {
      r.followup = true;
      r.notes.push_back("thread.own_domain_reference: refers to <" +
                        core::Printable(id.substr(0, 200)) +
                        ">, a message from our domain (not in the store)");
      return r;
    }
  }
  // 4. Outlook Thread-Index conversation.
  if (const std::string* ti = msg.Header("Thread-Index")) {
    if (auto base = ThreadIndexBase(*ti)) {
      auto found = lookup.ByThreadIndex(*base);
      if (!found) return core::Fail(found.error());
      if (*found) {
        r.followup = true;
        r.ticket = **found;
        r.notes.push_back("thread.thread_index: Outlook conversation of " +
                          (*found)->ToString());
        return r;
      }
    }
  }
  // 5. Normalized subject of a reply from the same customer, within window.
  bool had_prefix = false;
  std::string norm = NormalizeSubject(msg.subject, &had_prefix);
  if (had_prefix && !norm.empty() && !msg.from.empty()) {
    core::TimePoint at = msg.date.value_or(now);
    core::TimePoint since =
        at - std::chrono::days(config.classify.thread_window_days);
    auto found = lookup.BySubject(core::AsciiLower(msg.from.addr), norm, since);
    if (!found) return core::Fail(found.error());
    if (*found) {
      r.followup = true;
      r.ticket = **found;
      r.notes.push_back("thread.subject: same customer and subject as " +
                        (*found)->ToString() + " within " +
                        std::to_string(config.classify.thread_window_days) +
                        " days");
      return r;
    }
  }
  if (had_prefix || !refs.empty()) {
    r.notes.push_back(
        "thread.unknown_reply: a reply to a message we never saw; treated as "
        "a first contact");
  }
  return r;
}

}  // namespace inboxd::classify
