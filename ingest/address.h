// address.h: RFC 5322 address-list parsing of our own.
//
// mimetic's typed accessors (to(), cc(), replyto()) crash on values such as
// "To::" (DEPS-FACTS 4.2), so raw header values are parsed here. Does:
// quoted and encoded display names, comments ("a@b (Name)"), groups
// ("undisclosed-recipients:;", "Team: a@b, c@d;"), missing angle brackets,
// bare addresses, obsolete routes ("<@relay:a@b>"), "mailto:" prefixes;
// garbage gives a best-effort answer. Never fails, never throws. Does not:
// validate domains or lower-case anything (addresses are kept as written).
#pragma once

#include <string_view>
#include <vector>

#include "core/message.h"

namespace inboxd::ingest {

// Returns every address in `raw` (an unfolded header value) in order.
// Entries without an address are dropped, except that a value with only a
// display name ("Undisclosed") yields one entry with an empty addr.
std::vector<core::Address> ParseAddressList(std::string_view raw);

// Returns the first address of ParseAddressList(raw), or an empty Address.
core::Address ParseMailbox(std::string_view raw);

}  // namespace inboxd::ingest
