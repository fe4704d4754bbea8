// Maps SQLite result codes to absl::Status values whose messages a person can
// act on: what the store was doing, SQLite's own words, and the OS error when
// there is one.
//
// Pure functions; any thread may call them (SqliteError only on the thread
// that owns `db`, right after the failing call).
#pragma once

#include <sqlite3.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace xenia::store {

// The absl code for an (extended) SQLite result code:
//   constraint UNIQUE / PRIMARY KEY -> ALREADY_EXISTS; NOT NULL / CHECK ->
//   INVALID_ARGUMENT; other constraints -> FAILED_PRECONDITION;
//   FULL, NOMEM -> RESOURCE_EXHAUSTED; IOERR, BUSY, LOCKED, PROTOCOL ->
//   UNAVAILABLE; CORRUPT, NOTADB -> DATA_LOSS; CANTOPEN, READONLY, PERM,
//   AUTH -> FAILED_PRECONDITION; TOOBIG, RANGE -> INVALID_ARGUMENT;
//   INTERRUPT -> CANCELLED; ABORT -> ABORTED; anything else -> INTERNAL.
absl::StatusCode SqliteStatusCode(int rc);

// "<context>: <detail> (sqlite error <rc>)", with the code above. `detail`
// is usually sqlite3_errmsg(); empty means sqlite3_errstr(rc).
absl::Status SqliteStatus(int rc, absl::string_view context, absl::string_view detail);

// SqliteStatus for the last failed call on `db`, adding the OS error (errno)
// for I/O, open and disk-full failures.
absl::Status SqliteError(sqlite3* db, int rc, absl::string_view context);

}  // namespace xenia::store
