// FactsPoller: every few seconds reads the hypervisor's domain list, refreshes
// the live facts (CPU time, memory, vCPUs) of managed domains, queues a
// reconciliation for any domain whose state the hypervisor contradicts (a
// missed event, a domain destroyed behind xeniad's back), and records the
// domains xeniad does not manage.
//
// Thread-safe: owns one thread between Start and Stop.
#pragma once

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/logger.h"
#include "daemon/domain/domain_registry.h"
#include "daemon/domain/unmanaged_domains.h"
#include "daemon/hypervisor/hypervisor.h"
#include "daemon/operations/operation_engine.h"

namespace xenia {

class FactsPoller {
 public:
  // Everything is borrowed and must outlive the poller.
  FactsPoller(absl::Duration interval, hv::Hypervisor& hypervisor, DomainRegistry& registry,
              UnmanagedDomains& unmanaged, OperationEngine& engine, const Clock& clock,
              Logger& logger);
  ~FactsPoller();

  void Start();
  void Stop();
  // One pass, on the caller's thread.
  void PollOnce();

 private:
  const absl::Duration interval_;
  hv::Hypervisor& hypervisor_;
  DomainRegistry& registry_;
  UnmanagedDomains& unmanaged_;
  OperationEngine& engine_;
  const Clock& clock_;
  Logger& logger_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace xenia
