// loader.h: reads inboxd.toml into config::Config and validates every key.
//
// What it does: parses TOML with toml++ (its exceptions are caught here),
// starts from Defaults() and overrides what the file sets, checks types,
// values (URLs, listen addresses, time zones, durations, percentages, regexes,
// HH:MM intervals, dates, addresses, domains, IMAP keywords, secret sources,
// tls) and cross references (unique mailbox names, rule ids and account names;
// route targets and escalation levels naming known agents or teams; rules
// naming known mailboxes; accounts naming known [tiers]; delay_notice_for
// naming known deadlines; an address or domain in one account only; no folder
// or keyword both a close and a waiting one). It collects every problem, not
// just the first. Each error is one line
//   FILE:LINE:COL: KEY: message
// e.g. "inboxd.toml:12:1: mailbox[1].imap_url: must start with imap:// or
// imaps://". KEY is the full dotted path; array elements are counted from 0
// ("mailbox[1]" is the second [[mailbox]]). LINE:COL is where the key is
// written (for a missing key: the table that lacks it; 0:0 when the file
// cannot be read). KEY is "syntax" for a TOML syntax error (toml++ stops at
// the first one) and "file" when the file cannot be read or is too large.
// Unknown keys are errors and name the closest known key.
// The section design is documented, key by key, in config/inboxd.example.toml.
//
// What it does not do: resolve secrets (secret.h), touch the network, or
// check that files named in the config exist (that is checked where they are
// used).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/error.h"

namespace inboxd::config {

// Largest config file accepted (a config is a few KiB; more is a mistake).
inline constexpr size_t kMaxConfigBytes = 1u << 20;

// The request classes deadlines, routes and rules may name.
const std::vector<std::string_view>& KnownClasses();
// The kinds a rule may set.
const std::vector<std::string_view>& KnownKinds();

// Reads and parses the file at `path` (errors name `path` as FILE).
// Failure: kInvalidArgument; message = every error, one per line, in file
// order ("PATH:0:0: file: cannot read: ..." when the file cannot be read or
// is larger than kMaxConfigBytes).
core::Result<Config> LoadConfig(const std::string& path);

// Parses `toml_text` as if read from `source_name`. Failure: as LoadConfig.
core::Result<Config> ParseConfig(std::string_view toml_text,
                                 std::string_view source_name);

// Parses a file holding only a [[rule]] array (classify/'s shipped default
// rules), with the same validation as [[rule]] in ParseConfig except that a
// rule's `mailbox` is not checked against mailboxes. Failure: as ParseConfig.
core::Result<std::vector<Rule>> ParseRules(std::string_view toml_text,
                                           std::string_view source_name);

}  // namespace inboxd::config
