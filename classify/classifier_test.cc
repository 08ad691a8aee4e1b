#include "classify/classifier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "classify/test_message.h"

namespace inboxd::classify {
namespace {

using testing::Msg;

class ClassifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.classify.own_domains = {"ack.shop.example"};
    config_.classify.ticket_prefix = {{"support", "S"}};
    config_.classify.agent_domains = {"staff.shop.example"};
    config::Mailbox support;
    support.name = "support";
    support.address = "support@shop.example";
    support.language = "de";
    config::Mailbox sales;
    sales.name = "sales";
    sales.address = "sales@shop.example";
    sales.default_class = "quote";
    config_.mailboxes = {support, sales};
    config_.agents = {{"Anna", "anna@shop.example", "sales", {}, {}, ""}};
    auto c = Classifier::Create(config_);
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    classifier_ = std::move(*c);
    ctx_.mailbox = &config_.mailboxes[0];
    ctx_.threads = &threads_;
  }
  Decision Run(const core::Message& m) {
    auto d = classifier_->Classify(m, ctx_);
    EXPECT_TRUE(d.has_value());
    return d.value_or(Decision{});
  }
  static bool Fired(const Decision& d, std::string_view id) {
    return std::any_of(d.hits.begin(), d.hits.end(),
                       [&](const Reason& r) { return r.rule_id == id; });
  }
  static std::string Dump(const Decision& d) {
    std::string s;
    for (const auto& r : d.reasons) s += "  " + r + "\n";
    return s;
  }

  config::Config config_;
  std::unique_ptr<Classifier> classifier_;
  InMemoryThreadLookup threads_;
  Context ctx_;
};

struct KindCase {
  const char* name;
  core::Message msg;
  Kind want;
  const char* rule;  // a rule id that must fire ("" = none required)
};

core::Message WithFrom(core::Message m, std::string addr,
                       std::string name = "") {
  m.from = {std::move(name), std::move(addr)};
  return m;
}
core::Message WithReturnPath(core::Message m, std::string rp) {
  m.has_return_path = true;
  m.return_path = std::move(rp);
  return m;
}
core::Message WithType(core::Message m, std::string ct, std::string rt,
                       std::vector<std::string> parts = {}) {
  m.content_type = std::move(ct);
  m.report_type = std::move(rt);
  m.part_types = std::move(parts);
  return m;
}

