// SQLite result codes become absl codes with messages that say what failed.
#include "store/sqlite_status.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace xenia::store {
namespace {

using ::testing::HasSubstr;

TEST(SqliteStatusTest, MapsResultCodes) {
  EXPECT_EQ(SqliteStatusCode(SQLITE_OK), absl::StatusCode::kOk);
  EXPECT_EQ(SqliteStatusCode(SQLITE_DONE), absl::StatusCode::kOk);
  EXPECT_EQ(SqliteStatusCode(SQLITE_CONSTRAINT_UNIQUE), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(SqliteStatusCode(SQLITE_CONSTRAINT_PRIMARYKEY), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(SqliteStatusCode(SQLITE_CONSTRAINT_NOTNULL), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SqliteStatusCode(SQLITE_CONSTRAINT_CHECK), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SqliteStatusCode(SQLITE_CONSTRAINT_FOREIGNKEY), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(SqliteStatusCode(SQLITE_FULL), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(SqliteStatusCode(SQLITE_NOMEM), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(SqliteStatusCode(SQLITE_IOERR), absl::StatusCode::kUnavailable);
  EXPECT_EQ(SqliteStatusCode(SQLITE_IOERR_FSYNC), absl::StatusCode::kUnavailable);
  EXPECT_EQ(SqliteStatusCode(SQLITE_IOERR_WRITE), absl::StatusCode::kUnavailable);
  EXPECT_EQ(SqliteStatusCode(SQLITE_BUSY), absl::StatusCode::kUnavailable);
  EXPECT_EQ(SqliteStatusCode(SQLITE_BUSY_SNAPSHOT), absl::StatusCode::kUnavailable);
  EXPECT_EQ(SqliteStatusCode(SQLITE_LOCKED), absl::StatusCode::kUnavailable);
  EXPECT_EQ(SqliteStatusCode(SQLITE_CORRUPT), absl::StatusCode::kDataLoss);
  EXPECT_EQ(SqliteStatusCode(SQLITE_NOTADB), absl::StatusCode::kDataLoss);
  EXPECT_EQ(SqliteStatusCode(SQLITE_CANTOPEN), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(SqliteStatusCode(SQLITE_READONLY), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(SqliteStatusCode(SQLITE_TOOBIG), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SqliteStatusCode(SQLITE_INTERRUPT), absl::StatusCode::kCancelled);
  EXPECT_EQ(SqliteStatusCode(SQLITE_ABORT), absl::StatusCode::kAborted);
  EXPECT_EQ(SqliteStatusCode(SQLITE_ERROR), absl::StatusCode::kInternal);
  EXPECT_EQ(SqliteStatusCode(SQLITE_MISUSE), absl::StatusCode::kInternal);
}

TEST(SqliteStatusTest, MessageSaysWhatFailedAndHow) {
  absl::Status status = SqliteStatus(SQLITE_FULL, "store /data/xenia.db: commit", "");
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(status.message(), HasSubstr("store /data/xenia.db: commit"));
  EXPECT_THAT(status.message(), HasSubstr("database or disk is full"));
  EXPECT_THAT(status.message(), HasSubstr("sqlite error 13"));

  status = SqliteStatus(SQLITE_IOERR_FSYNC, "store x", "disk I/O error");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("disk I/O error"));

  EXPECT_TRUE(SqliteStatus(SQLITE_OK, "store x", "").ok());
}

}  // namespace
}  // namespace xenia::store
