// LibxlHypervisor::CreateDomain: the admission checks xl makes before it
// builds (name, uuid, memory), the build, and the unpause.
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/uuid.h"
#include "daemon/hypervisor/libxl/domain_config.h"
#include "daemon/hypervisor/libxl/domain_facts.h"
#include "daemon/hypervisor/libxl/libxl_events.h"
#include "daemon/hypervisor/libxl/libxl_hypervisor.h"
#include "daemon/hypervisor/libxl/libxl_status.h"
#include "daemon/hypervisor/libxl/xeniad_mark.h"

namespace xenia::hv {
namespace {

int64_t KibToMibUp(uint64_t kib) { return static_cast<int64_t>((kib + 1023) / 1024); }
int64_t KibToMib(uint64_t kib) { return static_cast<int64_t>(kib / 1024); }

}  // namespace

bool LibxlHypervisor::AcquireCreateSlot(absl::Time deadline) {
  creates_mu_.LockWhenWithDeadline(absl::Condition(
                                       +[](bool* creating) { return !*creating; }, &creating_),
                                   deadline);
  const bool acquired = !creating_;
  if (acquired) creating_ = true;
  creates_mu_.Unlock();
  return acquired;
}

void LibxlHypervisor::ReleaseCreateSlot() {
  absl::MutexLock lock(&creates_mu_);
  creating_ = false;
}

absl::Status LibxlHypervisor::Admit(const xenia::v1::DomainSpec& spec, libxl_domain_config* cfg) {
  uint32_t existing = 0;
  if (libxl_name_to_domid(ctx(), spec.name().c_str(), &existing) == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("a domain named \"", spec.name(), "\" already exists on the host"));
  }
  int count = -1;
  libxl_dominfo* infos = libxl_list_domain(ctx(), &count);
  if (infos == nullptr && count != 0) {
    return absl::UnavailableError(
        absl::StrCat("listing the host's domains before creating \"", spec.name(),
                     "\": libxl_list_domain failed; libxl's own messages are in the daemon's log"));
  }
  bool uuid_taken = false;
  int others = 0;
  uint64_t others_kib = 0;
  for (int i = 0; i < count; ++i) {
    uuid_taken = uuid_taken || libxl_uuid_compare(&infos[i].uuid, &cfg->c_info.uuid) == 0;
    if (infos[i].domid != 0) {
      ++others;
      others_kib += infos[i].current_memkb;
    }
  }
  libxl_dominfo_list_free(infos, count);
  if (uuid_taken) {
    return absl::AlreadyExistsError(absl::StrCat("a domain with uuid ", spec.uuid(),
                                                 " already exists on the host (creating \"",
                                                 spec.name(), "\")"));
  }

  // As xl's freemem(), without ballooning dom0 down: libxl's estimate of
  // what the domain needs (its memory plus Xen's overheads) must be free.
  uint64_t need_kib = 0;
  int rc = libxl_domain_need_memory(ctx(), cfg, INVALID_DOMID, &need_kib);
  if (rc != 0) {
    return LibxlStatus(rc, absl::StrCat("computing the memory domain \"", spec.name(), "\" needs"));
  }
  uint64_t free_kib = 0;
  rc = libxl_get_free_memory(ctx(), &free_kib);
  if (rc != 0) return LibxlStatus(rc, "reading the host's free memory");
  if (need_kib <= free_kib) return absl::OkStatus();

  absl::StatusOr<HostFacts> host = DescribeHost(OpContext{});
  std::string message = absl::StrFormat(
      "not enough free memory on the host to create domain \"%s\": it needs %d MiB, %d MiB "
      "are free (%d MiB total, %d MiB held by dom0)",
      spec.name(), KibToMibUp(need_kib), KibToMib(free_kib),
      host.ok() ? host->total_memory_kib / 1024 : 0, host.ok() ? host->dom0_memory_kib / 1024 : 0);
  if (others > 0) {
    absl::StrAppend(&message, "; ", others,
                    others == 1 ? " other domain holds " : " other domains hold ",
                    KibToMib(others_kib), " MiB");
  }
  return absl::ResourceExhaustedError(message);
}

void LibxlHypervisor::DestroyLeftover(uint32_t domid, const std::string& uuid) {
  if (!libxl_domid_valid_guest(domid)) return;
  libxl_dominfo info;
  libxl_dominfo_init(&info);
  const int info_rc = libxl_domain_info(ctx(), &info, domid);
  const bool ours = info_rc == 0 && UuidToString(info.uuid) == uuid;
  libxl_dominfo_dispose(&info);
  if (!ours) return;  // libxl cleaned up itself
  events_->ExpectDeath(domid);
  const int rc = libxl_domain_destroy(ctx(), domid, nullptr);
  if (rc != 0) {
    events_->UnexpectDeath(domid);
    logger_.Error("cannot destroy what a failed create left behind; destroy it by hand",
                  {{"domid", domid}, {"uuid", uuid}, {"rc", rc}, {"error", LibxlErrorName(rc)}});
    return;
  }
  logger_.Warn("destroyed what a failed create left behind", {{"domid", domid}, {"uuid", uuid}});
}

