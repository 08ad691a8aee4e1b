// test_util.h: shared helpers for the store tests (not part of the library).
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/hash.h"
#include "store/store.h"

namespace inboxd::store::testing {

inline core::TimePoint T(int64_t unix_seconds) {
  return core::TimePoint(std::chrono::seconds(unix_seconds));
}

// A unique file path under the gtest temp dir; removed (with -wal/-shm) when
// the object dies.
class TempDb {
 public:
  TempDb() {
    static std::atomic<int> counter{0};
    path_ = ::testing::TempDir() + "inboxd_store_" + std::to_string(getpid()) +
            "_" + std::to_string(counter++) + ".db";
    Remove();
  }
  ~TempDb() { Remove(); }
  const std::string& path() const { return path_; }

 private:
  void Remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::error_code ec;
      std::filesystem::remove(path_ + suffix, ec);
    }
  }
  std::string path_;
};

// A message with these headers and body, as PutRawMessage wants it.
inline RawMessageIn Raw(const std::string& message_id, const std::string& body,
                        const std::string& mailbox = "support",
                        const std::string& folder = "INBOX",
                        uint32_t uid_validity = 7, uint32_t uid = 1) {
  RawMessageIn in;
  in.mailbox = mailbox;
  in.folder = folder;
  in.uid_validity = uid_validity;
  in.uid = uid;
  in.arrived_at = T(1'800'000'000);
  in.raw = "From: a@customer.example\r\nMessage-ID: <" + message_id +
           ">\r\nSubject: hello\r\n\r\n" + body + "\r\n";
  in.sha256 = core::Sha256Hex(in.raw);
  in.size = in.raw.size();
  in.message_id = message_id;
  return in;
}

// Every row of every table, as text: "nothing of a failed change is visible"
// means this string does not change.
inline std::string DumpAll(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  std::string out;
  SQLite::Statement tables(db,
                           "SELECT name FROM sqlite_master WHERE type = "
                           "'table' ORDER BY name");
  while (tables.executeStep()) {
    const std::string name = tables.getColumn(0).getString();
    out += "[" + name + "]\n";
    SQLite::Statement rows(db, "SELECT * FROM \"" + name + "\" ORDER BY 1");
    while (rows.executeStep()) {
      for (int i = 0; i < rows.getColumnCount(); ++i) {
        out +=
            rows.getColumn(i).isNull() ? "NULL" : rows.getColumn(i).getString();
        out += "|";
      }
      out += "\n";
    }
  }
  SQLite::Statement version(db, "PRAGMA user_version");
  if (version.executeStep()) out += "v" + version.getColumn(0).getString();
  return out;
}

// Opens a fresh file-backed store with a fake clock.
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::Open(db_.path(), &clock_);
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    store_ = std::move(*s);
  }
  TempDb db_;
  core::FakeClock clock_{T(1'800'000'100)};
  std::unique_ptr<Store> store_;
};

}  // namespace inboxd::store::testing
