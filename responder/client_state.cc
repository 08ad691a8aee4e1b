// client_state.cc: keywords and folders from the mail client -> ticket state
// (client_state.h).
#include "responder/client_state.h"

#include <algorithm>
#include <optional>
#include <set>

#include "core/text.h"
#include "responder/lifecycle.h"

namespace inboxd::responder {

namespace {

using core::Fail;

constexpr std::string_view kFolderMark = "folder:";
constexpr std::string_view kActor = "mail client";

// The configured spelling of `flag` in `list` (keywords compare without
// case, RFC 3501 2.3.2 leaves case to the server), or "".
std::string Configured(const std::vector<std::string>& list,
                       std::string_view flag) {
  for (const std::string& k : list) {
    if (core::IEquals(k, flag)) return k;
  }
  return "";
}

bool IsFolderIn(const std::vector<std::string>& list, std::string_view folder) {
  for (const std::string& f : list) {
    if (f == folder ||
        (core::IEquals(f, "INBOX") && core::IEquals(folder, "INBOX"))) {
      return true;
    }
  }
  return false;
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

struct ClientStateWatcher::MailboxParts {
  const config::Mailbox* mailbox;
  BusinessCalendar calendar;
  std::optional<core::TimePoint> last_poll;
  std::map<std::string, uint64_t> modseq;  // folder -> HIGHESTMODSEQ seen
};

ClientStateWatcher::~ClientStateWatcher() = default;

core::Result<std::unique_ptr<ClientStateWatcher>> ClientStateWatcher::Create(
    const config::Config* config, store::Store* store, FlagSource* flags) {
  if (config == nullptr || store == nullptr || flags == nullptr) {
    return Fail(core::Error::InvalidArgument(
        "client state: missing config/store/flag source"));
  }
  std::unique_ptr<ClientStateWatcher> w(new ClientStateWatcher());
  w->config_ = config;
  w->store_ = store;
  w->flags_ = flags;
  for (const config::Mailbox& m : config->mailboxes) {
    auto calendar =
        BusinessCalendar::Create(config->business_hours, m.time_zone);
    if (!calendar) return Fail(calendar.error().Wrap("mailbox " + m.name));
    w->mailboxes_.emplace(
        m.name, std::unique_ptr<MailboxParts>(
                    new MailboxParts{&m, std::move(*calendar), {}, {}}));
  }
  return w;
}

ClientStateReport ClientStateWatcher::Poll(core::TimePoint now, bool force) {
  ClientStateReport report;
  for (auto& [name, parts] : mailboxes_) {
    if (!force && parts->last_poll &&
        now - *parts->last_poll < config_->tickets.poll_every) {
      continue;
    }
    parts->last_poll = now;
    PollMailbox(*parts, now, report);
  }
  return report;
}

void ClientStateWatcher::PollMailbox(MailboxParts& parts, core::TimePoint now,
                                     ClientStateReport& report) {
  const std::string& mailbox = parts.mailbox->name;
  const config::TicketState& ts = config_->tickets;
  auto locations = store_->ListOpenTicketLocations(mailbox);
  if (!locations) {
    report.errors.push_back(locations.error().ToString());
    return;
  }
  std::map<std::string, std::vector<const store::TicketLocation*>> by_folder;
  for (const store::TicketLocation& l : *locations) {
    by_folder[l.folder].push_back(&l);
  }
  for (const auto& [folder, locs] : by_folder) {
    // Filed in a state folder: the folder is the mark.
    const bool close_folder = IsFolderIn(ts.close_folders, folder);
    if (close_folder || IsFolderIn(ts.waiting_folders, folder)) {
      const std::vector<std::string> marks = {std::string(kFolderMark) +
                                              folder};
      for (const store::TicketLocation* l : locs) {
        if (auto st = Apply(parts, *l, marks, false, now, report); !st) {
          report.errors.push_back(st.error().ToString());
        }
      }
      continue;
    }
    if (ts.close_keywords.empty() && ts.waiting_keywords.empty()) continue;
    std::vector<uint32_t> uids;
    for (const store::TicketLocation* l : locs) uids.push_back(l->uid);
    std::sort(uids.begin(), uids.end());
    uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
    auto known = parts.modseq.find(folder);
    const uint64_t since = known == parts.modseq.end() ? 0 : known->second;
    auto flags = flags_->ReadFlags(mailbox, folder, uids, since);
    if (!flags) {
      report.errors.push_back(
          flags.error().Wrap("flags of " + mailbox + "/" + folder).ToString());
      continue;
    }
    ++report.folders_read;
    if (flags->condstore && flags->highest_modseq > 0) {
      parts.modseq[folder] = flags->highest_modseq;
    } else {
      parts.modseq.erase(folder);
    }
    std::map<uint32_t, const std::vector<std::string>*> by_uid;
    for (const auto& [uid, f] : flags->messages) by_uid[uid] = &f;
    for (const store::TicketLocation* l : locs) {
      if (l->uid_validity != flags->uid_validity) continue;  // stale place
      auto it = by_uid.find(l->uid);
      if (it == by_uid.end()) continue;  // unchanged (CONDSTORE) or gone
      std::vector<std::string> marks;
      for (const std::string& f : *it->second) {
        std::string k = Configured(ts.close_keywords, f);
        if (k.empty()) k = Configured(ts.waiting_keywords, f);
        if (!k.empty() && !Contains(marks, k)) marks.push_back(k);
      }
      if (auto st = Apply(parts, *l, marks, true, now, report); !st) {
        report.errors.push_back(st.error().ToString());
      }
    }
  }
}

core::Status ClientStateWatcher::Apply(MailboxParts& parts,
                                       const store::TicketLocation& loc,
                                       const std::vector<std::string>& marks,
                                       bool marks_complete, core::TimePoint now,
                                       ClientStateReport& report) {
  auto recorded = store_->ListClientMarks(loc.message_row);
  if (!recorded) return Fail(recorded.error());
  if (marks_complete) {
    // Keywords the client removed: forget them, so setting one again acts.
    for (const std::string& r : *recorded) {
      if (r.starts_with(kFolderMark) || Contains(marks, r)) continue;
      if (auto st = store_->RemoveClientMark(loc.message_row, r); !st) {
        return st;
      }
    }
  }
  const config::TicketState& ts = config_->tickets;
  // Closing wins over waiting when both are set.
  std::vector<std::string> ordered = marks;
  std::stable_partition(
      ordered.begin(), ordered.end(), [&](const std::string& m) {
        return !Configured(ts.close_keywords, m).empty() ||
               (m.starts_with(kFolderMark) &&
                IsFolderIn(ts.close_folders, m.substr(kFolderMark.size())));
      });
  for (const std::string& mark : ordered) {
    if (Contains(*recorded, mark)) continue;  // acted on already
    auto ticket = store_->GetTicket(loc.ticket_id);
    if (!ticket) return Fail(ticket.error());
    const bool is_folder = mark.starts_with(kFolderMark);
    const std::string name = is_folder ? mark.substr(kFolderMark.size()) : mark;
    const bool close = is_folder ? IsFolderIn(ts.close_folders, name)
                                 : !Configured(ts.close_keywords, mark).empty();
    const std::string reason =
        (is_folder ? "filed in folder " + name : "keyword " + name) + " on <" +
        core::Printable(loc.message_id) + "> in " + parts.mailbox->name + "/" +
        loc.folder;
    if (ticket->state != store::TicketState::kClosed) {
      if (close) {
        store::MilestoneEvidence ev;
        ev.by = "closed";
        ev.message_row = loc.message_row;
        ev.message_id = loc.message_id;
        ev.mailbox = parts.mailbox->name;
        ev.folder = loc.folder;
        ev.at = now;
        ev.actor = std::string(kActor);
        if (auto st = Close(*store_, *config_, parts.calendar, *ticket, now, ev,
                            reason);
            !st) {
          return st;
        }
        ++report.closed;
      } else if (ticket->state == store::TicketState::kOpen) {
        if (auto st =
                SetWaiting(*store_, *ticket, now, std::string(kActor), reason);
            !st) {
          return st;
        }
        ++report.waiting;
      }
    }
    if (auto r = store_->AddClientMark(loc.message_row, mark); !r) {
      return Fail(r.error());
    }
  }
  return core::Ok();
}

}  // namespace inboxd::responder
