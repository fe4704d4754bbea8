// Journal: writes the daemon's changes — operations, domain entries and
// events — to the store as one batch per logical change, numbers events in
// commit order, and hands them to the event sink once they are durable.
//
// Event sequences are assigned under the same lock that queues the batch,
// and the store commits batches in the order they were queued, so sequence
// order is commit order: a client resuming after sequence N misses nothing.
//
// Thread-safe: Submit and Write may be called from any thread; `done` and the
// event sink run on the store's writer thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "daemon/domain/domain_registry.h"
#include "store/store.h"
#include "xenia/v1/event.pb.h"
#include "xenia/v1/operation.pb.h"

namespace xenia {

// An operation as journalled: the resource and the request it came from.
struct JournalledOperation {
  xenia::v1::Operation operation;
  // The request minus its request_id, serialized deterministically.
  std::string request;
};

// One logical change.
struct JournalChange {
  std::vector<JournalledOperation> operations;
  std::vector<DomainEntry> put_domains;
  std::vector<std::string> delete_domain_uuids;
  // Save images recorded, with the uuid of the domain each was taken from.
  std::vector<std::pair<xenia::v1::SaveImage, std::string>> put_save_images;
  // Sequence and time are filled in by the journal.
  std::vector<xenia::v1::Event> events;
  std::vector<std::pair<std::string, std::string>> meta;

  bool empty() const {
    return operations.empty() && put_domains.empty() && delete_domain_uuids.empty() &&
           put_save_images.empty() && events.empty() && meta.empty();
  }
};

class Journal {
 public:
  using EventSink = std::function<void(const std::vector<xenia::v1::Event>&)>;

  // `store` is borrowed and must outlive the journal. `last_event_sequence`
  // is the highest sequence already stored.
  Journal(store::Store& store, int64_t last_event_sequence);

  // Receives events once they are durable, in sequence order.
  void SetEventSink(EventSink sink);

  // Queues the change; `done` gets its outcome once it has gone as far as
  // `durability` says (see store::Durability), or failed. Events reach the
  // sink once the change is committed.
  void Submit(JournalChange change, absl::Time now, store::Durability durability,
              std::function<void(absl::Status)> done);
  // Calls `done` once every change submitted before is synced to disk.
  void Sync(std::function<void(absl::Status)> done);
  // Submit (synced) and wait.
  absl::Status Write(JournalChange change, absl::Time now);

  int64_t last_sequence() const;

  static store::DomainRow ToRow(const DomainEntry& entry);
  static absl::StatusOr<DomainEntry> FromRow(const store::DomainRow& row);
  static store::OperationRow ToRow(const JournalledOperation& op);

 private:
  store::Store& store_;
  mutable absl::Mutex mu_;
  int64_t last_sequence_ ABSL_GUARDED_BY(mu_);
  EventSink sink_ ABSL_GUARDED_BY(mu_);
};

}  // namespace xenia
