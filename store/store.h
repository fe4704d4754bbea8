// Store: xeniad's memory across restarts, in one SQLite file (WAL mode,
// synchronous=FULL, foreign keys on, a schema version with forward migrations
// applied at open).
//
// The store knows rows, not gRPC or protobuf: resource bodies are opaque
// bytes that the daemon serializes; the columns beside them exist only to
// index and to enforce uniqueness.
//
// Writes go through WriteBatch: every logical change is one batch, applied
// atomically (all of it or none of it). Batches submitted concurrently are
// committed together in one transaction and one fsync (group commit), each
// under its own savepoint, so one failing batch does not fail the others.
// Batches commit in submission order.
//
// Thread-safe: every method may be called from any thread. Submit's callback
// runs on the store's writer thread; it may Submit, but must not call Write()
// or the prunes (they would wait for the writer thread itself, so they fail
// with FAILED_PRECONDITION there), and should be quick: it holds up the next
// group. Destroying the store commits what is queued first.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace xenia {
class Logger;
}  // namespace xenia

namespace xenia::store {

// A defined domain. Times are Unix microseconds.
struct DomainRow {
  std::string uuid;
  std::string name;
  // The serialized definition and last-known status (opaque to the store).
  std::string spec;
  std::string status;
  int64_t create_time_us = 0;
  int64_t update_time_us = 0;
};

// Operation states as stored; terminal states are kDone and above.
enum class OperationState : int {
  kPending = 1,
  kRunning = 2,
  kDone = 3,
  kFailed = 4,
  kCancelled = 5
};

struct OperationRow {
  // The operation id (the last segment of its resource name).
  std::string id;
  // The resource it acts on ("hosts/h/domains/web1"); indexed.
  std::string target;
  std::string method;
  // Client request id; unique among operations when not empty.
  std::string request_id;
  // The request as the client sent it minus its request_id, serialized
  // deterministically; compared on a repeat of the request_id.
  std::string request;
  OperationState state = OperationState::kPending;
  // The serialized Operation resource (opaque).
  std::string body;
  int64_t create_time_us = 0;
  int64_t update_time_us = 0;
};

struct EventRow {
  // Assigned by the daemon; strictly increasing. Primary key.
  int64_t sequence = 0;
  int64_t time_us = 0;
  // The resource the event is about; indexed for filtered reads.
  std::string resource;
  // The serialized Event (opaque).
  std::string body;
};

// A save image on this host. Times are Unix microseconds.
struct SaveImageRow {
  // The image's resource name ("hosts/h/saveImages/web1-20261124-101500"); primary key.
  std::string name;
  // The domain it was taken from (may name a domain since deleted).
  std::string domain_uuid;
  // Path relative to the daemon's image directory; unique.
  std::string path;
  // The serialized SaveImage resource (opaque to the store).
  std::string body;
  int64_t create_time_us = 0;
};

// One logical change. Cheap to move; not thread-safe by itself.
class WriteBatch {
 public:
  // Insert or replace by uuid. Fails the batch (ALREADY_EXISTS) if another
  // uuid holds the name.
  void PutDomain(DomainRow row);
  void DeleteDomain(std::string uuid);
  // Insert or replace by id. Fails the batch (ALREADY_EXISTS) if another
  // operation holds the request_id.
  void PutOperation(OperationRow row);
  void AppendEvent(EventRow row);
  void PutMeta(std::string key, std::string value);
  // Insert or replace by name. Fails the batch (ALREADY_EXISTS) if another
  // image holds the path, or (INVALID_ARGUMENT) if the name or path is empty.
  void PutSaveImage(SaveImageRow row);
  // Deleting a name that is not stored is not an error.
  void DeleteSaveImage(std::string name);

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

  // For the store's implementation. Each kind fills only its fields:
  // kPutDomain `domain`, kDeleteDomain `domain.uuid`, kPutOperation
  // `operation`, kAppendEvent `event`, kPutMeta `key` and `value`,
  // kPutSaveImage `save_image`, kDeleteSaveImage `save_image.name`.
  struct Entry {
    enum class Kind {
      kPutDomain,
      kDeleteDomain,
      kPutOperation,
      kAppendEvent,
      kPutMeta,
      kPutSaveImage,
      kDeleteSaveImage
    };
    Kind kind = Kind::kPutDomain;
    DomainRow domain;
    OperationRow operation;
    EventRow event;
    SaveImageRow save_image;
    std::string key;
    std::string value;
  };
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

// How far a committed batch has gone when its `done` runs.
enum class Durability {
  // Synced to disk (synchronous=FULL): it survives a power loss.
  kSynced,
  // Written to the write-ahead log in the kernel's page cache, not yet
  // synced: it survives the death of the process at any instant, but a
  // power loss may undo it. It becomes durable with the next synced commit
  // (or Sync()). For intent records that must be on record before an action
  // is taken but are not acknowledged to anyone until a later synced commit:
  // a power loss takes the guests with it too.
  kWritten,
};

struct StoreOptions {
  // The SQLite file; its directory must exist.
  std::string path;
  // How long a Sync() waits for a synced commit to come along (which would
  // make everything before it durable) before it syncs on its own.
  int64_t sync_grace_us = 2000;
  // Longest a batch waits for others to join its group commit. Zero commits
  // whatever is queued at once (the leader never sleeps).
  int64_t max_group_delay_us = 0;
  // How long a connection waits for a lock held by another process (or
  // another connection of this one) before failing with UNAVAILABLE.
  int busy_timeout_ms = 5000;
  // Where the store logs opening, migrations and failed commits. Borrowed;
  // must outlive the store. nullptr logs nothing.
  Logger* logger = nullptr;
};

// A page of a listing. `more` says whether rows follow the last one; the
// next page starts after the last row (build the cursor from it).
template <typename T>
struct Page {
  std::vector<T> rows;
  bool more = false;
};

class Store {
 public:
  // Opens or creates the database and applies pending migrations.
  // FAILED_PRECONDITION if the file's schema is newer than this binary knows
  // (or the file cannot be opened, e.g. its directory is missing);
  // DATA_LOSS if the file is not a database or fails its integrity check;
  // INVALID_ARGUMENT for unusable options.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);
  virtual ~Store() = default;

