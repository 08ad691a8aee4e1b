#include "ingest/sync_engine.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <map>

#include "core/hash.h"
#include "core/shutdown.h"
#include "core/text.h"
#include "ingest/folder_names.h"
#include "ingest/header_block.h"

namespace inboxd::ingest {
namespace {

std::atomic<bool> g_progress_bar{false};

// "\rsupport/INBOX [########------------]  812/2000" on stderr.
void DrawBar(const std::string& where, size_t done, size_t total) {
  constexpr size_t kWidth = 30;
  size_t filled = total == 0 ? kWidth : done * kWidth / total;
  std::string bar(filled, '#');
  bar.append(kWidth - filled, '-');
  std::fprintf(stderr, "\r%s [%s] %zu/%zu", where.c_str(), bar.c_str(), done,
               total);
  if (done == total) std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace

void SyncEngine::SetProgressBar(bool on) { g_progress_bar = on; }

namespace {

using core::Error;
using core::Fail;
using core::Result;

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : core::Printable(s)) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(static_cast<char>(c));
  }
  return out + "\"";
}

std::string Where(const SyncTarget& t) {
  return t.mailbox + "/" + core::Printable(t.folder);
}

}  // namespace

std::string NormalizeMessageId(std::string_view value) {
  size_t open = value.find('<');
  if (open != std::string_view::npos) {
    size_t close = value.find('>', open);
    if (close != std::string_view::npos) {
      return std::string(core::Trim(value.substr(open + 1, close - open - 1)));
    }
  }
  return std::string(core::Trim(value));
}

core::Status CheckSearchableMessageId(std::string_view message_id) {
  if (message_id.empty()) {
    return Fail(Error::InvalidArgument("empty Message-ID"));
  }
  for (char ch : message_id) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      return Fail(Error::InvalidArgument(
          "Message-ID \"" + core::Printable(message_id) +
          "\" holds a control, non-ASCII, '\"' or '\\' byte"));
    }
  }
  return core::Ok();
}

core::Status SyncEngine::StoreOne(const SyncTarget& target,
                                  uint32_t uid_validity,
                                  const MessageMeta& meta,
                                  core::TimePoint first_seen,
                                  FetchedMessage* prefetched,
                                  SyncReport* report) {
  SyncedMessage m;
  m.mailbox = target.mailbox;
  m.folder = target.folder;
  m.uid_validity = uid_validity;
  m.uid = meta.uid;
  m.role = target.role;
  m.arrived_at = meta.internal_date;
  m.size = meta.size;
  m.ack_eligible = target.role == FolderRole::kIncoming &&
                   meta.internal_date + target.ack_window >= first_seen;

  const bool oversized = meta.size > limits_.max_message_bytes;
  Result<FetchedMessage> fetched =
      prefetched != nullptr ? Result<FetchedMessage>(std::move(*prefetched))
      : oversized           ? source_->FetchHeader(target.folder, meta.uid)
                            : source_->Fetch(target.folder, meta.uid);
  if (!fetched && fetched.error().code == core::Code::kDataLoss && !oversized) {
    // The literal was larger than RFC822.SIZE promised: quarantine it too.
    fetched = source_->FetchHeader(target.folder, meta.uid);
    m.quarantine_reason = "message larger than its RFC822.SIZE " +
                          std::to_string(meta.size) + " and the limit";
  }
  if (!fetched) {
    if (fetched.error().code == core::Code::kNotFound) {
      spdlog::info("{}: uid {} expunged before it was fetched; skipped",
                   Where(target), meta.uid);
      ++report->errors;
      return core::Ok();
    }
    return Fail(fetched.error());
  }
  ++report->fetched;
  m.arrived_at = fetched->internal_date;
  if (oversized || fetched->raw.size() > limits_.max_message_bytes) {
    if (m.quarantine_reason.empty()) {
      m.quarantine_reason = "size " + std::to_string(meta.size) +
                            " over limit " +
                            std::to_string(limits_.max_message_bytes);
    }
  }
  m.truncated = !m.quarantine_reason.empty();
  if (m.truncated) {
    // Keep the header block only; the hash then covers what we hold, plus
    // the UID place, so distinct oversized messages never collapse.
    HeaderBlock hb = ParseHeaderBlock(fetched->raw, limits_.max_header_bytes);
    m.raw =
        fetched->raw.substr(0, std::min(hb.header_bytes, fetched->raw.size()));
    m.sha256 = core::Sha256Hex(m.raw);
  } else {
    m.raw = std::move(fetched->raw);
    m.sha256 = core::Sha256Hex(m.raw);
    m.size = m.raw.size();
  }
  HeaderBlock hb = ParseHeaderBlock(m.raw, limits_.max_header_bytes);
  if (const std::string* id = FindField(hb.fields, "Message-ID")) {
    m.message_id = core::StripCrLf(NormalizeMessageId(*id));
  }

  auto put = sink_->PutRawMessage(m);
  if (!put)
    return Fail(put.error().Wrap("store " + Where(target) + " uid " +
                                 std::to_string(meta.uid)));
  if (m.truncated) {
    ++report->quarantined;
    spdlog::warn("{}: uid {} quarantined: {}", Where(target), meta.uid,
                 m.quarantine_reason);
    auto st = sink_->Audit(
        "ingest.quarantined", target.mailbox,
        "{\"folder\":" + JsonString(target.folder) +
            ",\"uid\":" + std::to_string(meta.uid) +
            ",\"uid_validity\":" + std::to_string(uid_validity) +
            ",\"size\":" + std::to_string(meta.size) +
            ",\"reason\":" + JsonString(m.quarantine_reason) + "}");
    if (!st) return st;
  } else if (put->new_message) {
    ++report->stored_new;
  } else {
    ++report->duplicates;
  }
  return core::Ok();
}

