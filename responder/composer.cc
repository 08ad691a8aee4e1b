// composer.cc: see composer.h.
#include "responder/composer.h"

#include <date/date.h>
#include <openssl/crypto.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>

#include "core/hash.h"
#include "core/text.h"
#include "responder/mime_encoding.h"

namespace inboxd::responder {
namespace {

using core::Error;
using core::Fail;
using core::Result;

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool IsToken(std::string_view s) {
  return !s.empty() && s.size() <= 64 &&
         std::all_of(s.begin(), s.end(), IsTokenChar);
}

// The HMAC token of our Message-IDs.
std::string IdToken(std::string_view key, std::string_view ticket_id,
                    std::string_view kind) {
  return core::HmacSha256Hex(key,
                             std::string(ticket_id) + "|" + std::string(kind))
      .substr(0, kMessageIdTokenHex);
}

// A message id as found in the original (no brackets): printable ASCII, no
// spaces or brackets, bounded length.
bool IsCleanMessageId(std::string_view id) {
  if (id.empty() || id.size() > kMaxMessageIdLength) return false;
  for (char ch : id) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 32 || c >= 127 || c == '<' || c == '>' || c == '"' || c == '\\') {
      return false;
    }
  }
  return true;
}

// Cuts `s` to at most `max` bytes at a UTF-8 boundary.
std::string CutUtf8(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n));
}

std::string CleanText(std::string_view s) {
  std::string clean = core::StripCrLf(core::SanitizeUtf8(s));
  // Tabs and other controls become spaces; collapse runs.
  std::string out;
  bool space = false;
  for (char ch : clean) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c < 32 || c == 127) {
      space = true;
      continue;
    }
    if (c == ' ') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += ch;
  }
  return out;
}

// Removes leading "Re:", "AW:", "Fwd:", "WG:", "回复:", ... for Thread-Topic.
std::string StripReplyPrefixes(std::string_view s) {
  static const std::array<std::string_view, 10> kPrefixes = {
      "re:", "aw:",   "fwd:",   "fw:",   "wg:",
      "sv:", "回复:", "回复：", "答复:", "پاسخ:"};
  std::string out(core::Trim(s));
  for (bool again = true; again;) {
    again = false;
    for (std::string_view p : kPrefixes) {
      if (core::IStartsWith(out, p)) {
        out = std::string(core::Trim(std::string_view(out).substr(p.size())));
        again = true;
      }
    }
  }
  return out;
}

void PutBe(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    out += static_cast<char>((v >> (8 * i)) & 0xFF);
  }
}

uint64_t FileTime(core::TimePoint t) {
  // 100 ns ticks since 1601-01-01.
  constexpr int64_t kEpochDiff = 11644473600;
  int64_t s = t.time_since_epoch().count() + kEpochDiff;
  return s < 0 ? 0 : static_cast<uint64_t>(s) * 10000000ull;
}

std::string AddressField(std::string_view name, std::string_view display,
                         std::string_view addr, Result<std::string>* err) {
  std::vector<std::string> tokens = DisplayNameTokens(display);
  tokens.push_back("<" + std::string(addr) + ">");
  auto h = FoldHeader(name, tokens);
  if (!h) {
    *err = Fail(h.error());
    return "";
  }
  return *h;
}

// Checks the 998-octet rule and that every line ends in CRLF.
core::Status CheckWireFormat(std::string_view raw) {
  size_t start = 0;
  while (start < raw.size()) {
    size_t nl = raw.find('\n', start);
    if (nl == std::string_view::npos || nl == start || raw[nl - 1] != '\r') {
      return Fail(Error::Internal("composer: bare LF or missing final CRLF"));
    }
    std::string_view line = raw.substr(start, nl - 1 - start);
    if (line.find('\r') != std::string_view::npos) {
      return Fail(Error::Internal("composer: bare CR"));
    }
    if (line.size() > kMaxLineOctets) {
      return Fail(Error::Internal("composer: line over 998 octets"));
    }
    start = nl + 1;
  }
  return core::Ok();
}

