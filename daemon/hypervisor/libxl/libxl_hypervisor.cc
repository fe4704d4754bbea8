#include "daemon/hypervisor/libxl/libxl_hypervisor.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "daemon/hypervisor/libxl/domain_config.h"
#include "daemon/hypervisor/libxl/domain_facts.h"
#include "daemon/hypervisor/libxl/libxl_context.h"
#include "daemon/hypervisor/libxl/libxl_events.h"
#include "daemon/hypervisor/libxl/libxl_status.h"
#include "daemon/hypervisor/libxl/pv_control.h"
#include "daemon/hypervisor/libxl/stored_config.h"
#include "daemon/hypervisor/libxl/xeniad_mark.h"

namespace xenia::hv {
namespace {

// How long the backend waits, when it closes, for libxl to wind up the
// shutdown requests it aborts.
constexpr absl::Duration kAbortWait = absl::Seconds(5);

constexpr char kDom0Name[] = "Domain-0";

// Owns one libxl_dominfo.
class ScopedDominfo {
 public:
  ScopedDominfo() { libxl_dominfo_init(&info_); }
  ~ScopedDominfo() { libxl_dominfo_dispose(&info_); }
  ScopedDominfo(const ScopedDominfo&) = delete;
  ScopedDominfo& operator=(const ScopedDominfo&) = delete;
  libxl_dominfo* get() { return &info_; }
  const libxl_dominfo& operator*() const { return info_; }

