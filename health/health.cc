// health.cc: see health.h.
#include "health/health.h"

#include <set>

#include "core/text.h"

namespace inboxd::health {

namespace {

// "mailbox support folder INBOX" or "mailbox support".
std::string Name(const FolderState& f) {
  std::string s = "mailbox " + core::Printable(f.mailbox);
  if (!f.folder.empty()) s += " folder " + core::Printable(f.folder);
  return s;
}

}  // namespace

std::string FormatElapsed(std::chrono::seconds d) {
  int64_t left = d.count() < 0 ? 0 : d.count();
  if (left == 0) return "0s";
  static constexpr struct {
    int64_t seconds;
    char unit;
  } kUnits[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  std::string out;
  for (const auto& u : kUnits) {
    int64_t n = left / u.seconds;
    left %= u.seconds;
    if (n > 0) out += std::to_string(n) + u.unit;
  }
  return out;
}

std::vector<FolderState> WithoutSupersededMailboxEntries(
    std::vector<FolderState> folders) {
  // Mailboxes whose folders are known: their mailbox-level entry is stale.
  std::set<std::string> with_folders;
  for (const FolderState& f : folders) {
    if (!f.folder.empty()) with_folders.insert(f.mailbox);
  }
  std::erase_if(folders, [&](const FolderState& f) {
    return f.folder.empty() && with_folders.contains(f.mailbox);
  });
  return folders;
}

HealthReport DecideHealth(const HealthInput& in) {
  HealthReport r;
  for (const FolderState& f : WithoutSupersededMailboxEntries(in.folders)) {
    if (f.connected) continue;
    const core::TimePoint since =
        f.disconnected_since ? *f.disconnected_since
                             : (f.last_sync ? *f.last_sync : in.started_at);
    const std::chrono::seconds down = in.now - since;
    const bool over = down > in.retry_budget;
    std::string line = Name(f) + ": ";
    if (!over) line += "retrying, ";
    line += "disconnected for " + FormatElapsed(down) + " (budget " +
            FormatElapsed(in.retry_budget);
    if (f.consecutive_failures > 0) {
      line += ", " + std::to_string(f.consecutive_failures) +
              " failed attempt" + (f.consecutive_failures == 1 ? "" : "s");
    }
    line += ")";
    if (!f.last_error.empty()) line += ": " + core::Printable(f.last_error);
    (over ? r.reasons : r.retrying).push_back(std::move(line));
  }
  if (!in.store.writable) {
    r.reasons.push_back("store not writable" +
                        (in.store.error.empty()
                             ? std::string()
                             : ": " + core::Printable(in.store.error)));
  }
  r.healthy = r.reasons.empty();
  return r;
}

void DisconnectTracker::Fill(std::vector<FolderState>* folders,
                             core::TimePoint now) {
  std::lock_guard lock(mu_);
  for (FolderState& f : *folders) {
    auto key = std::make_pair(f.mailbox, f.folder);
    if (f.connected) {
      since_.erase(key);
      continue;
    }
    auto it = since_.emplace(key, now).first;
    if (!f.disconnected_since) f.disconnected_since = it->second;
  }
}

}  // namespace inboxd::health