// One MIME body part (headers + encoded body) for `text` of `type`.
std::string EncodedPart(std::string_view type, std::string_view text) {
  std::string crlf = NormalizeCrlf(text);
  size_t non_ascii = 0;
  for (char c : crlf) non_ascii += static_cast<unsigned char>(c) >= 0x80;
  bool b64 = non_ascii * 4 > crlf.size();  // mostly CJK / Persian
  std::string out = "Content-Type: " + std::string(type) +
                    "; charset=utf-8\r\nContent-Transfer-Encoding: ";
  if (b64) {
    out += "base64\r\n\r\n" + Base64Encode(crlf);
  } else {
    out += "quoted-printable\r\n\r\n" + QuotedPrintableEncode(crlf);
  }
  if (!out.ends_with("\r\n")) out += "\r\n";
  return out;
}

// The original message as an attachment: message/rfc822 when it can go as
// it is (7-bit, lines within the limit; RFC 2046 §5.2.1 allows no other
// encoding for it), else its bytes in base64 as "original.eml".
std::string AttachedMessage(std::string_view raw) {
  std::string crlf = NormalizeCrlf(raw);
  bool plain = true;
  size_t line = 0;
  for (char ch : crlf) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == 0 || c >= 0x80) plain = false;
    line = c == '\n' ? 0 : line + 1;
    if (line > kMaxLineOctets + 1) plain = false;
  }
  if (plain) {
    return "Content-Type: message/rfc822\r\n"
           "Content-Disposition: attachment; filename=\"original.eml\"\r\n"
           "\r\n" +
           crlf;
  }
  std::string out =
      "Content-Type: application/octet-stream; name=\"original.eml\"\r\n"
      "Content-Disposition: attachment; filename=\"original.eml\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      Base64Encode(raw);
  if (!out.ends_with("\r\n")) out += "\r\n";
  return out;
}

}  // namespace

bool IsValidAddress(std::string_view addr) {
  if (addr.size() < 3 || addr.size() > 254) return false;
  size_t at = addr.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == addr.size())
    return false;
  if (addr.find('@') != at) return false;
  std::string_view local = addr.substr(0, at);
  std::string_view domain = addr.substr(at + 1);
  if (local.size() > 64) return false;
  for (char ch : local) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 32 || c >= 127) return false;
    if (std::string_view("<>()[]\\,;:\"").find(ch) != std::string_view::npos)
      return false;
  }
  if (local.front() == '.' || local.back() == '.') return false;
  if (domain.front() == '.' || domain.back() == '.' || domain.front() == '-')
    return false;
  for (char c : domain) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '-' || c == '.'))
      return false;
  }
  return domain.find("..") == std::string_view::npos;
}

std::string FormatRfc5322Date(core::TimePoint t) {
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed",
                                      "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr",
                                        "May", "Jun", "Jul", "Aug",
                                        "Sep", "Oct", "Nov", "Dec"};
  auto day = date::floor<date::days>(t);
  date::year_month_day ymd{day};
  date::hh_mm_ss<std::chrono::seconds> hms{t - day};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d +0000",
                kDays[date::weekday(day).c_encoding()], unsigned(ymd.day()),
                kMonths[unsigned(ymd.month()) - 1], int(ymd.year()),
                int(hms.hours().count()), int(hms.minutes().count()),
                int(hms.seconds().count()));
  return buf;
}