 private:
  libxl_dominfo info_;
};

int32_t ClampMib(int64_t kib) {
  return static_cast<int32_t>(std::min<int64_t>(kib / 1024, std::numeric_limits<int32_t>::max()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<LibxlHypervisor>> LibxlHypervisor::Open(const Clock& clock,
                                                                       Logger& logger) {
  absl::StatusOr<std::unique_ptr<LibxlContext>> context = LibxlContext::Open(logger);
  if (!context.ok()) return context.status();
  std::unique_ptr<LibxlHypervisor> hv(new LibxlHypervisor(clock, logger, *std::move(context)));
  absl::StatusOr<std::unique_ptr<LibxlEvents>> events = LibxlEvents::Start(hv->ctx(), logger);
  if (!events.ok()) return events.status();
  hv->events_ = *std::move(events);
  hv->pv_control_ = std::make_unique<PvControlRequests>(hv->ctx(), logger);

  // Watch every domain there is: after a restart of xeniad, this re-arms the
  // watches of the domains it manages.
  absl::StatusOr<std::vector<DomainFacts>> domains = hv->ListDomains(OpContext{});
  if (!domains.ok()) {
    logger.Warn("cannot list the host's domains to watch them", {{"error", domains.status()}});
  }
  absl::StatusOr<HostFacts> host = hv->DescribeHost(OpContext{});
  logger.Info("libxl backend ready",
              {{"version", host.ok() ? host->version : std::string("unknown")},
               {"domains", domains.ok() ? domains->size() : 0},
               {"watched", hv->events_->ArmedCount()}});
  return hv;
}

LibxlHypervisor::LibxlHypervisor(const Clock& clock, Logger& logger,
                                 std::unique_ptr<LibxlContext> context)
    : clock_(clock), logger_(logger), context_(std::move(context)) {}

LibxlHypervisor::~LibxlHypervisor() {
  // Asynchronous operations complete on the event thread, which must still
  // run; an operation left outstanding would make libxl_ctx_free assert.
  if (pv_control_ != nullptr && !pv_control_->AbortAllAndWait(kAbortWait)) {
    logger_.Error("libxl did not wind up the aborted shutdown requests; leaving its context open");
    context_->LeakOnDestruction();
    static_cast<void>(pv_control_.release());  // libxl may still call back into it
  }
  events_.reset();
  pv_control_.reset();
  context_.reset();
}

libxl_ctx* LibxlHypervisor::ctx() const { return context_->get(); }

absl::Status LibxlHypervisor::CheckContext(const OpContext& ctx) const {
  if (ctx.Cancelled()) return absl::CancelledError("the operation was cancelled");
  if (clock_.Now() >= ctx.deadline) {
    return absl::DeadlineExceededError("the operation's deadline passed before the step began");
  }
  return absl::OkStatus();
}

void LibxlHypervisor::RememberType(uint32_t domid, const std::string& uuid,
                                   xenia::v1::DomainType type) {
  absl::MutexLock lock(&types_mu_);
  types_[domid] = KnownType{uuid, type};
}

xenia::v1::DomainType LibxlHypervisor::TypeOf(uint32_t domid, const std::string& uuid,
                                              xenia::v1::DomainType reported) {
  // Xen reports PV guests as such; PVH and HVM guests both as HVM.
  if (reported != xenia::v1::HVM || domid == 0) return reported;
  {
    absl::MutexLock lock(&types_mu_);
    if (auto it = types_.find(domid); it != types_.end() && it->second.uuid == uuid) {
      return it->second.type;
    }
  }
  xenia::v1::DomainType type = reported;
  absl::StatusOr<std::optional<libxl_domain_type>> stored = ReadStoredDomainType(ctx(), domid);
  if (stored.ok() && stored->has_value()) {
    type = DomainTypeFromLibxl(**stored);
  } else if (!stored.ok()) {
    logger_.Debug("cannot read libxl's stored config to tell PVH from HVM",
                  {{"domid", domid}, {"error", stored.status()}});
  }
  RememberType(domid, uuid, type);
  return type;
}

DomainFacts LibxlHypervisor::FactsOf(const libxl_dominfo& info) {
  char* name = libxl_domid_to_name(ctx(), info.domid);
  DomainFacts facts = FactsFromDominfo(info, name != nullptr ? name : "");
  std::free(name);
  facts.type = TypeOf(facts.domid, facts.uuid, facts.type);
  return facts;
}

absl::StatusOr<DomainFacts> LibxlHypervisor::Lookup(const DomainRef& ref) {
  ScopedDominfo info;
  const int rc = libxl_domain_info(ctx(), info.get(), ref.domid);
  if (rc == ERROR_DOMAIN_NOTFOUND) {
    return absl::NotFoundError(absl::StrCat("no domain has domid ", ref.domid));
  }
  if (rc != 0) return LibxlStatus(rc, absl::StrCat("reading the state of domid ", ref.domid));
  DomainFacts facts = FactsOf(*info);
  if (!ref.uuid.empty() && absl::AsciiStrToLower(ref.uuid) != facts.uuid) {
    return absl::NotFoundError(absl::StrFormat(
        "domid %d now holds domain \"%s\" (uuid %s), not uuid %s: the domain you meant no "
        "longer exists",
        facts.domid, facts.name, facts.uuid, ref.uuid));
  }
  events_->Arm(facts.domid, facts.uuid);
  return facts;
}

absl::Status LibxlHypervisor::RequireState(const DomainFacts& facts, RunState needed,
                                           absl::string_view needed_name, absl::string_view step) {
  const std::string label = DomainLabelFor(facts.domid, facts.name);
  if (facts.domid == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(label, " is the control domain; it cannot be ", step));
  }
  if (facts.state == needed) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(label, " is ", StateForMessage(facts),
                                                    "; it must be ", needed_name, " to be ", step));
}

absl::StatusOr<HostFacts> LibxlHypervisor::DescribeHost(const OpContext& ctx) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  libxl_physinfo physinfo;
  libxl_physinfo_init(&physinfo);
  const int rc = libxl_get_physinfo(this->ctx(), &physinfo);
  if (rc != 0) {
    libxl_physinfo_dispose(&physinfo);
    return LibxlStatus(rc, "reading the host's physical facts");
  }
  const libxl_version_info* version = libxl_get_version_info(this->ctx());
  ScopedDominfo dom0;
  const int dom0_rc = libxl_domain_info(this->ctx(), dom0.get(), 0);
  absl::StatusOr<HostFacts> facts;
  if (version == nullptr) {
    facts = absl::InternalError("reading Xen's version: libxl_get_version_info failed");
  } else if (dom0_rc != 0) {
    facts = LibxlStatus(dom0_rc, "reading dom0's memory");
  } else {
    facts = HostFactsFrom(physinfo, *version, (*dom0).current_memkb);
  }
  libxl_physinfo_dispose(&physinfo);
  return facts;
}

absl::StatusOr<std::vector<DomainFacts>> LibxlHypervisor::ListDomains(const OpContext& ctx) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  int count = -1;
  libxl_dominfo* infos = libxl_list_domain(this->ctx(), &count);
  if (infos == nullptr && count != 0) {
    return absl::UnavailableError(
        "listing the host's domains: libxl_list_domain failed; libxl's own messages are in the "
        "daemon's log");
  }
  std::vector<DomainFacts> list;
  list.reserve(static_cast<size_t>(std::max(count, 0)));
  for (int i = 0; i < count; ++i) list.push_back(FactsOf(infos[i]));
  libxl_dominfo_list_free(infos, count);
  std::sort(list.begin(), list.end(),
            [](const DomainFacts& a, const DomainFacts& b) { return a.domid < b.domid; });

