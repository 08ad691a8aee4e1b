#include "classify/classifier.h"

#include <re2/re2.h>

#include <algorithm>

#include "classify/language.h"
#include "classify/personal.h"
#include "classify/rules_file.h"
#include "classify/text_norm.h"
#include "core/text.h"

namespace inboxd::classify {
namespace {

// Precedence of automatic kinds: a bounce carrying "Auto-Submitted:
// auto-replied" is a bounce; a list mail that is also spam is list_bulk.
int KindRank(std::string_view kind) {
  if (kind == "bounce") return 4;
  if (kind == "auto_reply") return 3;
  if (kind == "list_bulk") return 2;
  if (kind == "spam") return 1;
  return 0;
}

Kind KindFromName(std::string_view kind) {
  if (kind == "bounce") return Kind::kBounce;
  if (kind == "auto_reply") return Kind::kAutoReply;
  if (kind == "list_bulk") return Kind::kListBulk;
  if (kind == "spam") return Kind::kSpam;
  return Kind::kHuman;
}

int ClassRank(std::string_view cls) {
  if (cls == "complaint") return 5;
  if (cls == "quote") return 4;
  if (cls == "personal") return 3;
  if (cls == "support") return 2;
  if (cls == "other") return 1;
  return 0;
}

// "rule rfc3834.auto_submitted: Auto-Submitted: auto-replied".
std::string Describe(const Reason& r) {
  std::string out = "rule " + r.rule_id + ": ";
  if (r.field == "any_header") {
    out += r.matched;
  } else if (core::IStartsWith(r.field, "header:")) {
    out += r.field.substr(7) + ": " + r.matched;
  } else {
    out += r.field + ": \"" + r.matched + "\"";
  }
  if (r.weak) out += " (weak)";
  if (!r.structural) out += " (content)";
  return out;
}

bool SameAddress(std::string_view a, std::string_view b) {
  return !a.empty() && core::IEquals(core::Trim(a), core::Trim(b));
}

bool IsSharedAddress(const config::Config& config, std::string_view addr) {
  for (const config::Mailbox& m : config.mailboxes) {
    if (SameAddress(addr, m.address)) return true;
    for (const std::string& alias : m.aliases) {
      if (SameAddress(addr, alias)) return true;
    }
  }
  return false;
}

bool IsAgentAddress(const config::Config& config, const core::Address& a) {
  for (const config::Agent& agent : config.agents) {
    if (SameAddress(a.addr, agent.address)) return true;
  }
  return false;
}

// Message-ID inside a block of enclosed headers ("Message-ID: <x@y>").
std::string MessageIdFromHeaders(std::string_view headers) {
  static const re2::RE2 re("(?im)^message-id:\\s*<?([^<>\\s]+)>?");
  std::string id;
  if (re2::RE2::PartialMatch(
          re2::StringPiece(headers.data(),
                           std::min<size_t>(headers.size(), 64 << 10)),
          re, &id)) {
    return id;
  }
  return "";
}

}  // namespace

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kHuman:
      return "human";
    case Kind::kAutoReply:
      return "auto_reply";
    case Kind::kBounce:
      return "bounce";
    case Kind::kListBulk:
      return "list_bulk";
    case Kind::kSpam:
      return "spam";
  }
  return "human";
}

std::string_view SenderRoleName(SenderRole role) {
  switch (role) {
    case SenderRole::kCustomer:
      return "customer";
    case SenderRole::kAgent:
      return "agent";
    case SenderRole::kSelf:
      return "self";
  }
  return "customer";
}

Classifier::~Classifier() = default;

core::Result<std::unique_ptr<Classifier>> Classifier::Create(
    const config::Config& config) {
  auto defaults = DefaultRules();
  if (!defaults) {
    return core::Fail(core::Error::Internal("shipped default rules: " +
                                            defaults.error().message));
  }
  return CreateWithRules(config, *defaults);
}

