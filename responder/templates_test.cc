#include "responder/templates.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include "core/text.h"
#include "tests/ci_env.h"

namespace inboxd::responder {
namespace {

namespace fs = std::filesystem;

const std::string kShipped = std::string(INBOXD_SOURCE_DIR) + "/templates";

// A private copy of the shipped templates to break on purpose.
class TempTree {
 public:
  TempTree() {
    root_ = fs::temp_directory_path() /
            ("inboxd_tmpl_" + std::to_string(::getpid()) + "_" +
             std::to_string(counter_++));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  ~TempTree() { fs::remove_all(root_); }
  std::string CopyShipped() {
    fs::copy(kShipped, root_ / "t", fs::copy_options::recursive);
    return (root_ / "t").string();
  }
  std::string Dir(const std::string& name) {
    fs::create_directories(root_ / name);
    return (root_ / name).string();
  }
  static void Write(const std::string& path, const std::string& content) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  }

 private:
  fs::path root_;
  static inline int counter_ = 0;
};

TemplateVars FullVars() {
  return {
      {"ticket_tag", "[#S-1042]"},
      {"customer_name", "Zoë <b>Müller</b>"},
      {"customer_address", "zoe@customer.example"},
      {"original_subject", "Drucker druckt nicht"},
      {"mailbox_address", "support@shop.example"},
      {"mailbox_name", "support"},
      {"signature", "Shop Support"},
      {"sales_address", "sales@shop.example"},
      {"support_address", "support@shop.example"},
      {"shared_addresses", std::string("sales@shop.example") + kListSeparator +
                               "support@shop.example"},
      {"due_at", "Tuesday, 24 November 2026, 14:00 CET"},
      {"previous_due_at", "Monday, 23 November 2026, 14:00 CET"},
      {"agent_name", "Anna Agent"},
      {"alternative_address", "support@shop.example"},
      {"absent_until", "Friday, 27 November 2026"},
      {"reason", "SMTP 550 for the acknowledgement"},
      {"escalate_to_name", "Mia Manager"},
      {"assurance_until", "31 March 2027"},
      {"office_opens_at", "Monday, 30 November 2026, 08:30 CET"},
      {"received_at", "Monday, 30 November 2026, 09:12 CET"},
      {"customer_text", "> Please send us a quote for 40 chairs."},
      {"followup", ""},
      {"period_from", "Monday, 23 November 2026, 08:00 CET"},
      {"period_to", "Monday, 30 November 2026, 08:00 CET"},
      {"volume", "42"},
      {"ack_median", "1m 20s"},
      {"ack_p95", "4m 00s"},
      {"breach_count", "2"},
      {"care_count", "1"},
      {"flagged_count", "0"},
      {"file_name", "sla-report-2026-11-30.html"},
      {"recipient_name", "Anna Agent"},
      {"digest_date", "Monday, 30 November 2026"},
      {"ticket_count", "3"},
      {"team_view", ""},
      {"overdue_list", "  [#S-1042]  D2 answer  bea@customer.example"},
      {"at_risk_list", "  [#S-1043]  D3 answer  carl@customer.example"},
      {"other_list", "  [#S-1044]  D6 resolve  dora@customer.example"},
      {"more_count", "7"},
  };
}

TEST(TemplatesTest, ShippedTemplatesLoad) {
  auto set = TemplateSet::Load(kShipped, "", {});
  ASSERT_TRUE(set.has_value()) << set.error().ToString();
  EXPECT_EQ(set->size(), kTemplateNames.size() * kShippedLanguages.size());
  EXPECT_EQ(set->Languages(),
            (std::vector<std::string>{"de", "en", "fa", "zh"}));
}

TEST(TemplatesTest, EveryTemplateRendersInEveryLanguage) {
  auto set = TemplateSet::Load(kShipped, "", {});
  ASSERT_TRUE(set.has_value()) << set.error().ToString();
  TemplateVars vars = FullVars();
  for (std::string_view lang : kShippedLanguages) {
    for (std::string_view name : kTemplateNames) {
      SCOPED_TRACE(std::string(lang) + "/" + std::string(name));
      auto r = set->Render(name, lang, "en", "support", "", vars);
      ASSERT_TRUE(r.has_value()) << r.error().ToString();
      EXPECT_EQ(r->language, lang);
      EXPECT_FALSE(r->subject.empty());
      EXPECT_EQ(r->subject.find('\n'), std::string::npos);
      if (name != "weekly_report") {  // about a week, not a ticket
        EXPECT_NE(r->text.find("[#S-1042]"), std::string::npos);
      }
      EXPECT_EQ(r->text.find("{{"), std::string::npos);
      EXPECT_EQ(r->text.find("}}"), std::string::npos);
      EXPECT_TRUE(core::IsValidUtf8(r->text));
      // Every variable the template may use, when used, shows up filled in.
      for (const TemplateVariable& v : AllowedVariables(name)) {
        std::string marker = "{{" + std::string(v.name) + "}}";
        std::ifstream in(r->source);
        std::string src((std::istreambuf_iterator<char>(in)), {});
        if (src.find(marker) == std::string::npos) continue;
        const std::string value =
            v.name == "shared_addresses"
                ? JoinAlternatives(vars.at("shared_addresses"), lang)
                : vars.at(std::string(v.name));
        EXPECT_TRUE(r->text.find(value) != std::string::npos ||
                    r->subject.find(value) != std::string::npos)
            << v.name;
      }
      // text/plain is not HTML-escaped; the HTML part is.
      bool uses_name = r->text.find("Zoë <b>Müller</b>") != std::string::npos;
      const bool internal = name == "agent_alert" || name == "escalation" ||
                            name == "assignment" || name == "digest" ||
                            name == "weekly_report";
      if (!internal) {
        EXPECT_TRUE(uses_name);
        EXPECT_NE(r->html.find("Zoë &lt;b&gt;Müller&lt;/b&gt;"),
                  std::string::npos);
      }
      EXPECT_EQ(r->html.find("<b>"), std::string::npos);
      EXPECT_EQ(r->rtl, lang == "fa");
      EXPECT_NE(r->html.find(lang == "fa" ? "dir=\"rtl\"" : "dir=\"ltr\""),
                std::string::npos);
      // C2: every customer-facing template invites to write to sales@/support@.
      if (!internal) {
        EXPECT_NE(r->text.find("support@shop.example"), std::string::npos);
      }
    }
  }
}

// Issue 14: with one shared mailbox the customer is told one address, not
// the same one twice; with several, a list in the reply's language.
TEST(TemplatesTest, SharedAddressesAreOneLocalizedList) {
  const std::string two = std::string("sales@shop.example") + kListSeparator +
                          "support@shop.example";
  const std::string three = two + kListSeparator + "billing@shop.example";
  EXPECT_EQ(JoinAlternatives("support@shop.example", "en"),
            "support@shop.example");
  EXPECT_EQ(JoinAlternatives(two, "en"),
            "sales@shop.example or support@shop.example");
  EXPECT_EQ(JoinAlternatives(three, "en"),
            "sales@shop.example, support@shop.example or "
            "billing@shop.example");
  EXPECT_EQ(JoinAlternatives(two, "de"),
            "sales@shop.example oder support@shop.example");
  EXPECT_EQ(JoinAlternatives(three, "zh"),
            "sales@shop.example、support@shop.example 或 billing@shop.example");
  EXPECT_EQ(
      JoinAlternatives(two, "fa"),
      "\u2068sales@shop.example\u2069 یا \u2068support@shop.example\u2069");

  auto set = TemplateSet::Load(kShipped, "", {});
  ASSERT_TRUE(set.has_value()) << set.error().ToString();
  TemplateVars vars = FullVars();
  vars["shared_addresses"] = "support@shop.example";
  for (std::string_view lang : kShippedLanguages) {
    for (std::string_view name : {"ack", "quote_ack", "complaint_receipt",
                                  "delay_notice", "absence_fallback", "csat"}) {
      SCOPED_TRACE(std::string(lang) + "/" + std::string(name));
      auto r = set->Render(name, lang, "en", "support", "", vars);
      ASSERT_TRUE(r.has_value()) << r.error().ToString();
      for (const char* twice :
           {"support@shop.example or support@shop.example",
            "support@shop.example oder support@shop.example",
            "support@shop.example 或 support@shop.example",
            "support@shop.example\u2069 یا \u2068support@shop.example",
            "support@shop.example and support@shop.example",
            "support@shop.example und support@shop.example"}) {
        EXPECT_EQ(r->text.find(twice), std::string::npos) << r->text;
      }
      EXPECT_EQ(r->text.find("sales@"), std::string::npos) << r->text;
    }
  }
}

// The visual order of `text` as FriBidi lays it out (Debian's `fribidi`,
// package libfribidi-bin; DEPS-FACTS 8), or nullopt when it is missing.
std::optional<std::string> Fribidi(const std::string& text) {
  if (::access("/usr/bin/fribidi", X_OK) != 0) return std::nullopt;
  const fs::path in = fs::temp_directory_path() /
                      ("inboxd-bidi-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(in, std::ios::binary) << text;
  std::string cmd = "/usr/bin/fribidi --nopad --nobreak < " + in.string();
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return std::nullopt;
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;)
    out.append(buf, n);
  const int status = ::pclose(p);
  fs::remove(in);
  if (status != 0) return std::nullopt;
  return out;
}

// Issue 15: in Persian text the ticket tag and the addresses keep their
// order, in subject and body; without the isolates FriBidi shows the tag
// as "[S-1042#]" (checked too, so the test can fail).
TEST(TemplatesBidiTest, PersianKeepsTagsAndAddressesInOrderUnderFribidi) {
  auto set = TemplateSet::Load(kShipped, "", {});
  ASSERT_TRUE(set.has_value()) << set.error().ToString();
  if (!Fribidi("x")) {
    INBOXD_SKIP_OR_FAIL() << "no /usr/bin/fribidi (apt-get install "
                             "libfribidi-bin; scripts/install-deps "
                             "--with-servers)";
  }
  TemplateVars vars = FullVars();
  int shown_wrong_bare = 0;
  for (std::string_view name : {"ack", "quote_ack", "complaint_receipt",
                                "delay_notice", "absence_fallback", "csat"}) {
    SCOPED_TRACE(std::string(name));
    auto r = set->Render(name, "fa", "en", "support", "", vars);
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    for (const std::string& part : {r->subject, r->text}) {
      if (part.find("S-1042") == std::string::npos) continue;
      auto shown = Fribidi(part);
      ASSERT_TRUE(shown.has_value());
      EXPECT_NE(shown->find("[#S-1042]"), std::string::npos) << *shown;
      EXPECT_EQ(shown->find("[S-1042#]"), std::string::npos) << *shown;
      if (part.find("support@shop.example") != std::string::npos) {
        EXPECT_NE(shown->find("support@shop.example"), std::string::npos)
            << *shown;
      }
      // The control: the same text without isolates is shown wrongly.
      std::string bare;
      for (size_t i = 0; i < part.size();) {
        std::string_view rest = std::string_view(part).substr(i);
        if (rest.starts_with(kFirstStrongIsolate) ||
            rest.starts_with(kPopDirectionalIsolate)) {
          i += kFirstStrongIsolate.size();
          continue;
        }
        bare += part[i++];
      }
      auto wrong = Fribidi(bare);
      ASSERT_TRUE(wrong.has_value());
      if (wrong->find("[S-1042#]") != std::string::npos) ++shown_wrong_bare;
    }
    // HTML isolates with <bdi>.
    EXPECT_NE(r->html.find("<bdi>[#S-1042]</bdi>"), std::string::npos);
    EXPECT_EQ(r->html.find(kFirstStrongIsolate), std::string::npos);
  }
  // Without the isolates at least the tags inside Persian sentences are
  // reversed: the test would notice their loss.
  EXPECT_GT(shown_wrong_bare, 0);
  // Other languages are left alone.
  auto en = set->Render("ack", "en", "en", "support", "", vars);
  ASSERT_TRUE(en.has_value());
  EXPECT_EQ(en->text.find(kFirstStrongIsolate), std::string::npos);
}

TEST(TemplatesTest, OptionalAndMissingVariables) {
  auto set = TemplateSet::Load(kShipped, "", {});
  ASSERT_TRUE(set.has_value());
  TemplateVars vars = FullVars();
  vars["customer_name"] = "";
  auto r = set->Render("ack", "en", "en", "", "", vars);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_TRUE(r->text.starts_with("Dear customer,\n")) << r->text;

  struct {
    const char* label;
    const char* var;
    bool erase;  // else set to ""
    const char* want;
  } cases[] = {
      {"missing due_at", "due_at", true, "variable 'due_at' has no value"},
      {"empty ticket", "ticket_tag", false, "'ticket_tag' is empty"},
  };
  for (const auto& c : cases) {
    TemplateVars v = FullVars();
    if (c.erase) {
      v.erase(c.var);
    } else {
      v[c.var] = "  ";
    }
    auto got = set->Render("ack", "de", "en", "", "", v);
    ASSERT_FALSE(got.has_value()) << c.label;
    EXPECT_EQ(got.error().code, core::Code::kInvalidArgument);
    EXPECT_NE(got.error().message.find(c.want), std::string::npos)
        << c.label << ": " << got.error().message;
  }
  // An empty due_at (a class without an answer milestone): no time, a
  // personal reply instead, in every language.
  for (std::string_view lang : kShippedLanguages) {
    for (std::string_view name : {"ack", "quote_ack", "complaint_receipt"}) {
      TemplateVars v = FullVars();
      v["due_at"] = "";
      auto r = set->Render(name, lang, "en", "", "", v);
      ASSERT_TRUE(r.has_value()) << r.error().ToString();
      EXPECT_EQ(r->text.find("2026, 14:00"), std::string::npos) << r->text;
      EXPECT_EQ(r->text.find("{{"), std::string::npos);
    }
  }
  auto unknown = set->Render("welcome", "en", "en", "", "", FullVars());
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, core::Code::kInvalidArgument);
}

// POLICY C3: the acknowledgement of a support request says in writing that
// the customer's Software Assurance covers it, or that it is not covered and
// may cost extra (with the cost told before chargeable work); with neither
// fact it says neither, and reads as before.
TEST(TemplatesTest, AckStatesSoftwareAssurance) {
  auto set = TemplateSet::Load(kShipped, "", {});
  ASSERT_TRUE(set.has_value()) << set.error().ToString();
  struct {
    const char* lang;
    const char* date;     // assurance_until as the caller formats it
    const char* covered;  // only in the covered sentence, with the date
    const char* charge;   // only in the not-covered sentence
    const char* next;     // the paragraph that follows the due time
  } langs[] = {
      {"en", "31 March 2027",
       "is covered by your Software Assurance (valid until 31 March 2027).",
       "may incur a charge; we will tell you the cost before any chargeable "
       "work begins.",
       "Please keep"},
      {"de", "31. März 2027",
       "Ihre Anfrage ist durch Ihre Software Assurance (gültig bis 31. März "
       "2027) abgedeckt.",
       "kann daher kostenpflichtig sein; über die Kosten informieren wir Sie, "
       "bevor kostenpflichtige Arbeiten beginnen.",
       "Bitte geben Sie die Vorgangsnummer"},
      {"zh", "2027年3月31日",
       "软件保障（Software Assurance）服务范围，该服务有效期至 2027年3月31日。",
       "因此可能会产生费用；在提供任何收费服务之前，我们会先告知您具体费用。",
       "就此事与我们联系时"},
      {"fa", "۱۱ فروردین ۱۴۰۶ (۳۱ مارس ۲۰۲۷)",
       "\u2068Software Assurance\u2069 شما قرار دارد؛ اعتبار این پوشش تا "
       "\u2068۱۱ فروردین ۱۴۰۶ (۳۱ مارس ۲۰۲۷)\u2069 است.",
       "ممکن است مشمول هزینه باشد؛ پیش از آغاز هرگونه کار مشمول هزینه، مبلغ "
       "آن را به اطلاع شما خواهیم رساند.",
       "لطفاً در مکاتبات بعدی"},
  };
  enum Facts { kCovered, kNotCovered, kNeitherEmpty, kNeitherAbsent };
  for (const auto& l : langs) {
    for (Facts facts : {kCovered, kNotCovered, kNeitherEmpty, kNeitherAbsent}) {
      SCOPED_TRACE(std::string(l.lang) + " facts " + std::to_string(facts));
      TemplateVars vars = FullVars();
      vars.erase("office_opens_at");  // an open office: no such paragraph
      vars["assurance_until"] = facts == kCovered ? l.date : "";
      vars["assurance_not_covered"] = facts == kNotCovered ? "yes" : "";
      if (facts == kNeitherAbsent) {
        vars.erase("assurance_until");
        vars.erase("assurance_not_covered");
      }
      auto r = set->Render("ack", l.lang, "en", "support", "support", vars);
      ASSERT_TRUE(r.has_value()) << r.error().ToString();
      ASSERT_EQ(r->language, l.lang);
      const bool has_covered = r->text.find(l.covered) != std::string::npos;
      const bool has_charge = r->text.find(l.charge) != std::string::npos;
      EXPECT_EQ(has_covered, facts == kCovered) << r->text;
      EXPECT_EQ(has_charge, facts == kNotCovered) << r->text;
      EXPECT_EQ(r->text.find(l.date) != std::string::npos, facts == kCovered)
          << r->text;
      // Every language names the product: neither fact, no mention at all.
      EXPECT_EQ(r->text.find("Software Assurance") != std::string::npos,
                facts == kCovered || facts == kNotCovered)
          << r->text;
      // The sentence is a paragraph of its own, right after the due time,
      // and no empty paragraph is left behind when there is none.
      EXPECT_EQ(r->text.find("\n\n\n"), std::string::npos) << r->text;
      size_t due = r->text.find(vars.at("due_at"));
      size_t next = r->text.find(std::string("\n\n") + l.next);
      ASSERT_NE(due, std::string::npos);
      ASSERT_NE(next, std::string::npos);
      const std::string between = r->text.substr(due, next - due);
      EXPECT_EQ(std::count(between.begin(), between.end(), '\n'),
                (facts == kCovered || facts == kNotCovered) ? 2 : 0)
          << between;
      // The HTML part carries the same sentence.
      EXPECT_EQ(r->html.find("Software Assurance") != std::string::npos,
                facts == kCovered || facts == kNotCovered);
    }
  }
  // Only the ack knows these variables: a quote_ack override that uses one
  // is refused at load, like any unknown variable.
  TempTree tree;
  std::string ops = tree.Dir("ops");
  TempTree::Write(
      ops + "/en/sales/quote_ack.mustache",
      "Subject: x\n\n{{#assurance_until}}covered{{/assurance_until}}"
      "\n");
  auto bad = TemplateSet::Load(kShipped, ops, {});
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(
      bad.error().message.find(
          "en/sales/quote_ack.mustache:3: unknown variable 'assurance_until'"),
      std::string::npos)
      << bad.error().message;
  // The absence allowance is only for these two: a missing due_at still
  // fails (see OptionalAndMissingVariables), and so does a missing
  // customer_name.
  TemplateVars no_name = FullVars();
  no_name.erase("customer_name");
  auto missing = set->Render("ack", "en", "en", "", "", no_name);
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("'customer_name' has no value"),
            std::string::npos)
      << missing.error().message;
}

