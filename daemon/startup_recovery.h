// Start-up reconciliation of the three sources of truth: the journal (what
// was under way), the store (what should exist) and the hypervisor (what does
// exist). Every operation that was running ends as done or failed with a
// reason a person understands; domains the store expected but the hypervisor
// lost are marked LOST, never silently deleted; domains whose guests went
// down while xeniad was away are queued for their lifecycle policy.
//
// Thread-safe: runs once, on the starting thread, before the engine starts.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/logger.h"
#include "daemon/domain/domain_registry.h"
#include "daemon/hypervisor/hypervisor.h"
#include "daemon/operations/journal.h"
#include "daemon/resource_names.h"
#include "store/store.h"

namespace xenia {

struct RecoveryReport {
  int domains = 0;
  int running = 0;
  int lost = 0;
  int unmanaged = 0;
  // Guests xeniad built (they carry its mark) that the store had no record
  // of, taken back under management.
  int adopted = 0;
  int operations_done = 0;
  int operations_failed = 0;
  // Domains that need a reconciliation once the engine runs, and for those
  // whose guest went down at a user's request while xeniad was stopped, what
  // that request wanted (it overrides the domain's policy).
  struct Reconcile {
    std::string uuid;
    std::optional<xenia::v1::LifecycleAction> action;
  };
  std::vector<Reconcile> reconcile;
  // Migrations this host was the source of when it stopped: the decision
  // their destination may be waiting for (a Resolve), to deliver once the
  // daemon runs.
  struct MigrationDecision {
    std::string destination;
    // The MigrateDomain operation's resource name.
    std::string operation;
    // Handed over (run it there) or not (discard it there).
    bool commit = false;
  };
  std::vector<MigrationDecision> migration_decisions;
};

// Loads the store's domains into `registry`, compares them with the
// hypervisor and settles unfinished operations; writes the outcome through
// `journal` in one change.
absl::StatusOr<RecoveryReport> RecoverAtStart(store::Store& store, Journal& journal,
                                              DomainRegistry& registry, hv::Hypervisor& hypervisor,
                                              const ResourceNames& names, const Clock& clock,
                                              Logger& logger);

}  // namespace xenia
