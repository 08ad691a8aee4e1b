// internal.h: helpers shared by the store/*.cc files (not part of the API).
//
// Maps SQLite exceptions to core::Error, converts times, builds event JSON,
// and defines Store's transaction templates. Include only from store/*.cc.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"
#include "store/store.h"

namespace inboxd::store::internal {

// SQLite result codes mapped to the inboxd error vocabulary (see store.h).
core::Error MapSqlite(std::string_view what, const SQLite::Exception& e);

inline int64_t ToUnix(core::TimePoint t) {
  return t.time_since_epoch().count();
}
inline core::TimePoint FromUnix(int64_t s) {
  return core::TimePoint(std::chrono::seconds(s));
}

// JSON text for event data; invalid UTF-8 in strings becomes U+FFFD instead
// of throwing.
inline std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Binds `bytes` as a BLOB without copying (the string must outlive exec).
inline void BindBlob(SQLite::Statement& st, int index, const std::string& b) {
  st.bindNoCopy(index, static_cast<const void*>(b.data()),
                static_cast<int>(b.size()));
}

// Reads a column as bytes (TEXT or BLOB; NULL -> "").
inline std::string Bytes(const SQLite::Column& c) {
  if (c.isNull()) return {};
  return std::string(static_cast<const char*>(c.getBlob()),
                     static_cast<size_t>(c.getBytes()));
}

}  // namespace inboxd::store::internal

namespace inboxd::store {

template <typename F>
auto Store::InSavepoint(const char* what, F& body) -> decltype(body()) {
  if (batch_broken_) {
    return core::Fail(core::Error::Unavailable(
        std::string(what) +
        ": the batch was rolled back by an earlier error; nothing of it "
        "will be committed"));
  }
  db_->exec("SAVEPOINT inboxd_op");
  try {
    auto result = body();
    if (result.has_value()) {
      db_->exec("RELEASE inboxd_op");
    } else {
      RollbackSavepointLocked();
    }
    return result;
  } catch (...) {
    RollbackSavepointLocked();
    throw;
  }
}

template <typename F>
auto Store::Write(const char* what, F&& body) -> decltype(body()) {
  std::unique_lock<std::mutex> lock(mu_);
  WaitForBatchLocked(lock);
  try {
    // Inside this thread's batch: a savepoint, so an error still undoes
    // only this method's changes.
    if (batch_owner_) return InSavepoint(what, body);
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    auto result = body();
    // An error return rolls back (Transaction's destructor): nothing of a
    // failed change is visible.
    if (result.has_value()) tx.commit();
    return result;
  } catch (const SQLite::Exception& e) {
    return core::Fail(internal::MapSqlite(what, e));
  } catch (const std::exception& e) {
    return core::Fail(
        core::Error::Internal(std::string(what) + ": " + e.what()));
  }
}

template <typename F>
auto Store::Read(const char* what, F&& body) -> decltype(body()) {
  std::unique_lock<std::mutex> lock(mu_);
  WaitForBatchLocked(lock);
  try {
    // Inside this thread's batch: reads see the batch's own changes.
    if (batch_owner_) return InSavepoint(what, body);
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::DEFERRED);
    auto result = body();
    tx.commit();
    return result;
  } catch (const SQLite::Exception& e) {
    return core::Fail(internal::MapSqlite(what, e));
  } catch (const std::exception& e) {
    return core::Fail(
        core::Error::Internal(std::string(what) + ": " + e.what()));
  }
}

}  // namespace inboxd::store
