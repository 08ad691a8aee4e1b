#include "responder/composer.h"

#include <date/date.h>
#include <gtest/gtest.h>

#include "responder/mime_encoding.h"

namespace inboxd::responder {
namespace {

constexpr char kKey[] = "0123456789abcdef-test-key";

core::TimePoint T0() {
  return core::TimePoint{
             date::sys_days{date::year{2026} / 11 / 24}.time_since_epoch()} +
         std::chrono::hours(13);
}

ComposerOptions Options() {
  ComposerOptions o;
  o.mailbox_address = "support@shop.example";
  o.display_name = "Shop Support";
  o.hmac_key = kKey;
  o.noreply_regex =
      "(?i)^(no-?reply|do-?not-?reply|mailer-daemon|postmaster|bounces?)([+-]."
      "*)?@";
  o.own_addresses = {"help@shop.example", "sales@shop.example"};
  return o;
}

Composer Make(ComposerOptions o = Options()) {
  auto c = Composer::Create(std::move(o));
  EXPECT_TRUE(c.has_value()) << c.error().ToString();
  return std::move(*c);
}

core::Message Original() {
  core::Message m;
  m.message_id = "CAF1234@mail.customer.example";
  m.from = {"Zoë Müller", "zoe@customer.example"};
  m.subject = "Printer does not print";
  m.references = {"root@customer.example"};
  m.date = T0() - std::chrono::minutes(5);
  m.sha256 = "ab";
  return m;
}

RenderedTemplate Body(std::string text = "Dear Zoë,\nthank you.\n") {
  RenderedTemplate r;
  r.name = "ack";
  r.language = "en";
  r.subject = "We have received your message [#S-1042]";
  r.text = std::move(text);
  r.html = "<p>Dear Zo&euml;</p>\n";
  return r;
}

ReplySpec Spec() { return {"S-1042", "[#S-1042]", "ack"}; }

// The header block, unfolded, as name -> value lines.
std::vector<std::string> HeaderLines(const std::string& raw) {
  std::vector<std::string> lines;
  size_t end = raw.find("\r\n\r\n");
  std::string head = raw.substr(0, end + 2);
  size_t start = 0;
  while (start < head.size()) {
    size_t nl = head.find("\r\n", start);
    std::string line = head.substr(start, nl - start);
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      lines.back() += line;
    } else {
      lines.push_back(line);
    }
    start = nl + 2;
  }
  return lines;
}

std::string Header(const std::string& raw, std::string_view name) {
  for (const std::string& l : HeaderLines(raw)) {
    if (l.size() > name.size() && l.compare(0, name.size(), name) == 0 &&
        l[name.size()] == ':') {
      return l.substr(name.size() + 2);
    }
  }
  return "<absent>";
}

// Decodes a value made of "=?UTF-8?B?...?=" words (whitespace between them
// ignored, as RFC 2047 §6.2 says).
std::string DecodeWords(const std::string& v) {
  std::string out;
  size_t i = 0;
  while ((i = v.find("=?UTF-8?B?", i)) != std::string::npos) {
    size_t end = v.find("?=", i + 10);
    out += *Base64Decode(v.substr(i + 10, end - i - 10));
    i = end + 2;
  }
  return out;
}

void ExpectWireSafe(const std::string& raw) {
  size_t start = 0;
  while (start < raw.size()) {
    size_t nl = raw.find('\n', start);
    ASSERT_NE(nl, std::string::npos);
    ASSERT_GT(nl, start);
    ASSERT_EQ(raw[nl - 1], '\r') << "bare LF at " << nl;
    EXPECT_LE(nl - 1 - start, kMaxLineOctets);
    start = nl + 1;
  }
}

TEST(ComposerTest, GoldenReplyHeaders) {
  Composer c = Make();
  auto mail = c.ComposeReply(Original(), Spec(), Body(), T0());
  ASSERT_TRUE(mail.has_value()) << mail.error().ToString();
  const std::string& raw = mail->raw;
  ExpectWireSafe(raw);
  auto id = MakeMessageId(kKey, "shop.example", "S-1042", "ack");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(mail->message_id, *id);
  EXPECT_EQ(mail->recipients, std::vector<std::string>{"zoe@customer.example"});
  EXPECT_EQ(mail->envelope_from, "support@shop.example");
  EXPECT_EQ(Header(raw, "Date"), "Tue, 24 Nov 2026 13:00:00 +0000");
  EXPECT_EQ(Header(raw, "From"), "\"Shop Support\" <support@shop.example>");
  EXPECT_EQ(DecodeWords(Header(raw, "To")), "Zoë Müller");
  EXPECT_TRUE(Header(raw, "To").ends_with(" <zoe@customer.example>"));
  EXPECT_EQ(Header(raw, "Subject"), "Re: Printer does not print [#S-1042]");
  EXPECT_EQ(Header(raw, "Message-ID"), "<" + *id + ">");
  EXPECT_EQ(Header(raw, "In-Reply-To"), "<CAF1234@mail.customer.example>");
  EXPECT_EQ(Header(raw, "References"),
            "<root@customer.example> <CAF1234@mail.customer.example>");
  EXPECT_EQ(Header(raw, "Thread-Topic"), "Printer does not print");
  EXPECT_EQ(Base64Decode(Header(raw, "Thread-Index"))->size(), 27u);
  EXPECT_EQ(Header(raw, "Auto-Submitted"), "auto-replied");
  EXPECT_EQ(Header(raw, "X-Auto-Response-Suppress"), "All");
  EXPECT_EQ(Header(raw, "X-Inboxd-Loop"), "support@shop.example");
  EXPECT_EQ(Header(raw, "Precedence"), "<absent>");
  EXPECT_EQ(Header(raw, "MIME-Version"), "1.0");
  EXPECT_TRUE(Header(raw, "Content-Type").starts_with("multipart/alternative"));
  EXPECT_NE(raw.find("Content-Type: text/plain; charset=utf-8\r\n"
                     "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                     "Dear Zo=C3=AB,\r\nthank you.\r\n"),
            std::string::npos);
  EXPECT_NE(raw.find("Content-Type: text/html; charset=utf-8"),
            std::string::npos);
  // Deterministic: composing again gives the same bytes.
  auto again = c.ComposeReply(Original(), Spec(), Body(), T0());
  EXPECT_EQ(again->raw, raw);
}

// Issue 15: a right-to-left reply isolates the ticket tag it appends to the
// subject, so a Persian subject shows "[#S-1042]", not "[S-1042#]".
TEST(ComposerTest, RightToLeftReplyIsolatesTheTagInTheSubject) {
  Composer c = Make();
  auto body = Body();
  body.rtl = true;
  body.language = "fa";
  auto original = Original();
  original.subject = "چاپگر کار نمی‌کند";
  auto mail = c.ComposeReply(original, Spec(), body, T0());
  ASSERT_TRUE(mail.has_value()) << mail.error().ToString();
  EXPECT_EQ(DecodeWords(Header(mail->raw, "Subject")),
            "Re: چاپگر کار نمی‌کند \u2068[#S-1042]\u2069");
  ExpectWireSafe(mail->raw);
}

TEST(ComposerTest, RecipientChoiceAndRefusals) {
  Composer c = Make();
  core::Message with_reply_to = Original();
  with_reply_to.reply_to = {{"Desk", "desk@customer.example"}};
  auto to = c.ReplyRecipient(with_reply_to);
  ASSERT_TRUE(to.has_value());
  EXPECT_EQ(to->addr, "desk@customer.example");

  struct {
    const char* label;
    std::string from;
    std::string reply_to;
    const char* want;
  } cases[] = {
      {"no-reply", "no-reply@vendor.example", "", "no-reply"},
      {"noreply+tag", "noreply+x12@vendor.example", "", "no-reply"},
      {"mailer-daemon", "MAILER-DAEMON@mx.example", "", "no-reply"},
      {"no-reply in Reply-To wins", "ok@customer.example",
       "donotreply@customer.example", "no-reply"},
      {"our own mailbox", "support@shop.example", "", "our own"},
      {"our alias, other case", "Help@Shop.Example", "", "our own"},
      {"empty", "", "", "no Reply-To or From"},
      {"CRLF injection", "a@b.example\r\nBcc: victim@x.example", "",
       "not a plain address"},
      {"angle brackets", "a@b.example> , <victim@x.example", "",
       "not a plain address"},
      {"two ats", "a@b@c.example", "", "not a plain address"},
      {"non-ASCII local part", "jürgen@b.example", "", "not a plain address"},
  };
  for (const auto& cs : cases) {
    core::Message m = Original();
    m.from.addr = cs.from;
    if (!cs.reply_to.empty()) m.reply_to = {{"", cs.reply_to}};
    auto got = c.ComposeReply(m, Spec(), Body(), T0());
    ASSERT_FALSE(got.has_value()) << cs.label;
    EXPECT_EQ(got.error().code, core::Code::kFailedPrecondition) << cs.label;
    EXPECT_NE(got.error().message.find(cs.want), std::string::npos)
        << cs.label << ": " << got.error().message;
  }
}

TEST(ComposerTest, HeaderInjectionNeverStartsAHeader) {
  Composer c = Make();
  core::Message m = Original();
  m.from.name = "Evil\r\nBcc: victim@x.example";
  m.subject = "Hello\r\nBcc: victim@x.example\nX-Evil: 1";
  m.message_id = "id@x\r\nBcc: victim@x.example";  // dropped: not clean
  m.references = {"ok@x.example", "bad id@x", "a\r\nBcc: v@x.example"};
  m.headers = {{"Thread-Index", "AQHZ\r\nBcc: victim@x.example"}};
  ReplySpec spec = Spec();
  spec.ticket_tag = "[#S-1042]\r\nBcc: victim@x.example";
  auto mail = c.ComposeReply(m, spec, Body(), T0());
  ASSERT_TRUE(mail.has_value()) << mail.error().ToString();
  ExpectWireSafe(mail->raw);
  for (const std::string& line : HeaderLines(mail->raw)) {
    EXPECT_FALSE(line.starts_with("Bcc:")) << line;
    EXPECT_FALSE(line.starts_with("X-Evil:")) << line;
  }
  EXPECT_EQ(mail->raw.find("\r\nBcc:"), std::string::npos);
  EXPECT_EQ(Header(mail->raw, "In-Reply-To"), "<absent>");
  EXPECT_EQ(Header(mail->raw, "References"), "<ok@x.example>");
  EXPECT_EQ(Header(mail->raw, "Subject"),
            "Re: Hello Bcc: victim@x.example X-Evil: 1 [#S-1042] Bcc: "
            "victim@x.example");
  // The display name is quoted, never bare.
  EXPECT_EQ(Header(mail->raw, "To"),
            "\"Evil Bcc: victim@x.example\" <zoe@customer.example>");
  // A bad ticket id or kind cannot reach the Message-ID.
  ReplySpec bad = Spec();
  bad.kind = "ack>\r\nBcc: v@x";
  auto refused = c.ComposeReply(Original(), bad, Body(), T0());
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, core::Code::kInvalidArgument);
}

TEST(ComposerTest, NonAsciiSubjectIsEncodedAndFolded) {
  Composer c = Make();
  struct {
    std::string subject;
    std::string want;
  } cases[] = {
      {"打印机无法打印，请尽快处理，谢谢！我们的订单号是 12345，急需解决",
       "Re: 打印机无法打印，请尽快处理，谢谢！我们的订单号是 12345，急需解决 "
       "[#S-1042]"},
      {"درخواست پیش‌فاکتور برای ۲۰ دستگاه",
       "Re: درخواست پیش‌فاکتور برای ۲۰ دستگاه "
       "[#S-1042]"},
      {"Re: Rückfrage zur Rechnung", "Re: Rückfrage zur Rechnung [#S-1042]"},
      {"RE: already tagged [#S-1042]", "RE: already tagged [#S-1042]"},
      {"", "We have received your message [#S-1042]"},
  };
  for (const auto& cs : cases) {
    core::Message m = Original();
    m.subject = cs.subject;
    auto mail = c.ComposeReply(m, Spec(), Body(), T0());
    ASSERT_TRUE(mail.has_value());
    ExpectWireSafe(mail->raw);
    std::string value = Header(mail->raw, "Subject");
    std::string decoded = value.find("=?UTF-8?B?") == std::string::npos
                              ? value
                              : DecodeWords(value);
    EXPECT_EQ(decoded, cs.want);
    // Every physical header line within 78 characters.
    std::string head = mail->raw.substr(0, mail->raw.find("\r\n\r\n") + 2);
    size_t start = 0;
    while (start < head.size()) {
      size_t nl = head.find("\r\n", start);
      EXPECT_LE(nl - start, kFoldWidth) << head.substr(start, nl - start);
      start = nl + 2;
    }
  }
}

TEST(ComposerTest, LongInputsStayWithin998Octets) {
  Composer c = Make();
  core::Message m = Original();
  m.subject = std::string(3000, 'x');  // one unbreakable word
  m.from.name = std::string(1200, 'N');
  for (int i = 0; i < 40; ++i) {
    m.references.push_back("ref" + std::to_string(i) + "@customer.example");
  }
  std::string text = std::string(2000, 'a') + "\n" + std::string(3000, 'y') +
                     "\n.\n..leading dot\n";
  auto mail = c.ComposeReply(m, Spec(), Body(text), T0());
  ASSERT_TRUE(mail.has_value()) << mail.error().ToString();
  ExpectWireSafe(mail->raw);
  std::string refs = Header(mail->raw, "References");
  EXPECT_EQ(std::count(refs.begin(), refs.end(), '<'), long(kMaxReferences));
  EXPECT_TRUE(refs.starts_with("<root@customer.example>"));
  EXPECT_TRUE(refs.ends_with("<CAF1234@mail.customer.example>"));
}

TEST(ComposerTest, CjkBodyUsesBase64AndRoundTrips) {
  Composer c = Make();
  std::string text =
      "尊敬的客户：\n您好！感谢您的来信。受理编号为 [#S-1042]。\n";
  auto mail = c.ComposeReply(Original(), Spec(), Body(text), T0());
  ASSERT_TRUE(mail.has_value());
  const std::string& raw = mail->raw;
  std::string marker =
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n";
  size_t at = raw.find(marker);
  ASSERT_NE(at, std::string::npos);
  size_t end = raw.find("--=_inboxd_", at);
  auto decoded =
      Base64Decode(raw.substr(at + marker.size(), end - at - marker.size()));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, NormalizeCrlf(text));
}

