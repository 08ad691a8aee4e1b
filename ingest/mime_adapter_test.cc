#include "ingest/mime_adapter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "core/hash.h"

namespace inboxd::ingest {
namespace {

// Fixtures are written with "\n"; Crlf() gives the wire form.
std::string Crlf(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

bool HasWarning(const core::Message& m, std::string_view needle) {
  return std::any_of(m.warnings.begin(), m.warnings.end(),
                     [&](const std::string& w) {
                       return w.find(needle) != std::string::npos;
                     });
}

constexpr std::string_view kSimple =
    "Return-Path: <anna@example.de>\n"
    "Message-ID: <abc.123@example.de>\n"
    "Date: Mon, 23 Nov 2026 18:45:55 +0100\n"
    "From: =?UTF-8?Q?Anna_M=C3=BCller?= <anna@example.de>\n"
    "Sender: relay@example.de\n"
    "Reply-To: \"Support Anna\" <help@example.de>\n"
    "To: support@shop.example, \"Sales\" <sales@shop.example>\n"
    "Cc: boss@example.de\n"
    "Subject: =?UTF-8?B?UmVjbGFtYXRpb24gR3LDtsOfZQ==?=\n"
    "In-Reply-To: <prev.1@shop.example> (added)\n"
    "References: <root.0@shop.example>\n"
    " <prev.1@shop.example>\n"
    "Content-Language: DE-de\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Die Gr=C3=B6=C3=9Fe passt nicht.=\n"
    " Bitte tauschen.\n";

TEST(MimeAdapterTest, FillsEveryHeaderField) {
  for (const std::string& raw : {std::string(kSimple), Crlf(kSimple)}) {
    auto r = ParseMessage(raw, core::Limits{});
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    const core::Message& m = *r;
    EXPECT_EQ(m.raw_size, raw.size());
    EXPECT_EQ(m.sha256, core::Sha256Hex(raw));
    EXPECT_EQ(m.message_id, "abc.123@example.de");
    EXPECT_EQ(m.from.name, "Anna Müller");
    EXPECT_EQ(m.from.addr, "anna@example.de");
    EXPECT_EQ(m.sender.addr, "relay@example.de");
    ASSERT_EQ(m.reply_to.size(), 1u);
    EXPECT_EQ(m.reply_to[0].name, "Support Anna");
    ASSERT_EQ(m.to.size(), 2u);
    EXPECT_EQ(m.to[1].addr, "sales@shop.example");
    ASSERT_EQ(m.cc.size(), 1u);
    EXPECT_TRUE(m.has_return_path);
    EXPECT_EQ(m.return_path, "anna@example.de");
    EXPECT_EQ(m.subject, "Reclamation Größe");
    ASSERT_TRUE(m.date.has_value());
    EXPECT_EQ(core::FormatUtc(*m.date), "2026-11-23T17:45:55Z");
    EXPECT_EQ(m.in_reply_to, "prev.1@shop.example");
    EXPECT_EQ(Join(m.references), "root.0@shop.example,prev.1@shop.example");
    EXPECT_EQ(m.content_language, "de-de");
    EXPECT_EQ(m.content_type, "text/plain");
    EXPECT_EQ(m.text, "Die Größe passt nicht. Bitte tauschen.\n");
    EXPECT_EQ(m.text_charset, "UTF-8");
    EXPECT_FALSE(m.text_from_html);
    EXPECT_EQ(Join(m.part_types), "text/plain");
    EXPECT_TRUE(m.attachments.empty());
    EXPECT_FALSE(m.delivery_status.has_value());
    EXPECT_EQ(m.headers.size(), 15u);
    EXPECT_EQ(m.headers[0].name, "Return-Path");
    EXPECT_TRUE(m.warnings.empty()) << m.warnings[0];
  }
}

TEST(MimeAdapterTest, NullSenderAndNoHeaders) {
  auto r =
      ParseMessage("Return-Path: <>\nFrom: MAILER-DAEMON\n\nx", core::Limits{});
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->has_return_path);
  EXPECT_EQ(r->return_path, "");
  EXPECT_EQ(r->from.addr, "MAILER-DAEMON");
  EXPECT_EQ(r->content_type, "text/plain");

  auto none = ParseMessage("From: a@b\n\nx", core::Limits{});
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_return_path);
  EXPECT_FALSE(none->date.has_value());
  EXPECT_TRUE(none->message_id.empty());
}

constexpr std::string_view kNested =
    "From: a@x.org\n"
    "Subject: nested\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\n"
    "\n"
    "preamble\n"
    "--outer\n"
    "Content-Type: multipart/alternative; boundary=inner\n"
    "\n"
    "--inner\n"
    "Content-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Gr=FC=DFe aus K=F6ln, see --outer in mid-line\n"
    "--outerx is another boundary\n"
    "--inner\n"
    "Content-Type: text/html; charset=utf-8\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "PHA+R3LDvMOfZTwvcD4=\n"
    "--inner--\n"
    "--outer\n"
    "Content-Type: application/pdf\n"
    "Content-Disposition: attachment;\n"
    " filename*0*=utf-8''%C3%84nderung;\n"
    " filename*1=\".pdf\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "JVBERi0xLjQK\n"
    "--outer\n"
    "Content-Type: image/png; name=\"=?UTF-8?B?QmlsZC5wbmc=?=\"\n"
    "\n"
    "PNGDATA\n"
    "--outer--\n"
    "epilogue\n";

TEST(MimeAdapterTest, NestedMultipart) {
  for (const std::string& raw : {std::string(kNested), Crlf(kNested)}) {
    auto r = ParseMessage(raw, core::Limits{});
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    EXPECT_EQ(r->content_type, "multipart/mixed");
    EXPECT_EQ(Join(r->part_types),
              "text/plain,text/html,application/pdf,image/png");
    EXPECT_EQ(r->text,
              "Grüße aus Köln, see --outer in mid-line\n--outerx is another "
              "boundary");
    EXPECT_EQ(r->text_charset, "WINDOWS-1252");
    ASSERT_EQ(r->attachments.size(), 2u);
    EXPECT_EQ(r->attachments[0].filename, "Änderung.pdf");
    EXPECT_EQ(r->attachments[0].content_type, "application/pdf");
    EXPECT_EQ(r->attachments[0].size, 9u);  // "%PDF-1.4\n"
    EXPECT_EQ(r->attachments[1].filename, "Bild.png");
    EXPECT_EQ(r->attachments[1].size, 7u);
    EXPECT_TRUE(r->warnings.empty()) << r->warnings[0];
  }
}

TEST(MimeAdapterTest, HtmlOnly) {
  auto r = ParseMessage(
      "From: a@x.org\nContent-Type: text/html\n\n"
      "<html><style>p{}</style><p>Preis&nbsp;f&uuml;r 3 St&#252;ck?</p>"
      "<p>Danke</p></html>",
      core::Limits{});
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->text_from_html);
  EXPECT_EQ(r->text, "Preis für 3 Stück?\nDanke");
  EXPECT_EQ(Join(r->part_types), "text/html");
}

