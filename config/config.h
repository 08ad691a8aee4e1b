// config.h: the effective configuration of inboxd, as plain data.
//
// config/loader.h fills it from one TOML file (toml++), validating every key at
// start-up; every field's default is the POLICY.md value and is documented in
// config/inboxd.example.toml. Other folders read these structs; only config/
// knows TOML. Durations are whole seconds.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/limits.h"

namespace inboxd::config {

using Seconds = std::chrono::seconds;

// Where a value came from, for error messages ("inboxd.toml:12:3").
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;

  bool operator==(const SourcePos&) const = default;
};

struct Mailbox {
  std::string name;          // unique, [a-z0-9_-]+
  std::string address;       // the shared address, "support@shop.example"
  std::string display_name;  // From display name of our mail ("" = none)
  // The display name in one language ("de" -> "Shop Kundendienst"), used
  // instead of display_name for mail in that language (DisplayNameFor).
  std::map<std::string, std::string, std::less<>> display_names;
  std::vector<std::string> aliases;  // other addresses delivered here
  std::string imap_url;              // imap:// or imaps://, host[:port]
  std::string smtp_url;              // smtp:// or smtps://, host[:port]
  std::string tls = "required";      // "required" | "none"
  std::string tls_ca_file;           // extra CA bundle ("" = system)
  std::string username;
  // Exactly one secret source (or an oauth2 token command).
  std::string password_file;
  std::string password_env;
  std::string password_command;
  std::string oauth2_token_command;
  std::vector<std::string> folders = {"INBOX"};
  std::string sent_folder;  // "" = autodetect \Sent SPECIAL-USE
  std::string time_zone = "UTC";
  std::string language = "en";   // fallback reply language
  std::string default_class;     // class when no rule decides ("" = other)
  Seconds ack_window{2 * 3600};  // first sync: no ack for older mail
  SourcePos pos;

  bool operator==(const Mailbox&) const = default;
};

// The name that signs mail to a customer in `language` and stands in its
// From: the mailbox's display_names entry for that language, else its
// display_name ("" = none: the address alone).
inline const std::string& DisplayNameFor(const Mailbox& mailbox,
                                         std::string_view language) {
  auto it = mailbox.display_names.find(language);
  return it != mailbox.display_names.end() ? it->second : mailbox.display_name;
}

struct State {
  std::string dir = "/var/lib/inboxd";
  // How long raw messages are kept (POLICY A3): older ones of closed
  // tickets (or of none) are blanked once a day, their events' personal
  // data erased. 0 ("" in the file) = kept forever.
  Seconds retention{0};

  bool operator==(const State&) const = default;
};

// Business hours (POLICY: Mon-Fri 08:30-12:00, 13:00-18:00).
struct Interval {
  int start_minute = 0;  // minutes after midnight, local time
  int end_minute = 0;

  bool operator==(const Interval&) const = default;
};
struct BusinessHours {
  // Index 0 = Monday ... 6 = Sunday.
  std::vector<Interval> days[7];
  std::vector<std::string> holidays;  // "YYYY-MM-DD", local dates

  bool operator==(const BusinessHours&) const = default;
};

// One deadline of the policy (D1..D9).
struct Deadline {
  std::string id;    // "D1"
  std::string name;  // "ack", "quote", ...
  Seconds within{0};
  std::string clock = "calendar";  // "calendar" | "business"
  // When the clock starts: "arrival" (the customer's message) or "close"
  // (the ticket is closed: POLICY D7, follow-up after the job is done).
  // Default "arrival"; "close" for a deadline named "followup".
  std::string start = "arrival";

  bool operator==(const Deadline&) const = default;
};

// Deadlines per class: class name -> the deadlines that start on arrival.
struct Deadlines {
  std::map<std::string, std::vector<Deadline>> by_class;
  Seconds delay_notice_before{4 * 3600};  // D9: warn this long before due
  // Deadlines (by id or name) that get a delay notice (D9): the answers a
  // person owes the customer. D1 "ack", D5 "receipt" and D7 "followup" are
  // inboxd's own mail and get none.
  std::vector<std::string> delay_notice_for = {"answer", "resolve"};
  // How far a delay notice moves the due time, on the deadline's own clock
  // (D8: the notice names the new exact time). Default "1d".
  Seconds delay_extension{86400};
  // The owner gets an agent_alert when this share of the window (due time
  // minus start) has passed; percent 1..99, 0 = never. Default "75%".
  int warn_at_percent = 75;
  // Escalation level k+1 goes out this long after level k (R5).
  Seconds escalate_every{4 * 3600};
  // The satisfaction mail (C4) goes out this long after closing (within
  // D7's 48 hours).
  Seconds csat_after{24 * 3600};
  // Deadlines (matched by id or by name) that an agent's reply sent as the
  // shared mailbox (Sent folder, or a CC/BCC copy) meets. D6 "resolve" and D7
  // "followup" need more than a reply, so they are not in the default.
  std::vector<std::string> met_by_agent_reply = {"ack", "answer", "receipt"};

