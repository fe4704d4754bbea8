#include "store/sqlite_status.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace xenia::store {
namespace {

bool CarriesErrno(int primary) {
  return primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN || primary == SQLITE_FULL;
}

}  // namespace

absl::StatusCode SqliteStatusCode(int rc) {
  switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return absl::StatusCode::kOk;
    case SQLITE_CONSTRAINT:
      switch (rc) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY:
        case SQLITE_CONSTRAINT_ROWID:
          return absl::StatusCode::kAlreadyExists;
        case SQLITE_CONSTRAINT_NOTNULL:
        case SQLITE_CONSTRAINT_CHECK:
        case SQLITE_CONSTRAINT_DATATYPE:
          return absl::StatusCode::kInvalidArgument;
        default:
          return absl::StatusCode::kFailedPrecondition;
      }
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return absl::StatusCode::kResourceExhausted;
    case SQLITE_IOERR:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_PROTOCOL:
      return absl::StatusCode::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::StatusCode::kDataLoss;
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return absl::StatusCode::kFailedPrecondition;
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return absl::StatusCode::kInvalidArgument;
    case SQLITE_INTERRUPT:
      return absl::StatusCode::kCancelled;
    case SQLITE_ABORT:
      return absl::StatusCode::kAborted;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::Status SqliteStatus(int rc, absl::string_view context, absl::string_view detail) {
  absl::StatusCode code = SqliteStatusCode(rc);
  if (code == absl::StatusCode::kOk) return absl::OkStatus();
  if (detail.empty()) detail = sqlite3_errstr(rc);
  return absl::Status(code, absl::StrCat(context, ": ", detail, " (sqlite error ", rc, ")"));
}

absl::Status SqliteError(sqlite3* db, int rc, absl::string_view context) {
  if (db == nullptr) return SqliteStatus(rc, context, "");
  std::string detail = sqlite3_errmsg(db);
  int os_error = sqlite3_system_errno(db);
  if (CarriesErrno(rc & 0xff) && os_error != 0) {
    char buffer[256];
    // GNU strerror_r: returns a pointer to the message (maybe not `buffer`).
    const char* text = strerror_r(os_error, buffer, sizeof(buffer));
    absl::StrAppend(&detail, ": ", text, " (errno ", os_error, ")");
  }
  return SqliteStatus(rc, context, detail);
}

}  // namespace xenia::store
