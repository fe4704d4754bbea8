// The store's schema: its migrations and the code that applies them.
//
// The file's schema version is PRAGMA user_version. Migration N takes a file
// from version N-1 to N; each runs in its own IMMEDIATE transaction together
// with the user_version update, so a crash leaves the file at a version, never
// between two. Migrations are append-only: a released migration is never
// edited, a change is a new one.
//
// Functions run on the writer connection before the writer thread starts.
#pragma once

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "store/sqlite_connection.h"

namespace xenia::store {

struct Migration {
  // The version the file has after this migration.
  int version;
  // What it does, for the log and for errors.
  const char* description;
  // One or more statements.
  const char* sql;
};

// This binary's migrations, in order (migrations()[i].version == i + 1).
absl::Span<const Migration> StoreMigrations();

struct MigrationResult {
  int from_version = 0;
  int to_version = 0;
};

// Brings the file to the last of `migrations`. FAILED_PRECONDITION naming
// both versions when the file is newer than the migrations know; the failing
// migration's error (and the file left at the version before it) when one
// fails.
absl::StatusOr<MigrationResult> Migrate(Connection& connection,
                                        absl::Span<const Migration> migrations);

}  // namespace xenia::store