// Every automatic-mail rule family, each passing case next to a human case
// that must not fire.
TEST_F(ClassifierTest, AutomaticKinds) {
  const char* hi = "Hallo, mein Drucker druckt nicht mehr. Was kann ich tun?";
  core::Message dsn = WithType(
      Msg("Undelivered Mail Returned to Sender", "x",
          {{"Auto-Submitted", "auto-replied"}}, "MAILER-DAEMON@mx.example"),
      "multipart/report", "delivery-status",
      {"text/plain", "message/delivery-status"});
  dsn.delivery_status = core::DeliveryStatus{"failed", "5.1.1", "x@y.example",
                                             "", "ours@ack.shop.example"};
  core::Message attach = Msg("Hi there", "I am sending you the bills");
  attach.attachments = {{"export_pdf.js", "application/javascript", 10}};
  core::Message attach_spam =
      Msg("Hi there", "We offer loans to private persons at 2% interest");
  attach_spam.attachments = attach.attachments;
  core::Message pdf = Msg("Rechnung", "Anbei die Rechnung");
  pdf.attachments = {{"rechnung.pdf", "application/pdf", 10}};

  KindCase cases[] = {
      // RFC 3834.
      {"auto-submitted", Msg("Re: x", hi, {{"Auto-Submitted", "auto-replied"}}),
       Kind::kAutoReply, "rfc3834.auto_submitted"},
      {"auto-submitted generated",
       Msg("x", hi, {{"Auto-Submitted", "auto-generated (warning)"}}),
       Kind::kAutoReply, "rfc3834.auto_submitted"},
      {"auto-submitted no", Msg("x", hi, {{"Auto-Submitted", "no"}}),
       Kind::kHuman, ""},
      {"auto-submitted No comment",
       Msg("x", hi, {{"Auto-Submitted", "No (manual)"}}), Kind::kHuman, ""},
      // Precedence.
      {"precedence list", Msg("x", hi, {{"Precedence", "list"}}),
       Kind::kListBulk, "precedence.list"},
      {"precedence junk", Msg("x", hi, {{"Precedence", "junk"}}), Kind::kSpam,
       "precedence.junk"},
      {"precedence auto_reply", Msg("x", hi, {{"Precedence", "auto_reply"}}),
       Kind::kAutoReply, "precedence.auto_reply"},
      {"x-precedence bulk", Msg("x", hi, {{"X-Precedence", "bulk"}}),
       Kind::kListBulk, "x_precedence.list_bulk"},
      {"precedence bulk alone is weak",
       Msg("RE: Fwd: Stuff", hi, {{"Precedence", "bulk"}}), Kind::kHuman, ""},
      {"precedence bulk with another signal",
       Msg("x", hi, {{"Precedence", "bulk"}, {"X-Loop", "lists.example"}}),
       Kind::kListBulk, "precedence.bulk"},
      {"precedence first-class", Msg("x", hi, {{"Precedence", "first-class"}}),
       Kind::kHuman, ""},
      // Exchange.
      {"xars all", Msg("x", hi, {{"X-Auto-Response-Suppress", "All"}}),
       Kind::kAutoReply, "exchange.xars_all"},
      {"xars list on human reply",
       Msg("Re: x", hi,
           {{"X-Auto-Response-Suppress", "DR, RN, NRN, OOF, AutoReply"}}),
       Kind::kHuman, ""},
      {"exchange rules loop",
       Msg("x", hi, {{"X-MS-Exchange-Inbox-Rules-Loop", "a@b"}}),
       Kind::kAutoReply, "exchange.inbox_rules_loop"},
      // Auto-responder headers.
      {"x-autoreply", Msg("x", hi, {{"X-Autoreply", "yes"}}), Kind::kAutoReply,
       "autoreply.x_autoreply"},
      {"x-autoreply no", Msg("x", hi, {{"X-Autoreply", "no"}}), Kind::kHuman,
       ""},
      {"x-autorespond", Msg("x", hi, {{"X-Autorespond", "1"}}),
       Kind::kAutoReply, "autoreply.x_autorespond"},
      {"x-autogenerated", Msg("x", hi, {{"X-Autogenerated", "Reply"}}),
       Kind::kAutoReply, "autoreply.x_autogenerated"},
      {"x-mail-autoreply", Msg("x", hi, {{"X-Mail-Autoreply", "yes"}}),
       Kind::kAutoReply, "autoreply.x_mail_autoreply"},
      {"x-autoreply-from", Msg("x", hi, {{"X-AutoReply-From", "a@b"}}),
       Kind::kAutoReply, "autoreply.x_autoreply_from"},
      {"x-qq-auto-reply", Msg("x", hi, {{"X-QQ-AUTO-REPLY", "true"}}),
       Kind::kAutoReply, "autoreply.x_qq_auto_reply"},
      {"zimbra vacation header", Msg("x", hi, {{"X-Zimbra-Vacation", "1"}}),
       Kind::kAutoReply, "autoreply.x_vacation"},
      {"x-loop", Msg("x", hi, {{"X-Loop", "FreeBSD.org"}}), Kind::kListBulk,
       "loop.x_loop"},
      {"our loop header", Msg("x", hi, {{"X-Inboxd-Loop", "support"}}),
       Kind::kAutoReply, "loop.inboxd"},
      // Lists.
      {"list-id", Msg("x", hi, {{"List-Id", "Users <users.lists.example>"}}),
       Kind::kListBulk, "list.list_id"},
      {"list-id without <id> is weak",
       Msg("illegal copy", hi, {{"List-Id", "abuser@rg.example Mailing List"}}),
       Kind::kHuman, ""},
      {"list-unsubscribe", Msg("x", hi, {{"List-Unsubscribe", "<mailto:u@x>"}}),
       Kind::kListBulk, "list.rfc2369"},
      {"errors-to", Msg("x", hi, {{"Errors-To", "bounce@x"}}), Kind::kListBulk,
       "list.errors_to"},
      {"named empty group", Msg("I-D ACTION", hi, {{"To", "IETF-Announce:;"}}),
       Kind::kListBulk, "list.named_group"},
      {"undisclosed alone is weak",
       Msg("x", hi, {{"To", "undisclosed-recipients:;"}}), Kind::kHuman, ""},
      {"sender owner-", Msg("Re: x", hi, {{"Sender", "owner-isp@FreeBSD.ORG"}}),
       Kind::kListBulk, "sender.sender_list_owner"},
      {"sender list itself is not owner",
       Msg("x", hi, {{"Sender", "Group <RRGA-L@LIST.EXAMPLE.ORG>"}}),
       Kind::kHuman, ""},
      {"from -request", WithFrom(Msg("digest", hi), "ppp-request@zzz.org"),
       Kind::kListBulk, "sender.list_owner"},
      {"from noreply", WithFrom(Msg("Order", hi), "noreply@psp.example"),
       Kind::kListBulk, "sender.noreply"},
      {"from do-not-reply", WithFrom(Msg("RFQ", hi), "do-not-reply@x.example"),
       Kind::kListBulk, "sender.noreply"},
      {"from notifications",
       WithFrom(Msg("x", hi), "notifications@github.example"), Kind::kListBulk,
       "sender.notification"},
      {"from newsflash", WithFrom(Msg("x", hi), "card_newsflash@x.example"),
       Kind::kListBulk, "sender.notification"},
      {"from newman is a person", WithFrom(Msg("x", hi), "newman@x.example"),
       Kind::kHuman, ""},
      // Content rules (words) are shown corroborating a weak structural
      // signal (Precedence: bulk, a failed SPF check); alone they decide
      // nothing (ContentAloneStaysHuman).
      {"view in browser",
       Msg("News", "ACADEMIC NEWSLETTER\nView email in browser: http://x",
           {{"Precedence", "bulk"}}),
       Kind::kListBulk, "bulk.view_in_browser"},
      {"unsubscribe footer",
       Msg("Offer", "Great deals.\nTo unsubscribe click here",
           {{"Precedence", "bulk"}}),
       Kind::kListBulk, "bulk.unsubscribe_footer"},
      {"customer asking to unsubscribe",
       Msg("Newsletter", "Bitte melden Sie mich ab."), Kind::kHuman, ""},
      {"booking confirmation",
       Msg("Confirmation of Booking with easyHotel",
           "Thank you for booking with easyHotel.", {{"Precedence", "bulk"}}),
       Kind::kListBulk, "bulk.transactional_subject"},
      {"asking about a confirmation",
       Msg("No order confirmation received?", hi), Kind::kHuman, ""},
      {"digest", WithType(Msg("x", hi), "multipart/digest", ""),
       Kind::kListBulk, "bulk.digest"},
      // Bounces.
      {"dsn with auto-submitted is a bounce", dsn, Kind::kBounce,
       "dsn.report_delivery_status"},
      {"daemon sender",
       WithFrom(Msg("failure notice", "Hi. This is the qmail-send program"),
                "MAILER-DAEMON@mx.example"),
       Kind::kBounce, "bounce.daemon_sender"},
      {"postmaster", WithFrom(Msg("x", hi), "postmaster@mx.example"),
       Kind::kBounce, "bounce.daemon_sender"},
      {"x-failed-recipients", Msg("x", hi, {{"X-Failed-Recipients", "a@b"}}),
       Kind::kBounce, "bounce.failed_recipients"},
      {"bounce subject",
       Msg("Undeliverable: Angebot", hi, {{"Precedence", "bulk"}}),
       Kind::kBounce, "bounce.subject"},
      {"parcel not delivered is human", Msg("My parcel was not delivered", hi),
       Kind::kHuman, ""},
      {"bounce body",
       Msg("x",
           "This is the mail system at host mx.example.\n\nI'm sorry to have "
           "to inform you that your message could not\nbe delivered",
           {{"Precedence", "bulk"}}),
       Kind::kBounce, "bounce.body"},
      {"bounce subject ja",
       Msg("配信不能のお知らせ", "x", {{"Precedence", "bulk"}}), Kind::kBounce,
       "bounce.subject"},
      {"bounce subject ru",
       Msg("Недоставленное сообщение", "x", {{"Precedence", "bulk"}}),
       Kind::kBounce, "bounce.subject"},
      {"arf report",
       WithType(Msg("Abuse report", hi), "multipart/report", "feedback-report",
                {"text/plain", "message/feedback-report", "message/rfc822"}),
       Kind::kBounce, "arf.report"},
      {"mdn",
       WithType(Msg("Disposition notification", hi), "multipart/report",
                "disposition-notification"),
       Kind::kAutoReply, "mdn.report"},
      {"null sender", WithReturnPath(Msg("x", hi), ""), Kind::kAutoReply,
       "bounce.null_sender"},
      {"normal return path", WithReturnPath(Msg("x", hi), "kunde@example.org"),
       Kind::kHuman, ""},
      // Spam.
      {"x-spam-flag", Msg("x", hi, {{"X-Spam-Flag", "YES"}}), Kind::kSpam,
       "spam.x_spam_flag"},
      {"x-spam-flag no", Msg("x", hi, {{"X-Spam-Flag", "NO"}}), Kind::kHuman,
       ""},
      {"x-spam-status yes", Msg("x", hi, {{"X-Spam-Status", "Yes, score=9"}}),
       Kind::kSpam, "spam.x_spam_status"},
      {"x-spam-status no", Msg("x", hi, {{"X-Spam-Status", "No, score=0.8"}}),
       Kind::kHuman, ""},
      {"gtube",
       Msg("x",
           "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C."
           "34X"),
       Kind::kSpam, "spam.gtube"},
      {"loan",
       Msg("Apply For Loans @ 2% Per Annum",
           "We offer loans to private individuals at 2% interest rate.",
           {{"Authentication-Results", "mx.shop.example; spf=fail"}}),
       Kind::kSpam, "spam.loan_offer"},
      {"asking about a loan",
       Msg("Kredit", "Can I pay the printer in instalments?"), Kind::kHuman,
       ""},
      {"zh invoice spam",
       Msg("代开各地增值税发票", "x",
           {{"Authentication-Results", "mx.shop.example; spf=fail"}}),
       Kind::kSpam, "spam.zh_invoice"},
      {"zh asking for a vat invoice",
       Msg("请开具增值税发票", "您好，请给我们开具增值税发票。"), Kind::kHuman,
       ""},
      // Weak: an executable alone is not enough, spam words corroborate it.
      {"exe attachment alone", attach, Kind::kHuman, ""},
      {"exe attachment and spam words", attach_spam, Kind::kSpam,
       "spam.dangerous_attachment"},
      {"pdf attachment", pdf, Kind::kHuman, ""},
      {"gateway removed attachment",
       Msg("Hi",
           "The WatchGuard Firebox that protects your network has detected a "
           "message that may not be safe.",
           {{"Authentication-Results", "mx.shop.example; spf=fail"}}),
       Kind::kSpam, "bounce.gateway_blocked"},
      {"rfq spam wins over quote",
       WithFrom(
           Msg("Urgent Request for Order Quotation",
               "You are invited to give your price according to enclosed RFQ",
               {{"Precedence", "junk"}}),
           "purchasing@x.example"),
       Kind::kSpam, "precedence.junk"},
  };
  for (auto& c : cases) {
    Decision d = Run(c.msg);
    EXPECT_EQ(KindName(d.kind), KindName(c.want)) << c.name << "\n" << Dump(d);
    if (*c.rule) {
      EXPECT_TRUE(Fired(d, c.rule)) << c.name << "\n" << Dump(d);
    }
    if (c.want != Kind::kHuman) {
      EXPECT_FALSE(d.ack) << c.name;
      EXPECT_TRUE(d.cls.empty()) << c.name;
    }
  }
}