core::Result<std::unique_ptr<Classifier>> Classifier::CreateWithRules(
    const config::Config& config, const std::vector<config::Rule>& defaults) {
  auto engine = RuleEngine::Compile(defaults, config.rules);
  if (!engine) return core::Fail(engine.error());
  std::unique_ptr<Classifier> c(new Classifier());
  c->config_ = config;
  c->engine_ = std::move(*engine);
  if (!config.responder.noreply_regex.empty()) {
    re2::RE2::Options opts;
    opts.set_log_errors(false);
    c->noreply_ =
        std::make_unique<re2::RE2>(config.responder.noreply_regex, opts);
    if (!c->noreply_->ok()) {
      return core::Fail(core::Error::InvalidArgument(
          "responder.noreply_regex: " + c->noreply_->error()));
    }
  }
  c->our_domains_ = OurMessageIdDomains(config);
  return c;
}

namespace {

// The weighing of automatic-mail evidence (see classifier.h).
struct Weighed {
  std::vector<const Reason*> counted;  // hits that decide the kind
  std::vector<std::string> notes;      // why others did not count
  bool explicit_human = false;
};

Weighed WeighEvidence(const std::vector<Reason>& hits) {
  Weighed w;
  std::vector<const Reason*> strong, weak, content;
  for (const Reason& r : hits) {
    if (r.kind.empty()) continue;
    if (r.kind == "human") {
      w.explicit_human = true;
      continue;
    }
    if (!r.structural) {
      content.push_back(&r);
    } else if (r.weak) {
      weak.push_back(&r);
    } else {
      strong.push_back(&r);
    }
  }
  w.counted = strong;
  if (w.explicit_human) {
    for (const Reason* r : weak) {
      w.notes.push_back("ignored (explicit human signal): " + Describe(*r));
    }
    for (const Reason* r : content) {
      w.notes.push_back("ignored (explicit human signal): " + Describe(*r));
    }
    return w;
  }
  // Weak structural signals count together with a strong one or with
  // content that corroborates them (two weak ones alone do not: synthetic
  // and hand-written human mail often lacks Message-ID and To at once).
  const bool weak_counts =
      !weak.empty() && (!strong.empty() || !content.empty());
  if (weak_counts) {
    w.counted.insert(w.counted.end(), weak.begin(), weak.end());
  } else {
    for (const Reason* r : weak) {
      w.notes.push_back("weak signal ignored (no other automatic signal): " +
                        Describe(*r));
    }
  }
  // Content corroborates a structural signal; alone it counts for nothing.
  if (!w.counted.empty()) {
    w.counted.insert(w.counted.end(), content.begin(), content.end());
  } else {
    for (const Reason* r : content) {
      w.notes.push_back("content signal ignored (no structural signal): " +
                        Describe(*r));
    }
  }
  return w;
}

}  // namespace