TEST(ComposerTest, TextOnlyAndNullSenderAndNotice) {
  ComposerOptions o = Options();
  o.include_html = false;
  o.envelope_sender = "<>";
  Composer c = Make(o);
  auto mail = c.ComposeReply(Original(), Spec(), Body(), T0());
  ASSERT_TRUE(mail.has_value());
  EXPECT_EQ(mail->envelope_from, "");
  EXPECT_EQ(Header(mail->raw, "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(mail->raw.find("text/html"), std::string::npos);

  RenderedTemplate alert = Body("Hello Anna,\nticket needs you.\n");
  alert.subject = "[inboxd] Action needed on [#S-1042]: SMTP 550";
  ReplySpec spec{"S-1042", "[#S-1042]", "agent_alert"};
  auto notice = c.ComposeNotice("anna@shop.example", spec, alert, T0());
  ASSERT_TRUE(notice.has_value()) << notice.error().ToString();
  EXPECT_EQ(Header(notice->raw, "Subject"),
            "[inboxd] Action needed on [#S-1042]: SMTP 550");
  EXPECT_EQ(Header(notice->raw, "Auto-Submitted"), "auto-generated");
  EXPECT_EQ(Header(notice->raw, "In-Reply-To"), "<absent>");
  EXPECT_FALSE(
      c.ComposeNotice("anna@shop.example\r\nBcc: x@y", spec, alert, T0()));
}

TEST(ComposerTest, MessageIdTokenRoundTrip) {
  auto id = MakeMessageId(kKey, "Shop.Example", "S-1042", "ack");
  ASSERT_TRUE(id.has_value());
  EXPECT_TRUE(id->starts_with("inboxd.S-1042.ack."));
  EXPECT_TRUE(id->ends_with("@shop.example"));
  EXPECT_EQ(*id, *MakeMessageId(kKey, "shop.example", "S-1042", "ack"));
  EXPECT_NE(*id, *MakeMessageId(kKey, "shop.example", "S-1042", "csat"));
  std::string token = id->substr(id->rfind('.') + 1, kMessageIdTokenHex);
  std::string tampered = *id;
  tampered[tampered.find(token)] = token[0] == 'a' ? 'b' : 'a';
  struct {
    std::string id;
    std::string key;
    std::string domain;
    bool want;
  } cases[] = {
      {*id, kKey, "shop.example", true},
      {"<" + *id + ">", kKey, "SHOP.example", true},
      {tampered, kKey, "shop.example", false},
      {*id, "another key", "shop.example", false},
      {*id, kKey, "other.example", false},
      {"inboxd.S-1042.ack@shop.example", kKey, "shop.example", false},
      {"CAF1234@mail.customer.example", kKey, "shop.example", false},
      {"", kKey, "shop.example", false},
      {*id, "", "shop.example", false},
  };
  for (const auto& cs : cases) {
    EXPECT_EQ(IsOurMessageId(cs.id, cs.key, cs.domain), cs.want) << cs.id;
  }
  EXPECT_FALSE(MakeMessageId(kKey, "shop.example", "S.1042", "ack"));
  EXPECT_FALSE(MakeMessageId("", "shop.example", "S-1042", "ack"));
  EXPECT_FALSE(MakeMessageId(kKey, "shop example", "S-1042", "ack"));
}

TEST(ComposerTest, ThreadIndexDerivesFromTheOriginal) {
  // A 22-byte Outlook header block.
  std::string header_block = ReplyThreadIndex("", T0(), T0(), "seed");
  auto decoded = Base64Decode(header_block);
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->size(), 27u);
  std::string original = Base64Encode(decoded->substr(0, 22), 0);
  std::string reply =
      ReplyThreadIndex(original, T0(), T0() + std::chrono::hours(1), "seed2");
  auto bytes = Base64Decode(reply);
  ASSERT_TRUE(bytes.has_value());
  ASSERT_EQ(bytes->size(), 27u);
  EXPECT_EQ(bytes->substr(0, 22), decoded->substr(0, 22));
  // One hour = 36e9 ticks; >> 18 = 137329 (DeltaCode 0).
  uint32_t block = 0;
  for (int i = 22; i < 26; ++i) block = block << 8 | (unsigned char)(*bytes)[i];
  EXPECT_NEAR(double(block), 36e9 / 262144.0, 1.0);
  // A reply to a reply appends again; garbage starts a new thread.
  EXPECT_EQ(Base64Decode(ReplyThreadIndex(reply, T0(), T0(), "s"))->size(),
            32u);
  EXPECT_EQ(
      Base64Decode(ReplyThreadIndex("!!garbage", T0(), T0(), "s"))->size(),
      27u);
}

TEST(ComposerTest, CreateValidatesOptions) {
  struct {
    const char* label;
    void (*mutate)(ComposerOptions&);
  } cases[] = {
      {"bad mailbox",
       [](ComposerOptions& o) { o.mailbox_address = "support"; }},
      {"empty key", [](ComposerOptions& o) { o.hmac_key.clear(); }},
      {"bad regex", [](ComposerOptions& o) { o.noreply_regex = "(unclosed"; }},
      {"bad envelope",
       [](ComposerOptions& o) { o.envelope_sender = "bounce\r\n@x"; }},
      {"bad domain",
       [](ComposerOptions& o) { o.message_id_domain = "a b.example"; }},
  };
  for (const auto& cs : cases) {
    ComposerOptions o = Options();
    cs.mutate(o);
    auto got = Composer::Create(o);
    ASSERT_FALSE(got.has_value()) << cs.label;
    EXPECT_EQ(got.error().code, core::Code::kInvalidArgument) << cs.label;
  }
  EXPECT_TRUE(Composer::Create(Options()).has_value());
}

// ------------------------------------------------------------- assignment

// The customer's original message as it arrived (7-bit).
std::string OriginalRaw() {
  return "From: Customer <zoe@customer.example>\r\n"
         "To: support@shop.example\r\n"
         "Subject: Printer does not print\r\n"
         "Message-ID: <CAF1234@mail.customer.example>\r\n"
         "\r\n"
         "Hello, the printer is broken.\r\n";
}

core::Address Customer() { return {"Zoë Müller", "zoe@customer.example"}; }

RenderedTemplate AssignmentBody(
    std::string text = "Hello Nina,\nS-1042 is yours now.\n") {
  RenderedTemplate r = Body(std::move(text));
  r.name = "assignment";
  r.subject = "[inboxd] New ticket [#S-1042]";
  return r;
}

ReplySpec AssignmentSpec() { return {"S-1042", "[#S-1042]", "assignment"}; }

// The top-level multipart/mixed boundary of `raw` ("" when not mixed).
std::string MixedBoundary(const std::string& raw) {
  const std::string ct = Header(raw, "Content-Type");
  const std::string key = "boundary=\"";
  if (!ct.starts_with("multipart/mixed;")) return "";
  const size_t at = ct.find(key);
  if (at == std::string::npos) return "";
  const size_t end = ct.find('"', at + key.size());
  return ct.substr(at + key.size(), end - at - key.size());
}

// The body parts (headers + body) between the boundaries of `boundary`.
std::vector<std::string> Parts(const std::string& raw,
                               const std::string& boundary) {
  std::vector<std::string> parts;
  const std::string delim = "\r\n--" + boundary;
  size_t at = raw.find(delim);
  while (at != std::string::npos) {
    const size_t start = at + delim.size();
    if (raw.compare(start, 2, "--") == 0) break;  // the close delimiter
    const size_t next = raw.find(delim, start);
    if (next == std::string::npos) break;
    parts.push_back(raw.substr(start + 2, next - start - 2));
    at = next;
  }
  return parts;
}

TEST(ComposerAssignmentTest, HeadersAddressTheAgentAndThreadWithTheCustomer) {
  Composer c = Make();
  core::Message original = Original();
  original.subject = "Re: Printer does not print";
  auto mail =
      c.ComposeAssignment("nina@shop.example", original, OriginalRaw(),
                          Customer(), AssignmentSpec(), AssignmentBody(), T0());
  ASSERT_TRUE(mail.has_value()) << mail.error().ToString();
  const std::string& raw = mail->raw;
  ExpectWireSafe(raw);
  EXPECT_EQ(mail->recipients, std::vector<std::string>{"nina@shop.example"});
  EXPECT_EQ(mail->envelope_from, "support@shop.example");
  EXPECT_EQ(Header(raw, "To"), "<nina@shop.example>");
  EXPECT_EQ(Header(raw, "From"), "\"Shop Support\" <support@shop.example>");
  // Reply-To: the customer (display name encoded) and the shared mailbox.
  const std::string reply_to = Header(raw, "Reply-To");
  EXPECT_TRUE(reply_to.starts_with("=?UTF-8?B?")) << reply_to;
  EXPECT_EQ(DecodeWords(reply_to.substr(0, reply_to.find(" <"))), "Zoë Müller");
  EXPECT_NE(reply_to.find(" <zoe@customer.example>, \"Shop Support\" "
                          "<support@shop.example>"),
            std::string::npos)
      << reply_to;
  EXPECT_TRUE(reply_to.ends_with("\"Shop Support\" <support@shop.example>"))
      << reply_to;
  // The original's subject kept as it is (no second "Re:") with the tag.
  EXPECT_EQ(Header(raw, "Subject"), "Re: Printer does not print [#S-1042]");
  EXPECT_EQ(Header(raw, "In-Reply-To"), "<CAF1234@mail.customer.example>");
  EXPECT_EQ(Header(raw, "References"),
            "<root@customer.example> <CAF1234@mail.customer.example>");
  // Deliberately not marked automatic (composer.h, since 3748b90): the
  // agent's out-of-office reply must answer it; only our loop header.
  EXPECT_EQ(Header(raw, "Auto-Submitted"), "<absent>");
  EXPECT_EQ(Header(raw, "X-Auto-Response-Suppress"), "<absent>");
  EXPECT_EQ(Header(raw, "X-Inboxd-Loop"), "support@shop.example");
  auto id = MakeMessageId(kKey, "shop.example", "S-1042", "assignment");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(mail->message_id, *id);
  EXPECT_EQ(Header(raw, "Message-ID"), "<" + *id + ">");

  // A subject without "Re:" does not get one.
  auto plain =
      c.ComposeAssignment("nina@shop.example", Original(), OriginalRaw(),
                          Customer(), AssignmentSpec(), AssignmentBody(), T0());
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(Header(plain->raw, "Subject"), "Printer does not print [#S-1042]");
  // A customer without a name is a bare address in Reply-To.
  auto bare = c.ComposeAssignment("nina@shop.example", Original(),
                                  OriginalRaw(), {"", "zoe@customer.example"},
                                  AssignmentSpec(), AssignmentBody(), T0());
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(Header(bare->raw, "Reply-To"),
            "<zoe@customer.example>, \"Shop Support\" <support@shop.example>");
}

TEST(ComposerAssignmentTest, SevenBitOriginalIsAttachedAsMessageRfc822) {
  Composer c = Make();
  auto mail =
      c.ComposeAssignment("nina@shop.example", Original(), OriginalRaw(),
                          Customer(), AssignmentSpec(), AssignmentBody(), T0());
  ASSERT_TRUE(mail.has_value()) << mail.error().ToString();
  const std::string& raw = mail->raw;
  ExpectWireSafe(raw);
  EXPECT_EQ(Header(raw, "MIME-Version"), "1.0");
  const std::string boundary = MixedBoundary(raw);
  ASSERT_FALSE(boundary.empty()) << Header(raw, "Content-Type");
  EXPECT_NE(raw.find("\r\n--" + boundary + "--\r\n"), std::string::npos);
  std::vector<std::string> parts = Parts(raw, boundary);
  ASSERT_EQ(parts.size(), 2u);
  // First the text (with its HTML alternative), then the original as is.
  EXPECT_TRUE(parts[0].starts_with("Content-Type: multipart/alternative;"))
      << parts[0];
  EXPECT_NE(parts[0].find("Hello Nina,\r\nS-1042 is yours now.\r\n"),
            std::string::npos)
      << parts[0];
  const std::string want_head =
      "Content-Type: message/rfc822\r\n"
      "Content-Disposition: attachment; filename=\"original.eml\"\r\n\r\n";
  ASSERT_TRUE(parts[1].starts_with(want_head)) << parts[1];
  EXPECT_EQ(parts[1].substr(want_head.size()) + "\r\n", OriginalRaw());
  EXPECT_EQ(parts[1].find("Content-Transfer-Encoding"), std::string::npos);

  // Text only (no HTML): the text part is text/plain itself.
  ComposerOptions o = Options();
  o.include_html = false;
  auto text_only = Make(o).ComposeAssignment(
      "nina@shop.example", Original(), OriginalRaw(), Customer(),
      AssignmentSpec(), AssignmentBody(), T0());
  ASSERT_TRUE(text_only.has_value());
  parts = Parts(text_only->raw, MixedBoundary(text_only->raw));
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_TRUE(parts[0].starts_with("Content-Type: text/plain; charset=utf-8"))
      << parts[0];
  EXPECT_TRUE(parts[1].starts_with("Content-Type: message/rfc822\r\n"));
}

TEST(ComposerAssignmentTest, EightBitOrLongLinedOriginalGoesAsBase64) {
  Composer c = Make();
  struct {
    const char* label;
    std::string raw;
  } cases[] = {
      {"8-bit body",
       "From: zoe@customer.example\r\nSubject: Drucker\r\n"
       "Content-Type: text/plain; charset=utf-8\r\n"
       "Content-Transfer-Encoding: 8bit\r\n\r\nDer Drucker druckt "
       "nicht, Grüße\r\n"},
      {"a NUL byte",
       std::string("From: zoe@customer.example\r\n\r\na\0b\r\n", 36)},
      {"a line of 999 octets",
       "From: zoe@customer.example\r\n\r\n" + std::string(999, 'x') + "\r\n"},
      {"bare LF line ends, 8-bit",
       "From: zoe@customer.example\n\nCaf\xc3\xa9\n"},
  };
  for (const auto& cs : cases) {
    SCOPED_TRACE(cs.label);
    auto mail =
        c.ComposeAssignment("nina@shop.example", Original(), cs.raw, Customer(),
                            AssignmentSpec(), AssignmentBody(), T0());
    ASSERT_TRUE(mail.has_value()) << mail.error().ToString();
    ExpectWireSafe(mail->raw);
    for (unsigned char ch : mail->raw) {
      ASSERT_LT(ch, 0x80) << "8-bit byte on the wire";
      ASSERT_NE(ch, 0) << "NUL on the wire";
    }
    std::vector<std::string> parts = Parts(mail->raw, MixedBoundary(mail->raw));
    ASSERT_EQ(parts.size(), 2u);
    const std::string want_head =
        "Content-Type: application/octet-stream; name=\"original.eml\"\r\n"
        "Content-Disposition: attachment; filename=\"original.eml\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n";
    ASSERT_TRUE(parts[1].starts_with(want_head)) << parts[1].substr(0, 300);
    EXPECT_EQ(mail->raw.find("message/rfc822"), std::string::npos);
    // The exact bytes come back.
    auto decoded = Base64Decode(parts[1].substr(want_head.size()));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, cs.raw);
  }
  // A line of exactly 998 octets is still fine as message/rfc822.
  const std::string edge =
      "From: zoe@customer.example\r\n\r\n" + std::string(998, 'x') + "\r\n";
  auto mail =
      c.ComposeAssignment("nina@shop.example", Original(), edge, Customer(),
                          AssignmentSpec(), AssignmentBody(), T0());
  ASSERT_TRUE(mail.has_value()) << mail.error().ToString();
  ExpectWireSafe(mail->raw);
  std::vector<std::string> parts = Parts(mail->raw, MixedBoundary(mail->raw));
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_TRUE(parts[1].starts_with("Content-Type: message/rfc822\r\n"));
}

