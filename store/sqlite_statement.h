// Statement: one prepared sqlite3_stmt, finalized when destroyed, and
// ScopedStatement, a borrowed Statement that is reset (bindings cleared, read
// transaction ended) when it goes out of scope, so a cached statement never
// pins a WAL snapshot between uses.
//
// Text and blobs are bound without copying (SQLITE_STATIC): the bytes must
// stay alive until the statement is next reset. A failed bind is remembered
// and returned by the next Step.
//
// Not thread-safe: used only by the thread that holds its connection.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace xenia::store {

class Statement {
 public:
  // Takes ownership of `stmt`. `context` ("store <path>") prefixes error
  // messages and must outlive the statement.
  Statement(sqlite3_stmt* stmt, absl::string_view context) : stmt_(stmt), context_(context) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite.
  void BindInt64(int index, int64_t value);
  void BindText(int index, absl::string_view value);
  void BindBlob(int index, absl::string_view value);

  // True when a row is ready, false when the statement is done.
  absl::StatusOr<bool> Step();
  // Steps a statement that returns no rows (or whose rows are ignored).
  absl::Status Run();

  int64_t ColumnInt64(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool ColumnIsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  // Text or blob bytes of a column; valid until the next Step or Reset.
  absl::string_view ColumnBytes(int column) const;
  std::string ColumnString(int column) const { return std::string(ColumnBytes(column)); }

  // Ends the current execution and clears the bindings.
  void Reset();

  sqlite3_stmt* get() const { return stmt_; }

 private:
  void NoteBindResult(int rc);

  sqlite3_stmt* const stmt_;
  const absl::string_view context_;
  // The first failed bind since the last Reset; SQLITE_OK if none.
  int bind_rc_ = SQLITE_OK;
};

// A cached Statement on loan; resets it on destruction. Movable.
class ScopedStatement {
 public:
  explicit ScopedStatement(Statement* statement) : statement_(statement) {}
  ~ScopedStatement() {
    if (statement_ != nullptr) statement_->Reset();
  }
  ScopedStatement(ScopedStatement&& other) noexcept : statement_(other.statement_) {
    other.statement_ = nullptr;
  }
  ScopedStatement& operator=(ScopedStatement&&) = delete;
  ScopedStatement(const ScopedStatement&) = delete;

  Statement* operator->() const { return statement_; }
  Statement& operator*() const { return *statement_; }

 private:
  Statement* statement_;
};

}  // namespace xenia::store