TEST(MimeAdapterTest, MissingBoundaryParameter) {
  // mimetic would split at "-- " (its boundary becomes "--").
  auto r = ParseMessage(
      "From: a@x.org\nContent-Type: multipart/mixed\n\nhello\n-- \nsig\n",
      core::Limits{});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->text, "hello\n-- \nsig\n");
  EXPECT_EQ(Join(r->part_types), "text/plain");
  EXPECT_TRUE(HasWarning(*r, "without boundary")) << r->warnings.size();

  // A boundary parameter with no boundary line in the body.
  auto r2 = ParseMessage(
      "From: a@x.org\nContent-Type: multipart/mixed; boundary=zz\n\nhello\n",
      core::Limits{});
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->text, "hello\n");
  EXPECT_TRUE(HasWarning(*r2, "no boundary line"));
}

TEST(MimeAdapterTest, BodyTextChoice) {
  struct Case {
    std::string name;
    std::string raw;
    std::string want_text;
    bool from_html;
    size_t attachments;
  } cases[] = {
      {"inline text/plain with a file name is still the body",
       "From: a@x.org\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
       "Content-Type: text/plain; name=fabel.txt\n"
       "Content-Disposition: inline; filename=fabel.txt\n\nDie Hasen\n--b--\n",
       "Die Hasen", false, 1},
      {"text/plain attachment is not the body",
       "From: a@x.org\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
       "Content-Type: text/plain\n\nbody\n--b\n"
       "Content-Type: text/plain\nContent-Disposition: attachment\n\nlog\n"
       "--b--\n",
       "body", false, 1},
      {"blank plain part loses to html",
       "From: a@x.org\nContent-Type: multipart/alternative; boundary=b\n\n"
       "--b\nContent-Type: text/plain\n\n\n\n--b\n"
       "Content-Type: text/html\n\n<p>real</p>\n--b--\n",
       "real", true, 0},
      {"same boundary inside: the empty inner part does not win",
       "From: a@x.org\nContent-Type: multipart/mixed; boundary=s\n\n--s\n"
       "Content-Type: multipart/alternative; boundary=s\n\n--s\n"
       "Content-Type: text/plain\n\nhello\n--s--\n",
       "hello", false, 0},
      {"a second inline text/plain part is shown below the first",
       "From: a@x.org\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
       "Content-Type: text/plain\n\nbody\n--b\n"
       "Content-Type: text/plain; name=message.txt\n"
       "Content-Disposition: inline; filename=message.txt\n\n"
       "gateway notice\n--b--\n",
       "body\n\ngateway notice", false, 1},
      {"closing boundary before any part",
       "From: a@x.org\nContent-Type: multipart/alternative; boundary=b\n\n"
       "--x\nbroken\n--b--\n",
       "--x\nbroken\n--b--\n", false, 0},
  };
  for (const auto& c : cases) {
    auto r = ParseMessage(c.raw, core::Limits{});
    ASSERT_TRUE(r.has_value()) << c.name;
    EXPECT_EQ(r->text, c.want_text) << c.name;
    EXPECT_EQ(r->text_from_html, c.from_html) << c.name;
    EXPECT_EQ(r->attachments.size(), c.attachments) << c.name;
  }
}

