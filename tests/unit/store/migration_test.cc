// The migration runner, with migration lists of the test's own: versions
// advance one transaction at a time and a failing migration leaves the file
// at the version before it.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/schema.h"
#include "store/sqlite_connection.h"
#include "tests/unit/store/store_test_util.h"

namespace xenia::store {
namespace {

using ::testing::HasSubstr;
using testing::RawDb;
using testing::StoreTest;

using MigrationTest = StoreTest;

constexpr Migration kTwoMigrations[] = {
    {1, "create a", "CREATE TABLE a (x INTEGER);"},
    {2, "create b", "CREATE TABLE b (y INTEGER); INSERT INTO a VALUES (1);"},
};

constexpr Migration kBrokenThird[] = {
    {1, "create a", "CREATE TABLE a (x INTEGER);"},
    {2, "create b", "CREATE TABLE b (y INTEGER); INSERT INTO a VALUES (1);"},
    {3, "half done", "CREATE TABLE c (z INTEGER); INSERT INTO no_such_table VALUES (1);"},
};

std::unique_ptr<Connection> OpenWriter(const std::string& path) {
  absl::StatusOr<std::unique_ptr<Connection>> connection =
      Connection::Open(path, Connection::Role::kWriter, 1000);
  EXPECT_TRUE(connection.ok()) << connection.status();
  return connection.ok() ? *std::move(connection) : nullptr;
}

TEST_F(MigrationTest, AppliesPendingMigrationsInOrder) {
  std::unique_ptr<Connection> connection = OpenWriter(path_);
  ASSERT_NE(connection, nullptr);
  // A file at version 1, as an older binary would have left it.
  absl::StatusOr<MigrationResult> result =
      Migrate(*connection, absl::MakeConstSpan(kTwoMigrations, 1));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->from_version, 0);
  EXPECT_EQ(result->to_version, 1);

  result = Migrate(*connection, kTwoMigrations);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->from_version, 1);
  EXPECT_EQ(result->to_version, 2);
  RawDb raw(path_);
  EXPECT_EQ(raw.QueryString("PRAGMA user_version"), "2");
  EXPECT_EQ(raw.QueryString("SELECT count(*) FROM a"), "1");

  // Nothing left to do: nothing runs twice.
  result = Migrate(*connection, kTwoMigrations);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->from_version, 2);
  EXPECT_EQ(result->to_version, 2);
  EXPECT_EQ(raw.QueryString("SELECT count(*) FROM a"), "1");
}

TEST_F(MigrationTest, AFailedMigrationLeavesThePreviousVersion) {
  std::unique_ptr<Connection> connection = OpenWriter(path_);
  ASSERT_NE(connection, nullptr);
  absl::StatusOr<MigrationResult> result = Migrate(*connection, kBrokenThird);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("schema version 3"));
  EXPECT_THAT(result.status().message(), HasSubstr("half done"));
  EXPECT_THAT(result.status().message(), HasSubstr("no_such_table"));

  RawDb raw(path_);
  EXPECT_EQ(raw.QueryString("PRAGMA user_version"), "2");
  // Migration 3's first statement was rolled back with it.
  EXPECT_EQ(raw.QueryString("SELECT count(*) FROM sqlite_master WHERE name = 'c'"), "0");
  // The connection is usable afterwards.
  result = Migrate(*connection, kTwoMigrations);
  EXPECT_TRUE(result.ok()) << result.status();
}

TEST_F(MigrationTest, RefusesAFileNewerThanTheMigrations) {
  std::unique_ptr<Connection> connection = OpenWriter(path_);
  ASSERT_NE(connection, nullptr);
  ASSERT_TRUE(Migrate(*connection, kTwoMigrations).ok());
  absl::StatusOr<MigrationResult> result =
      Migrate(*connection, absl::MakeConstSpan(kTwoMigrations, 1));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(result.status().message(), HasSubstr("schema version 2"));
  EXPECT_THAT(result.status().message(), HasSubstr("up to 1"));
}

TEST_F(MigrationTest, TheStoresMigrationsAreNumberedInOrder) {
  absl::Span<const Migration> migrations = StoreMigrations();
  ASSERT_FALSE(migrations.empty());
  for (size_t i = 0; i < migrations.size(); ++i) {
    EXPECT_EQ(migrations[i].version, static_cast<int>(i) + 1);
  }
}

}  // namespace
}  // namespace xenia::store