Result<SyncReport> SyncEngine::SyncFolder(const SyncTarget& target) {
  // A UIDVALIDITY change in the middle of a run voids the UIDs in hand:
  // start over once, which takes the rescan path below.
  for (int attempt = 0;; ++attempt) {
    SyncReport report;
    report.mailbox = target.mailbox;
    report.folder = target.folder;
    report.role = target.role;
    const std::string where = Where(target);
    const core::TimePoint now = clock_->Now();

    auto first_seen = sink_->FirstSeenAt(target.mailbox, now);
    if (!first_seen) return Fail(first_seen.error().Wrap("sync " + where));
    auto cp = sink_->GetCheckpoint(target.mailbox, target.folder);
    if (!cp) return Fail(cp.error().Wrap("sync " + where));
    auto state = source_->Examine(target.folder);
    if (!state) return Fail(state.error());

    uint32_t last_uid = 0;
    if (*cp && (*cp)->uid_validity == state->uid_validity) {
      last_uid = (*cp)->last_uid;
    } else if (*cp) {
      report.uid_validity_changed = true;
      spdlog::warn(
          "{}: uidvalidity changed from {} to {}; rescanning the folder "
          "(dedupe keeps stored messages single)",
          where, (*cp)->uid_validity, state->uid_validity);
      auto st = sink_->Audit(
          "ingest.uidvalidity_changed", target.mailbox,
          "{\"folder\":" + JsonString(target.folder) +
              ",\"old\":" + std::to_string((*cp)->uid_validity) +
              ",\"new\":" + std::to_string(state->uid_validity) +
              ",\"old_last_uid\":" + std::to_string((*cp)->last_uid) + "}");
      if (!st) return Fail(st.error().Wrap("sync " + where));
    }
    report.uid_validity = state->uid_validity;
    report.last_uid = last_uid;
    auto mark = [&](uint32_t uid) {
      return sink_->AdvanceCheckpoint(target.mailbox, target.folder,
                                      {state->uid_validity, uid},
                                      clock_->Now());
    };
    if (!*cp || report.uid_validity_changed) {
      if (auto st = mark(last_uid); !st) return Fail(st.error());
    }
    // Nothing new: UIDNEXT proves it without a search, so a sync with no new
    // mail costs the same whatever the folder size.
    if (state->uid_next != 0 && state->uid_next <= last_uid + 1) {
      if (auto st = mark(last_uid); !st) return Fail(st.error());
      return report;
    }

    auto uids = source_->ListUidsFrom(target.folder, last_uid + 1);
    if (!uids) {
      if (uids.error().code == core::Code::kFailedPrecondition && attempt == 0)
        continue;
      return Fail(uids.error());
    }
    const size_t total = uids->size();
    if (total > 0) {
      spdlog::info("{}: {} new message(s) above uid {}", where, total,
                   last_uid);
    }
    size_t done = 0;
    auto last_log = std::chrono::steady_clock::now();
    auto last_mark = last_log;
    bool restart = false;
    // The checkpoint trails the committed bytes by at most
    // kCheckpointEvery messages: a crash refetches those, and the store's
    // dedupe by location absorbs them.
    bool dirty = false;
    // The calls of one checkpoint window run in one sink batch (one store
    // transaction), committed right after the checkpoint that covers them:
    // bytes and checkpoint become durable together. A window that cannot
    // commit is rolled back whole; the checkpoint then stays at the last
    // committed window and the next run refetches the rest.
    bool batch_open = false;
    struct BatchGuard {
      SyncSink* sink;
      bool* open;
      ~BatchGuard() {
        if (*open) sink->RollbackBatch();
      }
    } batch_guard{sink_, &batch_open};
    auto open_batch = [&]() -> core::Status {
      if (batch_open) return core::Ok();
      if (auto st = sink_->BeginBatch(); !st) return st;
      batch_open = true;
      return core::Ok();
    };
    auto flush = [&]() -> core::Status {
      if (dirty) {
        dirty = false;
        last_mark = std::chrono::steady_clock::now();
        if (auto st = mark(report.last_uid); !st) return st;
      }
      if (!batch_open) return core::Ok();
      batch_open = false;
      return sink_->CommitBatch();
    };
    auto fail = [&](core::Error e) -> Result<SyncReport> {
      // Keep what succeeded: each failed call undid only itself, so the
      // window's earlier messages commit with a checkpoint below the failure.
      (void)flush();
      return Fail(std::move(e));
    };
    for (size_t i = 0; i < total && !restart; i += kSyncBatch) {
      std::span<const uint32_t> chunk(uids->data() + i,
                                      std::min(kSyncBatch, total - i));
      auto metas = source_->FetchSizes(target.folder, chunk);
      if (!metas) {
        if (metas.error().code == core::Code::kFailedPrecondition &&
            attempt == 0) {
          restart = true;
          break;
        }
        return fail(metas.error());
      }
      size_t next_meta = 0;
      // Fetched ahead, one FetchMany round trip per group of metas; a
      // message not found here (oversized, expunged, or its group failed)
      // is fetched on its own by StoreOne.
      std::map<uint32_t, FetchedMessage> ahead;
      size_t grouped_until = 0;  // metas[0, grouped_until) were grouped
      auto fetch_group = [&](size_t from) -> core::Status {
        std::vector<uint32_t> group;
        uint64_t bytes = 0;
        size_t k = from;
        for (; k < metas->size(); ++k) {
          const MessageMeta& m = (*metas)[k];
          if (m.size > limits_.max_message_bytes) continue;
          if (!group.empty() && bytes + m.size > kFetchGroupBytes) break;
          group.push_back(m.uid);
          bytes += m.size;
        }
        grouped_until = k;
        if (group.size() < 2) return core::Ok();  // one: StoreOne's Fetch
        auto got = source_->FetchMany(target.folder, group);
        if (!got && got.error().code == core::Code::kDataLoss) {
          // A literal over the limit (RFC822.SIZE understated it): one by
          // one, so that StoreOne quarantines that message alone.
          spdlog::info("{}: uids {}..{}: {}; fetching them one by one", where,
                       group.front(), group.back(), got.error().ToString());
          return core::Ok();
        }
        if (!got) return core::Fail(got.error());
        for (auto& m : *got) ahead.emplace(m.uid, std::move(m));
        return core::Ok();
      };
      for (uint32_t uid : chunk) {
        // A shutdown stops between two messages: what is stored commits
        // with its checkpoint, the rest is fetched on the next start.
        if (core::ShutdownRequested() || stop_.stop_requested()) {
          return fail(core::Error::Unavailable(
              where + ": interrupted: stopping (shutdown or reload)"));
        }
        if (auto st = open_batch(); !st) return fail(st.error());
        if (next_meta < metas->size() && (*metas)[next_meta].uid == uid) {
          if (next_meta >= grouped_until) {
            if (auto st = fetch_group(next_meta); !st) {
              if (st.error().code == core::Code::kFailedPrecondition &&
                  attempt == 0) {
                restart = true;
                break;
              }
              return fail(st.error());
            }
          }
          auto found = ahead.find(uid);
          FetchedMessage* pre = found == ahead.end() ? nullptr : &found->second;
          auto st = StoreOne(target, state->uid_validity, (*metas)[next_meta++],
                             *first_seen, pre, &report);
          if (found != ahead.end()) ahead.erase(found);
          if (!st) {
            if (st.error().code == core::Code::kFailedPrecondition &&
                attempt == 0) {
              restart = true;
              break;
            }
            return fail(st.error());
          }
        } else {
          spdlog::info("{}: uid {} expunged before it was fetched; skipped",
                       where, uid);
          ++report.errors;
        }
        // Bytes are committed; now the checkpoint may move past them.
        report.last_uid = uid;
        dirty = true;
        ++done;
        auto now_steady = std::chrono::steady_clock::now();
        if (done % kCheckpointEvery == 0 ||
            now_steady - last_mark >= kCheckpointInterval) {
          if (auto st = flush(); !st) return Fail(st.error());
        }
        if (g_progress_bar && total >= kBarMinMessages) {
          if (done == total ||
              now_steady - last_log >= std::chrono::milliseconds(100)) {
            last_log = now_steady;
            DrawBar(where, done, total);
          }
        } else if (done % kProgressEvery == 0 ||
                   now_steady - last_log >= kProgressSeconds) {
          last_log = now_steady;
          spdlog::info(
              "{}: {}/{} messages ({} new, {} duplicate, {} "
              "quarantined)",
              where, done, total, report.stored_new, report.duplicates,
              report.quarantined);
        }
      }
    }
    if (auto st = flush(); !st) return Fail(st.error());
    if (restart) continue;
    if (total > 0) {
      spdlog::info(
          "{}: synced {} message(s): {} new, {} duplicate, {} "
          "quarantined, {} skipped; last uid {}",
          where, total, report.stored_new, report.duplicates,
          report.quarantined, report.errors, report.last_uid);
    }
    return report;
  }
}