TEST(MimeAdapterTest, BoundaryGuessedFromBody) {
  // A bounce whose boundary parameter was cut ("bo"), as in cpython's
  // msg_25.txt: the delimiter lines in the body are used.
  auto r = ParseMessage(
      "From: MAILER-DAEMON@x.org\n"
      "Content-Type: multipart/report; report-type=delivery-status;\n\tbo\n\n"
      "preamble\n\n--JAB.1/x.org\n\nThe original message was received\n\n"
      "--JAB.1/x.org\nContent-Type: message/delivery-status\n\n"
      "Reporting-MTA: dns; x.org\n\nFinal-Recipient: rfc822; a@y.org\n"
      "Action: failed\nStatus: 5.4.6\n\n--JAB.1/x.org--\n",
      core::Limits{});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->report_type, "delivery-status");
  ASSERT_TRUE(r->delivery_status.has_value());
  EXPECT_EQ(r->delivery_status->status, "5.4.6");
  EXPECT_EQ(r->text, "The original message was received\n");
  EXPECT_TRUE(HasWarning(*r, "boundary \"JAB.1/x.org\" guessed"));

  // Failing cases: signature and ruler lines are no boundary.
  struct Case {
    std::string body;
  } cases[] = {
      {"hello\n-- \nsig\n-- \n"},
      {"text\n--------\nmore text\n--------\n"},
      {"--once\nContent-Type: text/plain\n\nnever repeated\n"},
  };
  for (const auto& c : cases) {
    auto p = ParseMessage(
        "From: a@x.org\nContent-Type: multipart/mixed\n\n" + c.body,
        core::Limits{});
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->text, c.body);
    EXPECT_TRUE(HasWarning(*p, "read as one text part")) << c.body;
  }
}

