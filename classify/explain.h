// explain.h: shows a Decision to people (`inboxd explain FILE`) and to
// programs (`inboxd replay --json`).
//
// Pure formatting: no decisions are made here.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "classify/classifier.h"
#include "core/message.h"

namespace inboxd::classify {

// Human-readable, one line per decision: the message identity, then kind,
// class, sender, thread, language and ack, each followed by the rule ids and
// the header or text that fired. All untrusted text is Printable.
std::string Explain(const core::Message& msg, const Decision& decision);

// {"kind", "class" (null unless human), "thread" ("new"|"followup"),
//  "ticket" (null or "S-1042"), "sender_role", "language", "ack",
//  "rules" (ids that fired), "reasons" (list of strings)}.
nlohmann::json DecisionJson(const Decision& decision);

}  // namespace inboxd::classify