TEST(TemplatesTest, LanguageFallback) {
  auto set = TemplateSet::Load(kShipped, "", {});
  ASSERT_TRUE(set.has_value());
  auto it = set->Render("ack", "it", "de", "", "", FullVars());
  ASSERT_TRUE(it.has_value());
  EXPECT_EQ(it->language, "de");
  auto none = set->Render("ack", "it", "", "", "", FullVars());
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->language, "en");
}

TEST(TemplatesTest, PerLanguageValueWinsInItsLanguageOnly) {
  auto set = TemplateSet::Load(kShipped, "", {});
  ASSERT_TRUE(set.has_value());
  TemplateVars vars = FullVars();
  vars["signature/de"] = "Shop Kundenservice";
  vars["signature/fa"] = "پشتیبانی فروشگاه";
  auto de = set->Render("ack", "de", "en", "", "", vars);
  ASSERT_TRUE(de.has_value());
  EXPECT_NE(de->text.find("Shop Kundenservice"), std::string::npos);
  EXPECT_EQ(de->text.find("Shop Support"), std::string::npos);
  auto en = set->Render("ack", "en", "en", "", "", vars);
  ASSERT_TRUE(en.has_value());
  EXPECT_NE(en->text.find("Shop Support"), std::string::npos);
  EXPECT_EQ(en->text.find("Kundenservice"), std::string::npos);
  // The value of the language actually rendered: "it" falls back to "de".
  auto it = set->Render("ack", "it", "de", "", "", vars);
  ASSERT_TRUE(it.has_value());
  EXPECT_EQ(it->language, "de");
  EXPECT_NE(it->text.find("Shop Kundenservice"), std::string::npos);
  // Isolated like every inserted value in Persian.
  auto fa = set->Render("ack", "fa", "en", "", "", vars);
  ASSERT_TRUE(fa.has_value());
  EXPECT_NE(fa->text.find("\u2068پشتیبانی فروشگاه\u2069"), std::string::npos);
}

