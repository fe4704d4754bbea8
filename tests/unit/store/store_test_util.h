// Helpers for the store's tests: a temporary directory per test, row
// builders, and a way to hold the writer thread so that batches queue up
// and commit as one group.
//
// Single-threaded use from the test body, except WriterBlocker (see below).
#pragma once

#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "store/sqlite_store.h"
#include "store/store.h"

namespace xenia::store::testing {

// A fresh directory under the test's temporary directory, removed afterwards.
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::path(::testing::TempDir()) / "store.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << "mkdtemp " << pattern;
    dir_ = pattern;
    path_ = (std::filesystem::path(dir_) / "xenia.db").string();
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  StoreOptions Options() const {
    StoreOptions options;
    options.path = path_;
    return options;
  }

  std::unique_ptr<SqliteStore> OpenStore() {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(Options());
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  std::string dir_;
  std::string path_;
};

// A raw SQLite connection of the test's own, to look at the file from
// outside the store.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(
        sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
        SQLITE_OK);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  // Runs `sql`; returns SQLite's error message, or "" on success.
  std::string Exec(const std::string& sql) {
    char* error = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    std::string message = rc == SQLITE_OK ? "" : (error != nullptr ? error : "error");
    sqlite3_free(error);
    return message;
  }
  // The first column of the first row as text ("" when none).
  std::string QueryString(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_);
    std::string value;
    if (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      if (text != nullptr) value = reinterpret_cast<const char*>(text);
    }
    sqlite3_finalize(stmt);
    return value;
  }

 private:
  sqlite3* db_ = nullptr;
};

inline DomainRow Domain(const std::string& uuid, const std::string& name) {
  DomainRow row;
  row.uuid = uuid;
  row.name = name;
  row.spec = absl::StrCat("spec of ", name);
  row.status = absl::StrCat("status of ", name);
  row.create_time_us = 1000;
  row.update_time_us = 2000;
  return row;
}

inline OperationRow Operation(const std::string& id, int64_t create_time_us,
                              OperationState state = OperationState::kPending,
                              const std::string& target = "hosts/h/domains/web1",
                              const std::string& request_id = "") {
  OperationRow row;
  row.id = id;
  row.target = target;
  row.method = "StartDomain";
  row.request_id = request_id;
  row.request = absl::StrCat("request of ", id);
  row.state = state;
  row.body = absl::StrCat("body of ", id);
  row.create_time_us = create_time_us;
  row.update_time_us = create_time_us;
  return row;
}

inline EventRow Event(int64_t sequence, const std::string& resource) {
  EventRow row;
  row.sequence = sequence;
  row.time_us = sequence * 10;
  row.resource = resource;
  row.body = absl::StrCat("event ", sequence);
  return row;
}

// Holds the store's writer thread inside a `done` callback from construction
// until Release (or destruction), so that batches submitted meanwhile queue
// up and are committed together as one group when it lets go.
class WriterBlocker {
 public:
  explicit WriterBlocker(Store& store, Durability durability = Durability::kSynced) {
    store.Submit(WriteBatch(), durability, [this](absl::Status) {
      entered_.Notify();
      release_.WaitForNotification();
    });
    entered_.WaitForNotification();
  }
  ~WriterBlocker() { Release(); }
  void Release() {
    if (!release_.HasBeenNotified()) release_.Notify();
  }

 private:
  absl::Notification entered_;
  absl::Notification release_;
};

}  // namespace xenia::store::testing