  bool operator==(const Deadlines&) const = default;
};

struct Agent {
  std::string name;
  std::string address;
  std::string team;
  std::vector<std::string>
      absent;  // "YYYY-MM-DDTHH:MM/YYYY-MM-DDTHH:MM" ranges
  // Other names customers greet the agent by ("Nina", "王经理", "خانم کریمی");
  // the first word of `name` and `name` itself always count (POLICY D4).
  std::vector<std::string> greeting_names;
  // The language of the mail inboxd writes to this agent (assignment,
  // alerts, digest); "" = the ticket's mailbox's language.
  std::string language;

  bool operator==(const Agent&) const = default;
};

struct Route {
  std::string cls;  // request class
  // The mailbox this row is for ("" = every mailbox); a row for the
  // ticket's mailbox wins over the class's row for every mailbox (R1: class
  // x mailbox -> primary, secondary).
  std::string mailbox;
  std::string primary;    // agent address or team name
  std::string secondary;  // fallback when primary is absent (R3)
  // The escalation chain (R5): level 1 at the breach, each next level
  // deadlines.escalate_every later. Each entry an address, an agent name or
  // a team. TOML: a string or a list of strings.
  std::vector<std::string> escalate_to;
  // R6: a ticket of this class flagged "material_defect" goes here at once
  // ("" = the last entry of escalate_to).
  std::string board;

  bool operator==(const Route&) const = default;
};

struct Classify {
  std::string ticket_tag_format = "[#{prefix}-{number}]";
  std::map<std::string, std::string> ticket_prefix;  // mailbox -> "S"
  int thread_window_days = 14;
  std::vector<std::string> own_domains;    // our Message-ID domains
  std::vector<std::string> agent_domains;  // mail from here is an agent

  bool operator==(const Classify&) const = default;
};

struct Responder {
  int per_ticket_max = 1;       // acknowledgements per ticket
  int per_sender_per_hour = 5;  // acknowledgements per sender per hour
  std::string noreply_regex =
      "(?i)^(no-?reply|do-?not-?reply|mailer-daemon|postmaster|bounces?)([+-].*"
      ")?@";
  std::string envelope_sender;    // MAIL FROM ("" = the mailbox address)
  std::string hmac_key_file;      // key for our Message-ID tokens
  std::string message_id_domain;  // "" = domain of the mailbox address
  std::string dry_run_maildir;    // --dry-run writes here
  // Outbox retries after a temporary SMTP failure (4xx, no connection):
  // retry_after, doubled per attempt up to retry_max; a message still not
  // accepted give_up_after its queueing fails (outbox.failed, agent alert).
  Seconds retry_after{60};
  Seconds retry_max{3600};
  Seconds give_up_after{2 * 24 * 3600};

  bool operator==(const Responder&) const = default;
};

struct Templates {
  std::string dir;                             // "" = the shipped templates
  std::vector<std::string> forbidden_phrases;  // C5, all languages

  bool operator==(const Templates&) const = default;
};

// One classification rule (classify/ compiles these into RE2::Sets).
struct Rule {
  std::string id;     // unique, "rfc3834.auto_submitted"
  std::string field;  // "header:<Name>" | "subject" | "body" | "from" |
                      // "from_local" | "content_type" | "any_header" |
                      // "body_head" | "from_name" | "return_path" |
                      // "part_type" | "attachment" (see classify/rule_engine.h)
  std::string pattern;  // RE2 syntax
  std::string unless;   // optional RE2: no match when this matches the value
  // sets kind: "auto_reply" | "bounce" | "list_bulk" | "spam", or "human"
  // (an explicit human signal such as Auto-Submitted: no)
  std::string kind;
  std::string cls;      // or sets class: "quote" | "complaint" | ...
  std::string mailbox;  // optional: only for this mailbox
  std::string description;
  bool enabled = true;
  // A flag the rule sets on the ticket (e.g. "material_defect", which sends
  // a complaint to the board at once, R6); [a-z0-9_]+, "" = none. A rule may
  // set a flag alone or with a class.
  std::string flag;
  // A weak signal (e.g. Precedence: bulk, which forwarders add to human
  // mail): it makes a message automatic only together with another,
  // non-weak automatic signal. Added by classify/ (TOML key "weak").
  bool weak = false;
  // "structural" (a header or MIME structure defined by an RFC or a
  // vendor's documented format: may decide a kind alone) or "content"
  // (subject and body words: only corroborates a structural signal, never
  // makes a message automatic alone). "" = by field: subject, body,
  // body_head and from_name are content, every other field structural.
  std::string evidence;
  // Where the rule comes from: RFC section, vendor documentation or the
  // widely deployed format it follows.
  std::string source;
  SourcePos pos;