TEST_F(ClassifierTest, DsnLinksTheBouncedMessage) {
  core::Message m = WithType(Msg("Delivery Status Notification (Failure)", "x"),
                             "multipart/report", "delivery-status");
  m.delivery_status = core::DeliveryStatus{"failed", "5.1.1", "x@y.example",
                                           "smtp; 550 no such user",
                                           "inboxd.7@ack.shop.example"};
  Decision d = Run(m);
  EXPECT_EQ(d.kind, Kind::kBounce);
  EXPECT_EQ(d.bounced_message_id, "inboxd.7@ack.shop.example");
  EXPECT_TRUE(Fired(d, "dsn.parsed"));
  // Without a parsed report the enclosed headers are used.
  core::Message n = WithFrom(Msg("failure notice", "x"), "MAILER-DAEMON@mx");
  n.original_headers =
      "From: support@shop.example\r\nMessage-ID: <a1@ack.shop.example>\r\n";
  EXPECT_EQ(Run(n).bounced_message_id, "a1@ack.shop.example");
}

// Out-of-office subjects and first lines in the 12 languages, each with a
// human message in the same language that must stay human.
// The content cases of AutomaticKinds without the weak structural signal
// they corroborate: human, acknowledged (issue 8 item 1).
TEST_F(ClassifierTest, ContentAloneStaysHuman) {
  const core::Message cases[] = {
      Msg("News", "ACADEMIC NEWSLETTER\nView email in browser: http://x"),
      Msg("Offer", "Great deals.\nTo unsubscribe click here"),
      Msg("Confirmation of Booking with easyHotel",
          "Thank you for booking with easyHotel."),
      Msg("Undeliverable: Angebot", "Hello"),
      Msg("配信不能のお知らせ", "x"),
      Msg("Apply For Loans @ 2% Per Annum",
          "We offer loans to private individuals at 2% interest rate."),
      Msg("代开各地增值税发票", "x"),
  };
  for (const core::Message& m : cases) {
    Decision d = Run(m);
    EXPECT_EQ(d.kind, Kind::kHuman) << m.subject << "\n" << Dump(d);
    EXPECT_TRUE(d.ack) << m.subject << "\n" << Dump(d);
  }
}

