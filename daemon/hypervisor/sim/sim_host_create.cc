// SimHost's CreateDomain: validation of the spec, admission control, domid
// allocation and the build time; and the validation of the host's config.
#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/uuid.h"
#include "daemon/hypervisor/disk_targets.h"
#include "daemon/hypervisor/sim/sim_host.h"

namespace xenia::hv {
namespace {

// CreateDomain checks for cancellation this often while it builds.
constexpr absl::Duration kCancelCheckInterval = absl::Milliseconds(10);

int64_t DurationNanos(absl::Duration d) {
  return d == absl::InfiniteDuration() ? kNever : absl::ToInt64Nanoseconds(d);
}

}  // namespace

absl::StatusOr<SimDomainRecord> RecordFromSpec(const CreateDomainRequest& req) {
  if (req.spec == nullptr) return absl::InvalidArgumentError("CreateDomainRequest.spec is missing");
  const xenia::v1::DomainSpec& spec = *req.spec;
  if (spec.name().empty() || spec.name().size() > 63) {
    return absl::InvalidArgumentError(absl::StrCat("spec.name must have 1 to 63 characters, got ",
                                                   spec.name().size(), ": \"", spec.name(), "\""));
  }
  if (!spec.uuid().empty() && !IsValidUuid(spec.uuid())) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec.uuid \"", spec.uuid(), "\" is not a UUID (8-4-4-4-12 hex digits)"));
  }
  if (spec.memory_mib() <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec.memory_mib must be positive, got ", spec.memory_mib()));
  }
  if (spec.max_memory_mib() < 0 || spec.vcpus() < 0 || spec.max_vcpus() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "spec.max_memory_mib, spec.vcpus and spec.max_vcpus must not be negative, got ",
        spec.max_memory_mib(), ", ", spec.vcpus(), " and ", spec.max_vcpus()));
  }
  SimDomainRecord record;
  record.name = spec.name();
  record.uuid = spec.uuid().empty() ? NewRandomUuid() : NormalizeUuid(spec.uuid());
  record.type = spec.type() == xenia::v1::DOMAIN_TYPE_UNSPECIFIED ? xenia::v1::PVH : spec.type();
  record.memory_mib = spec.memory_mib();
  record.max_memory_mib = std::max(spec.max_memory_mib(), spec.memory_mib());
  record.timeline.vcpus = spec.vcpus() == 0 ? 1 : spec.vcpus();
  record.max_vcpus = std::max(spec.max_vcpus(), record.timeline.vcpus);
  const std::string uuid = record.uuid;
  absl::StatusOr<std::vector<SimDevice>> devices =
      DevicesFromSpec(spec, [&uuid](int index) { return MacFor(uuid, index); });
  if (!devices.ok()) return devices.status();
  record.devices = *std::move(devices);
  if (record.type == xenia::v1::PVH && !spec.pci_devices().empty()) {
    return absl::InvalidArgumentError(
        "spec.pci_devices: Xen 4.17 cannot pass PCI devices through to PVH guests; use PV or "
        "HVM");
  }
  return record;
}

absl::Status ValidateSimHostConfig(const SimHostConfig& c) {
  auto invalid = [](auto&&... parts) {
    return absl::InvalidArgumentError(absl::StrCat("simulator config: ", parts...));
  };
  if (c.state_file.empty()) return invalid("state_file is required");
  if (c.total_memory_mib <= 0) {
    return invalid("total_memory_mib must be positive, got ", c.total_memory_mib);
  }
  if (c.cpus <= 0) return invalid("cpus must be positive, got ", c.cpus);
  if (c.dom0_memory_mib <= 0 || c.dom0_memory_mib >= c.total_memory_mib) {
    return invalid("dom0_memory_mib (", c.dom0_memory_mib,
                   " MiB) must be positive and smaller than total_memory_mib (", c.total_memory_mib,
                   " MiB)");
  }
  if (c.max_domains < 2 || static_cast<uint32_t>(c.max_domains) > kDomidFirstReserved) {
    return invalid("max_domains must be between 2 and ", kDomidFirstReserved,
                   " (dom0 included), got ", c.max_domains);
  }
  for (const auto& [name, d] :
       {std::pair<absl::string_view, absl::Duration>{"create_time", c.create_time},
        {"boot_time", c.boot_time},
        {"shutdown_time", c.shutdown_time},
        {"device_release_timeout", c.device_release_timeout}}) {
    if (d < absl::ZeroDuration()) {
      return invalid(name, " must not be negative, got ", absl::FormatDuration(d));
    }
  }
  for (const std::string& bdf : c.assignable_pci) {
    if (!IsPciAddress(bdf)) {
      return invalid("assignable_pci: \"", bdf, "\" is not a PCI address ([DDDD:]BB:DD.F)");
    }
  }
  if (c.dirty_bytes_per_second < 0) {
    return invalid("dirty_bytes_per_second must not be negative, got ", c.dirty_bytes_per_second);
  }
  if (c.working_set_pages < 0) {
    return invalid("working_set_pages must not be negative, got ", c.working_set_pages);
  }
  if (!(c.cpu_load >= 0.0 && c.cpu_load <= 1.0)) {
    return invalid("cpu_load must be between 0 and 1 (a fraction of each vCPU), got ", c.cpu_load);
  }
  return absl::OkStatus();
}

