// EventQueue: hands DomainEvents to the watcher in the order they happened,
// without holding the simulator's lock. Producers Push() while they hold the
// simulator's lock (which fixes the order); after releasing it they call
// Deliver(). Only one thread at a time calls the handler: if another thread
// is already delivering, Deliver() returns at once and that thread delivers
// the new events too.
//
// Thread-safe.
#pragma once

#include <deque>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "daemon/hypervisor/hypervisor.h"

namespace xenia::hv {

class EventQueue {
 public:
  // Sets the handler (not owned). Until one is set, pushed events are dropped
  // (the watcher reconciles from a listing when it starts watching).
  void SetHandler(DomainEventHandler* handler) ABSL_LOCKS_EXCLUDED(mu_);
  void Push(DomainEvent event) ABSL_LOCKS_EXCLUDED(mu_);
  // Delivers queued events; see the class comment.
  void Deliver() ABSL_LOCKS_EXCLUDED(mu_, delivery_mu_);

 private:
  // Held while a thread calls the handler.
  absl::Mutex delivery_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  absl::Mutex mu_;
  std::deque<DomainEvent> queue_ ABSL_GUARDED_BY(mu_);
  DomainEventHandler* handler_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace xenia::hv