TEST(MimeAdapterTest, MissingInnerClosingBoundary) {
  // DEPS-FACTS 4.2: mimetic drops or misplaces the parts after the
  // unclosed alternative. Here they must all be found.
  auto r = ParseMessage(
      "From: a@x.org\n"
      "Content-Type: multipart/mixed; boundary=b1\n\n"
      "--b1\n"
      "Content-Type: multipart/alternative; boundary=b2\n\n"
      "--b2\n"
      "Content-Type: text/plain\n\nplain\n"
      "--b2\n"
      "Content-Type: text/html\n\n<p>html</p>\n"
      "--b1\n"
      "Content-Type: application/pdf; name=a.pdf\n\nPDF\n"
      "--b1\n"
      "Content-Type: message/rfc822\n\nSubject: inner\n\nbody\n"
      "--b1--\n",
      core::Limits{});
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(Join(r->part_types),
            "text/plain,text/html,application/pdf,message/rfc822");
  EXPECT_EQ(r->text, "plain");
  EXPECT_EQ(r->attachments.size(), 2u);
  EXPECT_TRUE(HasWarning(*r, "closing boundary \"--b2--\" missing"));
}

TEST(MimeAdapterTest, EightBitHeaders) {
  // An 8-bit header name and a line without colon before Content-Type:
  // mimetic ends the header there and loses the multipart structure.
  auto r = ParseMessage(
      "From: J\xFCrgen <j@x.de>\n"
      "Subject: Gr\xFC\xDF"
      "e aus K\xF6ln\n"
      "X-N\xE4me: 1\n"
      "this line has no colon\n"
      "Content-Type: multipart/mixed; boundary=q\n\n"
      "--q\nContent-Type: text/plain\n\nbody\n--q--\n",
      core::Limits{});
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->subject, "Grüße aus Köln");
  EXPECT_EQ(r->from.name, "Jürgen");
  EXPECT_EQ(r->content_type, "multipart/mixed");
  EXPECT_EQ(r->text, "body");
  EXPECT_TRUE(HasWarning(*r, "8-bit byte in header name"));
  EXPECT_TRUE(HasWarning(*r, "without colon skipped"));
  EXPECT_TRUE(HasWarning(*r, "8-bit bytes in header Subject"));
  // Header values keep their raw bytes.
  EXPECT_EQ(*r->Header("Subject"),
            "Gr\xFC\xDF"
            "e aus K\xF6ln");
}

TEST(MimeAdapterTest, CharsetsInBodies) {
  struct Case {
    std::string_view content_type;
    std::string_view body;
    std::string_view want_prefix;
    std::string_view want_charset;
  } cases[] = {
      {"text/plain; charset=gb2312", "\xC4\xE3\xBA\xC3", "你好", "GB18030"},
      {"text/plain; charset=iso-2022-jp", "\x1B$B$3$s$K$A$O\x1B(B",
       "こんにちは", "ISO-2022-JP"},
      {"text/plain; charset=windows-1256",
       "\xCF\xD1\xCE\xE6\xC7\xD3\xCA \xDE\xED\xE3\xCA", "درخواست قيمت",
       "WINDOWS-1256"},
      // Undeclared Persian cp1256: detected.
      {"text/plain",
       "\xD3\xE1\xC7\xE3\xA1 \xE1\xD8\xDD\xC7 \xD3\xDD\xC7\xD1\xD4 \xE3\xE4 "
       "\xD1\xC7 \xC8\xD1\xD1\xD3\xED \xDF\xE4\xED\xCF. \xC8\xC7 "
       "\xCA\xD4\xDF\xD1 \xC7\xD2 \xD4\xE3\xC7.",
       "سلام", "WINDOWS-1256"},
      // Declared Big5, actually UTF-8 (discourse/chinese_reply.eml).
      {"text/plain; charset=big5", "您好！ 你今天好吗？", "您好！", "UTF-8"},
      // A charset label that is no charset.
      {"text/plain; charset=\"_iso-2022-jp$ESC\"", "plain", "plain", "UTF-8"},
  };
  for (const auto& c : cases) {
    std::string raw =
        "From: a@x.org\nContent-Type: " + std::string(c.content_type) + "\n\n" +
        std::string(c.body);
    auto r = ParseMessage(raw, core::Limits{});
    ASSERT_TRUE(r.has_value()) << c.content_type;
    EXPECT_TRUE(r->text.starts_with(c.want_prefix))
        << c.content_type << ": " << r->text;
    EXPECT_EQ(r->text_charset, c.want_charset) << c.content_type;
  }
}

