#include "daemon/hypervisor/sim/sim_host.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/thread_name.h"

namespace xenia::hv {
namespace {

constexpr char kDom0Name[] = "Domain-0";
constexpr char kDom0Uuid[] = "00000000-0000-0000-0000-000000000000";
// dom0 idles: each of its vCPUs is busy 2% of the time.
constexpr int64_t kDom0CpuLoadPpm = 20'000;

absl::Status CheckContext(const OpContext& ctx, const Clock& clock) {
  if (ctx.Cancelled()) return absl::CancelledError("the operation was cancelled");
  if (clock.Now() >= ctx.deadline) {
    return absl::DeadlineExceededError("the operation's deadline passed before the step began");
  }
  return absl::OkStatus();
}

absl::Status UuidMismatch(const DomainRef& ref, uint32_t domid, absl::string_view name,
                          absl::string_view uuid) {
  return absl::NotFoundError(absl::StrFormat(
      "domid %d now holds domain \"%s\" (uuid %s), not uuid %s: the domain you meant no "
      "longer exists",
      domid, name, uuid, ref.uuid));
}

bool UuidMatches(const DomainRef& ref, absl::string_view uuid) {
  return ref.uuid.empty() || absl::AsciiStrToLower(ref.uuid) == uuid;
}

}  // namespace

SimHost::SimHost(const SimHostConfig& config, const Clock& clock, Logger& logger,
                 std::unique_ptr<SimStateFile> file)
    : config_(config),
      clock_(clock),
      logger_(logger),
      cpu_load_ppm_(CpuLoadToPpm(config.cpu_load)),
      device_files_(absl::StrCat(config.state_file, ".devices")),
      file_(std::move(file)) {}

SimHost::~SimHost() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    wake_.SignalAll();
  }
  if (event_thread_.joinable()) event_thread_.join();
}

absl::Status SimHost::Load() {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::vector<std::pair<uint32_t, SimDomainRecord>>> records =
      file_->LoadRecords(config_.dirty_bytes_per_second, config_.working_set_pages);
  if (!records.ok()) return records.status();
  std::vector<bool> used(file_->slot_count(), false);
  absl::flat_hash_set<std::string> uuids;
  for (auto& [slot, record] : *records) {
    absl::StatusOr<std::vector<SimDevice>> devices = device_files_.Load(record.uuid);
    if (!devices.ok()) return devices.status();
    record.devices = *std::move(devices);
    uuids.insert(record.uuid);
    const uint32_t domid = record.domid;
    if (domains_.contains(domid) || domid_by_name_.contains(record.name) ||
        domid_by_uuid_.contains(record.uuid)) {
      return absl::DataLossError(absl::StrCat("the simulator state file ", file_->path(),
                                              " holds two domains with domid ", domid, ", name \"",
                                              record.name, "\" or uuid ", record.uuid,
                                              "; move the file aside to start with an empty host"));
    }
    used[slot] = true;
    domid_by_name_[record.name] = domid;
    domid_by_uuid_[record.uuid] = domid;
    domains_.emplace(domid, Domain{slot, std::move(record)});
  }
  for (uint32_t slot = file_->slot_count(); slot-- > 0;) {
    if (!used[slot]) free_slots_.push_back(slot);
  }
  if (int stale = device_files_.RemoveAllBut(uuids); stale > 0) {
    logger_.Info("removed the device tables of domains that no longer exist",
                 {{"directory", device_files_.directory()}, {"tables", stale}});
  }
  const int64_t now = clock_.BootNanos();
  next_due_ = now;  // Forces a full scan.
  ApplyDueLocked(now);
  const int64_t used_mib = UsedMemoryMibLocked();
  const int64_t free_mib = config_.total_memory_mib - config_.dom0_memory_mib - used_mib;
  if (free_mib < 0) {
    logger_.Warn(
        "the simulated domains hold more memory than the configured host has; no domain "
        "can be created until some are destroyed",
        {{"total_memory_mib", config_.total_memory_mib},
         {"dom0_memory_mib", config_.dom0_memory_mib},
         {"domains_memory_mib", used_mib}});
  }
  logger_.Info("simulated host ready", {{"state_file", file_->path()},
                                        {"domains", domains_.size()},
                                        {"total_memory_mib", config_.total_memory_mib},
                                        {"cpus", config_.cpus}});
  return absl::OkStatus();
}

void SimHost::StartEventThread() {
  event_thread_ = std::thread([this] {
    SetThreadName("xeniad-sim");
    EventLoop();
  });
}