  absl::flat_hash_set<uint32_t> present;
  for (const DomainFacts& facts : list) {
    present.insert(facts.domid);
    events_->Arm(facts.domid, facts.uuid);
  }
  absl::MutexLock lock(&types_mu_);
  absl::erase_if(types_, [&](const auto& entry) { return !present.contains(entry.first); });
  return list;
}

absl::StatusOr<DomainFacts> LibxlHypervisor::DescribeDomain(const OpContext& ctx,
                                                            const DomainRef& domain) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  absl::StatusOr<DomainFacts> facts = Lookup(domain);
  if (!facts.ok()) return facts;
  // The balloon target lives in xenstore (memory/target), not in the
  // domain's info; one read, for this one domain.
  uint64_t target_kib = 0;
  if (facts->domid != 0 && libxl_get_memory_target(this->ctx(), facts->domid, &target_kib) == 0) {
    facts->target_memory_kib = static_cast<int64_t>(target_kib);
  }
  return facts;
}

absl::Status LibxlHypervisor::DestroyDomain(const OpContext& ctx, const DomainRef& domain) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  absl::StatusOr<DomainFacts> facts = Lookup(domain);
  if (!facts.ok()) return facts.status();
  const std::string label = DomainLabelFor(facts->domid, facts->name);
  if (facts->domid == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(label, " is the control domain; it cannot be destroyed"));
  }
  events_->ExpectDeath(facts->domid);
  const int rc = libxl_domain_destroy(this->ctx(), facts->domid, nullptr);
  if (rc != 0) {
    events_->UnexpectDeath(facts->domid);
    logger_.Error("libxl_domain_destroy failed",
                  {{"domain", label}, {"rc", rc}, {"trace_id", ctx.trace_id}});
    return LibxlStatus(rc, absl::StrCat("destroying ", label));
  }
  logger_.Info("domain destroyed",
               {{"domid", facts->domid}, {"name", facts->name}, {"trace_id", ctx.trace_id}});
  return absl::OkStatus();
}

absl::Status LibxlHypervisor::PauseDomain(const OpContext& ctx, const DomainRef& domain) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  absl::StatusOr<DomainFacts> facts = Lookup(domain);
  if (!facts.ok()) return facts.status();
  if (absl::Status s = RequireState(*facts, RunState::kRunning, "running", "paused"); !s.ok()) {
    return s;
  }
  const int rc = libxl_domain_pause(this->ctx(), facts->domid, nullptr);
  if (rc != 0) {
    logger_.Error("libxl_domain_pause failed", {{"domid", facts->domid}, {"rc", rc}});
    return LibxlStatus(rc, absl::StrCat("pausing ", DomainLabelFor(facts->domid, facts->name)));
  }
  return absl::OkStatus();
}

