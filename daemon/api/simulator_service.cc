#include "daemon/api/simulator_service.h"

#include "absl/strings/str_cat.h"
#include "daemon/api/status_mapping.h"
#include "daemon/domain/domain_proto.h"
#include "daemon/domain/spec_validation.h"
#include "daemon/operations/domain_lifecycle.h"
#include "daemon/proto_time.h"

namespace xenia {

SimulatorServiceImpl::SimulatorServiceImpl(const CallGate& gate, hv::SimHypervisor* sim,
                                           const DomainRegistry& registry,
                                           UnmanagedDomains& unmanaged, const ResourceNames& names)
    : gate_(gate), sim_(sim), registry_(registry), unmanaged_(unmanaged), names_(names) {}

grpc::ServerUnaryReactor* SimulatorServiceImpl::CreateUnmanagedDomain(
    grpc::CallbackServerContext* ctx, const xenia::v1::CreateUnmanagedDomainRequest* request,
    xenia::v1::CreateUnmanagedDomainResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  auto fail = [reactor](const absl::Status& s) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  };
  absl::StatusOr<Caller> caller =
      gate_.Admit(*ctx, "/xenia.v1.SimulatorService/CreateUnmanagedDomain");
  if (!caller.ok()) return fail(caller.status());
  if (sim_ == nullptr) {
    return fail(absl::FailedPreconditionError(
        "xeniad is not running on the simulated hypervisor; on Xen, use xl create"));
  }
  if (absl::Status s = CheckNoUnknownFields(*request); !s.ok()) return fail(s);
  if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) return fail(s);
  xenia::v1::DomainSpec spec = request->spec();
  if (absl::Status s = ValidateAndDefaultSpec(&spec); !s.ok()) return fail(s);
  hv::CreateDomainRequest create;
  create.spec = &spec;
  // As xl would: straight to the hypervisor, nothing recorded by xeniad.
  absl::StatusOr<hv::DomainFacts> facts = sim_->CreateDomain(hv::OpContext{}, create);
  if (!facts.ok()) return fail(facts.status());
  response->set_domid(static_cast<int32_t>(facts->domid));
  unmanaged_.Put(*std::move(facts));
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* SimulatorServiceImpl::ListSimulatedDomains(
    grpc::CallbackServerContext* ctx, const xenia::v1::ListSimulatedDomainsRequest* request,
    xenia::v1::ListSimulatedDomainsResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  auto fail = [reactor](const absl::Status& s) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  };
  absl::StatusOr<Caller> caller =
      gate_.Admit(*ctx, "/xenia.v1.SimulatorService/ListSimulatedDomains");
  if (!caller.ok()) return fail(caller.status());
  if (sim_ == nullptr) {
    return fail(absl::FailedPreconditionError(
        "xeniad is not running on the simulated hypervisor; on Xen, use xl list"));
  }
  if (absl::Status s = CheckNoUnknownFields(*request); !s.ok()) return fail(s);
  absl::StatusOr<std::vector<hv::DomainFacts>> domains = sim_->ListDomains(hv::OpContext{});
  if (!domains.ok()) return fail(domains.status());
  for (const hv::DomainFacts& facts : *domains) {
    xenia::v1::SimulatedDomain* out = response->add_domains();
    out->set_domid(static_cast<int32_t>(facts.domid));
    out->set_uuid(facts.uuid);
    out->set_name(facts.name);
    out->set_power_state(PowerStateOf(facts));
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* SimulatorServiceImpl::SetGuestBehavior(
    grpc::CallbackServerContext* ctx, const xenia::v1::SetGuestBehaviorRequest* request,
    xenia::v1::SetGuestBehaviorResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  auto fail = [reactor](const absl::Status& s) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  };
  absl::StatusOr<Caller> caller = gate_.Admit(*ctx, "/xenia.v1.SimulatorService/SetGuestBehavior");
  if (!caller.ok()) return fail(caller.status());
  if (sim_ == nullptr) {
    return fail(absl::FailedPreconditionError(
        "xeniad is not running on the simulated hypervisor (start it with --backend sim)"));
  }
  if (absl::Status s = CheckNoUnknownFields(*request); !s.ok()) return fail(s);
  if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) return fail(s);
  std::string fingerprint = RequestFingerprint(*request);
  if (!request->request_id().empty()) {
    absl::MutexLock lock(&mu_);
    auto it = answered_.find(request->request_id());
    if (it != answered_.end()) {
      if (it->second.first != fingerprint) {
        return fail(absl::InvalidArgumentError(
            absl::StrCat("request_id \"", request->request_id(),
                         "\" was already used for a different request")));
      }
      *response = it->second.second;
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }
  }
  absl::StatusOr<std::string> name = names_.ParseDomain("name", request->name());
  if (!name.ok()) return fail(name.status());
  std::optional<DomainEntry> entry = registry_.GetByName(*name);
  if (!entry.has_value()) {
    return fail(absl::NotFoundError(absl::StrCat("domain \"", *name, "\" not found")));
  }
  if (!entry->status.has_domid()) {
    return fail(absl::FailedPreconditionError(absl::StrCat(
        "domain \"", *name, "\" is not running; only a running guest has a behaviour")));
  }
  const xenia::v1::GuestBehavior& in = request->behavior();
  hv::GuestBehavior behavior;
  if (in.has_ignore_shutdown()) behavior.ignore_shutdown = in.ignore_shutdown();
  if (in.has_refuse_device_release()) {
    behavior.refuse_device_release = in.refuse_device_release();
  }
  if (in.has_crash_after()) behavior.crash_after = FromProto(in.crash_after());
  if (in.has_poweroff_after()) behavior.poweroff_after = FromProto(in.poweroff_after());
  if (in.has_shutdown_time()) behavior.shutdown_time = FromProto(in.shutdown_time());
  if (in.has_dirty_bytes_per_second()) {
    behavior.dirty_bytes_per_second = in.dirty_bytes_per_second();
  }
  if (in.has_working_set_pages()) behavior.working_set_pages = in.working_set_pages();
  if (in.has_balloon_floor_bytes()) behavior.balloon_floor_kib = in.balloon_floor_bytes() / 1024;
  if (in.has_balloon_bytes_per_second()) {
    behavior.balloon_kib_per_second = in.balloon_bytes_per_second() / 1024;
  }
  for (const auto& [field, d] : {std::pair{"crash_after", behavior.crash_after},
                                 std::pair{"poweroff_after", behavior.poweroff_after},
                                 std::pair{"shutdown_time", behavior.shutdown_time}}) {
    if (d.has_value() && *d < absl::ZeroDuration()) {
      return fail(
          absl::InvalidArgumentError(absl::StrCat("behavior.", field, ": must not be negative")));
    }
  }
  absl::StatusOr<hv::GuestBehavior> now = sim_->SetGuestBehavior(RefOf(*entry), behavior);
  if (!now.ok()) return fail(now.status());
  xenia::v1::GuestBehavior* out = response->mutable_behavior();
  out->set_ignore_shutdown(now->ignore_shutdown.value_or(false));
  out->set_refuse_device_release(now->refuse_device_release.value_or(false));
  // The simulator says "never" with an infinite duration; the API leaves the
  // field unset.
  auto scheduled = [](const std::optional<absl::Duration>& d) {
    return d.has_value() && *d != absl::InfiniteDuration();
  };
  if (scheduled(now->crash_after)) *out->mutable_crash_after() = ToProto(*now->crash_after);
  if (scheduled(now->poweroff_after))
    *out->mutable_poweroff_after() = ToProto(*now->poweroff_after);
  if (scheduled(now->shutdown_time)) *out->mutable_shutdown_time() = ToProto(*now->shutdown_time);
  if (now->dirty_bytes_per_second.has_value()) {
    out->set_dirty_bytes_per_second(*now->dirty_bytes_per_second);
  }
  if (now->working_set_pages.has_value()) out->set_working_set_pages(*now->working_set_pages);
  if (now->balloon_floor_kib.has_value())
    out->set_balloon_floor_bytes(*now->balloon_floor_kib * 1024);
  if (now->balloon_kib_per_second.has_value()) {
    out->set_balloon_bytes_per_second(*now->balloon_kib_per_second * 1024);
  }
  if (!request->request_id().empty()) {
    absl::MutexLock lock(&mu_);
    answered_[request->request_id()] = {fingerprint, *response};
    answered_order_.push_back(request->request_id());
    if (answered_order_.size() > kMaxRemembered) {
      answered_.erase(answered_order_.front());
      answered_order_.pop_front();
    }
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace xenia