TEST_F(ClassifierTest, OutOfOfficeTwelveLanguages) {
  struct Case {
    const char* lang;
    const char* subject;
    const char* first_line;
    const char* human_subject;
    const char* human_text;
  } cases[] = {
      {"en", "Out of Office: Your order",
       "I am out of the office until Monday.", "Office chair order",
       "Please send me the price of your office chairs."},
      {"de", "Abwesenheitsnotiz: Angebot", "Ich bin derzeit nicht im Büro.",
       "Büro-Drucker", "Unser Drucker im Büro funktioniert nicht."},
      {"fr", "Réponse automatique : devis", "Je suis actuellement absent.",
       "Réponse à votre devis", "Merci pour votre devis, nous acceptons."},
      {"es", "Respuesta automática: pedido",
       "Estoy fuera de la oficina hasta el lunes.", "Pedido de oficina",
       "Quisiera un presupuesto para la oficina."},
      {"it", "Risposta automatica: ordine", "Sono fuori ufficio fino a lunedì.",
       "Ordine ufficio", "Vorrei un preventivo per il nostro ufficio."},
      {"nl", "Automatisch antwoord: offerte", "Ik ben momenteel afwezig.",
       "Offerte kantoor", "Graag een offerte voor ons kantoor."},
      {"pt", "Resposta automática: pedido",
       "Estou fora do escritório até segunda.", "Pedido escritório",
       "Gostaria de um orçamento para o escritório."},
      {"zh", "自动回复: 报价", "我目前正在休假，将于下周一回来。", "报价请求",
       "您好，请给我们报价，谢谢。"},
      {"ja", "自動返信: お問い合わせ", "ただいま不在にしております。",
       "お問い合わせ", "プリンターが動きません。"},
      {"ru", "Автоответ: заказ", "Я в отпуске до понедельника.", "Заказ",
       "Пожалуйста, пришлите счёт."},
      {"fa", "پاسخ خودکار: قیمت", "من در حال حاضر در مرخصی هستم.",
       "درخواست قیمت", "لطفا قیمت چاپگر را ارسال کنید."},
      {"ar", "رد تلقائي: طلب", "أنا حاليا خارج المكتب.", "طلب عرض سعر",
       "أرجو إرسال عرض سعر للطابعات."},
  };
  // Classic vacation responders set Precedence: bulk (a weak structural
  // signal); the out-of-office words corroborate it. Alone the same words
  // leave the mail human (issue 8: content never decides alone).
  for (const auto& c : cases) {
    Decision alone = Run(Msg(c.subject, "x"));
    EXPECT_EQ(alone.kind, Kind::kHuman) << c.lang << " words alone\n"
                                        << Dump(alone);
    EXPECT_TRUE(alone.ack) << c.lang;
    Decision by_subject = Run(Msg(c.subject, "x", {{"Precedence", "bulk"}}));
    EXPECT_EQ(by_subject.kind, Kind::kAutoReply) << c.lang << " subject\n"
                                                 << Dump(by_subject);
    EXPECT_TRUE(Fired(by_subject, "ooo.subject")) << c.lang;
    Decision by_line =
        Run(Msg("Re: Anfrage", c.first_line, {{"Precedence", "bulk"}}));
    EXPECT_EQ(by_line.kind, Kind::kAutoReply) << c.lang << " first line\n"
                                              << Dump(by_line);
    EXPECT_TRUE(Fired(by_line, "ooo.body_first_lines")) << c.lang;
    Decision human = Run(Msg(c.human_subject, c.human_text));
    EXPECT_EQ(human.kind, Kind::kHuman) << c.lang << " human\n" << Dump(human);
    EXPECT_TRUE(human.ack) << c.lang << "\n" << Dump(human);
  }
}