Result<std::vector<SyncTarget>> SyncEngine::Targets(
    const std::string& mailbox, const std::vector<std::string>& folders,
    const std::string& sent_folder, std::chrono::seconds ack_window) {
  auto list = source_->ListFolders();
  if (!list) return Fail(list.error());
  auto ns = source_->PersonalNamespace();
  if (!ns) return Fail(ns.error());
  std::vector<SyncTarget> out;
  auto add = [&](const std::string& configured, FolderRole role) {
    auto choice = ResolveFolder(configured, role, *list, *ns);
    const char* key = role == FolderRole::kSent ? "sent_folder" : "folders";
    if (!choice) {
      // Kept as configured: its syncs fail and retry, visible in status,
      // while the mailbox's other folders are served.
      spdlog::error("{}: {}: {}", mailbox, key, choice.error().message);
      out.push_back({mailbox, configured, role, ack_window});
      return;
    }
    if (choice->name.empty()) {
      spdlog::warn(
          "{}: no sent_folder configured and no Sent folder found (no "
          "\\Sent SPECIAL-USE, no usual name); agent replies in Sent are "
          "not ingested",
          mailbox);
      return;
    }
    if (choice->name != configured) {
      spdlog::info("{}: {} \"{}\" is \"{}\" on the server ({})", mailbox, key,
                   core::Printable(configured),
                   core::Printable(DecodeModifiedUtf7(choice->name)),
                   choice->why);
    }
    out.push_back({mailbox, choice->name, role, ack_window});
  };
  for (const auto& f : folders) add(f, FolderRole::kIncoming);
  add(sent_folder, FolderRole::kSent);
  return out;
}

Result<std::vector<SyncReport>> SyncEngine::SyncAll(
    const std::vector<SyncTarget>& targets) {
  std::vector<SyncReport> out;
  for (const auto& t : targets) {
    auto r = SyncFolder(t);
    if (!r) return Fail(r.error());
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace inboxd::ingest