void SimHost::EventLoop() {
  mu_.Lock();
  while (!stopping_) {
    if (ApplyDueLocked(clock_.BootNanos()) > 0) {
      mu_.Unlock();
      events_.Deliver();
      mu_.Lock();
      continue;
    }
    if (next_due_ == kNever) {
      wake_.Wait(&mu_);
    } else {
      const int64_t wait_ns = next_due_ - clock_.BootNanos();
      if (wait_ns > 0) wake_.WaitWithTimeout(&mu_, absl::Nanoseconds(wait_ns));
    }
  }
  mu_.Unlock();
}

int SimHost::ApplyDueLocked(int64_t now) {
  if (now < next_due_) return 0;
  std::vector<std::pair<int64_t, uint32_t>> due;
  int64_t next = kNever;
  for (const auto& [domid, domain] : domains_) {
    const int64_t at = DueBootNanos(domain.record);
    if (at <= now) {
      due.emplace_back(at, domid);
    } else {
      next = std::min(next, at);
    }
  }
  // Events go out in the order the guests acted.
  std::sort(due.begin(), due.end());
  for (const auto& [at, domid] : due) {
    Domain& domain = domains_.at(domid);
    std::optional<DomainEvent> event = ApplyDueAction(domain.record, now);
    if (!event.has_value()) continue;
    file_->StoreRecord(domain.slot, domain.record);
    logger_.Info("simulated guest shut down on its own",
                 {{"domid", domid},
                  {"name", domain.record.name},
                  {"reason", ShutdownReasonName(event->reason)}});
    events_.Push(*std::move(event));
  }
  next_due_ = next;
  return static_cast<int>(due.size());
}

void SimHost::NoteScheduleLocked(const SimDomainRecord& record) {
  const int64_t at = DueBootNanos(record);
  if (at < next_due_) {
    next_due_ = at;
    wake_.Signal();
  }
}

absl::StatusOr<SimHost::Domain*> SimHost::ResolveLocked(const DomainRef& ref) {
  auto it = domains_.find(ref.domid);
  if (it == domains_.end()) {
    if (auto r = reservations_.find(ref.domid); r != reservations_.end()) {
      return absl::NotFoundError(absl::StrCat(DomainLabel(ref.domid, r->second.name),
                                              " is still being built and cannot be used yet"));
    }
    return absl::NotFoundError(absl::StrCat("no domain has domid ", ref.domid));
  }
  const SimDomainRecord& record = it->second.record;
  if (!UuidMatches(ref, record.uuid)) {
    return UuidMismatch(ref, record.domid, record.name, record.uuid);
  }
  return &it->second;
}

DomainFacts SimHost::Dom0FactsLocked(int64_t now) const {
  DomainFacts facts;
  facts.domid = 0;
  facts.uuid = kDom0Uuid;
  facts.name = kDom0Name;
  facts.state = RunState::kRunning;
  facts.current_memory_kib = config_.dom0_memory_mib * 1024;
  facts.max_memory_kib = facts.current_memory_kib;
  facts.online_vcpus = config_.cpus;
  facts.max_vcpus = config_.cpus;
  facts.cpu_time_ns = CpuNanosFor(now, config_.cpus, kDom0CpuLoadPpm);
  facts.type = xenia::v1::PV;
  return facts;
}

int64_t SimHost::UsedMemoryMibLocked() const {
  // Each guest holds what its balloon is heading for, if more than it holds
  // now: memory promised to a guest is not free for another.
  const int64_t now = clock_.BootNanos();
  int64_t used = 0;
  for (const auto& [domid, domain] : domains_) {
    used += (PromisedMemoryKib(domain.record, now) + 1023) / 1024;
  }
  for (const auto& [domid, reservation] : reservations_) used += reservation.memory_mib;
  return used;
}

HostFacts SimHost::HostFactsLocked() const {
  HostFacts facts;
  facts.backend = "sim";
  facts.version = "Xenia simulated hypervisor (models Xen 4.17)";
  facts.total_memory_kib = config_.total_memory_mib * 1024;
  facts.dom0_memory_kib = config_.dom0_memory_mib * 1024;
  const int64_t free_mib =
      config_.total_memory_mib - config_.dom0_memory_mib - UsedMemoryMibLocked();
  facts.free_memory_kib = std::max<int64_t>(0, free_mib) * 1024;
  facts.cpus = config_.cpus;
  facts.pv_log_dirty = config_.shadow_paging;
  return facts;
}