TEST_F(ClassifierTest, HumanReplyQuotingAnOutOfOfficeStaysHuman) {
  core::Message m =
      Msg("Re: Automatic reply: Printer",
          "Hello, I still need help with the printer, see below.\n\n"
          "On Mon, 3 Jun 2024 at 10:00, Bob <bob@x.example> wrote:\n"
          "> I am out of the office until Monday.\n");
  Decision d = Run(m);
  // The subject carries the quoted OOO subject: that is an automatic-reply
  // signal only at the start of the subject, not after "Re:".
  EXPECT_EQ(d.kind, Kind::kHuman) << Dump(d);
  EXPECT_FALSE(Fired(d, "ooo.body_first_lines"));
  // The same text without the quote marker, from a vacation responder
  // (Precedence: bulk), is an OOO.
  Decision ooo = Run(Msg("Printer", "I am out of the office until Monday.",
                         {{"Precedence", "bulk"}}));
  EXPECT_EQ(ooo.kind, Kind::kAutoReply);
}

TEST_F(ClassifierTest, Classes) {
  struct Case {
    const char* name;
    const char* subject;
    const char* text;
    const char* want;
  } cases[] = {
      {"en quote", "Request for quotation",
       "Please send us a quote for 20 printers.", "quote"},
      {"de quote", "Preisanfrage", "Bitte um ein Angebot für 20 Drucker.",
       "quote"},
      {"zh quote", "询价", "您好，请给我们报价单。", "quote"},
      {"fa quote", "درخواست پیش‌فاکتور",
       "لطفا پیش فاکتور ارسال کنید", "quote"},
      {"fa quote arabic yeh", "قيمت", "سلام", "quote"},
      {"en complaint", "Complaint about delivery", "I am very disappointed.",
       "complaint"},
      {"de complaint", "Reklamation", "Ich beschwere mich über die Lieferung.",
       "complaint"},
      {"zh complaint", "投诉", "我要投诉你们的服务。", "complaint"},
      {"fa complaint", "شکایت", "از خدمات شما شکایت دارم", "complaint"},
      {"fa complaint arabic kaf/yeh", "شكايت", "سلام", "complaint"},
      {"en support", "Printer not working", "I get an error message.",
       "support"},
      {"de support", "Fehler beim Drucken", "Der Drucker funktioniert nicht.",
       "support"},
      {"zh support", "打印机故障", "打印机无法使用。", "support"},
      {"fa support", "مشکل در چاپگر", "چاپگر کار نمی‌کند",
       "support"},
      {"complaint beats support", "Beschwerde: Fehler", "Drucker defekt",
       "complaint"},
      {"unclear is other on support@", "Hallo", "Wie geht es?", "other"},
  };
  for (const auto& c : cases) {
    Decision d = Run(Msg(c.subject, c.text));
    EXPECT_EQ(d.kind, Kind::kHuman) << c.name << "\n" << Dump(d);
    EXPECT_EQ(d.cls, c.want) << c.name << "\n" << Dump(d);
  }
}

