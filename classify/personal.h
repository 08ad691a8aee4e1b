// personal.h: is a message addressed to one of our agents in person?
// (issue 8 item 3; POLICY D4: personal mail to an agent is answered within
// 24 hours by that agent).
//
// An agent is addressed when To or Cc holds the agent's configured address,
// or when the first line of the text is a greeting that names the agent:
// the agent's full name, the first word of it, one of its greeting_names,
// or its last word after a title ("Hi Nina,", "Sehr geehrte Frau Schmidt,",
// "王经理您好：", "سلام نینا جان،"). Whether the message is personal (it
// carries no request) is the classifier's call (classifier.h).
// What it does not do: decide anything, or look at anything but To/Cc and
// the first line.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/message.h"

namespace inboxd::classify {

// Longest first line (bytes) still read as a greeting.
inline constexpr size_t kGreetingLineMax = 120;

struct AddressedAgent {
  const config::Agent* agent = nullptr;
  std::string how;  // "To: nina@shop.example" or "greeting \"Hi Nina,\""
};

// The agent `msg` is addressed to, or std::nullopt. `body_head` is the
// unquoted first lines of the text (MessageFields::body_head). Never fails.
std::optional<AddressedAgent> FindAddressedAgent(const core::Message& msg,
                                                 std::string_view body_head,
                                                 const config::Config& config);

// True when `line` (one line of text) greets `name`: the name occurs as a
// word, and the line starts with it, holds a greeting word or ends with a
// salutation mark (, : ! ، ：！). Case-insensitive for ASCII.
bool GreetsName(std::string_view line, std::string_view name);

}  // namespace inboxd::classify
