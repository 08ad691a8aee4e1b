// cmd_tickets.cc: `inboxd deadlines` (the milestones a hypothetical message
// would get) and `inboxd tickets` (tickets with their milestones and
// evidence). Both only read: they work while `inboxd run` is running.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "app/commands.h"
#include "app/pipeline.h"
#include "core/text.h"
#include "responder/business_calendar.h"
#include "responder/lifecycle.h"
#include "store/store.h"

namespace inboxd::app {

namespace {

namespace fs = std::filesystem;

struct TicketOptions {
  std::string config_path;
  std::string mailbox;
  std::string cls;
  std::string received;
  std::string customer;
  std::string state = "open";
  bool json = false;
};

const config::Mailbox* FindMailbox(const config::Config& cfg,
                                   std::string_view name) {
  for (const auto& m : cfg.mailboxes) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

// RFC 3339 in the zone, or null when the zone is unknown.
nlohmann::json Time(core::TimePoint t, std::string_view zone) {
  auto s = responder::FormatRfc3339Local(t, zone);
  if (!s) return core::FormatUtc(t);
  return *s;
}

nlohmann::json OptTime(const std::optional<core::TimePoint>& t,
                       std::string_view zone) {
  return t ? Time(*t, zone) : nlohmann::json();
}

int RunDeadlines(const TicketOptions& opt) {
  config::Config cfg;
  if (!LoadConfigOrReport(opt.config_path, &cfg)) return kExitConfig;
  const config::Mailbox* mb = FindMailbox(cfg, opt.mailbox);
  if (mb == nullptr) {
    std::fprintf(stderr, "inboxd deadlines: no mailbox '%s' in %s\n",
                 opt.mailbox.c_str(), opt.config_path.c_str());
    return kExitConfig;
  }
  auto received = responder::ParseRfc3339(opt.received);
  if (!received) {
    std::fprintf(stderr, "inboxd deadlines: --received: %s\n",
                 received.error().message.c_str());
    return kExitConfig;
  }
  auto calendar =
      responder::BusinessCalendar::Create(cfg.business_hours, mb->time_zone);
  if (!calendar) {
    std::fprintf(stderr, "inboxd deadlines: %s\n",
                 calendar.error().message.c_str());
    return kExitConfig;
  }
  nlohmann::json out = {{"mailbox", mb->name},
                        {"class", opt.cls},
                        {"received", Time(*received, mb->time_zone)},
                        {"milestones", nlohmann::json::array()}};
  if (!opt.customer.empty()) out["customer"] = opt.customer;
  for (const config::Deadline& d :
       responder::MilestonesFor(cfg, opt.cls, opt.customer)) {
    nlohmann::json m = {
        {"name", d.name}, {"id", d.id}, {"clock", d.clock}, {"start", d.start}};
    if (responder::StartsAtClose(d)) {
      m["due"] = nullptr;  // starts when the ticket is closed
    } else {
      auto t = responder::TimeMilestone(*calendar, cfg.deadlines, d, *received);
      if (!t) {
        std::fprintf(stderr, "inboxd deadlines: %s\n",
                     t.error().message.c_str());
        return kExitFailure;
      }
      m["due"] = Time(t->due_at, mb->time_zone);
      m["warn_at"] = OptTime(t->warn_at, mb->time_zone);
      m["delay_notice_at"] = OptTime(t->notice_at, mb->time_zone);
    }
    out["milestones"].push_back(std::move(m));
  }
  if (opt.json) {
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%s, class %s, received %s\n", mb->name.c_str(), opt.cls.c_str(),
              out["received"].get<std::string>().c_str());
  std::printf("%-4s %-10s %-9s %s\n", "ID", "NAME", "CLOCK", "DUE");
  for (const auto& m : out["milestones"]) {
    std::printf("%-4s %-10s %-9s %s\n", m["id"].get<std::string>().c_str(),
                m["name"].get<std::string>().c_str(),
                m["clock"].get<std::string>().c_str(),
                m["due"].is_null() ? "(starts when the ticket is closed)"
                                   : m["due"].get<std::string>().c_str());
  }
  return kExitOk;
}

nlohmann::json TicketJson(const store::Ticket& t,
                          const std::vector<store::Milestone>& milestones,
                          std::string_view zone) {
  nlohmann::json ms = nlohmann::json::array();
  for (const store::Milestone& m : milestones) {
    nlohmann::json met_by;
    if (!m.evidence.by.empty()) {
      met_by = {{"how", m.evidence.by},
                {"message_id", m.evidence.message_id},
                {"mailbox", m.evidence.mailbox},
                {"folder", m.evidence.folder},
                {"actor", m.evidence.actor},
                {"at", Time(m.evidence.at, zone)}};
    }
    ms.push_back({{"name", m.name},
                  {"id", m.milestone_id},
                  {"due", Time(m.due_at, zone)},
                  {"original_due", Time(m.original_due_at, zone)},
                  {"state", store::ToString(m.state)},
                  {"paused", m.paused_at.has_value()},
                  {"warned_at", OptTime(m.warned_at, zone)},
                  {"notified_at", OptTime(m.notified_at, zone)},
                  {"escalation_level", m.escalation_level},
                  {"met_by", met_by},
                  {"met_at", OptTime(m.met_at, zone)}});
  }
  return {{"ticket", t.Tag()},
          {"mailbox", t.mailbox},
          {"class", t.cls},
          {"state", store::ToString(t.state)},
          {"owner", t.owner},
          {"owner_reason", t.owner_reason},
          {"customer", t.customer},
          {"subject", core::SanitizeUtf8(t.subject)},
          {"opened", Time(t.opened_at, zone)},
          {"flags", t.flags},
          {"milestones", std::move(ms)}};
}

// Sort key, most at risk first: a missed milestone, then the earliest open
// due time; tickets with nothing open last.
std::pair<int, int64_t> RiskKey(const std::vector<store::Milestone>& ms) {
  std::optional<int64_t> earliest;
  for (const store::Milestone& m : ms) {
    if (m.state == store::MilestoneState::kMissed && m.evidence.by.empty()) {
      return {0, m.due_at.time_since_epoch().count()};
    }
    if (m.state == store::MilestoneState::kOpen && !m.paused_at) {
      const int64_t d = m.due_at.time_since_epoch().count();
      if (!earliest || d < *earliest) earliest = d;
    }
  }
  if (earliest) return {1, *earliest};
  return {2, 0};
}

int RunTickets(const TicketOptions& opt) {
  config::Config cfg;
  if (!LoadConfigOrReport(opt.config_path, &cfg)) return kExitConfig;
  std::optional<store::TicketState> state;
  if (opt.state != "all") {
    auto s = store::ParseTicketState(opt.state);
    if (!s) {
      std::fprintf(stderr,
                   "inboxd tickets: --state must be open, waiting, closed or "
                   "all, got '%s'\n",
                   opt.state.c_str());
      return kExitConfig;
    }
    state = *s;
  }
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::pair<std::pair<int, int64_t>, nlohmann::json>> rows;
  if (fs::exists(StorePath(cfg))) {
    auto st = store::Store::Open(StorePath(cfg), core::SystemClock::Default());
    if (!st) {
      std::fprintf(stderr, "inboxd tickets: %s\n", st.error().message.c_str());
      return kExitFailure;
    }
    int64_t after = 0;
    while (true) {
      auto page = (*st)->ListTickets(state, after, 500);
      if (!page) {
        std::fprintf(stderr, "inboxd tickets: %s\n",
                     page.error().message.c_str());
        return kExitFailure;
      }
      for (const store::Ticket& t : *page) {
        auto ms = (*st)->ListMilestones(t.id);
        if (!ms) {
          std::fprintf(stderr, "inboxd tickets: %s\n",
                       ms.error().message.c_str());
          return kExitFailure;
        }
        const config::Mailbox* mb = FindMailbox(cfg, t.mailbox);
        rows.push_back(
            {RiskKey(*ms), TicketJson(t, *ms, mb ? mb->time_zone : "UTC")});
        after = t.id;
      }
      if (page->size() < 500) break;
    }
  }
  if (opt.json) {
    for (auto& [key, j] : rows) out.push_back(std::move(j));
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.first < b.first;
  });
  std::printf("%-10s %-8s %-9s %-8s %-32s %-26s %s\n", "TICKET", "MAILBOX",
              "CLASS", "STATE", "CUSTOMER", "NEXT DUE", "MILESTONES");
  for (const auto& [key, j] : rows) {
    std::string next = "-";
    std::string list;
    for (const auto& m : j["milestones"]) {
      list += (list.empty() ? "" : " ") + m["id"].get<std::string>() + ":" +
              m["state"].get<std::string>();
      if (m["state"] == "open" && !m["paused"].get<bool>() && next == "-") {
        next = m["due"].get<std::string>();
      }
    }
    if (key.first == 0) next = "MISSED";
    std::printf("%-10s %-8s %-9s %-8s %-32s %-26s %s\n",
                j["ticket"].get<std::string>().c_str(),
                j["mailbox"].get<std::string>().c_str(),
                j["class"].get<std::string>().c_str(),
                j["state"].get<std::string>().c_str(),
                j["customer"].get<std::string>().c_str(), next.c_str(),
                list.c_str());
  }
  return kExitOk;
}

}  // namespace

void RegisterTicketCommands(CLI::App& app, int* exit_code) {
  auto opt = std::make_shared<TicketOptions>();
  auto* deadlines = app.add_subcommand(
      "deadlines",
      "the milestones and due times a message would get (check a calendar)");
  deadlines->add_option("--config", opt->config_path, "config file")
      ->required();
  deadlines->add_option("--mailbox", opt->mailbox, "mailbox name")->required();
  deadlines
      ->add_option("--class", opt->cls,
                   "request class: quote, complaint, support, personal, "
                   "other")
      ->required()
      ->check(CLI::IsMember(
          {"quote", "complaint", "support", "personal", "other"}));
  deadlines
      ->add_option("--received", opt->received,
                   "arrival time, RFC 3339 (2026-12-04T16:30:00+01:00)")
      ->required();
  deadlines->add_option("--customer", opt->customer,
                        "customer address (contract tier of its [[account]])");
  deadlines->add_flag("--json", opt->json, "JSON output");
  deadlines->callback([opt, exit_code] { *exit_code = RunDeadlines(*opt); });

  auto* tickets = app.add_subcommand(
      "tickets", "tickets with their milestones, at risk first");
  tickets->add_option("--config", opt->config_path, "config file")->required();
  tickets
      ->add_option("--state", opt->state,
                   "open, waiting, closed or all (default open)")
      ->check(CLI::IsMember({"open", "waiting", "closed", "all"}));
  tickets->add_flag("--json", opt->json, "JSON output");
  tickets->callback([opt, exit_code] { *exit_code = RunTickets(*opt); });
}

}  // namespace inboxd::app
