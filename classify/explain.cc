#include "classify/explain.h"

#include <algorithm>

#include "classify/text_norm.h"
#include "core/text.h"

namespace inboxd::classify {
namespace {

std::string Show(std::string_view s) {
  return core::Printable(Utf8Prefix(s, 200));
}

}  // namespace

std::string Explain(const core::Message& msg, const Decision& d) {
  std::string out;
  out += "message-id: <" + Show(msg.message_id) + ">\n";
  out += "from:       " + Show(msg.from.addr) + "\n";
  out += "subject:    " + Show(msg.subject) + "\n";
  out += "kind:       " + std::string(KindName(d.kind)) + "\n";
  for (const Reason& r : d.hits) {
    if (r.kind.empty()) continue;
    const bool counted = std::find(d.kind_rules.begin(), d.kind_rules.end(),
                                   r.rule_id) != d.kind_rules.end();
    out += "  " + r.rule_id + (r.structural ? "" : " (content)") +
           (r.weak ? " (weak)" : "") + (counted ? "" : " (not counted)") +
           " [" + r.kind + "] " + r.field + ": " + r.matched + "\n";
    if (!r.source.empty()) out += "      source: " + r.source + "\n";
  }
  out += "class:      " + (d.cls.empty() ? std::string("-") : d.cls) + "\n";
  for (const Reason& r : d.hits) {
    if (r.cls.empty()) continue;
    out += "  " + r.rule_id + " [" + r.cls + "] " + r.field + ": " + r.matched +
           "\n";
  }
  out += "flags:      ";
  for (size_t i = 0; i < d.flags.size(); ++i) {
    out += (i ? ", " : "") + d.flags[i];
  }
  out += d.flags.empty() ? "-\n" : "\n";
  for (const Reason& r : d.hits) {
    if (r.flag.empty()) continue;
    out += "  " + r.rule_id + (r.structural ? "" : " (content)") +
           (d.kind == Kind::kHuman ? "" : " (ignored: automatic mail)") + " [" +
           r.flag + "] " + r.field + ": " + r.matched + "\n";
    if (!r.source.empty()) out += "      source: " + r.source + "\n";
  }
  out += "sender:     " + std::string(SenderRoleName(d.sender_role)) + "\n";
  out += "thread:     " + std::string(d.followup ? "followup" : "new");
  if (d.ticket && d.ticket->number != 0) out += " " + d.ticket->ToString();
  out += "\n";
  out += "language:   " + d.language + " (" + d.language_source + ")\n";
  out += "ack:        " + std::string(d.ack ? "yes" : "no") + "\n";
  out += "decision:   " + std::string(AckOutcomeName(d.decision.outcome)) +
         " (" + d.decision.row + ")\n";
  if (!d.personal_agent.empty()) {
    out += "owner:      " + Show(d.personal_agent) + "\n";
  }
  out += "why:\n";
  for (const std::string& line : d.reasons) out += "  " + line + "\n";
  return out;
}

nlohmann::json DecisionJson(const Decision& d) {
  nlohmann::json j;
  j["kind"] = std::string(KindName(d.kind));
  j["class"] = d.kind == Kind::kHuman && !d.cls.empty()
                   ? nlohmann::json(d.cls)
                   : nlohmann::json(nullptr);
  j["flags"] = d.flags;
  j["thread"] = d.followup ? "followup" : "new";
  j["ticket"] = d.ticket && d.ticket->number != 0
                    ? nlohmann::json(d.ticket->ToString())
                    : nlohmann::json(nullptr);
  j["sender_role"] = std::string(SenderRoleName(d.sender_role));
  j["language"] = d.language;
  j["ack"] = d.ack;
  j["decision"] = std::string(AckOutcomeName(d.decision.outcome));
  nlohmann::json decision_rules = nlohmann::json::array();
  for (const std::string& r : d.decision.rules) decision_rules.push_back(r);
  j["decision_rules"] = decision_rules;
  j["owner"] = d.personal_agent.empty() ? nlohmann::json(nullptr)
                                        : nlohmann::json(d.personal_agent);
  nlohmann::json rules = nlohmann::json::array();
  for (const Reason& r : d.hits) rules.push_back(r.rule_id);
  j["rules"] = rules;
  nlohmann::json reasons = nlohmann::json::array();
  // Reasons hold Printable text; SanitizeUtf8 keeps json's dump() from
  // throwing on any byte that slipped through.
  for (const std::string& r : d.reasons) {
    reasons.push_back(core::SanitizeUtf8(r));
  }
  j["reasons"] = reasons;
  return j;
}

}  // namespace inboxd::classify
