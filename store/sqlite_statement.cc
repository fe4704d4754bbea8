#include "store/sqlite_statement.h"

#include "store/sqlite_status.h"

namespace xenia::store {
namespace {

// SQLite binds NULL for a null pointer even when the length is zero; an
// empty value must stay an empty value.
const char* NonNull(absl::string_view value) { return value.data() != nullptr ? value.data() : ""; }

}  // namespace

void Statement::NoteBindResult(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

void Statement::BindInt64(int index, int64_t value) {
  NoteBindResult(sqlite3_bind_int64(stmt_, index, value));
}

void Statement::BindText(int index, absl::string_view value) {
  NoteBindResult(
      sqlite3_bind_text64(stmt_, index, NonNull(value), value.size(), SQLITE_STATIC, SQLITE_UTF8));
}

void Statement::BindBlob(int index, absl::string_view value) {
  NoteBindResult(sqlite3_bind_blob64(stmt_, index, NonNull(value), value.size(), SQLITE_STATIC));
}

absl::StatusOr<bool> Statement::Step() {
  if (bind_rc_ != SQLITE_OK) {
    return SqliteError(sqlite3_db_handle(stmt_), bind_rc_, context_);
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(sqlite3_db_handle(stmt_), rc, context_);
}

absl::Status Statement::Run() {
  absl::StatusOr<bool> row = Step();
  while (row.ok() && *row) row = Step();
  return row.status();
}

absl::string_view Statement::ColumnBytes(int column) const {
  // Order matters: the pointer first, then its size (sqlite3_column_bytes
  // after sqlite3_column_blob reports the size of that same representation).
  const void* data = sqlite3_column_blob(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) return absl::string_view();
  return absl::string_view(static_cast<const char*>(data), static_cast<size_t>(size));
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
}

}  // namespace xenia::store