TEST(ComposerAssignmentTest, NoAttachmentAboveTheLimitOrWhenEmpty) {
  Composer c = Make();
  struct {
    const char* label;
    size_t size;
    bool want_attached;
  } cases[] = {
      {"at the limit", kMaxAttachedOriginal, true},
      {"one byte over", kMaxAttachedOriginal + 1, false},
      {"empty", 0, false},
  };
  for (const auto& cs : cases) {
    SCOPED_TRACE(cs.label);
    std::string raw;
    if (cs.size > 0) {
      raw = "From: zoe@customer.example\r\n\r\n";
      std::string line(76, 'x');
      line += "\r\n";
      while (raw.size() + line.size() <= cs.size) raw += line;
      raw += std::string(cs.size - raw.size(), 'y');
      ASSERT_EQ(raw.size(), cs.size);
    }
    auto mail =
        c.ComposeAssignment("nina@shop.example", Original(), raw, Customer(),
                            AssignmentSpec(), AssignmentBody(), T0());
    ASSERT_TRUE(mail.has_value()) << mail.error().ToString();
    ExpectWireSafe(mail->raw);
    EXPECT_EQ(!MixedBoundary(mail->raw).empty(), cs.want_attached);
    EXPECT_EQ(mail->raw.find("original.eml") != std::string::npos,
              cs.want_attached);
    if (!cs.want_attached) {
      // The text alone, still with the assignment's headers.
      EXPECT_TRUE(Header(mail->raw, "Content-Type")
                      .starts_with("multipart/alternative"));
      EXPECT_NE(Header(mail->raw, "Reply-To"), "<absent>");
      EXPECT_LT(mail->raw.size(), 10000u);
    }
  }
}