core::Result<Decision> Classifier::Classify(const core::Message& msg,
                                            const Context& ctx) const {
  if (ctx.threads == nullptr) {
    return core::Fail(
        core::Error::InvalidArgument("classify: context without threads"));
  }
  Decision d;
  std::string mailbox_name = ctx.mailbox ? ctx.mailbox->name : "";
  MessageFields fields = MessageFields::From(msg, config_.limits);
  d.hits = engine_->Match(fields, mailbox_name);

  // Signals that need config or parsed structure: our own mail coming back,
  // and a parsed RFC 3464 report.
  bool own_message_id = IsOurMessageId(msg.message_id, our_domains_);
  if (own_message_id) {
    Reason r;
    r.rule_id = "loop.own_message_id";
    r.field = "message_id";
    r.matched = core::Printable(Utf8Prefix(msg.message_id, 80));
    r.kind = "auto_reply";
    r.description = "a Message-ID we generated came back";
    r.source = "responder/composer.h Message-ID shape";
    d.hits.push_back(std::move(r));
  }
  if (msg.delivery_status) {
    const core::DeliveryStatus& ds = *msg.delivery_status;
    Reason r;
    r.rule_id = "dsn.parsed";
    r.field = "delivery_status";
    r.matched = core::Printable(
        Utf8Prefix("Action " + ds.action + ", Status " + ds.status +
                       ", Final-Recipient " + ds.final_recipient,
                   kReasonTextMax));
    r.kind = "bounce";
    r.description = "RFC 3464 delivery status parsed";
    r.source = "RFC 3464 section 2";
    d.hits.push_back(std::move(r));
    d.bounced_message_id = ds.original_message_id;
  }

  // Kind: structural evidence decides, content only corroborates.
  Weighed weighed = WeighEvidence(d.hits);
  // The kind: the highest-ranked strong structural signal; content and weak
  // signals decide it only when no strong one does (a TMDA challenge that
  // quotes "could not be delivered" stays auto_reply).
  int best = 0, best_strong = 0;
  for (const Reason* r : weighed.counted) {
    best = std::max(best, KindRank(r->kind));
    if (r->structural && !r->weak) {
      best_strong = std::max(best_strong, KindRank(r->kind));
    }
    d.reasons.push_back(Describe(*r));
  }
  if (best_strong > 0) best = best_strong;
  for (std::string& n : weighed.notes) d.reasons.push_back(std::move(n));
  if (weighed.explicit_human) {
    for (const Reason& r : d.hits) {
      if (r.kind == "human") d.reasons.push_back(Describe(r));
    }
  }
  if (best > 0) {
    for (const Reason* r : weighed.counted) {
      if (KindRank(r->kind) == best && d.kind == Kind::kHuman) {
        d.kind = KindFromName(r->kind);
      }
      if (std::find(d.kind_rules.begin(), d.kind_rules.end(), r->rule_id) ==
          d.kind_rules.end()) {
        d.kind_rules.push_back(r->rule_id);
      }
    }
    std::string line = "kind " + std::string(KindName(d.kind));
    if (d.kind != Kind::kSpam) {
      line += " (precedence bounce > auto_reply > list_bulk > spam)";
    }
    d.reasons.push_back(line);
  } else {
    d.reasons.push_back(
        weighed.explicit_human
            ? "kind human: explicit human signal, no structural signal"
            : "kind human: no structural automatic signal");
  }
  if (d.kind == Kind::kBounce && d.bounced_message_id.empty()) {
    d.bounced_message_id = MessageIdFromHeaders(msg.original_headers);
  }
  if (!d.bounced_message_id.empty()) {
    d.reasons.push_back("bounce of message <" +
                        core::Printable(Utf8Prefix(d.bounced_message_id, 200)) +
                        ">");
  }

  // Sender role.
  if (own_message_id || msg.Header("X-Inboxd-Loop") != nullptr) {
    d.sender_role = SenderRole::kSelf;
    d.reasons.push_back("sender self: our own Message-ID or loop header");
  } else if (IsAgentAddress(config_, msg.from)) {
    d.sender_role = SenderRole::kAgent;
    d.reasons.push_back("sender agent: " + core::Printable(msg.from.addr) +
                        " is a configured agent");
  } else if (!msg.from.empty() &&
             std::find(config_.classify.agent_domains.begin(),
                       config_.classify.agent_domains.end(),
                       msg.from.Domain()) !=
                 config_.classify.agent_domains.end()) {
    d.sender_role = SenderRole::kAgent;
    d.reasons.push_back("sender agent: domain " + msg.from.Domain() +
                        " is in classify.agent_domains");
  } else if (IsSharedAddress(config_, msg.from.addr)) {
    d.sender_role = SenderRole::kAgent;
    d.reasons.push_back("sender agent: From is the shared mailbox address " +
                        core::Printable(msg.from.addr));
  } else {
    d.sender_role = SenderRole::kCustomer;
  }

  // Class (human mail only).
  if (d.kind == Kind::kHuman) {
    std::string cls;
    std::string why;
    for (const Reason& r : d.hits) {
      if (!r.cls.empty() && ClassRank(r.cls) > ClassRank(cls)) {
        cls = r.cls;
        why = Describe(r);
      }
    }
    // Personal (POLICY D4): addressed to an agent, and no request found.
    if (cls.empty() || cls == "personal" || cls == "other") {
      if (auto addressed = FindAddressedAgent(msg, fields.body_head, config_)) {
        cls = "personal";
        why = "addressed to agent " + addressed->agent->name + " (" +
              addressed->how + ") and no request found";
        d.personal_agent = core::AsciiLower(addressed->agent->address);
      }
    }
    if (cls.empty() && ctx.mailbox && !ctx.mailbox->default_class.empty()) {
      cls = ctx.mailbox->default_class;
      why = "default_class of mailbox " + ctx.mailbox->name;
    }
    if (cls.empty()) {
      cls = "other";
      why = "no class rule fired";
    }
    d.cls = cls;
    d.reasons.push_back("class " + cls + ": " + why);
    for (const Reason& r : d.hits) {
      if (!r.cls.empty() && Describe(r) != why) {
        d.reasons.push_back("also " + Describe(r));
      }
    }
  }

  // Flags (POLICY R6): human mail only. They leave kind and class alone.
  for (const Reason& r : d.hits) {
    if (r.flag.empty()) continue;
    if (d.kind != Kind::kHuman) {
      d.reasons.push_back("flag " + r.flag + " ignored (kind " +
                          std::string(KindName(d.kind)) +
                          ", flags are for human mail): " + Describe(r));
      continue;
    }
    d.flags.push_back(r.flag);
    d.reasons.push_back("flag " + r.flag + ": " + Describe(r));
  }
  std::sort(d.flags.begin(), d.flags.end());
  d.flags.erase(std::unique(d.flags.begin(), d.flags.end()), d.flags.end());

  // Thread.
  auto thread = ResolveThread(msg, config_, *ctx.threads, ctx.now);
  if (!thread) return core::Fail(thread.error());
  d.followup = thread->followup;
  d.ticket = thread->ticket;
  // The step that found the thread is its last note.
  std::string followup_why =
      thread->notes.empty() ? std::string() : thread->notes.back();
  for (std::string& n : thread->notes) d.reasons.push_back(std::move(n));
  d.reasons.push_back(std::string("thread ") +
                      (d.followup ? "followup" : "new"));

  // Language.
  LanguageResult lang = DetectLanguage(
      fields.body, msg.subject, msg.content_language, msg.text_charset,
      ctx.mailbox ? std::string_view(ctx.mailbox->language) : "");
  d.language = lang.code;
  d.language_source = lang.source;
  d.reasons.push_back("language " + lang.code + " (" + lang.source + ")");

  // Acknowledgement: one decision table (ack_decision.h).
  AckFacts& f = d.facts;
  f.self = d.sender_role == SenderRole::kSelf;
  f.automatic = d.kind != Kind::kHuman;
  f.kind = std::string(KindName(d.kind));
  f.automatic_rules = d.kind_rules;
  f.from_agent = d.sender_role == SenderRole::kAgent;
  f.in_sent = ctx.folder != FolderRole::kIncoming;
  f.followup = d.followup;
  f.followup_why = followup_why;
  f.personal = d.cls == "personal";
  if (f.personal) {
    f.personal_why =
        d.personal_agent.empty() ? "class rule" : "owner " + d.personal_agent;
  }
  f.has_from = !msg.from.empty();
  f.from = core::Printable(msg.from.addr);
  f.noreply = f.has_from && noreply_ &&
              re2::RE2::PartialMatch(msg.from.addr, *noreply_);
  d.decision = DecideAck(f);
  d.ack = d.decision.ack;
  d.reasons.push_back(d.decision.reason);
  return d;
}

}  // namespace inboxd::classify
