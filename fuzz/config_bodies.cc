// config_bodies.cc: the fuzz bodies of the TOML readers: operator rule text
// to compiled rules (config::ParseRules, classify::RuleEngine) and the config
// loader (config::ParseConfig, ShowConfig).
#include <string>
#include <string_view>
#include <vector>

#include "classify/rule_engine.h"
#include "config/loader.h"
#include "config/show.h"
#include "core/limits.h"
#include "core/text.h"
#include "fuzz/fuzz_targets.h"
#include "ingest/mime_adapter.h"

namespace inboxd::fuzz {
namespace {

constexpr std::string_view kRulesFile = "fuzz-rules.toml";
constexpr std::string_view kConfigFile = "fuzz.toml";

bool AllDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == s.npos;
}

// loader.h: "Each error is one line FILE:LINE:COL: KEY: message" and the
// code is kInvalidArgument. Returns "" or what is wrong.
std::string CheckLoaderError(const core::Error& error, std::string_view file) {
  if (error.code != core::Code::kInvalidArgument) {
    return "error code is " + std::string(core::CodeName(error.code)) +
           ", not invalid_argument: " + core::Printable(error.message);
  }
  if (error.message.empty()) return "empty error message";
  for (std::string_view line : core::Split(error.message, '\n')) {
    std::string_view rest = line;
    bool ok = rest.starts_with(file) && rest.substr(file.size(), 1) == ":";
    if (ok) {
      rest.remove_prefix(file.size() + 1);
      size_t c1 = rest.find(':');
      size_t c2 = c1 == rest.npos ? rest.npos : rest.find(':', c1 + 1);
      ok = c2 != rest.npos && AllDigits(rest.substr(0, c1)) &&
           AllDigits(rest.substr(c1 + 1, c2 - c1 - 1)) &&
           rest.substr(c2, 2) == ": ";
      if (ok) rest.remove_prefix(c2 + 2);
    }
    // KEY: message, both non-empty.
    size_t sep = rest.find(": ");
    if (!ok || sep == 0 || sep == rest.npos || sep + 2 == rest.size()) {
      return "error line is not \"FILE:LINE:COL: KEY: message\": \"" +
             core::Printable(line) + "\" in \"" +
             core::Printable(error.message) + "\"";
    }
  }
  return "";
}

// The messages compiled rules are matched against: an auto-reply, a
// delivery report and a quoted Persian reply, so that header, body, address
// and part-type fields all have values.
constexpr std::string_view kSampleMail[] = {
    "From: \"Anna Beispiel\" <anna@kunde.example>\r\n"
    "To: support@shop.example\r\n"
    "Subject: =?UTF-8?Q?Abwesenheitsnotiz:_Re:_Ihre_Anfrage?=\r\n"
    "Auto-Submitted: auto-replied\r\n"
    "Precedence: bulk\r\n"
    "X-Autoreply: yes\r\n"
    "Return-Path: <>\r\n"
    "Message-ID: <1@kunde.example>\r\n"
    "Date: Mon, 3 Mar 2025 10:00:00 +0100\r\n"
    "\r\n"
    "Ich bin bis zum 10.03. nicht im Buero.\r\n"
    "I am out of the office until Monday.\r\n",

    "From: MAILER-DAEMON@mx.example (Mail Delivery System)\r\n"
    "To: support@shop.example\r\n"
    "Subject: Undelivered Mail Returned to Sender\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=delivery-status;"
    " boundary=\"b1\"\r\n"
    "\r\n"
    "--b1\r\n"
    "Content-Type: text/plain\r\n\r\n"
    "This is the mail system at host mx.example. User unknown.\r\n"
    "--b1\r\n"
    "Content-Type: message/delivery-status\r\n\r\n"
    "Reporting-MTA: dns; mx.example\r\n\r\n"
    "Final-Recipient: rfc822; nobody@kunde.example\r\n"
    "Action: failed\r\n"
    "Status: 5.1.1\r\n\r\n"
    "--b1\r\n"
    "Content-Type: application/pdf; name=\"invoice.pdf\"\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\n"
    "JVBERi0xLjQK\r\n"
    "--b1--\r\n",

    "From: =?UTF-8?B?2LnZhNuMINix2LbYp9uM24w=?= <ali@kunde.example>\r\n"
    "To: \"Sales\" <sales@shop.example>, bob@shop.example\r\n"
    "Subject: =?UTF-8?B?2K/Ysdiu2YjYp9iz2Kog2YLbjNmF2Ko=?=\r\n"
    "Content-Type: text/html; charset=windows-1256\r\n"
    "\r\n"
    "<p>\xD3\xE1\xC7\xE3 \xED\xDF</p><p>Bitte um ein Angebot f\xFCr 3 "
    "Lizenzen.</p>\r\n"
    "<blockquote>&gt; On Mon, Bob wrote:</blockquote>\r\n",
};

const std::vector<classify::MessageFields>& SampleFields() {
  static const auto* fields = [] {
    auto* out = new std::vector<classify::MessageFields>;
    core::Limits limits;
    for (std::string_view raw : kSampleMail) {
      auto m = ingest::ParseMessage(raw, limits);
      INBOXD_CHECK(m.has_value());
      out->push_back(classify::MessageFields::From(*m, limits));
    }
    return out;
  }();
  return *fields;
}

}  // namespace

