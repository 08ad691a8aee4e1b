// rules_file.h: the shipped default rules (classify/default_rules.toml,
// embedded into the library at build time by embed_rules.cmake), parsed with
// config::ParseRules (config/loader.h) so shipped and operator rules share
// one reader and one validation.
//
// Does not read files: the text is built into the binary.
#pragma once

#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/error.h"

namespace inboxd::classify {

// Name used for the shipped rules in error messages and SourcePos.file.
inline constexpr std::string_view kDefaultRulesName =
    "classify/default_rules.toml";

// The text of classify/default_rules.toml as built into the binary.
std::string_view DefaultRulesToml();

// The parsed default rules. Failure: kInvalidArgument "FILE:LINE:COL: KEY:
// message" from config::ParseRules (a broken shipped file is caught by the
// unit tests).
core::Result<std::vector<config::Rule>> DefaultRules();

}  // namespace inboxd::classify