  // The schema version after migrations.
  virtual int schema_version() const = 0;

  // Queues a batch for the next group commit; `done` gets the batch's own
  // outcome once it is durable (or failed). `done` may be empty. Errors:
  // ALREADY_EXISTS (a taken domain name, request_id, event sequence or save
  // image path, named in the message), INVALID_ARGUMENT (an entry without its key),
  // UNAVAILABLE (I/O error, database locked by another process),
  // RESOURCE_EXHAUSTED (disk full). When the group's transaction cannot
  // begin or commit, every batch that had not failed by itself gets that
  // error.
  virtual void Submit(WriteBatch batch, std::function<void(absl::Status)> done) = 0;
  // The same, with `durability` saying whether `done` waits for the sync.
  // Groups holding only kWritten batches commit with synchronous=NORMAL.
  virtual void Submit(WriteBatch batch, Durability durability,
                      std::function<void(absl::Status)> done) = 0;
  // Calls `done` once everything committed before the call is synced to
  // disk: at once if it already is, with the next synced commit if one comes
  // within sync_grace_us, or after syncing on its own.
  virtual void Sync(std::function<void(absl::Status)> done) = 0;
  // Submit (synced) and wait.
  virtual absl::Status Write(WriteBatch batch) = 0;

  // Every defined domain, by name.
  virtual absl::StatusOr<std::vector<DomainRow>> LoadDomains() = 0;

  // Every save image, by name.
  virtual absl::StatusOr<std::vector<SaveImageRow>> LoadSaveImages() = 0;
  // The save image of that name, nullopt if none.
  virtual absl::StatusOr<std::optional<SaveImageRow>> GetSaveImage(const std::string& name) = 0;

  virtual absl::StatusOr<std::optional<OperationRow>> GetOperation(const std::string& id) = 0;
  virtual absl::StatusOr<std::optional<OperationRow>> FindOperationByRequestId(
      const std::string& request_id) = 0;
  // Operations not in a terminal state.
  virtual absl::StatusOr<std::vector<OperationRow>> LoadUnfinishedOperations() = 0;
  // Operations created at or after `since_us` that carry a request_id
  // (to rebuild the idempotency index at start).
  virtual absl::StatusOr<std::vector<OperationRow>> LoadRequestIds(int64_t since_us) = 0;
  // Newest first: operations with (create_time_us, id) before the cursor
  // (a cursor with create_time_us == 0 starts at the newest). `target` and
  // `state` filter when non-empty / non-zero. INVALID_ARGUMENT unless
  // `limit` > 0 and `state` is 0 or an OperationState.
  struct OperationCursor {
    int64_t create_time_us = 0;
    std::string id;
  };
  virtual absl::StatusOr<Page<OperationRow>> ListOperations(const OperationCursor& after, int limit,
                                                            const std::string& target,
                                                            int state) = 0;
  // Deletes terminal operations last updated before `before_us`; returns how
  // many. Runs on the writer thread, in a group commit like a batch.
  virtual absl::StatusOr<int64_t> PruneOperations(int64_t before_us) = 0;

  // Events with sequence > after, oldest first, at most `limit`; `resource`
  // filters to that resource and those under it ("a/b" matches "a/b" and
  // "a/b/c", not "a/bc") when non-empty. A filtered read costs in proportion
  // to the events under `resource`: to read everything, pass "".
  virtual absl::StatusOr<std::vector<EventRow>> ReadEvents(int64_t after, int limit,
                                                           const std::string& resource) = 0;
  // The highest sequence stored, 0 if none.
  virtual absl::StatusOr<int64_t> LastEventSequence() = 0;
  // The greatest operation id stored (ids compare as strings), "" if none.
  virtual absl::StatusOr<std::string> LastOperationId() = 0;
  // Keeps the newest `keep` events (by sequence); returns how many were
  // deleted. Runs on the writer thread, in a group commit like a batch.
  virtual absl::StatusOr<int64_t> PruneEvents(int64_t keep) = 0;

  virtual absl::StatusOr<std::optional<std::string>> GetMeta(const std::string& key) = 0;
};

}  // namespace xenia::store