  bool operator==(const Rule&) const = default;
};

// Who owns a ticket and what absence means (POLICY R1-R4).
struct Routing {
  // An owner absent longer than this at assignment time is skipped for the
  // route's secondary (R2/R3: "absent more than 8 hours").
  Seconds absence_threshold{8 * 3600};
  // How long an agent's own out-of-office reply without a return date
  // marks them absent.
  Seconds detected_absence{24 * 3600};
  // The owner of a new ticket (and the agent a ticket moves to, R3) gets an
  // assignment mail carrying the customer's message, with Reply-To the
  // customer and the shared mailbox (issue 10 item 1, POLICY C1).
  bool assignment_mail = true;
  // Local time of day (minutes after midnight, in the agents' zone) of the
  // daily digest to each agent and the team view to the escalation
  // addresses; -1 = no digest. TOML: digest_at = "08:00" ("" = off).
  int digest_minute = -1;

  bool operator==(const Routing&) const = default;
};

// A customer with a contract (POLICY D3, C3, C7).
struct Account {
  std::string name;                      // required, unique
  std::vector<std::string> addresses;    // lower case, exact match
  std::vector<std::string> domains;      // lower case; subdomains match too
  std::string tier;                      // a key of Config::tiers ("" = none)
  std::string software_assurance_until;  // "YYYY-MM-DD" ("" = none)
  bool key_account = false;              // C7
  SourcePos pos;

  bool operator==(const Account&) const = default;
};

// A support contract tier (D3): the support answer time.
struct Tier {
  std::string name;
  Deadline answer;  // id "D3", name "answer"; default clock "business"

  bool operator==(const Tier&) const = default;
};

// Ticket state set from the agents' mail client (issue 9 item 6): an IMAP
// keyword on a ticket's message, or the message in one of these folders.
// Keywords are compared case-insensitively; folders are configured names.
struct TicketState {
  std::vector<std::string> close_keywords = {"$Done"};
  std::vector<std::string> waiting_keywords = {"$Waiting"};
  std::vector<std::string> close_folders;    // e.g. "Done", "Erledigt"
  std::vector<std::string> waiting_folders;  // e.g. "Waiting"
  // How often the flags of open tickets' messages are read when the server
  // has no CONDSTORE.
  Seconds poll_every{60};

  bool operator==(const TicketState&) const = default;
};

// Reports for managers (issue 11 items 4, 6): `inboxd report sla|accounts`.
struct Report {
  // C7: a key account ([[account]] key_account = true) with no contact
  // (customer message or a person's answer) for this long is reported.
  // Default "30d".
  Seconds care_after{30 * 86400};
  // The weekly SLA report to the escalation addresses: weekday 0 = Monday
  // ... 6 = Sunday and minutes after midnight (first mailbox's zone);
  // -1 = off. TOML: weekly = "monday 08:00" ("" = off, the default).
  int weekly_day = -1;
  int weekly_minute = -1;

  bool operator==(const Report&) const = default;
};

// The monitoring endpoint (issue 12 item 4): GET /healthz and GET /metrics
// over plain, unauthenticated HTTP (health/http_server.h).
struct Http {
  // "HOST:PORT" with a numeric IPv4 address or a bracketed IPv6 address
  // ("127.0.0.1:9187", "[::1]:9187"); port 0 = any free port. "" = off (the
  // default). A host other than loopback exposes the metrics (mailbox and
  // folder names, counts) to that network; allowed, and `config show` says so.
  std::string listen;
  // /healthz answers 503 for a folder disconnected for longer than this
  // (inside it the daemon is retrying with backoff, up to 5 min apart).
  // Default "10m".
  Seconds retry_budget{600};

  bool operator==(const Http&) const = default;
};

struct Config {
  std::string path;  // file it was loaded from ("" = built-in defaults)
  State state;
  core::Limits limits;
  Http http;
  std::vector<Mailbox> mailboxes;
  BusinessHours business_hours;
  Deadlines deadlines;
  std::vector<Agent> agents;
  std::vector<Route> routes;
  Routing routing;
  Classify classify;
  Responder responder;
  Templates templates;
  std::vector<Rule> rules;  // user rules; they add to / override defaults by id
  std::vector<Account> accounts;
  std::map<std::string, Tier> tiers;  // by name
  TicketState tickets;
  Report report;
  std::string log_level = "info";

  bool operator==(const Config&) const = default;
};

// The configuration used when no file is given (replay without --config):
// POLICY.md defaults and no mailboxes.
Config Defaults();

}  // namespace inboxd::config
