// The SQL of every change to the store: a WriteBatch's entries and the
// prunes. Each function runs inside the group commit's open transaction (and
// the batch's savepoint); on error the caller rolls back.
//
// Writer thread only: `writer` is the writer connection.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/sqlite_connection.h"
#include "store/store.h"

namespace xenia::store {

// Applies every entry of `batch` in order; stops at the first error, which
// names the entry (ALREADY_EXISTS for a taken domain name, request id, event
// sequence or save image path; INVALID_ARGUMENT for an entry missing its key).
absl::Status ApplyBatch(Connection& writer, const WriteBatch& batch);

// Deletes operations in a terminal state last updated before `before_us`.
absl::StatusOr<int64_t> DeleteFinishedOperations(Connection& writer, int64_t before_us);

// Deletes all but the newest `keep` events.
absl::StatusOr<int64_t> DeleteOldEvents(Connection& writer, int64_t keep);

}  // namespace xenia::store