absl::StatusOr<DomainFacts> LibxlHypervisor::CreateDomain(const OpContext& ctx,
                                                          const CreateDomainRequest& req) {
  if (ctx.Cancelled()) return absl::CancelledError("the operation was cancelled");
  if (clock_.Now() >= ctx.deadline) {
    return absl::DeadlineExceededError("the operation's deadline passed before the build began");
  }
  if (req.spec == nullptr) return absl::InvalidArgumentError("CreateDomainRequest.spec is missing");
  xenia::v1::DomainSpec spec = *req.spec;
  if (spec.uuid().empty()) spec.set_uuid(NewRandomUuid());
  if (IsValidUuid(spec.uuid())) spec.set_uuid(NormalizeUuid(spec.uuid()));
  ScopedDomainConfig cfg;
  if (absl::Status s = SpecToDomainConfig(spec, cfg.get()); !s.ok()) return s;
  if (req.made_by_xeniad) AddXeniadMark(cfg.get());
  const std::string label = absl::StrCat("domain \"", spec.name(), "\"");

  if (!AcquireCreateSlot(ctx.deadline)) {
    return absl::DeadlineExceededError(
        absl::StrCat("the deadline passed while another domain was being built, before ", label,
                     " could be; nothing was built"));
  }
  uint32_t domid = INVALID_DOMID;
  absl::Status status = Admit(spec, cfg.get());
  if (status.ok() && ctx.Cancelled()) {
    status = absl::CancelledError(absl::StrCat("cancelled before ", label, " was built"));
  }
  if (status.ok()) {
    ctx.Progress(10, absl::StrCat("building ", label));
    // Synchronous: returns when the domain is built (paused) or has failed,
    // in which case libxl has destroyed what it had built.
    const int rc = libxl_domain_create_new(this->ctx(), cfg.get(), &domid, nullptr, nullptr);
    if (rc != 0) {
      logger_.Error("libxl_domain_create_new failed",
                    {{"domain", spec.name()}, {"rc", rc}, {"trace_id", ctx.trace_id}});
      DestroyLeftover(domid, spec.uuid());
      status = LibxlStatus(rc, absl::StrCat("building ", label));
    }
  }
  ReleaseCreateSlot();
  if (!status.ok()) return status;

  RememberType(domid, spec.uuid(), DomainTypeFromLibxl(cfg.get()->c_info.type));
  events_->Arm(domid, spec.uuid());
  if (!req.start_paused) {
    const int rc = libxl_domain_unpause(this->ctx(), domid, nullptr);
    if (rc != 0) {
      logger_.Error("libxl_domain_unpause failed after the build",
                    {{"domain", spec.name()}, {"domid", domid}, {"rc", rc}});
      DestroyLeftover(domid, spec.uuid());
      return LibxlStatus(rc, absl::StrCat("starting ", label, " after building it"));
    }
  }
  logger_.Info("domain created", {{"domid", domid},
                                  {"name", spec.name()},
                                  {"uuid", spec.uuid()},
                                  {"memory_mib", spec.memory_mib()},
                                  {"paused", req.start_paused},
                                  {"trace_id", ctx.trace_id}});
  ctx.Progress(100, absl::StrCat("built ", label));

  absl::StatusOr<DomainFacts> facts = Lookup(DomainRef{domid, spec.uuid()});
  if (facts.ok()) return facts;
  // The domain exists; say so even if reading it back failed.
  logger_.Warn("cannot read a domain just created", {{"domid", domid}, {"error", facts.status()}});
  DomainFacts built;
  built.domid = domid;
  built.uuid = spec.uuid();
  built.name = spec.name();
  built.state = req.start_paused ? RunState::kPaused : RunState::kRunning;
  built.current_memory_kib = int64_t{spec.memory_mib()} * 1024;
  built.max_memory_kib = static_cast<int64_t>(cfg.get()->b_info.max_memkb);
  built.online_vcpus = spec.vcpus() == 0 ? 1 : spec.vcpus();
  built.max_vcpus = cfg.get()->b_info.max_vcpus;
  built.type = DomainTypeFromLibxl(cfg.get()->c_info.type);
  return built;
}

}  // namespace xenia::hv
