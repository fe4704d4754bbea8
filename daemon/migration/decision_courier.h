// DecisionCourier: delivers, in the background, the decisions on migrations
// that this host was the source of when xeniad stopped (RecoveryReport's
// migration_decisions): a destination that had verified the stream may hold
// the guest paused until it hears whether the hand-over happened. Each
// decision is retried with backoff for up to `patience` (a destination may
// be restarting too); a destination with nothing waiting answers NOT_FOUND,
// which counts as delivered.
//
// Thread-safety: construct and Stop from one thread (the daemon's); the
// courier's own thread does the calls.
#pragma once

#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/logger.h"
#include "daemon/startup_recovery.h"

namespace xenia {

class DecisionCourier {
 public:
  // Starts delivering at once. `logger` must outlive the courier.
  DecisionCourier(std::string peer_token, std::vector<RecoveryReport::MigrationDecision> decisions,
                  absl::Duration patience, Logger& logger);
  // Stop()s.
  ~DecisionCourier();
  DecisionCourier(const DecisionCourier&) = delete;
  DecisionCourier& operator=(const DecisionCourier&) = delete;

  // Gives up on what is not delivered yet and joins the thread (a call in
  // flight finishes first; it is bounded by its deadline).
  void Stop();

 private:
  void Run();
  // Waits `d` unless stopped meanwhile; false if stopped.
  bool Sleep(absl::Duration d);

  const std::string peer_token_;
  const std::vector<RecoveryReport::MigrationDecision> decisions_;
  const absl::Duration patience_;
  Logger& logger_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace xenia