absl::Status SimHost::AdmitLocked(const SimDomainRecord& record) const {
  bool name_taken = record.name == "Domain-0" || domid_by_name_.contains(record.name);
  bool uuid_taken =
      record.uuid == "00000000-0000-0000-0000-000000000000" || domid_by_uuid_.contains(record.uuid);
  for (const auto& [domid, reservation] : reservations_) {
    name_taken = name_taken || reservation.name == record.name;
    uuid_taken = uuid_taken || reservation.uuid == record.uuid;
  }
  if (name_taken) {
    return absl::AlreadyExistsError(
        absl::StrCat("a domain named \"", record.name, "\" already exists on the host"));
  }
  if (uuid_taken) {
    return absl::AlreadyExistsError(absl::StrCat("a domain with uuid ", record.uuid,
                                                 " already exists on the host (creating \"",
                                                 record.name, "\")"));
  }
  for (const SimDevice& device : record.devices) {
    if (device.kind != DeviceKind::kPci) continue;
    if (absl::Status s =
            CheckPciFreeLocked(device.Id(), absl::StrCat("domain \"", record.name, "\""));
        !s.ok()) {
      return s;
    }
  }
  const size_t guests = domains_.size() + reservations_.size();
  if (guests + 1 >= static_cast<size_t>(config_.max_domains) || free_slots_.empty()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot create domain \"", record.name, "\": the host already holds ", guests,
                     " domains besides dom0, its maximum (max_domains ", config_.max_domains, ")"));
  }
  const int64_t used_mib = UsedMemoryMibLocked();
  const int64_t free_mib =
      std::max<int64_t>(0, config_.total_memory_mib - config_.dom0_memory_mib - used_mib);
  if (record.memory_mib > free_mib) {
    std::string message = absl::StrFormat(
        "not enough free memory on the host to create domain \"%s\": it needs %d MiB, %d MiB "
        "are free (%d MiB total, %d MiB held by dom0)",
        record.name, record.memory_mib, free_mib, config_.total_memory_mib,
        config_.dom0_memory_mib);
    if (guests > 0) {
      absl::StrAppend(&message, "; ", guests,
                      guests == 1 ? " other domain holds " : " other domains hold ", used_mib,
                      " MiB");
    }
    return absl::ResourceExhaustedError(message);
  }
  return absl::OkStatus();
}

uint32_t SimHost::AllocateDomidLocked() {
  // As Xen does: from where the last allocation stopped, upwards, skipping
  // domids in use, wrapping below DOMID_FIRST_RESERVED. Admission guarantees
  // a free one.
  StateHeader header = file_->header();
  uint32_t domid = header.next_domid;
  for (uint32_t tries = 0; tries < kDomidFirstReserved; ++tries, ++domid) {
    if (domid == 0 || domid >= kDomidFirstReserved) domid = 1;
    if (!domains_.contains(domid) && !reservations_.contains(domid)) break;
  }
  header.next_domid = domid + 1 >= kDomidFirstReserved ? 1 : domid + 1;
  file_->StoreHeader(header);
  return domid;
}

absl::Status SimHost::Reserve(SimDomainRecord& record) {
  absl::Status admitted;
  {
    absl::MutexLock lock(&mu_);
    ApplyDueLocked(clock_.BootNanos());
    admitted = ReserveLocked(record);
  }
  events_.Deliver();
  return admitted;
}

absl::Status SimHost::ReserveLocked(SimDomainRecord& record) {
  if (absl::Status admitted = AdmitLocked(record); !admitted.ok()) return admitted;
  record.domid = AllocateDomidLocked();
  const uint32_t slot = free_slots_.back();
  free_slots_.pop_back();
  Reservation reservation{record.name, record.uuid, record.memory_mib, slot, {}};
  for (const SimDevice& device : record.devices) {
    if (device.kind == DeviceKind::kPci) reservation.pci.push_back(device.Id());
  }
  reservations_[record.domid] = std::move(reservation);
  SimDomainRecord building = record;
  building.state = RunState::kPaused;
  building.timeline.running = false;
  building.timeline.anchor_boot_ns = clock_.BootNanos();
  file_->StoreRecord(slot, building);
  return absl::OkStatus();
}

