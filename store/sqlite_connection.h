// Connection: one sqlite3 handle, configured for the store, with its cache of
// prepared statements.
//
// The writer connection switches the file to WAL mode and runs with
// synchronous=FULL and foreign keys on; reader connections are query_only.
// Both use extended result codes and a busy timeout.
//
// Connections are opened with SQLITE_OPEN_NOMUTEX: SQLite does not lock
// them, because the store never shares one between threads at a time (the
// writer belongs to the writer thread; a reader is leased to one caller).
// Not thread-safe.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/sqlite_statement.h"

namespace xenia::store {

class Connection {
 public:
  enum class Role { kWriter, kReader };

  // Opens `path` (created if missing, for the writer only) and applies the
  // role's settings. DATA_LOSS when the file is not a database;
  // FAILED_PRECONDITION when it cannot be opened or WAL mode cannot be set.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& path, Role role,
                                                          int busy_timeout_ms);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // A prepared statement for `sql`, from the cache (prepared on first use).
  absl::StatusOr<ScopedStatement> Prepare(absl::string_view sql);
  // Runs one or more statements once, uncached (schema changes).
  absl::Status Exec(absl::string_view sql);
  // The first column of the first row of a one-off query (pragmas); empty
  // when there is no row.
  absl::StatusOr<std::string> QueryString(absl::string_view sql);
  absl::StatusOr<int64_t> QueryInt64(absl::string_view sql);

  // The status of the last failed call, prefixed with this connection's
  // context.
  absl::Status Error(int rc) const;

  // Whether the connection is outside any transaction (SQLite may end one on
  // its own after some errors).
  bool autocommit() const { return sqlite3_get_autocommit(db_) != 0; }
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t changes() const { return sqlite3_changes64(db_); }

  const std::string& path() const { return path_; }
  // "store <path>", the prefix of every error message.
  const std::string& context() const { return context_; }

 private:
  Connection(sqlite3* db, std::string path);
  absl::Status Configure(Role role, int busy_timeout_ms);

  sqlite3* const db_;
  const std::string path_;
  const std::string context_;
  // Keyed by SQL text; finalized before db_ is closed.
  absl::flat_hash_map<std::string, std::unique_ptr<Statement>> statements_;
};

}  // namespace xenia::store