absl::StatusOr<HostFacts> SimHost::DescribeHost(const OpContext& ctx) {
  if (absl::Status s = CheckContext(ctx, clock_); !s.ok()) return s;
  HostFacts facts;
  {
    absl::MutexLock lock(&mu_);
    ApplyDueLocked(clock_.BootNanos());
    facts = HostFactsLocked();
  }
  events_.Deliver();
  return facts;
}

absl::StatusOr<std::vector<DomainFacts>> SimHost::ListDomains(const OpContext& ctx) {
  if (absl::Status s = CheckContext(ctx, clock_); !s.ok()) return s;
  std::vector<DomainFacts> list;
  {
    absl::MutexLock lock(&mu_);
    const int64_t now = clock_.BootNanos();
    ApplyDueLocked(now);
    list.reserve(domains_.size() + 1);
    list.push_back(Dom0FactsLocked(now));
    for (const auto& [domid, domain] : domains_) list.push_back(FactsAt(domain.record, now));
  }
  events_.Deliver();
  return list;
}

absl::StatusOr<bool> SimHost::MadeByXeniad(const OpContext& ctx, const DomainRef& ref) {
  if (absl::Status s = CheckContext(ctx, clock_); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (ref.domid == 0) return false;
  absl::StatusOr<Domain*> domain = ResolveLocked(ref);
  if (!domain.ok()) return domain.status();
  return (*domain)->record.made_by_xeniad;
}

absl::StatusOr<DomainFacts> SimHost::DescribeDomain(const OpContext& ctx, const DomainRef& ref) {
  if (absl::Status s = CheckContext(ctx, clock_); !s.ok()) return s;
  absl::StatusOr<DomainFacts> facts;
  {
    absl::MutexLock lock(&mu_);
    const int64_t now = clock_.BootNanos();
    ApplyDueLocked(now);
    if (ref.domid == 0) {
      if (UuidMatches(ref, kDom0Uuid)) {
        facts = Dom0FactsLocked(now);
      } else {
        facts = UuidMismatch(ref, 0, kDom0Name, kDom0Uuid);
      }
    } else if (absl::StatusOr<Domain*> domain = ResolveLocked(ref); domain.ok()) {
      facts = FactsAt((*domain)->record, now);
    } else {
      facts = domain.status();
    }
  }
  events_.Deliver();
  return facts;
}

absl::Status SimHost::MutateDomain(const OpContext* ctx, const DomainRef& ref,
                                   absl::string_view step, const Mutation& fn) {
  if (ctx != nullptr) {
    if (absl::Status s = CheckContext(*ctx, clock_); !s.ok()) return s;
  }
  absl::Status status;
  {
    absl::MutexLock lock(&mu_);
    const int64_t now = clock_.BootNanos();
    ApplyDueLocked(now);
    if (ref.domid == 0) {
      status = UuidMatches(ref, kDom0Uuid)
                   ? absl::FailedPreconditionError(absl::StrCat(
                         DomainLabel(0, kDom0Name), " is the control domain; it cannot be ", step))
                   : UuidMismatch(ref, 0, kDom0Name, kDom0Uuid);
    } else if (absl::StatusOr<Domain*> domain = ResolveLocked(ref); !domain.ok()) {
      status = domain.status();
    } else {
      // Change a copy, so that a refused step leaves the record as it was.
      SimDomainRecord changed = (*domain)->record;
      status = fn(changed, now);
      if (status.ok()) {
        domains_changed_.SignalAll();
        (*domain)->record = std::move(changed);
        file_->StoreRecord((*domain)->slot, (*domain)->record);
        NoteScheduleLocked((*domain)->record);
        // A change may make an action due at once (a crash with no delay).
        ApplyDueLocked(now);
      }
    }
  }
  events_.Deliver();
  return status;
}

absl::Status SimHost::ShutdownDomain(const OpContext& ctx, const ShutdownDomainRequest& req) {
  const absl::string_view step =
      req.reason == ShutdownReason::kReboot ? "asked to reboot" : "asked to shut down";
  return MutateDomain(&ctx, req.domain, step, [&](SimDomainRecord& record, int64_t now) {
    absl::Status status = RequestShutdown(record, req.reason, now);
    if (status.ok()) {
      logger_.Info("shutdown requested of a simulated guest",
                   {{"domid", record.domid},
                    {"name", record.name},
                    {"reason", ShutdownReasonName(req.reason)},
                    {"trace_id", ctx.trace_id}});
    }
    return status;
  });
}

absl::Status SimHost::PauseDomain(const OpContext& ctx, const DomainRef& ref) {
  return MutateDomain(&ctx, ref, "paused", PauseGuest);
}

absl::Status SimHost::UnpauseDomain(const OpContext& ctx, const DomainRef& ref) {
  return MutateDomain(&ctx, ref, "unpaused", UnpauseGuest);
}

absl::Status SimHost::SetMemoryTarget(const OpContext& ctx, const DomainRef& ref,
                                      int64_t target_kib) {
  return MutateDomain(
      &ctx, ref, "given a memory target", [&](SimDomainRecord& record, int64_t now) {
        // Raising the target takes host memory: it must be free (the guest
        // would otherwise balloon into memory another domain holds).
        const int64_t more_mib = (target_kib - PromisedMemoryKib(record, now) + 1023) / 1024;
        const int64_t free_mib =
            config_.total_memory_mib - config_.dom0_memory_mib - UsedMemoryMibLocked();
        if (more_mib > 0 && more_mib > free_mib) {
          return absl::ResourceExhaustedError(absl::StrFormat(
              "not enough free memory on the host to raise %s to %d MiB: it needs %d MiB more, "
              "%d MiB are free",
              DomainLabel(record), target_kib / 1024, more_mib, std::max<int64_t>(0, free_mib)));
        }
        absl::Status s = hv::SetMemoryTarget(record, target_kib, now);
        if (s.ok()) {
          logger_.Info("memory target set", {{"domid", record.domid},
                                             {"name", record.name},
                                             {"target_kib", target_kib},
                                             {"trace_id", ctx.trace_id}});
        }
        return s;
      });
}

absl::Status SimHost::SetMaxMemory(const OpContext& ctx, const DomainRef& ref, int64_t max_kib) {
  return MutateDomain(&ctx, ref, "given a maximum memory", [&](SimDomainRecord& record, int64_t) {
    return hv::SetMaxMemory(record, max_kib);
  });
}

absl::Status SimHost::SetOnlineVcpus(const OpContext& ctx, const DomainRef& ref, int32_t vcpus) {
  return MutateDomain(&ctx, ref, "given vCPUs", [&](SimDomainRecord& record, int64_t now) {
    return hv::SetOnlineVcpus(record, vcpus, now);
  });
}

absl::StatusOr<GuestBehavior> SimHost::SetGuestBehavior(const DomainRef& ref,
                                                        const GuestBehavior& behavior) {
  GuestBehavior in_force;
  absl::Status status = MutateDomain(
      nullptr, ref, "given a guest behaviour", [&](SimDomainRecord& record, int64_t now) {
        absl::StatusOr<GuestBehavior> changed = ChangeBehavior(record, behavior, now);
        if (!changed.ok()) return changed.status();
        in_force = *std::move(changed);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return in_force;
}

absl::Status SimHost::DestroyDomain(const OpContext& ctx, const DomainRef& ref) {
  if (absl::Status s = CheckContext(ctx, clock_); !s.ok()) return s;
  absl::Status status;
  {
    absl::MutexLock lock(&mu_);
    ApplyDueLocked(clock_.BootNanos());
    if (ref.domid == 0) {
      status =
          UuidMatches(ref, kDom0Uuid)
              ? absl::FailedPreconditionError(absl::StrCat(
                    DomainLabel(0, kDom0Name), " is the control domain; it cannot be destroyed"))
              : UuidMismatch(ref, 0, kDom0Name, kDom0Uuid);
    } else if (absl::StatusOr<Domain*> domain = ResolveLocked(ref); !domain.ok()) {
      status = domain.status();
    } else {
      // The caller knows the domain is gone: no event (kDeath is for domains
      // that vanish on their own).
      const Domain gone = std::move(**domain);
      file_->FreeSlot(gone.slot);
      device_files_.Remove(gone.record.uuid);
      domains_changed_.SignalAll();
      free_slots_.push_back(gone.slot);
      domid_by_name_.erase(gone.record.name);
      domid_by_uuid_.erase(gone.record.uuid);
      domains_.erase(gone.record.domid);
      logger_.Info(
          "simulated domain destroyed",
          {{"domid", gone.record.domid}, {"name", gone.record.name}, {"trace_id", ctx.trace_id}});
    }
  }
  events_.Deliver();
  return status;
}

void SimHost::Watch(DomainEventHandler* handler) { events_.SetHandler(handler); }

void SimHost::ProcessDueTransitions() {
  {
    absl::MutexLock lock(&mu_);
    ApplyDueLocked(clock_.BootNanos());
  }
  events_.Deliver();
}

}  // namespace xenia::hv
