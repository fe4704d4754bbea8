// Opening the store: creation, reopening, settings, schema versions and
// files that are not (or no longer) databases.
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/schema.h"
#include "store/sqlite_store.h"
#include "tests/unit/store/store_test_util.h"

namespace xenia::store {
namespace {

using testing::Domain;
using ::testing::HasSubstr;
using testing::RawDb;
using testing::StoreTest;

using StoreOpenTest = StoreTest;

TEST_F(StoreOpenTest, CreatesAFileAtTheLatestSchemaVersion) {
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->schema_version(), static_cast<int>(StoreMigrations().size()));
  EXPECT_TRUE(std::filesystem::exists(path_));

  RawDb raw(path_);
  EXPECT_EQ(raw.QueryString("PRAGMA user_version"), std::to_string(store->schema_version()));
  for (const char* table : {"domains", "operations", "events", "meta"}) {
    EXPECT_EQ(raw.QueryString(absl::StrCat(
                  "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '", table, "'")),
              table);
  }
  for (const char* index :
       {"operations_by_request_id", "operations_by_create_time", "operations_by_target",
        "operations_by_state", "operations_prunable", "events_by_resource"}) {
    EXPECT_EQ(raw.QueryString(absl::StrCat(
                  "SELECT name FROM sqlite_master WHERE type = 'index' AND name = '", index, "'")),
              index);
  }
}

TEST_F(StoreOpenTest, ThePublicOpenReturnsAStore) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(Options());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_GE((*store)->schema_version(), 1);
}

TEST_F(StoreOpenTest, ReopensAnExistingFile) {
  {
    std::unique_ptr<SqliteStore> store = OpenStore();
    ASSERT_NE(store, nullptr);
    WriteBatch batch;
    batch.PutDomain(Domain("u1", "web1"));
    ASSERT_TRUE(store->Write(std::move(batch)).ok());
  }
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->schema_version(), static_cast<int>(StoreMigrations().size()));
  absl::StatusOr<std::vector<DomainRow>> domains = store->LoadDomains();
  ASSERT_TRUE(domains.ok()) << domains.status();
  ASSERT_EQ(domains->size(), 1u);
  EXPECT_EQ((*domains)[0].name, "web1");
}

TEST_F(StoreOpenTest, SettingsAreInEffect) {
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);

  // WAL mode is a property of the file: another connection sees it.
  RawDb raw(path_);
  EXPECT_EQ(raw.QueryString("PRAGMA journal_mode"), "wal");

  // synchronous, foreign_keys and busy_timeout belong to each connection,
  // so the store's own connections report them.
  absl::StatusOr<SqliteStore::ConnectionSettings> writer = store->WriterSettings();
  ASSERT_TRUE(writer.ok()) << writer.status();
  EXPECT_EQ(writer->journal_mode, "wal");
  EXPECT_EQ(writer->synchronous, 2);  // FULL
  EXPECT_TRUE(writer->foreign_keys);
  EXPECT_FALSE(writer->query_only);
  EXPECT_EQ(writer->busy_timeout_ms, Options().busy_timeout_ms);

  absl::StatusOr<SqliteStore::ConnectionSettings> reader = store->ReaderSettings();
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->journal_mode, "wal");
  EXPECT_TRUE(reader->query_only);
  EXPECT_EQ(reader->busy_timeout_ms, Options().busy_timeout_ms);
}

TEST_F(StoreOpenTest, MigratesAnEmptyVersionZeroFile) {
  {
    RawDb raw(path_);
    ASSERT_EQ(raw.Exec("CREATE TABLE unrelated (x INTEGER)"), "");
    ASSERT_EQ(raw.QueryString("PRAGMA user_version"), "0");
  }
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->schema_version(), static_cast<int>(StoreMigrations().size()));
  RawDb raw(path_);
  EXPECT_EQ(raw.QueryString("PRAGMA user_version"), std::to_string(store->schema_version()));
}

TEST_F(StoreOpenTest, RefusesAFileFromANewerBinary) {
  {
    std::unique_ptr<SqliteStore> store = OpenStore();
    ASSERT_NE(store, nullptr);
  }
  {
    RawDb raw(path_);
    ASSERT_EQ(raw.Exec("PRAGMA user_version = 99"), "");
  }
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(Options());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr("99"));
  EXPECT_THAT(store.status().message(),
              HasSubstr(absl::StrCat("up to ", StoreMigrations().size())));
  EXPECT_THAT(store.status().message(), HasSubstr(path_));
  // The file is left as it was.
  RawDb raw(path_);
  EXPECT_EQ(raw.QueryString("PRAGMA user_version"), "99");
}

TEST_F(StoreOpenTest, AFileThatIsNotADatabaseIsDataLoss) {
  {
    std::ofstream garbage(path_, std::ios::binary);
    for (int i = 0; i < 512; ++i) garbage << "this is not a SQLite database; ";
  }
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(Options());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr(path_));
}

TEST_F(StoreOpenTest, ACorruptedDatabaseIsDataLoss) {
  {
    std::unique_ptr<SqliteStore> store = OpenStore();
    ASSERT_NE(store, nullptr);
    WriteBatch batch;
    for (int i = 0; i < 200; ++i) {
      batch.PutDomain(Domain(absl::StrCat("uuid-", i), absl::StrCat("domain-", i)));
    }
    ASSERT_TRUE(store->Write(std::move(batch)).ok());
  }
  // Closing the last connection checkpointed the WAL into the file. Scribble
  // over everything after the first page (the header stays valid).
  const auto size = std::filesystem::file_size(path_);
  ASSERT_GT(size, 8192u);
  {
    std::fstream file(path_, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(4096);
    for (std::uintmax_t i = 4096; i < size; ++i) file.put(static_cast<char>(0xA5));
  }
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(Options());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr(path_));
}

TEST_F(StoreOpenTest, AMissingDirectoryIsReported) {
  StoreOptions options = Options();
  options.path = (std::filesystem::path(dir_) / "no-such-dir" / "xenia.db").string();
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr(options.path));
}

TEST_F(StoreOpenTest, UnusableOptionsAreInvalidArguments) {
  StoreOptions options = Options();
  options.path = "";
  EXPECT_EQ(SqliteStore::Open(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = Options();
  options.max_group_delay_us = -1;
  EXPECT_EQ(SqliteStore::Open(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = Options();
  options.busy_timeout_ms = -1;
  EXPECT_EQ(SqliteStore::Open(options).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace xenia::store
