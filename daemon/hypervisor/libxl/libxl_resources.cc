// LibxlHypervisor's changes to a running guest's resources, as xl mem-set,
// mem-max and vcpu-set make them.
#include "absl/strings/str_cat.h"
#include "daemon/hypervisor/libxl/domain_facts.h"
#include "daemon/hypervisor/libxl/libxl_hypervisor.h"
#include "daemon/hypervisor/libxl/libxl_status.h"

namespace xenia::hv {
namespace {

bool Live(const DomainFacts& facts) {
  return facts.state == RunState::kRunning || facts.state == RunState::kPaused;
}

}  // namespace

absl::Status LibxlHypervisor::SetMemoryTarget(const OpContext& ctx, const DomainRef& domain,
                                              int64_t target_kib) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  absl::StatusOr<DomainFacts> facts = Lookup(domain);
  if (!facts.ok()) return facts.status();
  if (!Live(*facts) || facts->domid == 0) {
    return RequireState(*facts, RunState::kRunning, "running or paused", "given a memory target");
  }
  // As xl mem-set: an absolute target, enforced (Xen's own limit follows
  // it, so the guest cannot take more than it is given). libxl refuses a
  // target above the domain's static maximum.
  const int rc = libxl_set_memory_target(this->ctx(), facts->domid, target_kib, /*relative=*/0,
                                         /*enforce=*/1);
  if (rc != 0) {
    logger_.Error("libxl_set_memory_target failed",
                  {{"domid", facts->domid}, {"target_kib", target_kib}, {"rc", rc}});
    return LibxlStatus(
        rc, absl::StrCat("setting the memory target of ", DomainLabelFor(facts->domid, facts->name),
                         " to ", target_kib / 1024, " MiB (above its maximum?)"));
  }
  return absl::OkStatus();
}

absl::Status LibxlHypervisor::SetMaxMemory(const OpContext& ctx, const DomainRef& domain,
                                           int64_t max_kib) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  absl::StatusOr<DomainFacts> facts = Lookup(domain);
  if (!facts.ok()) return facts.status();
  if (!Live(*facts) || facts->domid == 0) {
    return RequireState(*facts, RunState::kRunning, "running or paused", "given a maximum memory");
  }
  uint64_t target_kib = 0;
  if (libxl_get_memory_target(this->ctx(), facts->domid, &target_kib) == 0 &&
      static_cast<uint64_t>(max_kib) < target_kib) {
    return absl::FailedPreconditionError(
        absl::StrCat("a maximum of ", max_kib / 1024, " MiB is below ",
                     DomainLabelFor(facts->domid, facts->name), "'s memory target (",
                     target_kib / 1024, " MiB); lower the target first"));
  }
  const int rc = libxl_domain_setmaxmem(this->ctx(), facts->domid, static_cast<uint64_t>(max_kib));
  if (rc != 0) {
    logger_.Error("libxl_domain_setmaxmem failed",
                  {{"domid", facts->domid}, {"max_kib", max_kib}, {"rc", rc}});
    return LibxlStatus(rc, absl::StrCat("setting the maximum memory of ",
                                        DomainLabelFor(facts->domid, facts->name)));
  }
  return absl::OkStatus();
}

absl::Status LibxlHypervisor::SetOnlineVcpus(const OpContext& ctx, const DomainRef& domain,
                                             int32_t vcpus) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  absl::StatusOr<DomainFacts> facts = Lookup(domain);
  if (!facts.ok()) return facts.status();
  if (!Live(*facts) || facts->domid == 0) {
    return RequireState(*facts, RunState::kRunning, "running or paused", "given vCPUs");
  }
  if (vcpus < 1 || vcpus > facts->max_vcpus) {
    return absl::FailedPreconditionError(absl::StrCat(DomainLabelFor(facts->domid, facts->name),
                                                      " can have 1 to ", facts->max_vcpus,
                                                      " vCPUs online, not ", vcpus));
  }
  libxl_bitmap online;
  libxl_bitmap_init(&online);
  int rc = libxl_bitmap_alloc(this->ctx(), &online, facts->max_vcpus);
  if (rc == 0) {
    for (int i = 0; i < vcpus; ++i) libxl_bitmap_set(&online, i);
    rc = libxl_set_vcpuonline(this->ctx(), facts->domid, &online, nullptr);
  }
  libxl_bitmap_dispose(&online);
  if (rc != 0) {
    logger_.Error("libxl_set_vcpuonline failed",
                  {{"domid", facts->domid}, {"vcpus", vcpus}, {"rc", rc}});
    return LibxlStatus(rc, absl::StrCat("setting the online vCPUs of ",
                                        DomainLabelFor(facts->domid, facts->name), " to ", vcpus));
  }
  return absl::OkStatus();
}

}  // namespace xenia::hv