TEST(ComposerAssignmentTest, LongInputsStayWithin998OctetsWithCrlf) {
  Composer c = Make();
  core::Message m = Original();
  m.subject = std::string(3000, 's');
  for (int i = 0; i < 40; ++i) {
    m.references.push_back("ref" + std::to_string(i) + "@customer.example");
  }
  core::Address customer{std::string(1500, 'N'), "zoe@customer.example"};
  // A 7-bit original with bare LFs and a lone CR: sent with CRLF throughout.
  std::string original = "From: zoe@customer.example\nSubject: x\n\n" +
                         std::string(900, 'a') + "\rb\n";
  std::string text = std::string(2500, 'z') + "\n";
  auto mail = c.ComposeAssignment("nina@shop.example", m, original, customer,
                                  AssignmentSpec(), AssignmentBody(text), T0());
  ASSERT_TRUE(mail.has_value()) << mail.error().ToString();
  ExpectWireSafe(mail->raw);
  for (size_t i = 0; i < mail->raw.size(); ++i) {
    if (mail->raw[i] == '\r') {
      ASSERT_LT(i + 1, mail->raw.size());
      ASSERT_EQ(mail->raw[i + 1], '\n') << "bare CR at " << i;
    }
  }
  const std::string refs = Header(mail->raw, "References");
  EXPECT_EQ(std::count(refs.begin(), refs.end(), '<'), long(kMaxReferences));
  EXPECT_NE(mail->raw.find("Content-Type: message/rfc822"), std::string::npos);
}