std::string Nested(size_t depth) {
  std::string raw = "From: a@x.org\n";
  for (size_t i = 0; i < depth; ++i) {
    raw += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) +
           "\n\n--b" + std::to_string(i) + "\n";
  }
  raw += "Content-Type: text/plain\n\ndeep\n";
  return raw;
}

TEST(MimeAdapterTest, LimitsGiveDataLoss) {
  core::Limits limits;
  struct Case {
    std::string name;
    std::string raw;
    std::string want_error;  // "" when the message must parse
  } cases[] = {
      {"depth 20 ok", Nested(20), ""},
      {"depth 25", Nested(25), "mime depth 21 over limit 20"},
      {"huge header",
       "From: a@x.org\nX-Big: " + std::string(1200000, 'x') + "\n\nbody",
       "header block 1200023 bytes over limit 1048576"},
      {"big message", "From: a@x.org\n\n" + std::string(26u << 20, 'x'),
       "message 27262991 bytes over limit 26214400"},
      {"empty", "", "no header block"},
      {"binary garbage", std::string("\x00\x01\x02\xFF\xFE", 5),
       "no header block"},
  };
  for (const auto& c : cases) {
    auto r = ParseMessage(c.raw, limits);
    if (c.want_error.empty()) {
      EXPECT_TRUE(r.has_value()) << c.name << ": " << r.error().ToString();
      continue;
    }
    ASSERT_FALSE(r.has_value()) << c.name;
    EXPECT_EQ(r.error().code, core::Code::kDataLoss) << c.name;
    EXPECT_EQ(r.error().message, c.want_error) << c.name;
  }

  // Part count: 1001 sibling parts plus the top entity.
  std::string many =
      "From: a@x.org\nContent-Type: multipart/mixed; boundary=p\n\n";
  for (int i = 0; i < 1001; ++i) many += "--p\n\nx\n";
  auto r = ParseMessage(many, limits);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "mime part count 1001 over limit 1000");
  limits.mime_max_parts = 2000;
  EXPECT_TRUE(ParseMessage(many, limits).has_value());
}

TEST(MimeAdapterTest, MimeticCrashersDoNotCrash) {
  // DEPS-FACTS 4.2: "To::" SEGVs mimetic on destruction; the 32-byte input
  // throws std::length_error in its constructor.
  struct Case {
    std::string raw;
  } cases[] = {
      {"To::\n\n"},
      {"Cc::\nReply-To::\n\n"},
      {std::string("Content-Type:multipart\r\xff--\n\n\r\n--")},
      {"Content-Type: multipart/mixed; boundary=\"\"\n\n--\n--\n"},
      {"Content-Type: multipart/mixed; boundary=x\n\n--x\n--x\n--x--\n"},
  };
  for (const auto& c : cases) {
    auto r = ParseMessage(c.raw, core::Limits{});
    if (r.has_value()) {
      EXPECT_TRUE(r->to.empty());
      EXPECT_EQ(r->raw_size, c.raw.size());
    } else {
      EXPECT_EQ(r.error().code, core::Code::kDataLoss);
    }
  }
}

