#include "store/schema.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace xenia::store {
namespace {

// Version 1: domains, operations, events and meta.
//
// STRICT tables, so a value of the wrong type is an error rather than a
// silent conversion. Bodies are BLOBs the store never reads. Index choices
// follow the queries in store.h:
//   domains: by uuid (primary key), by name (unique; LoadDomains sorts by it).
//   operations: by id; request_id unique when not empty (a partial index, so
//     the many operations without one do not collide); listing newest-first
//     by (create_time_us, id), optionally within one target or one state;
//     pruning terminal operations by update time (a partial index: an
//     operation enters it once, when it finishes).
//   events: by sequence (the rowid); by (resource, sequence) for filtered
//     reads.
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE domains (
  uuid TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  spec BLOB NOT NULL,
  status BLOB NOT NULL,
  create_time_us INTEGER NOT NULL,
  update_time_us INTEGER NOT NULL
) STRICT;

CREATE TABLE operations (
  id TEXT NOT NULL PRIMARY KEY,
  target TEXT NOT NULL,
  method TEXT NOT NULL,
  request_id TEXT NOT NULL DEFAULT '',
  request BLOB NOT NULL,
  state INTEGER NOT NULL CHECK (state BETWEEN 1 AND 5),
  body BLOB NOT NULL,
  create_time_us INTEGER NOT NULL,
  update_time_us INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX operations_by_request_id ON operations (request_id)
  WHERE request_id != '';
CREATE INDEX operations_by_create_time ON operations (create_time_us, id);
CREATE INDEX operations_by_target ON operations (target, create_time_us, id);
CREATE INDEX operations_by_state ON operations (state, create_time_us, id);
CREATE INDEX operations_prunable ON operations (update_time_us) WHERE state >= 3;

CREATE TABLE events (
  sequence INTEGER PRIMARY KEY,
  time_us INTEGER NOT NULL,
  resource TEXT NOT NULL,
  body BLOB NOT NULL
) STRICT;
CREATE INDEX events_by_resource ON events (resource, sequence);

CREATE TABLE meta (
  key TEXT NOT NULL PRIMARY KEY,
  value BLOB NOT NULL
) STRICT;
)sql";

// Version 2: save images (a domain's memory written to a file).
//
//   save_images: by name (primary key; LoadSaveImages sorts by it); by path
//     (unique: two images never share a file); by domain_uuid, to find a
//     domain's images. No foreign key to domains: an image outlives the
//     domain it was taken from.
constexpr char kSchemaV2[] = R"sql(
CREATE TABLE save_images (
  name TEXT NOT NULL PRIMARY KEY,
  domain_uuid TEXT NOT NULL,
  path TEXT NOT NULL UNIQUE,
  body BLOB NOT NULL,
  create_time_us INTEGER NOT NULL
) STRICT;
CREATE INDEX save_images_by_domain ON save_images (domain_uuid);
)sql";

constexpr Migration kMigrations[] = {
    {1, "domains, operations, events and meta", kSchemaV1},
    {2, "save images", kSchemaV2},
};

// `status` with `what` in front of its message.
absl::Status Prefixed(absl::string_view what, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(what, ": ", status.message()));
}

}  // namespace

absl::Span<const Migration> StoreMigrations() { return kMigrations; }

absl::StatusOr<MigrationResult> Migrate(Connection& connection,
                                        absl::Span<const Migration> migrations) {
  const int latest = static_cast<int>(migrations.size());
  MigrationResult result;
  bool first = true;
  for (;;) {
    // The version is read inside the transaction that changes it, so two
    // processes opening the same file cannot both apply a migration.
    absl::Status status = connection.Exec("BEGIN IMMEDIATE");
    if (!status.ok()) return status;
    absl::StatusOr<int64_t> version = connection.QueryInt64("PRAGMA user_version");
    if (!version.ok()) {
      connection.Exec("ROLLBACK").IgnoreError();
      return version.status();
    }
    if (first) {
      result.from_version = static_cast<int>(*version);
      first = false;
    }
    if (*version > latest || *version < 0) {
      connection.Exec("ROLLBACK").IgnoreError();
      return absl::FailedPreconditionError(
          absl::StrCat(connection.context(), ": the database has schema version ", *version,
                       " but this build knows versions up to ", latest,
                       "; run a newer xeniad or restore a backup made by this one"));
    }
    if (*version == latest) {
      status = connection.Exec("COMMIT");
      if (!status.ok()) return status;
      result.to_version = latest;
      return result;
    }
    const Migration& migration = migrations[static_cast<size_t>(*version)];
    const std::string what = absl::StrCat("migration to schema version ", migration.version, " (",
                                          migration.description, ")");
    if (migration.version != *version + 1) {
      connection.Exec("ROLLBACK").IgnoreError();
      return absl::InternalError(
          absl::StrCat(what, " is out of order: expected version ", *version + 1));
    }
    status = connection.Exec(migration.sql);
    if (status.ok()) {
      status = connection.Exec(absl::StrCat("PRAGMA user_version=", migration.version));
    }
    if (status.ok()) status = connection.Exec("COMMIT");
    if (!status.ok()) {
      if (!connection.autocommit()) connection.Exec("ROLLBACK").IgnoreError();
      return Prefixed(what, status);
    }
  }
}

}  // namespace xenia::store