TEST(ComposerAssignmentTest, RefusesABadAgentOrCustomerAddress) {
  Composer c = Make();
  struct {
    const char* label;
    std::string to;
    std::string customer;
    core::Code want;
  } cases[] = {
      {"agent empty", "", "zoe@customer.example",
       core::Code::kFailedPrecondition},
      {"agent no @", "nina", "zoe@customer.example",
       core::Code::kFailedPrecondition},
      {"agent CRLF injection", "nina@shop.example\r\nBcc: v@x.example",
       "zoe@customer.example", core::Code::kFailedPrecondition},
      {"agent with a display name", "Nina <nina@shop.example>",
       "zoe@customer.example", core::Code::kFailedPrecondition},
      {"customer empty", "nina@shop.example", "",
       core::Code::kFailedPrecondition},
      {"customer two ats", "nina@shop.example", "a@b@customer.example",
       core::Code::kFailedPrecondition},
      {"customer angle brackets", "nina@shop.example",
       "a@b.example>, <victim@x.example", core::Code::kFailedPrecondition},
      {"customer CRLF", "nina@shop.example", "a@b.example\r\nBcc: v@x.example",
       core::Code::kFailedPrecondition},
  };
  for (const auto& cs : cases) {
    SCOPED_TRACE(cs.label);
    auto got = c.ComposeAssignment(cs.to, Original(), OriginalRaw(),
                                   {"Zoë", cs.customer}, AssignmentSpec(),
                                   AssignmentBody(), T0());
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().code, cs.want) << got.error().ToString();
  }
  // A bad spec is an invalid argument, not a refused address.
  ReplySpec bad = AssignmentSpec();
  bad.kind = "assign ment";
  auto got = c.ComposeAssignment("nina@shop.example", Original(), OriginalRaw(),
                                 Customer(), bad, AssignmentBody(), T0());
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, core::Code::kInvalidArgument);
  // Surrounding spaces of the agent's address are trimmed, not refused.
  auto trimmed =
      c.ComposeAssignment("  nina@shop.example ", Original(), OriginalRaw(),
                          Customer(), AssignmentSpec(), AssignmentBody(), T0());
  ASSERT_TRUE(trimmed.has_value());
  EXPECT_EQ(trimmed->recipients, std::vector<std::string>{"nina@shop.example"});
}