constexpr std::string_view kDsn =
    "Return-Path: <>\n"
    "From: Mail Delivery System <MAILER-DAEMON@mx.example>\n"
    "To: support@shop.example\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "Auto-Submitted: auto-replied\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    "\tboundary=\"rep\"\n"
    "\n"
    "--rep\n"
    "Content-Type: text/plain\n"
    "\n"
    "I'm sorry to have to inform you that your message could not be "
    "delivered.\n"
    "--rep\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mx.example\n"
    "Arrival-Date: Mon, 23 Nov 2026 18:45:55 +0100\n"
    "\n"
    "Final-Recipient: rfc822; nobody@customer.example\n"
    "Original-Recipient: rfc822;nobody@customer.example\n"
    "Action: FAILED\n"
    "Status: 5.1.1\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <nobody@customer.example>:\n"
    "    Recipient address rejected: User unknown\n"
    "\n"
    "--rep\n"
    "Content-Type: %s\n"
    "\n"
    "Message-ID: <ack-42@shop.example>\n"
    "From: support@shop.example\n"
    "Subject: Your request #42\n"
    "\n"
    "%s"
    "--rep--\n";

TEST(MimeAdapterTest, DeliveryStatusNotification) {
  for (std::string_view enclosed : {"message/rfc822", "text/rfc822-headers"}) {
    std::string raw(kDsn);
    raw.replace(raw.find("%s"), 2, enclosed);
    raw.replace(raw.find("%s"), 2,
                enclosed == "message/rfc822" ? "Thanks for writing.\n" : "");
    auto r = ParseMessage(raw, core::Limits{});
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    EXPECT_EQ(r->content_type, "multipart/report");
    EXPECT_EQ(r->report_type, "delivery-status");
    ASSERT_TRUE(r->delivery_status.has_value());
    const auto& ds = *r->delivery_status;
    EXPECT_EQ(ds.action, "failed");
    EXPECT_EQ(ds.status, "5.1.1");
    EXPECT_EQ(ds.final_recipient, "nobody@customer.example");
    EXPECT_EQ(ds.diagnostic_code,
              "smtp; 550 5.1.1 <nobody@customer.example>:    Recipient "
              "address rejected: User unknown");
    EXPECT_EQ(ds.original_message_id, "ack-42@shop.example");
    EXPECT_TRUE(r->original_headers.starts_with("Message-ID: <ack-42@"));
    EXPECT_TRUE(r->original_headers.find("Subject: Your request #42") !=
                std::string::npos);
    EXPECT_TRUE(r->text.starts_with("I'm sorry")) << enclosed;
    EXPECT_TRUE(r->has_return_path);
    EXPECT_EQ(r->return_path, "");
    EXPECT_EQ(Join(r->part_types),
              "text/plain,message/delivery-status," + std::string(enclosed));
  }
  // A report without a delivery-status part has no DeliveryStatus.
  auto r = ParseMessage(
      "From: a@x.org\nContent-Type: multipart/report; report-type=feedback;"
      " boundary=z\n\n--z\nContent-Type: text/plain\n\nabuse\n--z--\n",
      core::Limits{});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->report_type, "feedback");
  EXPECT_FALSE(r->delivery_status.has_value());
}

TEST(MimeAdapterTest, UnknownTransferEncodingWarns) {
  auto r = ParseMessage(
      "From: a@x.org\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 a\n",
      core::Limits{});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->text, "begin 644 a\n");
  EXPECT_TRUE(
      HasWarning(*r, "unknown content-transfer-encoding \"x-uuencode\""));
  auto ok =
      ParseMessage("From: a@x.org\nContent-Transfer-Encoding: 7BIT\n\nplain\n",
                   core::Limits{});
  ASSERT_TRUE(ok.has_value());
  EXPECT_TRUE(ok->warnings.empty());
}

