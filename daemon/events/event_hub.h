// EventHub: the daemon's events after they are committed — fans them out to
// watchers, serves the retained history, and keeps that history bounded.
//
// Events arrive from the journal's sink (Publish) in sequence order, once
// their change is committed. The hub keeps the newest `memory_window` of them
// in memory so that watchers catching up and ListEvents rarely read the
// store; older ones come from the store's events table, which a thread of
// the hub prunes to the newest `retention` events (recording that it did, in
// a RECORDS_DROPPED event).
//
// A watcher subscribes with the sequence it has seen; Subscribe returns the
// sequence after which live events will reach it, so that it reads the
// history up to there (Read) and then takes the live ones: nothing missed,
// nothing twice. Publish never blocks on a watcher: a watcher that cannot
// keep up decides for itself to quit (EventWatcher::OnEvents returns false).
//
// Thread-safe: every method may be called from any thread. Watcher callbacks
// run with the hub's lock held: they must not call the hub.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/logger.h"
#include "daemon/operations/journal.h"
#include "store/store.h"
#include "xenia/v1/event.pb.h"

namespace xenia {

struct EventHubOptions {
  // Events kept in the store; older ones are dropped.
  int64_t retention = 100000;
  // Newest events also kept in memory.
  int32_t memory_window = 4096;
  // The resource RECORDS_DROPPED events are about ("hosts/h").
  std::string host_resource;
};

// A subscriber. Called with the hub's lock held: must return quickly and must
// not call the hub.
class EventWatcher {
 public:
  virtual ~EventWatcher() = default;
  // New events (already filtered to the watcher's resource), in order.
  // Returning false unsubscribes the watcher.
  virtual bool OnEvents(const std::vector<const xenia::v1::Event*>& events) = 0;
  // The hub closes (the daemon stops); the watcher is unsubscribed.
  virtual void OnClosed(const absl::Status& why) = 0;
};

// True if `resource` is `filter` or under it ("a/b" covers "a/b/c", not
// "a/bc"); an empty filter covers everything.
bool ResourceCovers(absl::string_view filter, absl::string_view resource);

class EventHub {
 public:
  // `store`, `journal`, `clock` and `logger` are borrowed. Reads the
  // retained range from the store and starts the pruning thread.
  static absl::StatusOr<std::unique_ptr<EventHub>> Start(const EventHubOptions& options,
                                                         store::Store& store, Journal& journal,
                                                         const Clock& clock, Logger& logger);
  // Closes every watcher (UNAVAILABLE) and stops the pruning thread.
  ~EventHub();
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // The journal's sink: committed events, in sequence order.
  void Publish(const std::vector<xenia::v1::Event>& events);

  // Registers `watcher` for live events under `resource` and returns the
  // sequence after which they start; the caller reads (after_sequence, that]
  // with Read. `after_sequence` -1 means "from now" (nothing to read).
  // OUT_OF_RANGE as CheckRange; UNAVAILABLE once closed.
  absl::StatusOr<int64_t> Subscribe(int64_t after_sequence, const std::string& resource,
                                    EventWatcher* watcher);
  // Idempotent. After it returns, the hub calls `watcher` no more.
  void Unsubscribe(EventWatcher* watcher);

  // Up to `limit` retained events with after < sequence <= up_to under
  // `resource`, oldest first. OUT_OF_RANGE if some after `after` were
  // dropped already.
  absl::StatusOr<std::vector<xenia::v1::Event>> Read(int64_t after, int64_t up_to, int limit,
                                                     const std::string& resource);

  // OK if every event after `after_sequence` is still retained (0 always is:
  // it means "from the oldest kept"); OUT_OF_RANGE naming the retained range
  // otherwise, or when it is beyond the newest event; INVALID_ARGUMENT below
  // -1.
  absl::Status CheckRange(int64_t after_sequence);

  // Closes every watcher with `why` and refuses new ones (daemon stop).
  void CloseAll(const absl::Status& why);

  int64_t last_sequence();
  // The oldest sequence still retained (last_sequence() + 1 when none is).
  int64_t oldest_sequence();
  size_t watcher_count();

 private:
  struct Subscriber {
    EventWatcher* watcher;
    std::string resource;
  };

  EventHub(const EventHubOptions& options, store::Store& store, Journal& journal,
           const Clock& clock, Logger& logger);

  absl::Status CheckRangeLocked(int64_t after_sequence) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool PruneDue() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PruneLoop();

  const EventHubOptions options_;
  store::Store& store_;
  Journal& journal_;
  const Clock& clock_;
  Logger& logger_;

  absl::Mutex mu_;
  int64_t last_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t oldest_sequence_ ABSL_GUARDED_BY(mu_) = 1;
  std::deque<xenia::v1::Event> recent_ ABSL_GUARDED_BY(mu_);
  std::vector<Subscriber> subscribers_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread pruner_;
};

}  // namespace xenia