std::string FuzzRules(std::string_view input) {
  auto rules = config::ParseRules(input, kRulesFile);
  if (!rules) {
    std::string e = CheckLoaderError(rules.error(), kRulesFile);
    return e.empty() ? "" : "ParseRules: " + e;
  }
  auto engine = classify::RuleEngine::Compile({}, *rules);
  if (!engine) {
    // loader.h: ParseRules validates "with the same validation as [[rule]]
    // in ParseConfig", which is what `inboxd check-config` runs; so what
    // it accepted must compile, except a Set over the memory budget
    // (kInternal, which only compiling all rules together can tell).
    const core::Error& e = engine.error();
    if (e.code != core::Code::kInternal || e.message.empty()) {
      return "ParseRules accepted rules that RuleEngine::Compile refused: " +
             core::Printable(e.ToString());
    }
    return "";
  }
  const std::vector<config::Rule>& compiled = (*engine)->rules();
  if (compiled.size() > rules->size()) {
    return "RuleEngine::Compile made more rules than it was given";
  }
  for (const classify::MessageFields& fields : SampleFields()) {
    for (std::string_view mailbox : {"", "support"}) {
      std::vector<classify::Reason> reasons = (*engine)->Match(fields, mailbox);
      // "Returns every rule that fired ..., in rule order."
      size_t next = 0;
      for (const classify::Reason& r : reasons) {
        while (next < compiled.size() && compiled[next].id != r.rule_id) {
          ++next;
        }
        if (next == compiled.size()) {
          return "Match: rule " + core::Printable(r.rule_id) +
                 " fired twice, out of order or is unknown";
        }
        ++next;
        if (r.matched.size() > classify::kReasonTextMax ||
            core::Printable(r.matched) != r.matched) {
          return "Match: matched text \"" + core::Printable(r.matched) +
                 "\" is longer than kReasonTextMax or not printable";
        }
      }
    }
  }
  return "";
}

std::string FuzzConfig(std::string_view input) {
  auto config = config::ParseConfig(input, kConfigFile);
  if (!config) {
    std::string e = CheckLoaderError(config.error(), kConfigFile);
    return e.empty() ? "" : "ParseConfig: " + e;
  }
  // show.h: "valid TOML that ParseConfig reads back to an equal Config
  // (positions aside)": compared as shown text, which has no positions.
  std::string shown = config::ShowConfig(*config);
  auto again = config::ParseConfig(shown, kConfigFile);
  if (!again) {
    return "ParseConfig cannot read ShowConfig's output back: " +
           core::Printable(again.error().message);
  }
  if (config::ShowConfig(*again) != shown) {
    return "ShowConfig(ParseConfig(ShowConfig(c))) != ShowConfig(c)";
  }
  return "";
}

}  // namespace inboxd::fuzz