TEST(MimeAdapterTest, InvalidDateWarns) {
  auto r =
      ParseMessage("From: a@x.org\nDate: sometime soon\n\nx", core::Limits{});
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->date.has_value());
  EXPECT_TRUE(HasWarning(*r, "invalid date: sometime soon"));
}

TEST(MimeAdapterTest, DigestAndMboxLine) {
  auto r = ParseMessage(
      "From someone Mon Jan  1 00:00:00 2024\n"
      "From: list@x.org\nContent-Type: multipart/digest; boundary=d\n\n"
      "--d\n\nSubject: one\n\nfirst\n--d\n\nSubject: two\n\nsecond\n--d--\n",
      core::Limits{});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(Join(r->part_types), "message/rfc822,message/rfc822");
  EXPECT_EQ(r->from.addr, "list@x.org");
  EXPECT_TRUE(HasWarning(*r, "mbox From_ line"));
}

TEST(MimeAdapterTest, HeadersBestEffort) {
  std::string raw =
      "Message-ID: <q@x>\nFrom: A <a@x.org>\nSubject: "
      "=?UTF-8?Q?caf=C3=A9?=\nX-Big: " +
      std::string(2000, 'x') + "\nTo: late@x.org\n\nbody";
  core::Limits limits;
  limits.max_header_bytes = 1000;
  ASSERT_FALSE(ParseMessage(raw, limits).has_value());
  core::Message m = ParseHeadersBestEffort(raw, limits);
  EXPECT_EQ(m.message_id, "q@x");
  EXPECT_EQ(m.from.addr, "a@x.org");
  EXPECT_EQ(m.subject, "café");
  EXPECT_TRUE(m.to.empty());  // beyond the limit
  EXPECT_EQ(m.sha256, core::Sha256Hex(raw));
  EXPECT_EQ(m.raw_size, raw.size());
  EXPECT_TRUE(HasWarning(m, "over limit 1000"));

  core::Message empty = ParseHeadersBestEffort("", limits);
  EXPECT_EQ(empty.raw_size, 0u);
  EXPECT_EQ(empty.sha256, core::Sha256Hex(""));
}

}  // namespace
}  // namespace inboxd::ingest

namespace inboxd::ingest {
namespace {

// Hostile shapes that would make a naive scanner quadratic. Each input is
// about 1 MB; a quadratic pass would take minutes, linear ones take
// milliseconds (the bound is loose for sanitizer builds).
TEST(MimeAdapterTest, PathologicalInputsStayFast) {
  auto repeat = [](std::string_view s, size_t bytes) {
    std::string out;
    while (out.size() < bytes) out += s;
    return out;
  };
  constexpr size_t kSize = 1000000;
  core::Limits limits;
  limits.max_header_bytes = 2u << 20;
  struct Case {
    std::string name;
    std::string raw;
  } cases[] = {
      {"encoded word starts without close",
       "Subject: " + repeat("=?a?B?a", kSize) + "\n\nx"},
      {"encoded word starts, one close at the end",
       "Subject: " + repeat("=?a?Q?a ", kSize) + "?=\n\nx"},
      {"html ampersands without semicolon",
       "Content-Type: text/html\n\n" + repeat("&a", kSize) + ";"},
      {"html tags without end",
       "Content-Type: text/html\n\n" + repeat("<", kSize)},
      {"boundary prefixes mid-line",
       "Content-Type: multipart/mixed; boundary=b\n\n--b\n\n" +
           repeat("x--b", kSize)},
      {"address list of commas and quotes",
       "To: " + repeat("\"a\",<", kSize) + "\n\nx"},
      {"parameters",
       "Content-Type: text/plain" + repeat("; a*1=x", kSize) + "\n\nx"},
  };
  for (const auto& c : cases) {
    auto start = std::chrono::steady_clock::now();
    auto r = ParseMessage(c.raw, limits);
    double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    EXPECT_TRUE(r.has_value()) << c.name << ": " << r.error().ToString();
    EXPECT_LT(secs, 10.0) << c.name;
    std::cout << c.name << ": " << secs << " s\n";
  }
}

}  // namespace
}  // namespace inboxd::ingest

