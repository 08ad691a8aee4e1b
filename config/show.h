// show.h: prints the effective configuration as TOML (`inboxd config show`).
//
// What it does: writes every section and key with its effective value
// (defaults filled in), in the order of config/inboxd.example.toml, as valid
// TOML that ParseConfig reads back to an equal Config (positions aside).
// Secret *sources* are shown (password_file path, password_env name, the
// password_command / oauth2_token_command text); resolved secrets never are,
// since Config holds none. A deadline of Defaults() that the config removed is
// shown as "off".
// What it does not do: it does not validate (ParseConfig did) or read files.
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"

namespace inboxd::config {

// Returns the TOML text of `config`. Never fails; `config` should be one
// ParseConfig accepted (or Defaults()), else the text may not parse back.
std::string ShowConfig(const Config& config);

// `s` as a TOML basic string, quotes included ("a\"b" -> "\"a\\\"b\"").
std::string TomlQuote(std::string_view s);

}  // namespace inboxd::config
