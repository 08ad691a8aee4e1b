#include "classify/classifier.h"

#include <re2/re2.h>

#include <algorithm>

#include "classify/language.h"
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
  if (cls == "personal") return 4;
  if (cls == "quote") return 3;
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
    d.hits.push_back({"loop.own_message_id", "message_id",
                      core::Printable(Utf8Prefix(msg.message_id, 80)),
                      "auto_reply", "", false,
                      "a Message-ID we generated came back"});
  }
  if (msg.delivery_status) {
    const core::DeliveryStatus& ds = *msg.delivery_status;
    std::string text = "Action " + ds.action + ", Status " + ds.status +
                       ", Final-Recipient " + ds.final_recipient;
    d.hits.push_back({"dsn.parsed", "delivery_status",
                      core::Printable(Utf8Prefix(text, kReasonTextMax)),
                      "bounce", "", false, "RFC 3464 delivery status parsed"});
    d.bounced_message_id = ds.original_message_id;
  }

  // Kind: the highest-ranked non-weak automatic hit; weak hits join in only
  // when some non-weak automatic hit exists.
  int best = 0;
  bool strong = false;
  for (const Reason& r : d.hits) {
    if (!r.kind.empty() && !r.weak) strong = true;
  }
  for (const Reason& r : d.hits) {
    if (r.kind.empty()) continue;
    if (r.weak && !strong) continue;
    best = std::max(best, KindRank(r.kind));
  }
  for (const Reason& r : d.hits) {
    if (!r.kind.empty() && (strong || !r.weak))
      d.reasons.push_back(Describe(r));
  }
  if (best > 0) {
    for (const Reason& r : d.hits) {
      if (!r.kind.empty() && KindRank(r.kind) == best && (strong || !r.weak)) {
        d.kind = KindFromName(r.kind);
        break;
      }
    }
    std::string line = "kind " + std::string(KindName(d.kind));
    if (d.kind != Kind::kSpam) {
      line += " (precedence bounce > auto_reply > list_bulk > spam)";
    }
    d.reasons.push_back(line);
  } else {
    for (const Reason& r : d.hits) {
      if (!r.kind.empty() && r.weak) {
        d.reasons.push_back(
            "weak signal ignored (no other automatic signal): " + Describe(r));
      }
    }
    d.reasons.push_back("kind human: no automatic-mail rule fired");
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
    // Personal: addressed to an agent's own address, not to a shared one.
    bool to_agent = false, to_shared = false;
    for (const auto* list : {&msg.to, &msg.cc}) {
      for (const core::Address& a : *list) {
        if (IsAgentAddress(config_, a)) to_agent = true;
        if (IsSharedAddress(config_, a.addr)) to_shared = true;
      }
    }
    if (to_agent && !to_shared && ClassRank("personal") > ClassRank(cls)) {
      cls = "personal";
      why = "addressed to an agent's own address, not to a shared mailbox";
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

  // Thread.
  auto thread = ResolveThread(msg, config_, *ctx.threads, ctx.now);
  if (!thread) return core::Fail(thread.error());
  d.followup = thread->followup;
  d.ticket = thread->ticket;
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

  // Acknowledgement: every refusal is stated.
  std::vector<std::string> refusals;
  if (d.kind != Kind::kHuman) {
    refusals.push_back("kind is " + std::string(KindName(d.kind)));
  }
  if (d.sender_role != SenderRole::kCustomer) {
    refusals.push_back("sender is " +
                       std::string(SenderRoleName(d.sender_role)));
  }
  if (d.followup) refusals.push_back("follow-up on an existing ticket");
  if (ctx.folder != FolderRole::kIncoming) {
    refusals.push_back("not in an incoming folder");
  }
  if (msg.from.empty()) {
    refusals.push_back("no From address to answer");
  } else if (noreply_ && re2::RE2::PartialMatch(msg.from.addr, *noreply_)) {
    refusals.push_back("From " + core::Printable(msg.from.addr) +
                       " matches responder.noreply_regex");
  }
  d.ack = refusals.empty();
  if (d.ack) {
    d.reasons.push_back("ack: first contact from a customer");
  } else {
    for (const std::string& r : refusals) d.reasons.push_back("no ack: " + r);
  }
  return d;
}

}  // namespace inboxd::classify