namespace inboxd::ingest {
namespace {

std::string ReadFixture(std::string_view name) {
  std::ifstream in(std::string(INBOXD_SOURCE_DIR) + "/tests/fixtures/mime/" +
                       std::string(name),
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The fixture files in tests/fixtures/mime, one row each.
TEST(MimeAdapterTest, FixtureFiles) {
  struct Case {
    std::string_view file;
    std::string_view from_name;
    std::string_view subject;
    std::string_view text_prefix;
    std::string_view text_charset;
    std::string_view part_types;
    std::string_view attachment;  // first attachment's file name
  } cases[] = {
      {"de_complaint_alternative.eml", "Jürgen Weiß",
       "Beschwerde: beschädigter Stuhl",
       "Sehr geehrte Damen und Herren,\n\nder gelieferte Stuhl ist beschädigt.",
       "WINDOWS-1252", "text/plain,text/html,image/jpeg",
       "Schäden am Stuhl.jpg"},
      {"zh_quote_gb2312.eml", "王先生", "询价：办公椅",
       "您好：\n我们想询问三百套办公椅的报价，请提供价格和交货时间。\n镕",
       "GB18030", "text/plain", ""},
      {"fa_support_cp1256.eml", "علي رضايي", "درخواست پشتيباني",
       "سلام،\nسفارش من هنوز نرسيده است.", "WINDOWS-1256", "text/plain", ""},
      {"ja_iso2022jp.eml", "山田", "見積もり依頼",
       "お世話になっております。\n見積もりをお願いします。", "ISO-2022-JP",
       "text/plain", ""},
      {"dsn_bounce.eml", "Mail Delivery System",
       "Undelivered Mail Returned to Sender",
       "This is the mail system at host mx.shop.example.", "UTF-8",
       "text/plain,message/delivery-status,text/rfc822-headers", ""},
  };
  for (const auto& c : cases) {
    std::string raw = ReadFixture(c.file);
    ASSERT_FALSE(raw.empty()) << c.file;
    auto r = ParseMessage(raw, core::Limits{});
    ASSERT_TRUE(r.has_value()) << c.file << ": " << r.error().ToString();
    EXPECT_EQ(r->from.name, c.from_name) << c.file;
    EXPECT_EQ(r->subject, c.subject) << c.file;
    EXPECT_TRUE(r->text.starts_with(c.text_prefix))
        << c.file << ": " << r->text;
    EXPECT_EQ(r->text_charset, c.text_charset) << c.file;
    EXPECT_EQ(Join(r->part_types), c.part_types) << c.file;
    if (c.attachment.empty()) {
      EXPECT_TRUE(r->attachments.empty()) << c.file;
    } else {
      ASSERT_FALSE(r->attachments.empty()) << c.file;
      EXPECT_EQ(r->attachments[0].filename, c.attachment) << c.file;
    }
    EXPECT_TRUE(r->date.has_value()) << c.file;
    EXPECT_TRUE(r->warnings.empty()) << c.file << ": " << r->warnings[0];
  }
  auto dsn = ParseMessage(ReadFixture("dsn_bounce.eml"), core::Limits{});
  ASSERT_TRUE(dsn.has_value() && dsn->delivery_status.has_value());
  EXPECT_EQ(dsn->delivery_status->status, "5.1.1");
  EXPECT_EQ(dsn->delivery_status->original_message_id,
            "ack-T1001@shop.example");
  EXPECT_EQ(dsn->delivery_status->final_recipient, "nobody@kunde.example");
}

}  // namespace
}  // namespace inboxd::ingest
