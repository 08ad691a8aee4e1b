// store.cc: opening, pragmas, schema migrations, transactions, error
// mapping, statistics.
#include "store/store.h"

#include <sqlite3.h>

#include <chrono>
#include <thread>
#include <utility>

#include "store/internal.h"
#include "store/schema.h"

namespace inboxd::store {

namespace internal {

core::Error MapSqlite(std::string_view what, const SQLite::Exception& e) {
  std::string msg = std::string(what) + ": " + e.what();
  switch (e.getErrorCode() & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:  // disk full: retrying later is the right move
      return core::Error::Unavailable(std::move(msg));
    case SQLITE_CONSTRAINT:
      return core::Error::FailedPrecondition(std::move(msg));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return core::Error::DataLoss(std::move(msg));
    default:
      return core::Error::Internal(std::move(msg));
  }
}

}  // namespace internal

using internal::Dump;

Store::Store(std::unique_ptr<SQLite::Database> db, core::Clock* clock,
             std::string path)
    : db_(std::move(db)), clock_(clock), path_(std::move(path)) {}

Store::~Store() = default;

int Store::CurrentSchemaVersion() { return Migrations().back().version; }

core::Result<std::unique_ptr<Store>> Store::Open(
    const std::string& path, core::Clock* clock,
    std::chrono::milliseconds busy_timeout) {
  INBOXD_CHECK(clock != nullptr);
  const std::string what = "store open " + path;
  std::unique_ptr<SQLite::Database> db;
  try {
    db = std::make_unique<SQLite::Database>(
        path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE,
        static_cast<int>(busy_timeout.count()));
    // The first statement reads the header: a non-database file fails here
    // with SQLITE_NOTADB. Switching a new file to WAL needs an exclusive
    // lock, and SQLite can answer SQLITE_BUSY at once, without the busy
    // handler, while another process (a second inboxd command started at
    // the same moment) is doing the same: retried within busy_timeout.
    std::string mode;
    const auto give_up = std::chrono::steady_clock::now() + busy_timeout;
    for (;;) {
      try {
        mode = db->execAndGet("PRAGMA journal_mode = WAL").getString();
        break;
      } catch (const SQLite::Exception& e) {
        if ((e.getErrorCode() & 0xff) != SQLITE_BUSY ||
            std::chrono::steady_clock::now() >= give_up) {
          throw;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    if (mode != "wal" && mode != "memory") {
      return core::Fail(core::Error::Internal(what + ": journal_mode is \"" +
                                              mode + "\", WAL was refused"));
    }
    db->exec("PRAGMA foreign_keys = ON");
    db->exec("PRAGMA synchronous = NORMAL");
  } catch (const SQLite::Exception& e) {
    return core::Fail(internal::MapSqlite(what, e));
  }
  std::unique_ptr<Store> store(new Store(std::move(db), clock, path));
  if (auto st = store->Migrate(); !st) return core::Fail(st.error());
  return store;
}

core::Status Store::Migrate() {
  const std::vector<Migration>& migrations = Migrations();
  const int known = migrations.back().version;
  // One transaction per step; the version is re-read under the write lock so
  // two processes opening a fresh file do not both migrate.
  for (;;) {
    auto step = Write("store migrate", [&]() -> core::Result<bool> {
      const int version = db_->execAndGet("PRAGMA user_version").getInt();
      if (version > known) {
        return core::Fail(core::Error::FailedPrecondition(
            "store " + path_ + ": schema version " + std::to_string(version) +
            " is newer than this inboxd knows (" + std::to_string(known) +
            "); run a newer inboxd or restore a backup"));
      }
      if (version < 0) {
        return core::Fail(core::Error::DataLoss("store " + path_ +
                                                ": negative schema version " +
                                                std::to_string(version)));
      }
      if (version == known) return false;
      const Migration& m = migrations[static_cast<size_t>(version)];
      INBOXD_CHECK(m.version == version + 1);
      Exec(m.sql);
      Exec(("PRAGMA user_version = " + std::to_string(m.version)).c_str());
      AppendEventLocked({.type = "store.migrated",
                         .data = Dump({{"from", version},
                                       {"to", m.version},
                                       {"description", m.description}})});
      return true;
    });
    if (!step) return core::Fail(step.error());
    if (!*step) return core::Ok();
  }
}

core::Result<int> Store::SchemaVersion() {
  return Read("store schema version", [&]() -> core::Result<int> {
    return db_->execAndGet("PRAGMA user_version").getInt();
  });
}

void Store::FailWriteForTest(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_write_in_ = n;
}

void Store::MaybeInjectFault() {
  if (fail_write_in_ >= 0 && fail_write_in_-- == 0) {
    throw SQLite::Exception("injected write fault", SQLITE_IOERR);
  }
}

int Store::Exec(SQLite::Statement& st) {
  MaybeInjectFault();
  return st.exec();
}

int Store::Exec(const char* sql) {
  MaybeInjectFault();
  return db_->exec(sql);
}

// ----------------------------------------------------------------- batches

void Store::WaitForBatchLocked(std::unique_lock<std::mutex>& lock) {
  batch_cv_.wait(lock, [&] {
    return !batch_owner_ || *batch_owner_ == std::this_thread::get_id();
  });
}

void Store::RollbackSavepointLocked() {
  if (sqlite3_get_autocommit(db_->getHandle()) != 0) {
    batch_broken_ = true;  // SQLite ended the whole transaction itself
    return;
  }
  try {
    db_->exec("ROLLBACK TO inboxd_op");
    db_->exec("RELEASE inboxd_op");
  } catch (const std::exception&) {
    batch_broken_ = true;
  }
}

core::Result<std::unique_ptr<Store::Batch>> Store::BeginBatch() {
  std::unique_lock<std::mutex> lock(mu_);
  if (batch_owner_ && *batch_owner_ == std::this_thread::get_id()) {
    return core::Fail(core::Error::FailedPrecondition(
        "store batch: this thread already holds a batch"));
  }
  WaitForBatchLocked(lock);
  try {
    db_->exec("BEGIN IMMEDIATE");
  } catch (const SQLite::Exception& e) {
    return core::Fail(internal::MapSqlite("store batch begin", e));
  }
  batch_owner_ = std::this_thread::get_id();
  batch_broken_ = false;
  return std::unique_ptr<Batch>(new Batch(this));
}

core::Status Store::EndBatch(bool commit) {
  core::Status out = core::Ok();
  {
    std::lock_guard<std::mutex> lock(mu_);
    INBOXD_CHECK(batch_owner_ && *batch_owner_ == std::this_thread::get_id());
    if (commit && batch_broken_) {
      out = core::Fail(core::Error::Unavailable(
          "store batch commit: SQLite rolled the batch back after an earlier "
          "error; nothing of it was committed"));
      commit = false;
    }
    if (commit) {
      try {
        db_->exec("COMMIT");
      } catch (const SQLite::Exception& e) {
        out = core::Fail(internal::MapSqlite("store batch commit", e));
      }
    }
    if (sqlite3_get_autocommit(db_->getHandle()) == 0) {
      try {
        db_->exec("ROLLBACK");
      } catch (const std::exception&) {
        // Closing the connection rolls back what is left.
      }
    }
    batch_owner_.reset();
    batch_broken_ = false;
  }
  batch_cv_.notify_all();
  return out;
}

Store::Batch::~Batch() {
  if (!done_) (void)store_->EndBatch(/*commit=*/false);
}

core::Status Store::Batch::Commit() {
  if (done_) {
    return core::Fail(
        core::Error::FailedPrecondition("store batch: already ended"));
  }
  done_ = true;
  return store_->EndBatch(/*commit=*/true);
}

core::Result<StoreStats> Store::Stats() {
  return Read("store stats", [&]() -> core::Result<StoreStats> {
    StoreStats s;
    s.schema_version = db_->execAndGet("PRAGMA user_version").getInt();
    SQLite::Statement msgs(
        *db_, "SELECT state, COUNT(*) FROM messages GROUP BY state");
    while (msgs.executeStep()) {
      auto state = ParseMessageState(msgs.getColumn(0).getString());
      if (!state) return core::Fail(state.error());
      int64_t n = msgs.getColumn(1).getInt64();
      switch (*state) {
        case MessageState::kStored:
          s.messages_stored = n;
          break;
        case MessageState::kProcessed:
          s.messages_processed = n;
          break;
        case MessageState::kQuarantined:
          s.messages_quarantined = n;
          break;
      }
    }
    SQLite::Statement tickets(
        *db_, "SELECT state, COUNT(*) FROM tickets GROUP BY state");
    while (tickets.executeStep()) {
      auto state = ParseTicketState(tickets.getColumn(0).getString());
      if (!state) return core::Fail(state.error());
      int64_t n = tickets.getColumn(1).getInt64();
      switch (*state) {
        case TicketState::kOpen:
          s.tickets_open = n;
          break;
        case TicketState::kWaiting:
          s.tickets_waiting = n;
          break;
        case TicketState::kClosed:
          s.tickets_closed = n;
          break;
      }
    }
    SQLite::Statement outbox(
        *db_, "SELECT state, COUNT(*) FROM outbox GROUP BY state");
    while (outbox.executeStep()) {
      auto state = ParseOutboxState(outbox.getColumn(0).getString());
      if (!state) return core::Fail(state.error());
      int64_t n = outbox.getColumn(1).getInt64();
      switch (*state) {
        case OutboxState::kQueued:
          s.outbox_queued = n;
          break;
        case OutboxState::kSending:
          s.outbox_sending = n;
          break;
        case OutboxState::kSent:
          s.outbox_sent = n;
          break;
        case OutboxState::kDeferred:
          s.outbox_deferred = n;
          break;
        case OutboxState::kFailed:
          s.outbox_failed = n;
          break;
      }
    }
    s.events = db_->execAndGet("SELECT COUNT(*) FROM events").getInt64();
    return s;
  });
}

}  // namespace inboxd::store
