// LibxlEvents: learns from libxl when domains shut down or die, and tells
// the registered DomainEventHandler, from a thread of its own.
//
// Watches: libxl_evenable_domain_death per domain (Arm), which yields a
// DOMAIN_SHUTDOWN event when the domain shuts down and a DOMAIN_DEATH event
// when it is gone (or dying). A watch is disarmed when its DOMAIN_DEATH has
// been handled. The backend arms every domain it sees, so watches are re-armed
// for existing domains when xeniad starts again.
//
// Event loop: the thread drives libxl with libxl_osevent_beforepoll / poll /
// afterpoll on libxl's "application" poller, with an eventfd of its own in
// the same poll() to be woken (to stop, or to pick up a watch just armed).
// libxl wakes that poller itself when it adds file descriptors or timeouts.
// It also runs libxl's SIGCHLD self-pipe, its timeouts, and the completion
// of asynchronous operations when no other thread is inside libxl.
//
// Delivery: the events are taken with libxl_event_register_callbacks rather
// than libxl_event_check: libxl may turn a xenstore watch into an event on
// any thread that is inside libxl (a synchronous call of another worker),
// and only callbacks are sure to see those at once. The callback only queues
// the event and wakes the thread; the thread calls the handler, one event at
// a time, in order, without holding any lock. A death the backend caused
// itself (ExpectDeath, before DestroyDomain) is not reported, as the
// simulator does not report it either.
//
// Thread-safe: all methods may be called from any thread. The libxl context
// must outlive this object and must have no other event callbacks.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/logger.h"
#include "daemon/hypervisor/hypervisor.h"
#include "daemon/hypervisor/libxl/libxl_api.h"

namespace xenia::hv {

class LibxlEvents {
 public:
  // Registers the event callbacks on `ctx` (before any watch exists, as
  // libxl requires) and starts the thread. `ctx` and `logger` are borrowed.
  static absl::StatusOr<std::unique_ptr<LibxlEvents>> Start(libxl_ctx* ctx, Logger& logger);
  // Stops the thread and disarms every watch.
  ~LibxlEvents();
  LibxlEvents(const LibxlEvents&) = delete;
  LibxlEvents& operator=(const LibxlEvents&) = delete;

  // The handler (not owned); events before it is set are dropped.
  void SetHandler(DomainEventHandler* handler);

  // Watches domain `domid` holding `uuid`, unless it is watched already.
  // A watch for another uuid on the same domid (a recycled domid) is
  // replaced. dom0 is never watched. Failures are logged: the daemon's
  // periodic reconciliation still notices the domain's changes.
  void Arm(uint32_t domid, absl::string_view uuid);

  // The next death of the watched `domid` is the backend's own doing
  // (DestroyDomain): do not report it. Undone by UnexpectDeath (when the
  // destroy failed).
  void ExpectDeath(uint32_t domid);
  void UnexpectDeath(uint32_t domid);

  // When the watched `domid` last shut down for suspend, as libxl reported
  // it (absl::Now() then); InfinitePast if it has not since it was armed.
  // A save uses it to tell when the guest stopped running.
  absl::Time SuspendedAt(uint32_t domid);

  // Makes the thread run one more round of libxl's event loop now.
  void Wake();

  // Watches in place (for tests and logs).
  size_t ArmedCount();

 private:
  struct DeathWatch {
    uint64_t serial = 0;
    std::string uuid;
    libxl_evgen_domain_death* evgen = nullptr;
    bool death_expected = false;
  };
  // An event as the callback queues it; resolved by the thread.
  struct Raw {
    libxl_event_type type;
    uint32_t domid;
    uint64_t serial;
    int shutdown_reason;
  };

  LibxlEvents(libxl_ctx* ctx, Logger& logger, int wake_fd);

  static void OnEvent(void* user, libxl_event* event);
  static void OnDisaster(void* user, libxl_event_type type, const char* msg, int errnoval);

  void Run();
  void DrainWake();
  void DeliverQueued() ABSL_LOCKS_EXCLUDED(queue_mu_, watches_mu_);

  libxl_ctx* const ctx_;
  Logger& logger_;
  const int wake_fd_;
  // libxl keeps a pointer to these for as long as they are registered.
  libxl_event_hooks hooks_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;

  // Held across libxl_evenable/evdisable_domain_death; never taken by the
  // event callback, which libxl may run on any thread inside libxl.
  absl::Mutex watches_mu_ ABSL_ACQUIRED_BEFORE(queue_mu_);
  absl::flat_hash_map<uint32_t, DeathWatch> watches_ ABSL_GUARDED_BY(watches_mu_);
  uint64_t next_serial_ ABSL_GUARDED_BY(watches_mu_) = 1;

  // Never held while calling libxl or the handler.
  absl::Mutex queue_mu_;
  std::deque<Raw> queue_ ABSL_GUARDED_BY(queue_mu_);
  DomainEventHandler* handler_ ABSL_GUARDED_BY(queue_mu_) = nullptr;
  // By domid (bounded by their number); older than a save's start is stale.
  absl::flat_hash_map<uint32_t, absl::Time> suspended_at_ ABSL_GUARDED_BY(queue_mu_);
};

}  // namespace xenia::hv