TEST_F(ClassifierTest, MailboxDefaultClassAndPersonal) {
  ctx_.mailbox = &config_.mailboxes[1];  // sales, default_class = quote
  EXPECT_EQ(Run(Msg("Hallo", "Wie geht es?")).cls, "quote");
  EXPECT_EQ(Run(Msg("Reklamation", "kaputt")).cls, "complaint");
  ctx_.mailbox = &config_.mailboxes[0];  // support, no default
  EXPECT_EQ(Run(Msg("Hallo", "Wie geht es?")).cls, "other");

  core::Message personal = Msg("Mittagessen?", "Hast du Zeit?");
  personal.to = {{"Anna", "anna@shop.example"}};
  EXPECT_EQ(Run(personal).cls, "personal");
  personal.cc = {{"", "sales@shop.example"}};  // also to a shared mailbox
  EXPECT_EQ(Run(personal).cls, "personal");
  // A request in it is a request, whoever it is addressed to.
  core::Message request = Msg("Angebot", "Bitte um ein Angebot für 20 Stühle");
  request.to = {{"Anna", "anna@shop.example"}};
  EXPECT_EQ(Run(request).cls, "quote");
}

TEST_F(ClassifierTest, SenderRolesAndAck) {
  struct Case {
    const char* name;
    core::Message msg;
    FolderRole folder;
    SenderRole role;
    bool ack;
    const char* refusal;  // substring of the "no ack (...)" reason
  } cases[] = {
      {"customer first contact", Msg("Hilfe", "Drucker defekt"),
       FolderRole::kIncoming, SenderRole::kCustomer, true, ""},
      {"agent address", WithFrom(Msg("Hilfe", "x"), "anna@shop.example"),
       FolderRole::kIncoming, SenderRole::kAgent, false, "sender is an agent"},
      {"agent domain", WithFrom(Msg("Hilfe", "x"), "bob@staff.shop.example"),
       FolderRole::kIncoming, SenderRole::kAgent, false, "sender is an agent"},
      {"shared mailbox copy",
       WithFrom(Msg("Re: Hilfe", "x"), "support@shop.example"),
       FolderRole::kSent, SenderRole::kAgent, false, "in a Sent folder"},
      {"sent folder", Msg("Hilfe", "x"), FolderRole::kSent,
       SenderRole::kCustomer, false, "in a Sent folder"},
      {"our loop header", Msg("Hilfe", "x", {{"X-Inboxd-Loop", "support"}}),
       FolderRole::kIncoming, SenderRole::kSelf, false, "our own message"},
      {"noreply regex", WithFrom(Msg("Hilfe", "x"), "bounces+123@example.org"),
       FolderRole::kIncoming, SenderRole::kCustomer, false,
       "kind is list_bulk"},
      {"no from", WithFrom(Msg("Hilfe", "x"), ""), FolderRole::kIncoming,
       SenderRole::kCustomer, false, "no From address"},
  };
  for (auto& c : cases) {
    ctx_.folder = c.folder;
    Decision d = Run(c.msg);
    EXPECT_EQ(SenderRoleName(d.sender_role), SenderRoleName(c.role)) << c.name;
    EXPECT_EQ(d.ack, c.ack) << c.name << "\n" << Dump(d);
    if (*c.refusal) {
      bool found = false;
      for (const auto& r : d.reasons) {
        if (r.starts_with("no ack") && r.find(c.refusal) != std::string::npos) {
          found = true;
        }
      }
      EXPECT_TRUE(found) << c.name << "\n" << Dump(d);
    }
  }
}