std::string ReplyThreadIndex(std::string_view original_index,
                             core::TimePoint thread_start, core::TimePoint now,
                             std::string_view seed) {
  constexpr size_t kHeaderBlock = 22;
  constexpr size_t kChildBlock = 5;
  constexpr size_t kMaxBlocks = 64;
  std::string bytes;
  if (auto decoded = Base64Decode(original_index);
      decoded && decoded->size() >= kHeaderBlock &&
      (decoded->size() - kHeaderBlock) % kChildBlock == 0 &&
      decoded->size() < kHeaderBlock + kChildBlock * kMaxBlocks) {
    bytes = *decoded;
  } else {
    // New header block: the top 6 bytes of the FILETIME, then a GUID.
    PutBe(bytes, FileTime(thread_start) >> 16, 6);
    std::string hash = core::Sha256Hex(seed);
    for (size_t i = 0; i < 16; ++i) {
      bytes += static_cast<char>(std::stoi(hash.substr(2 * i, 2), nullptr, 16));
    }
  }
  uint64_t header_time = 0;
  for (size_t i = 0; i < 6; ++i) {
    header_time = (header_time << 8) | static_cast<unsigned char>(bytes[i]);
  }
  header_time <<= 16;
  uint64_t now_ft = FileTime(now);
  uint64_t delta = now_ft > header_time ? now_ft - header_time : 0;
  uint32_t block;
  if ((delta >> 49) == 0) {
    block = static_cast<uint32_t>((delta >> 18) & 0x7FFFFFFF);
  } else {
    block = 0x80000000u | static_cast<uint32_t>((delta >> 23) & 0x7FFFFFFF);
  }
  PutBe(bytes, block, 4);
  std::string hash = core::Sha256Hex(std::string(seed) + "|child");
  bytes += static_cast<char>(std::stoi(hash.substr(0, 2), nullptr, 16));
  return Base64Encode(bytes, 0);
}

Result<std::string> MakeMessageId(std::string_view key, std::string_view domain,
                                  std::string_view ticket_id,
                                  std::string_view kind) {
  if (key.empty()) {
    return Fail(Error::InvalidArgument("message id: empty hmac key"));
  }
  if (!IsToken(ticket_id) || !IsToken(kind)) {
    return Fail(Error::InvalidArgument(
        "message id: ticket '" + core::Printable(ticket_id) + "' or kind '" +
        core::Printable(kind) + "' not [A-Za-z0-9_-]+"));
  }
  if (!IsValidAddress("x@" + std::string(domain))) {
    return Fail(Error::InvalidArgument("message id: bad domain '" +
                                       core::Printable(domain) + "'"));
  }
  return "inboxd." + std::string(ticket_id) + "." + std::string(kind) + "." +
         IdToken(key, ticket_id, kind) + "@" + core::AsciiLower(domain);
}

bool IsOurMessageId(std::string_view id, std::string_view key,
                    std::string_view domain) {
  id = core::Trim(id);
  if (id.size() >= 2 && id.front() == '<' && id.back() == '>') {
    id = id.substr(1, id.size() - 2);
  }
  if (key.empty() || id.size() > kMaxMessageIdLength) return false;
  size_t at = id.rfind('@');
  if (at == std::string_view::npos || !core::IEquals(id.substr(at + 1), domain))
    return false;
  std::vector<std::string_view> parts = core::Split(id.substr(0, at), '.');
  if (parts.size() != 4 || parts[0] != "inboxd") return false;
  if (!IsToken(parts[1]) || !IsToken(parts[2])) return false;
  std::string want_token = IdToken(key, parts[1], parts[2]);
  std::string_view got_token = parts[3];
  if (got_token.size() != want_token.size()) return false;
  return CRYPTO_memcmp(got_token.data(), want_token.data(), got_token.size()) ==
         0;
}

Composer::Composer(Composer&&) noexcept = default;
Composer& Composer::operator=(Composer&&) noexcept = default;
Composer::~Composer() = default;

Result<Composer> Composer::Create(ComposerOptions options) {
  if (!IsValidAddress(options.mailbox_address)) {
    return Fail(
        Error::InvalidArgument("composer: mailbox address '" +
                               core::Printable(options.mailbox_address) +
                               "' is not a plain addr-spec"));
  }
  if (options.hmac_key.empty()) {
    return Fail(Error::InvalidArgument(
        "composer: responder.hmac_key_file gives an empty key"));
  }
  if (!options.envelope_sender.empty() && options.envelope_sender != "<>" &&
      !IsValidAddress(options.envelope_sender)) {
    return Fail(
        Error::InvalidArgument("composer: envelope sender '" +
                               core::Printable(options.envelope_sender) +
                               "' is not an address or <>"));
  }
  Composer c;
  c.domain_ = options.message_id_domain.empty()
                  ? core::Address{"", options.mailbox_address}.Domain()
                  : core::AsciiLower(options.message_id_domain);
  if (!IsValidAddress("x@" + c.domain_)) {
    return Fail(Error::InvalidArgument("composer: bad message id domain '" +
                                       core::Printable(c.domain_) + "'"));
  }
  if (!options.noreply_regex.empty()) {
    c.noreply_ =
        std::make_unique<re2::RE2>(options.noreply_regex, re2::RE2::Quiet);
    if (!c.noreply_->ok()) {
      return Fail(Error::InvalidArgument("composer: responder.noreply_regex: " +
                                         c.noreply_->error()));
    }
  }
  options.own_addresses.push_back(options.mailbox_address);
  c.options_ = std::move(options);
  return c;
}