TEST(ComposerAssignmentTest, SameTicketAndKindSameMessageIdAndBytes) {
  Composer c = Make();
  auto compose = [&](const ReplySpec& spec, std::string_view to) {
    auto m = c.ComposeAssignment(to, Original(), OriginalRaw(), Customer(),
                                 spec, AssignmentBody(), T0());
    EXPECT_TRUE(m.has_value());
    return m.value_or(OutgoingMail{});
  };
  const OutgoingMail a = compose(AssignmentSpec(), "nina@shop.example");
  const OutgoingMail again = compose(AssignmentSpec(), "nina@shop.example");
  EXPECT_EQ(a.message_id, again.message_id);
  EXPECT_EQ(a.raw, again.raw);
  EXPECT_TRUE(IsOurMessageId(a.message_id, kKey, "shop.example"));
  // Another kind (the R3 move to another agent) has another id.
  ReplySpec moved = AssignmentSpec();
  moved.kind = "assignment-bob";
  EXPECT_NE(compose(moved, "bob@shop.example").message_id, a.message_id);
  ReplySpec other = AssignmentSpec();
  other.ticket_id = "S-1043";
  EXPECT_NE(compose(other, "nina@shop.example").message_id, a.message_id);
}

TEST(MimeEncodingTest, QuotedPrintableAndBase64) {
  EXPECT_EQ(QuotedPrintableEncode("a=b \r\nc\t"), "a=3Db=20\r\nc=09");
  std::string qp = QuotedPrintableEncode(std::string(200, 'z'));
  size_t start = 0;
  while (start < qp.size()) {
    size_t nl = qp.find("\r\n", start);
    if (nl == std::string::npos) nl = qp.size();
    EXPECT_LE(nl - start, 76u);
    start = nl + 2;
  }
  EXPECT_EQ(Base64Encode("Man", 0), "TWFu");
  EXPECT_EQ(Base64Encode("Ma", 0), "TWE=");
  EXPECT_EQ(*Base64Decode("TWE="), "Ma");
  EXPECT_FALSE(Base64Decode("TW!u").has_value());
  EXPECT_EQ(NormalizeCrlf("a\nb\r\nc\rd"), "a\r\nb\r\nc\r\nd\r\n");
}

}  // namespace
}  // namespace inboxd::responder