absl::Status LibxlHypervisor::UnpauseDomain(const OpContext& ctx, const DomainRef& domain) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  absl::StatusOr<DomainFacts> facts = Lookup(domain);
  if (!facts.ok()) return facts.status();
  if (absl::Status s = RequireState(*facts, RunState::kPaused, "paused", "unpaused"); !s.ok()) {
    return s;
  }
  const int rc = libxl_domain_unpause(this->ctx(), facts->domid, nullptr);
  if (rc != 0) {
    logger_.Error("libxl_domain_unpause failed", {{"domid", facts->domid}, {"rc", rc}});
    return LibxlStatus(rc, absl::StrCat("unpausing ", DomainLabelFor(facts->domid, facts->name)));
  }
  return absl::OkStatus();
}

xenia::v1::DomainSpec LibxlHypervisor::SpecFromFacts(const DomainFacts& facts) {
  xenia::v1::DomainSpec spec;
  spec.set_name(facts.name.empty() && facts.domid == 0 ? kDom0Name : facts.name);
  spec.set_uuid(facts.uuid);
  spec.set_type(facts.type);
  spec.set_memory_mib(ClampMib(facts.current_memory_kib));
  spec.set_max_memory_mib(ClampMib(facts.max_memory_kib));
  spec.set_vcpus(facts.online_vcpus);
  spec.set_max_vcpus(facts.max_vcpus);
  return spec;
}

absl::StatusOr<xenia::v1::DomainSpec> LibxlHypervisor::RetrieveDomainSpec(const OpContext& ctx,
                                                                          const DomainRef& domain) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  absl::StatusOr<DomainFacts> facts = Lookup(domain);
  if (!facts.ok()) return facts.status();
  if (facts->domid == 0) return SpecFromFacts(*facts);
  // libxl_retrieve_domain_configuration reports a domain without a stored
  // config as a plain failure; ask first.
  absl::StatusOr<std::optional<std::string>> stored =
      ReadStoredConfigJson(this->ctx(), facts->domid);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) {
    logger_.Info("libxl holds no configuration of the domain; its spec has only its facts",
                 {{"domid", facts->domid}, {"name", facts->name}});
    return SpecFromFacts(*facts);
  }
  ScopedDomainConfig cfg;
  const int rc = libxl_retrieve_domain_configuration(this->ctx(), facts->domid, cfg.get(), nullptr);
  if (rc != 0) {
    logger_.Error("libxl_retrieve_domain_configuration failed",
                  {{"domid", facts->domid}, {"rc", rc}});
    return LibxlStatus(rc, absl::StrCat("retrieving the configuration of ",
                                        DomainLabelFor(facts->domid, facts->name)));
  }
  absl::StatusOr<xenia::v1::DomainSpec> spec = DomainConfigToSpec(*cfg);
  if (!spec.ok()) {
    return absl::InternalError(absl::StrCat("libxl's configuration of ",
                                            DomainLabelFor(facts->domid, facts->name),
                                            " cannot be read: ", spec.status().message()));
  }
  return spec;
}

absl::StatusOr<bool> LibxlHypervisor::MadeByXeniad(const OpContext& ctx, const DomainRef& domain) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  absl::StatusOr<DomainFacts> facts = Lookup(domain);
  if (!facts.ok()) return facts.status();
  if (facts->domid == 0) return false;
  // The mark is in the config libxl stored at create; the live state that
  // libxl_retrieve_domain_configuration would merge in is not needed.
  ScopedDomainConfig cfg;
  absl::StatusOr<bool> stored = ReadStoredConfig(this->ctx(), facts->domid, cfg.get());
  if (!stored.ok()) return stored.status();
  return *stored && HasXeniadMark(*cfg);
}

void LibxlHypervisor::Watch(DomainEventHandler* handler) { events_->SetHandler(handler); }

}  // namespace xenia::hv
