#include "daemon/facts_poller.h"

#include "absl/container/flat_hash_map.h"
#include "common/thread_name.h"
#include "daemon/operations/domain_lifecycle.h"

namespace xenia {

FactsPoller::FactsPoller(absl::Duration interval, hv::Hypervisor& hypervisor,
                         DomainRegistry& registry, UnmanagedDomains& unmanaged,
                         OperationEngine& engine, const Clock& clock, Logger& logger)
    : interval_(interval),
      hypervisor_(hypervisor),
      registry_(registry),
      unmanaged_(unmanaged),
      engine_(engine),
      clock_(clock),
      logger_(logger) {}

FactsPoller::~FactsPoller() { Stop(); }

void FactsPoller::Start() {
  thread_ = std::thread([this] {
    SetThreadName("xeniad-facts");
    absl::MutexLock lock(&mu_);
    while (!stop_) {
      mu_.AwaitWithTimeout(absl::Condition(&stop_), interval_);
      if (stop_) break;
      mu_.Unlock();
      PollOnce();
      mu_.Lock();
    }
  });
}

void FactsPoller::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void FactsPoller::PollOnce() {
  // The record first, then the hypervisor: a domain started in between is
  // simply not looked at this time, rather than looking vanished.
  std::vector<DomainEntry> entries = registry_.Snapshot();
  absl::StatusOr<std::vector<hv::DomainFacts>> live = hypervisor_.ListDomains(hv::OpContext{});
  if (!live.ok()) {
    logger_.Warn("cannot list the hypervisor's domains", {{"error", live.status()}});
    return;
  }
  absl::flat_hash_map<std::string, const hv::DomainFacts*> by_uuid;
  for (const hv::DomainFacts& facts : *live) by_uuid[facts.uuid] = &facts;
  absl::Time now = clock_.Now();

  // What the hypervisor runs that xeniad does not manage (looked up again
  // now, so that a domain xeniad created after the snapshot is not taken
  // for a stranger).
  std::vector<hv::DomainFacts> strangers;
  for (const hv::DomainFacts& facts : *live) {
    if (!registry_.GetByUuid(facts.uuid).has_value()) strangers.push_back(facts);
  }
  unmanaged_.Replace(std::move(strangers), now);

  for (const DomainEntry& entry : entries) {
    if (!entry.status.has_domid()) continue;
    auto it = by_uuid.find(entry.uuid());
    bool busy = !engine_.ActiveOperation(entry.uuid()).empty();
    if (it == by_uuid.end() || it->second->domid != static_cast<uint32_t>(entry.status.domid())) {
      if (!busy) engine_.RequestReconcile(entry.uuid(), "the hypervisor no longer has its domid");
      continue;
    }
    const hv::DomainFacts& facts = *it->second;
    registry_.RefreshFacts(
        entry.uuid(), entry.status.domid(),
        [&](xenia::v1::DomainStatus& status) { ApplyFacts(facts, now, &status); });
    xenia::v1::PowerState state = entry.status.power_state();
    // A guest that went down while recorded running or paused needs its
    // policy; one preserved on purpose (CRASHED, SHUTTING_DOWN) does not.
    bool contradicts = (facts.state == hv::RunState::kShutdown &&
                        (state == xenia::v1::RUNNING || state == xenia::v1::PAUSED)) ||
                       (facts.state == hv::RunState::kRunning && state == xenia::v1::PAUSED) ||
                       (facts.state == hv::RunState::kPaused && state == xenia::v1::RUNNING) ||
                       // No operation waits for it any more (e.g. its shutdown was
                       // cancelled), yet it is recorded as going down.
                       (facts.state == hv::RunState::kRunning && state == xenia::v1::SHUTTING_DOWN);
    if (contradicts && !busy) {
      engine_.RequestReconcile(entry.uuid(), "its state in the hypervisor changed");
    }
  }
}

}  // namespace xenia