TEST_F(ClassifierTest, OwnMessageIdComingBack) {
  core::Message m = Msg("Ihre Anfrage [#S-5]", "x");
  m.message_id = "inboxd.42@ack.shop.example";
  Decision d = Run(m);
  EXPECT_EQ(d.kind, Kind::kAutoReply);
  EXPECT_EQ(d.sender_role, SenderRole::kSelf);
  EXPECT_TRUE(Fired(d, "loop.own_message_id"));
  EXPECT_FALSE(d.ack);
}

TEST_F(ClassifierTest, FollowupIsNeverAcked) {
  threads_.AddTicket({"S", 1042, "support"});
  Decision d = Run(Msg("AW: [#S-1042] Drucker", "Danke, geht wieder."));
  EXPECT_TRUE(d.followup);
  ASSERT_TRUE(d.ticket.has_value());
  EXPECT_EQ(d.ticket->ToString(), "S-1042");
  EXPECT_FALSE(d.ack);
  // A reply to a message we never saw is a first contact.
  core::Message r = Msg("Re: Drucker", "Hallo, ich habe noch eine Frage.");
  r.in_reply_to = "foreign@example.org";
  Decision n = Run(r);
  EXPECT_FALSE(n.followup);
  EXPECT_TRUE(n.ack) << Dump(n);
}

TEST_F(ClassifierTest, OperatorRulesOverrideDefaults) {
  config::Config cfg = config_;
  config::Rule off;
  off.id = "precedence.list";
  off.field = "header:Precedence";
  off.pattern = ".";
  off.kind = "list_bulk";
  off.enabled = false;
  config::Rule mine;
  mine.id = "local.vip";
  mine.field = "from";
  mine.pattern = "@vip\\.example$";
  mine.cls = "complaint";
  mine.mailbox = "support";
  cfg.rules = {off, mine};
  auto c = Classifier::Create(cfg);
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  auto d = (*c)->Classify(Msg("x", "x", {{"Precedence", "list"}}), ctx_);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->kind, Kind::kHuman);
  auto v =
      (*c)->Classify(WithFrom(Msg("Hallo", "x"), "boss@vip.example"), ctx_);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->cls, "complaint");

  config::Rule bad = mine;
  bad.pattern = "(";
  bad.pos = {"inboxd.toml", 40, 1};
  cfg.rules = {bad};
  auto e = Classifier::Create(cfg);
  ASSERT_FALSE(e.has_value());
  EXPECT_NE(e.error().message.find("inboxd.toml:40: rule local.vip"),
            std::string::npos)
      << e.error().message;
}

