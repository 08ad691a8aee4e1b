#include "app/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace inboxd::app {
namespace {

// "%*": the syslog priority in journald's "<N>" form (sd-daemon(3)).
class PriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    int prio = 6;  // info
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        prio = 7;
        break;
      case spdlog::level::info:
        prio = 6;
        break;
      case spdlog::level::warn:
        prio = 4;
        break;
      case spdlog::level::err:
        prio = 3;
        break;
      case spdlog::level::critical:
        prio = 2;
        break;
      default:
        break;
    }
    const char text[] = {'<', static_cast<char>('0' + prio), '>'};
    dest.append(text, text + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<PriorityFlag>();
  }
};

bool UnderJournald() {
  const char* s = std::getenv("JOURNAL_STREAM");
  return s != nullptr && *s != '\0';
}

// The level an event is logged at: what an operator must look at is a
// warning; bookkeeping is debug.
spdlog::level::level_enum LevelOf(std::string_view type) {
  for (std::string_view bad :
       {"failed", "missed", "quarantined", "answered_late", "deferred",
        "uidvalidity_changed", "reload_failed", "resending"}) {
    if (type.find(bad) != std::string_view::npos) return spdlog::level::warn;
  }
  for (std::string_view quiet :
       {"message.location_added", "ticket.thread_index_added",
        "ticket.message_attached", "outbox.sending", "checkpoint.created",
        "milestone.set"}) {
    if (type == quiet) return spdlog::level::debug;
  }
  return spdlog::level::info;
}

}  // namespace

void ConfigureLogging(std::string_view level) {
  auto logger = spdlog::default_logger();
  // stderr, not stdout: stdout is the commands' output.
  if (logger->sinks().size() != 1 ||
      std::dynamic_pointer_cast<spdlog::sinks::stderr_sink_mt>(
          logger->sinks()[0]) == nullptr) {
    logger = std::make_shared<spdlog::logger>(
        "inboxd", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    spdlog::set_default_logger(logger);
  }
  // UTC timestamps, like every time inboxd prints.
  auto formatter = std::make_unique<spdlog::pattern_formatter>(
      spdlog::pattern_time_type::utc);
  if (UnderJournald()) {
    formatter->add_flag<PriorityFlag>('*').set_pattern("%*%v");
  } else {
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v");
  }
  logger->set_formatter(std::move(formatter));
  spdlog::level::level_enum lvl =
      level == "warning" ? spdlog::level::warn
                         : spdlog::level::from_str(std::string(level));
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::trace);
}

core::Status EventLog::Start(store::Store& store) {
  auto last = store.LastEventId();
  if (!last) return core::Fail(last.error());
  last_id_ = *last;
  return core::Ok();
}

std::string EventLog::TicketTag(store::Store& store, int64_t ticket_id) {
  if (ticket_id <= 0) return "-";
  if (auto it = tags_.find(ticket_id); it != tags_.end()) return it->second;
  auto t = store.GetTicket(ticket_id);
  std::string tag = t ? t->Tag() : "#" + std::to_string(ticket_id);
  if (tags_.size() >= 4096) tags_.clear();
  tags_.emplace(ticket_id, tag);
  return tag;
}

core::Status EventLog::LogNew(store::Store& store) {
  store::EventFilter filter;
  filter.after_id = last_id_;
  filter.limit = 0;
  return store.ScanEvents(filter, [&](const store::Event& e) {
    last_id_ = e.id;
    const auto level = LevelOf(e.type);
    if (!spdlog::should_log(level)) return true;
    spdlog::log(level, "mailbox={} ticket={} {} #{} {}",
                e.mailbox.empty() ? "-" : e.mailbox,
                TicketTag(store, e.ticket_id), e.type, e.id, e.data);
    return true;
  });
}

void PrintError(std::string_view text) {
  const bool journal = UnderJournald();
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    std::fprintf(stderr, "%s%.*s\n", journal ? "<3>" : "",
                 static_cast<int>(line.size()), line.data());
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  std::fflush(stderr);
}

}  // namespace inboxd::app
