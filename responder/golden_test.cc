// golden_test.cc: every shipped template in every language, rendered with
// realistic values, compared with the files under tests/golden/ (issue 15),
// so that every change of wording shows up as a reviewed diff.
//
// Regenerate after an intended change:
//   INBOXD_UPDATE_GOLDEN=1 build/release/responder/responder_test
//   --gtest_filter='Golden*'
// and review `git diff tests/golden`.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>

#include "responder/business_calendar.h"
#include "responder/templates.h"

namespace inboxd::responder {
namespace {

namespace fs = std::filesystem;

const fs::path kGolden = fs::path(INBOXD_SOURCE_DIR) / "tests" / "golden";
const std::string kShipped = std::string(INBOXD_SOURCE_DIR) + "/templates";

// Per language: a customer, a subject, the mailbox's zone, as a shop in that
// country would see them.
struct Locale {
  std::string name, address, subject, zone, agent, signature;
};
const std::map<std::string, Locale>& Locales() {
  static const std::map<std::string, Locale> l = {
      {"en",
       {"Alice Walker", "alice@customer.example",
        "Export to CSV fails with error 500", "Europe/London", "Anna Smith",
        "Shop Support"}},
      {"de",
       {"Jürgen Weiß", "j.weiss@kunde-gmbh.example", "Angebot für 50 Lizenzen",
        "Europe/Berlin", "Anna Schneider", "Shop Kundenservice"}},
      {"zh",
       {"王芳", "wang.fang@kehu.example", "导出 CSV 时出现 500 错误",
        "Asia/Shanghai", "李明", "商城客服中心"}},
      {"fa",
       {"سارا محمدی", "sara@moshtari.example",
        "مشکل در Export to CSV با خطای 500 در نسخه 4.2", "Asia/Tehran",
        "علی رضایی", "پشتیبانی فروشگاه"}},
  };
  return l;
}

std::string Local(core::TimePoint t, const Locale& l, const std::string& lang) {
  auto s = FormatLocalTime(t, l.zone, lang);
  return s ? *s : "?";
}

std::string Day(core::TimePoint t, const Locale& l, const std::string& lang) {
  auto s = FormatLocalDay(t, l.zone, lang);
  return s ? *s : "?";
}

// The values a real acknowledgement of ticket S-1042 gets.
TemplateVars Vars(const std::string& lang) {
  const Locale& l = Locales().at(lang);
  using std::chrono::hours;
  const core::TimePoint t0 =
      core::TimePoint(std::chrono::sys_days(std::chrono::year{2026} /
                                            std::chrono::November / 24)) +
      hours(9);
  return {
      {"ticket_tag", "[#S-1042]"},
      {"customer_name", l.name},
      {"customer_address", l.address},
      {"original_subject", l.subject},
      {"mailbox_address", "support@shop.example"},
      {"mailbox_name", "support"},
      {"signature", "Shop Support"},
      {"signature/" + lang, l.signature},  // display_names
      {"sales_address", "sales@shop.example"},
      {"support_address", "support@shop.example"},
      {"shared_addresses", std::string("sales@shop.example") + kListSeparator +
                               "support@shop.example"},
      {"due_at", Local(t0 + hours(48), l, lang)},
      {"previous_due_at", Local(t0 + hours(24), l, lang)},
      {"agent_name", l.agent},
      {"alternative_address", "support@shop.example"},
      {"absent_until", Local(t0 + hours(72), l, lang)},
      {"reason", "SMTP 550 5.1.1 for the acknowledgement"},
      {"escalate_to_name", "Mia Manager"},
      {"assurance_date", FormatLocalDate("2027-03-31", lang).value_or("?")},
      {"office_opens_at", ""},
      {"received_at", Local(t0, l, lang)},
      {"customer_text", "> " + l.subject},
      {"followup", ""},
      {"period_from", Day(t0 - hours(24 * 7), l, lang)},
      {"period_to", Day(t0, l, lang)},
      {"volume", LocalDigits("42", lang)},
      {"ack_median", FormatElapsed(std::chrono::seconds(80), lang)},
      {"ack_p95", FormatElapsed(std::chrono::seconds(240), lang)},
      {"breach_count", LocalDigits("2", lang)},
      {"care_count", LocalDigits("1", lang)},
      {"flagged_count", LocalDigits("0", lang)},
      {"file_name", "sla-report-2026-11-24.html"},
      {"recipient_name", l.agent},
      {"digest_date", Day(t0, l, lang)},
      {"ticket_count", LocalDigits("5", lang)},  // 3 listed, 2 more
      {"team_view", ""},
      {"overdue_list", "  [#S-1040]  D2  bea@customer.example"},
      {"at_risk_list", "  [#S-1041]  D3  carl@customer.example"},
      {"other_list", "  [#S-1039]  D6  dora@customer.example"},
      {"more_count", LocalDigits("2", lang)},
  };
}

// The variations the issue lists, for the customer-facing acknowledgements,
// and the paragraphs only some tickets get.
struct Variation {
  std::string suffix;
  std::function<bool(std::string_view name)> applies;
  std::function<void(TemplateVars&)> change;
};
std::vector<Variation> Variations() {
  auto any = [](std::string_view) { return true; };
  auto acks = [](std::string_view n) {
    return n == "ack" || n == "quote_ack" || n == "complaint_receipt";
  };
  auto only = [](std::string_view which) {
    return [which](std::string_view n) { return n == which; };
  };
  return {
      {"", any, [](TemplateVars&) {}},
      {".no-name", acks, [](TemplateVars& v) { v["customer_name"] = ""; }},
      {".one-mailbox", acks,
       [](TemplateVars& v) { v["shared_addresses"] = "support@shop.example"; }},
      {".no-due", acks,  // a class without an answer milestone
       [](TemplateVars& v) { v["due_at"] = ""; }},
      {".closed", acks,  // received outside business hours
       [](TemplateVars& v) { v["office_opens_at"] = v["previous_due_at"]; }},
      {".covered", only("ack"),
       [](TemplateVars& v) { v["assurance_until"] = v["assurance_date"]; }},
      {".not-covered", only("ack"),
       [](TemplateVars& v) { v["assurance_not_covered"] = "yes"; }},
      {".followup", only("assignment"),
       [](TemplateVars& v) { v["followup"] = "yes"; }},
      {".no-subject",  // the customer's mail had none
       [acks](std::string_view n) { return acks(n) || n == "assignment"; },
       [](TemplateVars& v) { v["original_subject"] = ""; }},
  };
}

std::string Show(const RenderedTemplate& r) {
  return "Subject: " + r.subject + "\n\n" + r.text;
}

TEST(GoldenTest, EveryTemplateInEveryLanguageMatchesItsGoldenFile) {
  auto set = TemplateSet::Load(kShipped, "", {});
  ASSERT_TRUE(set.has_value()) << set.error().ToString();
  const bool update = std::getenv("INBOXD_UPDATE_GOLDEN") != nullptr;
  int files = 0;
  for (std::string_view lang_view : kShippedLanguages) {
    const std::string lang(lang_view);
    for (std::string_view name : kTemplateNames) {
      for (const Variation& v : Variations()) {
        if (!v.applies(name)) continue;
        TemplateVars vars = Vars(lang);
        v.change(vars);
        vars.erase("assurance_date");
        auto r = set->Render(name, lang, "en", "support", "", vars);
        ASSERT_TRUE(r.has_value()) << r.error().ToString();
        const fs::path file =
            kGolden / lang / (std::string(name) + v.suffix + ".txt");
        const std::string got = Show(*r);
        ++files;
        if (update) {
          fs::create_directories(file.parent_path());
          std::ofstream(file, std::ios::binary | std::ios::trunc) << got;
          continue;
        }
        std::ifstream in(file, std::ios::binary);
        ASSERT_TRUE(in) << file << " is missing (INBOXD_UPDATE_GOLDEN=1)";
        std::stringstream want;
        want << in.rdbuf();
        EXPECT_EQ(got, want.str())
            << file << " differs: review the wording change, then "
            << "INBOXD_UPDATE_GOLDEN=1 and git diff tests/golden";
      }
    }
  }
  EXPECT_GT(files, 4 * 11);
}

}  // namespace
}  // namespace inboxd::responder