TEST(TemplatesTest, OverridesPerMailboxAndClass) {
  TempTree tree;
  std::string ops = tree.Dir("ops");
  TempTree::Write(ops + "/en/support/ack.mustache",
                  "Subject: Support got it {{ticket_tag}}\n\nSupport body "
                  "{{ticket_tag}}, due {{due_at}}.\n");
  TempTree::Write(ops + "/en/support/complaint/ack.mustache",
                  "Subject: Complaint desk {{ticket_tag}}\n\nComplaint body "
                  "{{ticket_tag}}.\n");
  TempTree::Write(ops + "/en/support/complaint/ack.html.mustache",
                  "<p dir=\"ltr\">Complaint {{customer_name}}</p>\n");
  auto set = TemplateSet::Load(kShipped, ops, {});
  ASSERT_TRUE(set.has_value()) << set.error().ToString();
  struct {
    const char* mailbox;
    const char* cls;
    const char* want_subject;
  } cases[] = {
      {"support", "complaint", "Complaint desk [#S-1042]"},
      {"support", "quote", "Support got it [#S-1042]"},
      {"support", "", "Support got it [#S-1042]"},
      {"sales", "complaint", "We have received your message [#S-1042]"},
  };
  for (const auto& c : cases) {
    auto r = set->Render("ack", "en", "en", c.mailbox, c.cls, FullVars());
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    EXPECT_EQ(r->subject, c.want_subject) << c.mailbox << "/" << c.cls;
  }
  auto html =
      set->Render("ack", "en", "en", "support", "complaint", FullVars());
  ASSERT_TRUE(html.has_value());
  EXPECT_EQ(html->html,
            "<p dir=\"ltr\">Complaint Zoë &lt;b&gt;Müller&lt;/b&gt;</p>\n");
}