// POLICY R6: a flag-only rule from the config (neither kind nor class) sets
// Decision.flags on human mail and changes nothing else; automatic mail gets
// no flags.
TEST_F(ClassifierTest, FlagOnlyRuleSetsFlagAndNothingElse) {
  config::Config cfg = config_;
  config::Rule r6;
  r6.id = "local.defect";
  r6.field = "body";
  r6.pattern = "\\bgarantiefall\\b";
  r6.flag = "material_defect";
  config::Rule twice = r6;  // a second rule with the same flag
  twice.id = "local.defect_subject";
  twice.field = "subject";
  twice.pattern = "garantiefall";
  config::Rule other = r6;
  other.id = "local.board";
  other.pattern = "vorstand";
  other.flag = "board_attention";
  cfg.rules = {r6, twice, other};
  auto c = Classifier::Create(cfg);
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  // Words no shipped rule knows, so only these rules can set a flag.
  struct Case {
    const char* name;
    core::Message msg;
    std::vector<std::string> want_flags;
  } cases[] = {
      {"flag",
       Msg("Kaffeemaschine", "Das ist ein Garantiefall."),
       {"material_defect"}},
      {"two rules, one flag",
       Msg("Garantiefall", "Das ist ein Garantiefall."),
       {"material_defect"}},
      {"two flags, sorted",
       Msg("Kaffeemaschine", "Garantiefall, bitte an den Vorstand."),
       {"board_attention", "material_defect"}},
      {"no flag", Msg("Kaffeemaschine", "Guten Tag."), {}},
      {"automatic: no flag",
       Msg("Kaffeemaschine", "Das ist ein Garantiefall.",
           {{"Auto-Submitted", "auto-replied"}}),
       {}},
  };
  for (const auto& tc : cases) {
    auto with = (*c)->Classify(tc.msg, ctx_);
    auto without = classifier_->Classify(tc.msg, ctx_);
    ASSERT_TRUE(with.has_value() && without.has_value()) << tc.name;
    EXPECT_EQ(with->flags, tc.want_flags) << tc.name << "\n" << Dump(*with);
    // Nothing else changes.
    EXPECT_EQ(with->kind, without->kind) << tc.name;
    EXPECT_EQ(with->cls, without->cls) << tc.name;
    EXPECT_EQ(with->ack, without->ack) << tc.name;
    EXPECT_EQ(with->decision.outcome, without->decision.outcome) << tc.name;
    EXPECT_EQ(with->kind_rules, without->kind_rules) << tc.name;
  }
  // The flag has its reason line; the automatic one says why it was not set.
  auto d = (*c)->Classify(cases[0].msg, ctx_);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->kind, Kind::kHuman);
  EXPECT_NE(std::find(d->reasons.begin(), d->reasons.end(),
                      "flag material_defect: rule local.defect: body: "
                      "\"Garantiefall\" (content)"),
            d->reasons.end())
      << Dump(*d);
  auto a = (*c)->Classify(cases[4].msg, ctx_);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->kind, Kind::kAutoReply);
  EXPECT_TRUE(Fired(*a, "local.defect")) << Dump(*a);
  EXPECT_TRUE(a->flags.empty());
  EXPECT_TRUE(std::any_of(a->reasons.begin(), a->reasons.end(),
                          [](const std::string& r) {
                            return r.starts_with(
                                "flag material_defect ignored (kind "
                                "auto_reply");
                          }))
      << Dump(*a);

  // A flag that is not [a-z0-9_]+ refuses to start, naming the rule.
  config::Rule bad = r6;
  bad.flag = "Material-Defect";
  bad.pos = {"inboxd.toml", 51, 1};
  cfg.rules = {bad};
  auto e = Classifier::Create(cfg);
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().code, core::Code::kInvalidArgument);
  EXPECT_NE(e.error().message.find("inboxd.toml:51: rule local.defect: flag"),
            std::string::npos)
      << e.error().message;
}

// The shipped defect rules flag human mail and leave kind and class as they
// were (the complaint words decide the class, as before).
TEST_F(ClassifierTest, ShippedDefectRulesFlagHumanMail) {
  Decision d = Run(Msg("Reklamation: Sachmangel",
                       "Der Drucker kam bereits defekt an. Ich verlange "
                       "Ersatz."));
  EXPECT_EQ(d.kind, Kind::kHuman) << Dump(d);
  EXPECT_EQ(d.cls, "complaint") << Dump(d);
  EXPECT_EQ(d.flags, std::vector<std::string>{"material_defect"}) << Dump(d);
  EXPECT_TRUE(d.ack) << Dump(d);
  Decision bug = Run(Msg("Defect in report module",
                         "There is a defect in the report module."));
  EXPECT_TRUE(bug.flags.empty()) << Dump(bug);
}

TEST_F(ClassifierTest, MissingThreadsIsAnError) {
  Context bad;
  auto d = classifier_->Classify(Msg("x", "x"), bad);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().code, core::Code::kInvalidArgument);
}

}  // namespace
}  // namespace inboxd::classify