void SimHost::AbandonLocked(uint32_t domid) {
  const uint32_t slot = reservations_[domid].slot;
  reservations_.erase(domid);
  file_->FreeSlot(slot);
  free_slots_.push_back(slot);
}

absl::StatusOr<DomainFacts> SimHost::CommitLocked(SimDomainRecord record, bool paused) {
  if (absl::Status s = device_files_.Store(record.uuid, record.devices); !s.ok()) {
    AbandonLocked(record.domid);
    return s;
  }
  const uint32_t slot = reservations_[record.domid].slot;
  reservations_.erase(record.domid);
  const int64_t now = clock_.BootNanos();
  record.state = paused ? RunState::kPaused : RunState::kRunning;
  record.shutdown_reason = ShutdownReason::kNone;
  record.timeline.running = !paused;
  record.timeline.anchor_boot_ns = now;
  file_->StoreRecord(slot, record);
  domid_by_name_[record.name] = record.domid;
  domid_by_uuid_[record.uuid] = record.domid;
  NoteScheduleLocked(record);
  DomainFacts facts = FactsAt(record, now);
  domains_.emplace(record.domid, Domain{slot, std::move(record)});
  return facts;
}

absl::Status SimHost::SpendCreateTime(const OpContext& ctx, absl::string_view label) const {
  if (config_.create_time <= absl::ZeroDuration()) return absl::OkStatus();
  absl::Duration budget = config_.create_time;
  const absl::Duration until_deadline = ctx.deadline - clock_.Now();
  const bool deadline_first = until_deadline < budget;
  if (deadline_first) budget = std::max(until_deadline, absl::ZeroDuration());
  absl::Duration slept = absl::ZeroDuration();
  int reported = 0;
  while (slept < budget && !ctx.Cancelled()) {
    const absl::Duration step = std::min(budget - slept, kCancelCheckInterval);
    absl::SleepFor(step);
    slept += step;
    const int percent = static_cast<int>(100 * absl::FDivDuration(slept, config_.create_time));
    if (percent / 10 > reported / 10) {
      reported = percent;
      ctx.Progress(percent, absl::StrCat("building ", label));
    }
  }
  if (ctx.Cancelled()) {
    return absl::CancelledError(
        absl::StrCat("cancelled while building ", label, "; nothing was left behind"));
  }
  if (deadline_first) {
    return absl::DeadlineExceededError(
        absl::StrCat("the deadline passed while building ", label, " (building takes ",
                     absl::FormatDuration(config_.create_time), "); nothing was left behind"));
  }
  return absl::OkStatus();
}

absl::StatusOr<DomainFacts> SimHost::CreateDomain(const OpContext& ctx,
                                                  const CreateDomainRequest& req) {
  if (ctx.Cancelled()) return absl::CancelledError("the operation was cancelled");
  if (clock_.Now() >= ctx.deadline) {
    return absl::DeadlineExceededError("the operation's deadline passed before the build began");
  }
  absl::StatusOr<SimDomainRecord> built = RecordFromSpec(req);
  if (!built.ok()) return built.status();
  // As libxl: every disk it must open in dom0 is there before it builds.
  if (std::vector<std::string> missing = DiskTargetProblems(*req.spec); !missing.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot build ", req.spec->name(), ": ", absl::StrJoin(missing, "; ")));
  }
  SimDomainRecord record = *std::move(built);
  record.timeline.cpu_load_ppm = cpu_load_ppm_;
  record.made_by_xeniad = req.made_by_xeniad;
  record.schedule.boot_ns = DurationNanos(config_.boot_time);
  record.schedule.shutdown_time_ns = DurationNanos(config_.shutdown_time);

  InitMemory(record, config_.dirty_bytes_per_second, config_.working_set_pages);

  if (absl::Status admitted = Reserve(record); !admitted.ok()) return admitted;

  const std::string label = DomainLabel(record);
  ctx.Progress(0, absl::StrCat("building ", label));
  const absl::Status built_in_time = SpendCreateTime(ctx, label);

  DomainFacts facts;
  {
    absl::MutexLock lock(&mu_);
    if (!built_in_time.ok()) {
      // A failed build leaves nothing behind (libxl destroys the domain).
      AbandonLocked(record.domid);
      return built_in_time;
    }
    absl::StatusOr<DomainFacts> committed = CommitLocked(std::move(record), req.start_paused);
    if (!committed.ok()) return committed.status();
    facts = *std::move(committed);
  }
  logger_.Info("simulated domain created", {{"domid", facts.domid},
                                            {"name", facts.name},
                                            {"uuid", facts.uuid},
                                            {"memory_mib", facts.current_memory_kib / 1024},
                                            {"paused", req.start_paused},
                                            {"trace_id", ctx.trace_id}});
  ctx.Progress(100, absl::StrCat("built ", label));
  return facts;
}

}  // namespace xenia::hv