struct BadCase {
  const char* label;
  const char* rel;  // file under the copied shipped tree
  const char* content;
  const char* want;  // expected "<rel>:<line>: ..." suffix of the message
};

TEST(TemplatesTest, ValidationRefusesWithFileAndLine) {
  const BadCase cases[] = {
      {"unknown variable", "zh/ack.mustache",
       "Subject: 收到 {{ticket_tag}}\n\n您好\n{{customer_nmae}}\n",
       "zh/ack.mustache:4: unknown variable 'customer_nmae'"},
      {"variable of another template", "en/ack.mustache",
       "Subject: x {{ticket_tag}}\n\n{{agent_name}}\n",
       "en/ack.mustache:3: unknown variable 'agent_name'"},
      {"variable in subject", "de/csat.mustache",
       "Subject: {{due_at}}\n\nHallo\n",
       "de/csat.mustache:1: unknown variable"},
      {"forbidden zh", "zh/ack.mustache",
       "Subject: 收到 {{ticket_tag}}\n\n您好\n我们不知道原因。\n",
       "zh/ack.mustache:4: forbidden phrase '不知道' (POLICY C5)"},
      {"forbidden en, case-insensitive", "en/csat.mustache",
       "Subject: Thanks {{ticket_tag}}\n\nHello,\n\nWhatever you think.\n",
       "en/csat.mustache:5: forbidden phrase 'whatever' (POLICY C5)"},
      {"forbidden de", "de/ack.mustache",
       "Subject: x {{ticket_tag}}\n\nDas ist nicht unser Problem.\n",
       "de/ack.mustache:3: forbidden phrase 'nicht unser problem'"},
      {"forbidden fa without ZWNJ and with Arabic yeh", "fa/ack.mustache",
       "Subject: x {{ticket_tag}}\n\n\xD9\x85\xD8\xA7 \xD9\x86\xD9\x85\xD9\x8A"
       "\xD8\xAF\xD8\xA7\xD9\x86\xD9\x8A\xD9\x85\n",  // ما نميدانيم
       "fa/ack.mustache:3: forbidden phrase"},
      {"unclosed section", "en/ack.mustache",
       "Subject: x {{ticket_tag}}\n\nline\n{{#customer_name}}Dear\n",
       "en/ack.mustache:4: unclosed section 'customer_name'"},
      {"mismatched section", "en/ack.mustache",
       "Subject: x {{ticket_tag}}\n\n{{#customer_name}}\n{{/due_at}}\n",
       "en/ack.mustache:4: closing section 'due_at' does not match"},
      {"unclosed tag", "en/ack.mustache",
       "Subject: x\n\nDear {{customer_name\n",
       "en/ack.mustache:3: unclosed tag"},
      {"partial", "en/ack.mustache", "Subject: x\n\n\n{{> footer}}\n",
       "en/ack.mustache:4: partials are not supported"},
      {"no subject line", "en/ack.mustache", "Hello {{ticket_tag}}\n",
       "en/ack.mustache:1: first line must be 'Subject:"},
      {"no empty line", "en/ack.mustache", "Subject: x\nHello\n",
       "en/ack.mustache:2: the subject line must be followed"},
      {"unknown template", "en/welcome.mustache", "Subject: x\n\nHi\n",
       "en/welcome.mustache:1: unknown template 'welcome'"},
  };
  for (const BadCase& c : cases) {
    TempTree tree;
    std::string dir = tree.CopyShipped();
    TempTree::Write(dir + "/" + c.rel, c.content);
    auto got = TemplateSet::Load(dir, "", {});
    ASSERT_FALSE(got.has_value()) << c.label;
    EXPECT_EQ(got.error().code, core::Code::kInvalidArgument) << c.label;
    EXPECT_NE(got.error().message.find(std::string("/") + c.want),
              std::string::npos)
        << c.label << ": " << got.error().message;
  }
}

