#include "store/sqlite_connection.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "store/sqlite_status.h"

namespace xenia::store {

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& path, Role role,
                                                             int busy_timeout_ms) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (role == Role::kWriter) flags |= SQLITE_OPEN_CREATE;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteError(db, rc, absl::StrCat("store ", path, ": cannot open"));
    sqlite3_close_v2(db);  // A handle may be returned even on failure.
    return status;
  }
  std::unique_ptr<Connection> connection(new Connection(db, path));
  absl::Status configured = connection->Configure(role, busy_timeout_ms);
  if (!configured.ok()) return configured;
  return connection;
}

Connection::Connection(sqlite3* db, std::string path)
    : db_(db), path_(std::move(path)), context_(absl::StrCat("store ", path_)) {}

Connection::~Connection() {
  statements_.clear();
  sqlite3_close_v2(db_);
}

absl::Status Connection::Configure(Role role, int busy_timeout_ms) {
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  // Statement journals and sorts stay in memory instead of temporary files
  // created and unlinked under /var/tmp as a transaction needs them.
  if (absl::Status s = Exec("PRAGMA temp_store=MEMORY"); !s.ok()) return s;
  if (role == Role::kReader) {
    // Readers never write; foreign keys matter only to the writer.
    return Exec("PRAGMA query_only=ON");
  }
  // The first statement that reads the file: a file that is not a database
  // fails here with SQLITE_NOTADB, which maps to DATA_LOSS.
  absl::StatusOr<std::string> mode = QueryString("PRAGMA journal_mode=WAL");
  if (!mode.ok()) return mode.status();
  if (*mode != "wal") {
    return absl::FailedPreconditionError(
        absl::StrCat(context_, ": cannot switch to WAL journal mode (SQLite kept \"", *mode,
                     "\"); the store needs a local filesystem that supports shared memory"));
  }
  return Exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
}

absl::StatusOr<ScopedStatement> Connection::Prepare(absl::string_view sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return ScopedStatement(it->second.get());
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteError(db_, rc, absl::StrCat(context_, ": preparing \"", sql, "\""));
  }
  auto inserted =
      statements_.emplace(std::string(sql), std::make_unique<Statement>(stmt, context_));
  return ScopedStatement(inserted.first->second.get());
}

absl::Status Connection::Exec(absl::string_view sql) {
  std::string text(sql);  // sqlite3_exec needs a NUL-terminated string.
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc);
  return absl::OkStatus();
}

absl::StatusOr<std::string> Connection::QueryString(absl::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  if (rc != SQLITE_OK) return Error(rc);
  Statement statement(raw, context_);
  absl::StatusOr<bool> row = statement.Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::string();
  return statement.ColumnString(0);
}

absl::StatusOr<int64_t> Connection::QueryInt64(absl::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  if (rc != SQLITE_OK) return Error(rc);
  Statement statement(raw, context_);
  absl::StatusOr<bool> row = statement.Step();
  if (!row.ok()) return row.status();
  if (!*row) return 0;
  return statement.ColumnInt64(0);
}

absl::Status Connection::Error(int rc) const { return SqliteError(db_, rc, context_); }

}  // namespace xenia::store