bool Composer::IsOwn(std::string_view addr) const {
  for (const std::string& own : options_.own_addresses) {
    if (core::IEquals(own, addr)) return true;
  }
  return false;
}

const std::string& Composer::FromName(std::string_view language) const {
  auto it = options_.display_names.find(language);
  return it != options_.display_names.end() ? it->second
                                            : options_.display_name;
}

Result<core::Address> Composer::ReplyRecipient(
    const core::Message& original) const {
  core::Address to;
  for (const core::Address& a : original.reply_to) {
    if (!a.empty()) {
      to = a;
      break;
    }
  }
  if (to.empty()) to = original.from;
  std::string addr(core::Trim(to.addr));
  if (addr.empty()) {
    return Fail(Error::FailedPrecondition("no Reply-To or From to answer"));
  }
  if (!IsValidAddress(addr)) {
    return Fail(Error::FailedPrecondition(
        "recipient '" + core::Printable(addr) + "' is not a plain address"));
  }
  if (noreply_ && re2::RE2::PartialMatch(addr, *noreply_)) {
    return Fail(Error::FailedPrecondition("recipient '" + addr +
                                          "' is a no-reply address"));
  }
  if (IsOwn(addr)) {
    return Fail(Error::FailedPrecondition("recipient '" + addr +
                                          "' is one of our own addresses"));
  }
  to.addr = addr;
  return to;
}

Result<OutgoingMail> Composer::ComposeReply(const core::Message& original,
                                            const ReplySpec& spec,
                                            const RenderedTemplate& body,
                                            core::TimePoint now) const {
  auto to = ReplyRecipient(original);
  if (!to) return Fail(to.error());
  return Build(*to, &original, spec, body, now);
}

Result<OutgoingMail> Composer::ComposeNotice(std::string_view to,
                                             const ReplySpec& spec,
                                             const RenderedTemplate& body,
                                             core::TimePoint now) const {
  std::string addr(core::Trim(to));
  if (!IsValidAddress(addr)) {
    return Fail(Error::FailedPrecondition(
        "notice recipient '" + core::Printable(addr) + "' is not an address"));
  }
  return Build(core::Address{"", addr}, nullptr, spec, body, now);
}

Result<OutgoingMail> Composer::ComposeAssignment(std::string_view to,
                                                 const core::Message& original,
                                                 std::string_view original_raw,
                                                 const core::Address& customer,
                                                 const ReplySpec& spec,
                                                 const RenderedTemplate& body,
                                                 core::TimePoint now) const {
  std::string addr(core::Trim(to));
  if (!IsValidAddress(addr)) {
    return Fail(Error::FailedPrecondition("assignee '" + core::Printable(addr) +
                                          "' is not an address"));
  }
  if (!IsValidAddress(customer.addr)) {
    return Fail(Error::FailedPrecondition("customer '" +
                                          core::Printable(customer.addr) +
                                          "' is not a plain address"));
  }
  Assignment a;
  a.reply_to = {customer, core::Address{FromName(body.language),
                                        options_.mailbox_address}};
  a.original_raw = original_raw;
  return Build(core::Address{"", addr}, &original, spec, body, now, &a);
}

