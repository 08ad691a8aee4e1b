// rules_file.h: the shipped default rules (classify/default_rules.toml,
// embedded into the library at build time) and a parser for [[rule]] arrays.
//
// ParseRulesToml is classify's own reader until config::ParseRules
// (config/loader.h) covers every key used here ("weak" included); then
// DefaultRules() switches to it. Does not read files: the text is embedded.
#pragma once

#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/error.h"

namespace inboxd::classify {

// The text of classify/default_rules.toml as built into the binary.
std::string_view DefaultRulesToml();

// Parses `toml` holding a [[rule]] array (keys: id, field, pattern, unless,
// kind, class, mailbox, description, enabled, weak). `source_name` goes into
// each rule's pos.file. Failure: kInvalidArgument "FILE:LINE:COL: KEY:
// message" for TOML syntax errors, unknown keys and wrong types.
core::Result<std::vector<config::Rule>> ParseRulesToml(
    std::string_view toml, std::string_view source_name);

// The parsed default rules. Failure: as ParseRulesToml (a broken shipped
// file is caught by the unit tests).
core::Result<std::vector<config::Rule>> DefaultRules();

}  // namespace inboxd::classify