TEST(TemplatesTest, MissingTemplateAndConfigPhrases) {
  {
    TempTree tree;
    std::string dir = tree.CopyShipped();
    fs::remove(dir + "/fa/csat.mustache");
    auto got = TemplateSet::Load(dir, "", {});
    ASSERT_FALSE(got.has_value());
    EXPECT_NE(got.error().message.find("/fa/csat.mustache: missing"),
              std::string::npos)
        << got.error().message;
  }
  {
    // A phrase from config: the shipped en/ack says "Kind regards".
    auto got = TemplateSet::Load(kShipped, "", {"kind regards"});
    ASSERT_FALSE(got.has_value());
    EXPECT_NE(got.error().message.find("forbidden phrase 'kind regards'"),
              std::string::npos)
        << got.error().message;
    // An unrelated phrase passes.
    EXPECT_TRUE(TemplateSet::Load(kShipped, "", {"frobnicate"}).has_value());
  }
  {
    // An override with a bad variable is refused too.
    TempTree tree;
    std::string ops = tree.Dir("ops");
    TempTree::Write(ops + "/de/sales/quote_ack.mustache",
                    "Subject: x\n\n{{price}}\n");
    auto got = TemplateSet::Load(kShipped, ops, {});
    ASSERT_FALSE(got.has_value());
    EXPECT_NE(got.error().message.find(
                  "de/sales/quote_ack.mustache:3: unknown variable 'price'"),
              std::string::npos)
        << got.error().message;
  }
  EXPECT_FALSE(TemplateSet::Load("/nonexistent/templates", "", {}));
}

TEST(TemplatesTest, ScanAndPhraseHelpers) {
  const auto& allowed = AllowedVariables("ack");
  auto ok = ScanTemplateTags("{{! comment }}{{{ticket_tag}}} {{& due_at}}", "x",
                             1, allowed);
  ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
  EXPECT_EQ(*ok, (std::vector<std::string>{"ticket_tag", "due_at"}));
  EXPECT_FALSE(ScanTemplateTags("{{=<% %>=}}", "x", 1, allowed));
  EXPECT_FALSE(ScanTemplateTags("{{Ticket_Tag}}", "x", 1, allowed));
  EXPECT_TRUE(CheckForbiddenPhrases("all good", "x", 1, {"bad"}));
  EXPECT_FALSE(CheckForbiddenPhrases("this is BAD", "x", 1, {"bad"}));
  EXPECT_EQ(HtmlEscape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
}

}  // namespace
}  // namespace inboxd::responder