Result<OutgoingMail> Composer::ComposeNoticeWithFile(
    std::string_view to, const ReplySpec& spec, const RenderedTemplate& body,
    std::string_view file_name, std::string_view content_type,
    std::string_view bytes, core::TimePoint now) const {
  const bool good_name =
      !file_name.empty() && file_name.size() <= 100 &&
      std::all_of(file_name.begin(), file_name.end(),
                  [](char c) { return IsTokenChar(c) || c == '.'; });
  const bool good_type =
      !content_type.empty() && content_type.size() <= 100 &&
      std::all_of(content_type.begin(), content_type.end(), [](char c) {
        return c > ' ' && c < 127 && c != '"' ? true : c == ' ';
      });
  if (!good_name || !good_type) {
    return Fail(Error::InvalidArgument("notice attachment: bad file name '" +
                                       core::Printable(file_name) +
                                       "' or type"));
  }
  std::string addr(core::Trim(to));
  if (!IsValidAddress(addr)) {
    return Fail(Error::FailedPrecondition(
        "notice recipient '" + core::Printable(addr) + "' is not an address"));
  }
  Assignment extras;
  extras.file_name = file_name;
  extras.file_type = content_type;
  extras.file_bytes = bytes;
  return Build(core::Address{"", addr}, nullptr, spec, body, now, &extras);
}

