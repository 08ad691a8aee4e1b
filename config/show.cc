// show.cc: see show.h.
#include "config/show.h"

#include <algorithm>
#include <cstdio>

#include "config/loader.h"
#include "config/values.h"

namespace inboxd::config {

namespace {

constexpr const char* kDayNames[7] = {"monday",   "tuesday", "wednesday",
                                      "thursday", "friday",  "saturday",
                                      "sunday"};

bool IsBareKey(std::string_view k) {
  return !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string Key(std::string_view k) {
  return IsBareKey(k) ? std::string(k) : TomlQuote(k);
}

std::string List(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += TomlQuote(items[i]);
  }
  return out + "]";
}

// Appends `key = value` lines.
class Writer {
 public:
  void Section(std::string_view header) {
    if (!out_.empty()) out_ += '\n';
    out_ += std::string(header) + "\n";
  }
  void Raw(std::string_view key, std::string_view value) {
    out_ += Key(key) + " = " + std::string(value) + "\n";
  }
  void Str(std::string_view key, std::string_view value) {
    Raw(key, TomlQuote(value));
  }
  // Only when set (optional keys whose empty value the loader rejects).
  void StrIfSet(std::string_view key, std::string_view value) {
    if (!value.empty()) Str(key, value);
  }
  void Int(std::string_view key, int64_t value) {
    Raw(key, std::to_string(value));
  }
  void Bool(std::string_view key, bool value) {
    Raw(key, value ? "true" : "false");
  }
  void Duration(std::string_view key, Seconds value) {
    Raw(key, TomlQuote(FormatDuration(value)));
  }
  void Strs(std::string_view key, const std::vector<std::string>& v) {
    Raw(key, List(v));
  }
  void Comment(std::string_view text) {
    out_ += "# " + std::string(text) + "\n";
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string TomlQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", u);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string ShowConfig(const Config& c) {
  Writer w;
  w.Comment(
      "effective configuration" +
      (c.path.empty() ? std::string(" (built-in defaults)") : " of " + c.path) +
      "; secrets are shown by source only");
  w.Str("log_level", c.log_level);

  w.Section("[state]");
  w.Str("dir", c.state.dir);
  if (c.state.retention.count() == 0) {
    w.Str("retention", "");
  } else {
    w.Duration("retention", c.state.retention);
  }

  w.Section("[limits]");
  w.Raw("max_message_bytes", TomlQuote(FormatByteSize(static_cast<int64_t>(
                                 c.limits.max_message_bytes))));
  w.Raw("max_header_bytes", TomlQuote(FormatByteSize(static_cast<int64_t>(
                                c.limits.max_header_bytes))));
  w.Int("mime_max_depth", static_cast<int64_t>(c.limits.mime_max_depth));
  w.Int("mime_max_parts", static_cast<int64_t>(c.limits.mime_max_parts));
  w.Raw("scan_bytes",
        TomlQuote(FormatByteSize(static_cast<int64_t>(c.limits.scan_bytes))));
  w.Duration("network_timeout", c.limits.network_timeout);

  w.Section("[http]");
  if (!c.http.listen.empty()) {
    auto hp = ParseHostPort(c.http.listen);
    if (hp && !IsLoopbackHost(hp->host)) {
      w.Comment(
          "not a loopback address: /healthz and /metrics (mailbox and "
          "folder names, counts) are reachable from the network, "
          "unauthenticated");
    }
  }
  w.Str("listen", c.http.listen);
  w.Duration("retry_budget", c.http.retry_budget);

  for (const Mailbox& mb : c.mailboxes) {
    w.Section("[[mailbox]]");
    w.Str("name", mb.name);
    w.Str("address", mb.address);
    w.Strs("aliases", mb.aliases);
    w.Str("imap_url", mb.imap_url);
    w.Str("smtp_url", mb.smtp_url);
    w.Str("tls", mb.tls);
    w.Str("tls_ca_file", mb.tls_ca_file);
    w.Str("username", mb.username);
    w.StrIfSet("password_file", mb.password_file);
    w.StrIfSet("password_env", mb.password_env);
    w.StrIfSet("password_command", mb.password_command);
    w.StrIfSet("oauth2_token_command", mb.oauth2_token_command);
    w.Strs("folders", mb.folders);
    w.Str("sent_folder", mb.sent_folder);
    w.StrIfSet("display_name", mb.display_name);
    if (!mb.display_names.empty()) {
      std::string names;
      for (const auto& [lang, name] : mb.display_names) {
        names +=
            (names.empty() ? "{ " : ", ") + Key(lang) + " = " + TomlQuote(name);
      }
      w.Raw("display_names", names + " }");
    }
    w.Str("time_zone", mb.time_zone);
    w.Str("language", mb.language);
    w.Str("default_class", mb.default_class);
    w.Duration("ack_window", mb.ack_window);
  }

  w.Section("[business_hours]");
  for (int d = 0; d < 7; ++d) {
    std::vector<std::string> ivs;
    for (const Interval& iv : c.business_hours.days[d]) {
      ivs.push_back(FormatInterval(iv));
    }
    w.Strs(kDayNames[d], ivs);
  }
  w.Strs("holidays", c.business_hours.holidays);

  w.Section("[deadlines]");
  w.Duration("delay_notice_before", c.deadlines.delay_notice_before);
  w.Strs("delay_notice_for", c.deadlines.delay_notice_for);
  w.Strs("met_by_agent_reply", c.deadlines.met_by_agent_reply);
  w.Duration("delay_extension", c.deadlines.delay_extension);
  w.Str("warn_at", std::to_string(c.deadlines.warn_at_percent) + "%");
  w.Duration("escalate_every", c.deadlines.escalate_every);
  w.Duration("csat_after", c.deadlines.csat_after);
  const Config defaults = Defaults();
  std::vector<std::string> classes;
  for (std::string_view cls : KnownClasses()) classes.emplace_back(cls);
  for (const auto& [cls, list] : c.deadlines.by_class) {
    if (std::find(classes.begin(), classes.end(), cls) == classes.end()) {
      classes.push_back(cls);
    }
  }
  for (const std::string& cls : classes) {
    auto it = c.deadlines.by_class.find(cls);
    auto def = defaults.deadlines.by_class.find(cls);
    bool has_defaults =
        def != defaults.deadlines.by_class.end() && !def->second.empty();
    if (it == c.deadlines.by_class.end() && !has_defaults) continue;
    w.Section("[deadlines." + Key(cls) + "]");
    if (it != c.deadlines.by_class.end()) {
      for (const Deadline& d : it->second) {
        w.Raw(d.name, "{ within = " + TomlQuote(FormatDuration(d.within)) +
                          ", clock = " + TomlQuote(d.clock) +
                          ", id = " + TomlQuote(d.id) +
                          ", start = " + TomlQuote(d.start) + " }");
      }
    }
    if (has_defaults) {
      for (const Deadline& d : def->second) {
        bool kept =
            it != c.deadlines.by_class.end() &&
            std::any_of(it->second.begin(), it->second.end(),
                        [&](const Deadline& e) { return e.name == d.name; });
        if (!kept) w.Str(d.name, "off");
      }
    }
  }

  for (const auto& [name, tier] : c.tiers) {
    w.Section("[tiers." + Key(name) + "]");
    w.Raw("answer",
          "{ within = " + TomlQuote(FormatDuration(tier.answer.within)) +
              ", clock = " + TomlQuote(tier.answer.clock) + " }");
  }

  for (const Account& a : c.accounts) {
    w.Section("[[account]]");
    w.Str("name", a.name);
    w.Strs("addresses", a.addresses);
    w.Strs("domains", a.domains);
    w.StrIfSet("tier", a.tier);
    w.StrIfSet("software_assurance_until", a.software_assurance_until);
    w.Bool("key_account", a.key_account);
  }

  for (const Agent& a : c.agents) {
    w.Section("[[agent]]");
    w.Str("name", a.name);
    w.Str("address", a.address);
    w.Str("team", a.team);
    w.Strs("absent", a.absent);
    w.Strs("greeting_names", a.greeting_names);
    w.StrIfSet("language", a.language);
  }

  for (const Route& r : c.routes) {
    w.Section("[[route]]");
    w.Str("class", r.cls);
    w.StrIfSet("mailbox", r.mailbox);
    w.Str("primary", r.primary);
    w.StrIfSet("secondary", r.secondary);
    w.Strs("escalate_to", r.escalate_to);
    w.StrIfSet("board", r.board);
  }

  w.Section("[routing]");
  w.Duration("absence_threshold", c.routing.absence_threshold);
  w.Duration("detected_absence", c.routing.detected_absence);
  w.Bool("assignment_mail", c.routing.assignment_mail);
  w.Str("digest_at", c.routing.digest_minute < 0
                         ? std::string()
                         : FormatTimeOfDay(c.routing.digest_minute));

  w.Section("[report]");
  w.Duration("care_after", c.report.care_after);
  w.Str("weekly", FormatWeekly(c.report.weekly_day, c.report.weekly_minute));

  w.Section("[tickets]");
  w.Strs("close_keywords", c.tickets.close_keywords);
  w.Strs("waiting_keywords", c.tickets.waiting_keywords);
  w.Strs("close_folders", c.tickets.close_folders);
  w.Strs("waiting_folders", c.tickets.waiting_folders);
  w.Duration("poll_every", c.tickets.poll_every);

  w.Section("[classify]");
  w.Str("ticket_tag_format", c.classify.ticket_tag_format);
  w.Int("thread_window_days", c.classify.thread_window_days);
  w.Strs("own_domains", c.classify.own_domains);
  w.Strs("agent_domains", c.classify.agent_domains);
  w.Section("[classify.ticket_prefix]");
  for (const auto& [mailbox, prefix] : c.classify.ticket_prefix) {
    w.Str(mailbox, prefix);
  }

  w.Section("[responder]");
  w.Int("per_ticket_max", c.responder.per_ticket_max);
  w.Int("per_sender_per_hour", c.responder.per_sender_per_hour);
  w.Str("noreply_regex", c.responder.noreply_regex);
  w.Str("envelope_sender", c.responder.envelope_sender);
  w.Str("hmac_key_file", c.responder.hmac_key_file);
  w.Str("message_id_domain", c.responder.message_id_domain);
  w.Str("dry_run_maildir", c.responder.dry_run_maildir);
  w.Duration("retry_after", c.responder.retry_after);
  w.Duration("retry_max", c.responder.retry_max);
  w.Duration("give_up_after", c.responder.give_up_after);

  w.Section("[templates]");
  w.Str("dir", c.templates.dir);
  w.Strs("forbidden_phrases", c.templates.forbidden_phrases);

  for (const Rule& r : c.rules) {
    w.Section("[[rule]]");
    w.Str("id", r.id);
    w.StrIfSet("field", r.field);
    w.StrIfSet("pattern", r.pattern);
    w.StrIfSet("unless", r.unless);
    w.StrIfSet("kind", r.kind);
    w.StrIfSet("class", r.cls);
    w.StrIfSet("flag", r.flag);
    w.StrIfSet("mailbox", r.mailbox);
    w.Str("description", r.description);
    w.Bool("enabled", r.enabled);
    w.Bool("weak", r.weak);
    w.StrIfSet("evidence", r.evidence);
    w.StrIfSet("source", r.source);
  }
  return w.Take();
}

}  // namespace inboxd::config