Result<OutgoingMail> Composer::Build(const core::Address& to,
                                     const core::Message* original,
                                     const ReplySpec& spec,
                                     const RenderedTemplate& body,
                                     core::TimePoint now,
                                     const Assignment* assignment) const {
  auto message_id =
      MakeMessageId(options_.hmac_key, domain_, spec.ticket_id, spec.kind);
  if (!message_id) return Fail(message_id.error());
  OutgoingMail mail;
  mail.message_id = *message_id;
  mail.recipients = {to.addr};
  mail.envelope_from =
      options_.envelope_sender.empty()
          ? options_.mailbox_address
          : (options_.envelope_sender == "<>" ? "" : options_.envelope_sender);
  std::string tag = CleanText(spec.ticket_tag);

  // Subject.
  std::string subject;
  std::string topic;
  if (original != nullptr) {
    std::string orig =
        CutUtf8(CleanText(original->subject), kMaxQuotedSubjectBytes);
    topic = StripReplyPrefixes(orig);
    if (orig.empty()) {
      subject = CleanText(body.subject);
      topic = subject;
    } else {
      subject = assignment != nullptr || core::IStartsWith(orig, "re:")
                    ? orig
                    : "Re: " + orig;
      if (!tag.empty() && subject.find(tag) == std::string::npos) {
        // In a right-to-left reply the tag is isolated, so a Persian
        // subject shows "[#S-1042]", not "[S-1042#]".
        subject += " " + (body.rtl ? IsolateLines(tag) : tag);
      }
    }
  } else {
    subject = CleanText(body.subject);
  }

  Result<std::string> err = std::string();
  std::string h;
  h += "Date: " + FormatRfc5322Date(now) + "\r\n";
  h += AddressField("From", FromName(body.language), options_.mailbox_address,
                    &err);
  h += AddressField("To", to.name, to.addr, &err);
  if (!err) return Fail(err.error());
  if (assignment != nullptr && !assignment->reply_to.empty()) {
    std::vector<std::string> tokens;
    for (const core::Address& a : assignment->reply_to) {
      if (!tokens.empty()) tokens.back() += ",";
      for (std::string& t : DisplayNameTokens(CleanText(a.name))) {
        tokens.push_back(std::move(t));
      }
      tokens.push_back("<" + a.addr + ">");
    }
    auto r = FoldHeader("Reply-To", tokens);
    if (!r) return Fail(r.error());
    h += *r;
  }
  auto subj = UnstructuredHeader("Subject", subject);
  if (!subj) return Fail(subj.error());
  h += *subj;
  h += "Message-ID: <" + mail.message_id + ">\r\n";
  if (original != nullptr) {
    std::vector<std::string> refs;
    for (const std::string& r : original->references) {
      if (IsCleanMessageId(r)) refs.push_back("<" + r + ">");
    }
    bool has_id = IsCleanMessageId(original->message_id);
    if (has_id) {
      std::string own = "<" + original->message_id + ">";
      if (refs.empty() || refs.back() != own) refs.push_back(own);
      h += "In-Reply-To: " + own + "\r\n";
    }
    if (refs.size() > kMaxReferences) {
      // Keep the thread root and the most recent ones (RFC 5322 §3.6.4).
      std::vector<std::string> kept = {refs.front()};
      kept.insert(kept.end(), refs.end() - (kMaxReferences - 1), refs.end());
      refs = std::move(kept);
    }
    if (!refs.empty()) {
      auto r = FoldHeader("References", refs);
      if (!r) return Fail(r.error());
      h += *r;
    }
    if (!topic.empty()) {
      auto t = UnstructuredHeader("Thread-Topic", topic);
      if (!t) return Fail(t.error());
      h += *t;
    }
    const std::string* index = original->Header("Thread-Index");
    std::string seed = original->message_id.empty()
                           ? original->sha256 + original->subject
                           : original->message_id;
    h += "Thread-Index: " +
         ReplyThreadIndex(index ? CleanText(*index) : "",
                          original->date.value_or(now), now, seed) +
         "\r\n";
    // An assignment is work handed to a person, like a colleague's
    // forward: deliberately not marked automatic, so the agent's own
    // out-of-office reply answers it and reaches the shared mailbox, where
    // it marks them absent (issue 10 item 2). inboxd never answers that
    // reply (it is an auto-reply), so no loop can start.
    if (assignment == nullptr) h += "Auto-Submitted: auto-replied\r\n";
  } else {
    h += "Auto-Submitted: auto-generated\r\n";
  }
  if (assignment == nullptr || assignment->reply_to.empty()) {
    h += "X-Auto-Response-Suppress: All\r\n";  // all but an assignment
  }
  h += "X-Inboxd-Loop: " + options_.mailbox_address + "\r\n";
  h += "MIME-Version: 1.0\r\n";
  if (IsToken(body.language)) {
    h += "Content-Language: " + body.language + "\r\n";
  }

  // The text (and HTML alternative) as one entity.
  std::string text_entity;
  if (options_.include_html && !body.html.empty()) {
    std::string boundary =
        "=_inboxd_" +
        core::Sha256Hex(mail.message_id + "|boundary").substr(0, 24);
    text_entity += "Content-Type: multipart/alternative;\r\n boundary=\"" +
                   boundary + "\"\r\n\r\n";
    text_entity += "This is a multi-part message in MIME format.\r\n";
    text_entity +=
        "--" + boundary + "\r\n" + EncodedPart("text/plain", body.text);
    text_entity +=
        "--" + boundary + "\r\n" + EncodedPart("text/html", body.html);
    text_entity += "--" + boundary + "--\r\n";
  } else {
    text_entity = EncodedPart("text/plain", body.text);
  }
  std::string raw = h;
  std::string attached;  // the second part of a multipart/mixed, if any
  if (assignment != nullptr && !assignment->file_name.empty()) {
    attached = "Content-Type: " + std::string(assignment->file_type) +
               "; name=\"" + std::string(assignment->file_name) +
               "\"\r\nContent-Disposition: attachment; filename=\"" +
               std::string(assignment->file_name) +
               "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
               Base64Encode(assignment->file_bytes);
    if (!attached.ends_with("\r\n")) attached += "\r\n";
  } else if (assignment != nullptr && !assignment->original_raw.empty() &&
             assignment->original_raw.size() <= kMaxAttachedOriginal) {
    attached = AttachedMessage(assignment->original_raw);
  }
  if (!attached.empty()) {
    std::string boundary =
        "=_inboxd_mixed_" +
        core::Sha256Hex(mail.message_id + "|mixed").substr(0, 24);
    raw += "Content-Type: multipart/mixed;\r\n boundary=\"" + boundary +
           "\"\r\n\r\n";
    raw += "This is a multi-part message in MIME format.\r\n";
    raw += "--" + boundary + "\r\n" + text_entity;
    raw += "--" + boundary + "\r\n" + attached;
    raw += "--" + boundary + "--\r\n";
  } else {
    raw += text_entity;
  }
  if (auto s = CheckWireFormat(raw); !s) return Fail(s.error());
  mail.raw = std::move(raw);
  return mail;
}

}  // namespace inboxd::responder
