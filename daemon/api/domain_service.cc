#include "daemon/api/domain_service.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/api/domain_service_internal.h"
#include "daemon/api/list_filter.h"
#include "daemon/api/paging.h"
#include "daemon/api/status_mapping.h"
#include "daemon/domain/domain_proto.h"
#include "daemon/domain/spec_validation.h"
#include "daemon/hypervisor/disk_targets.h"
#include "daemon/operations/domain_tasks.h"
#include "daemon/proto_time.h"

namespace xenia {
namespace domain_service_internal {

std::string FullMethod(const char* method) {
  return absl::StrCat("/xenia.v1.DomainService/", method);
}

// The domain named by a request's `name`: a resource name whose last segment
// could be a Xen domain name at all (otherwise INVALID_ARGUMENT, not
// NOT_FOUND: no such domain can ever exist).
absl::StatusOr<std::string> ParseDomainName(const ResourceNames& names, const std::string& name) {
  absl::StatusOr<std::string> domain = names.ParseDomain("name", name);
  if (!domain.ok()) return domain.status();
  if (absl::Status valid = ValidateDomainName(*domain); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("name: ", valid.message()));
  }
  return domain;
}

// Finishes `reactor` with `status`.
grpc::ServerUnaryReactor* Fail(grpc::ServerUnaryReactor* reactor, const absl::Status& status) {
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// The callback that answers an RPC with the operation the engine admitted.
OperationEngine::OperationCallback Reply(grpc::ServerUnaryReactor* reactor,
                                         xenia::v1::Operation* response) {
  return [reactor, response](absl::StatusOr<xenia::v1::Operation> op) {
    if (!op.ok()) {
      reactor->Finish(ToGrpcStatus(op.status()));
      return;
    }
    *response = *std::move(op);
    reactor->Finish(grpc::Status::OK);
  };
}

absl::Status NotManaged(const std::string& name) {
  return absl::FailedPreconditionError(
      absl::StrCat("domain \"", name, "\" is not managed by xeniad (it was created beside it); ",
                   "take it under management first with `xenia adopt ", name, "`"));
}

}  // namespace domain_service_internal

namespace {

using namespace domain_service_internal;  // NOLINT: this file's own helpers
using xenia::v1::Operation;

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;
constexpr absl::Duration kDefaultShutdownTimeout = absl::Seconds(60);
constexpr absl::Duration kMaxShutdownTimeout = absl::Hours(1);

absl::StatusOr<absl::Duration> ShutdownTimeout(const xenia::v1::ShutdownDomainRequest& r) {
  if (!r.has_timeout()) return kDefaultShutdownTimeout;
  absl::Duration d = FromProto(r.timeout());
  if (d <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("timeout: must be positive, got ", absl::FormatDuration(d)));
  }
  if (d > kMaxShutdownTimeout) {
    return absl::InvalidArgumentError(
        absl::StrCat("timeout: at most 1h, got ", absl::FormatDuration(d)));
  }
  return d;
}

const std::vector<std::string>& DomainFilterFields() {
  static const auto* fields =
      new std::vector<std::string>{"power_state", "name", "managed", "type"};
  return *fields;
}

absl::Status CheckFilterValues(const ListFilter& filter) {
  for (const auto& conjunction : filter.clauses()) {
    for (const ListFilter::Comparison& c : conjunction) {
      if (c.field == "power_state") {
        xenia::v1::PowerState state;
        if (!xenia::v1::PowerState_Parse(absl::AsciiStrToUpper(c.value), &state) ||
            state == xenia::v1::POWER_STATE_UNSPECIFIED) {
          return absl::InvalidArgumentError(absl::StrCat(
              "filter: unknown power_state \"", c.value,
              "\" (one of SHUTOFF, RUNNING, PAUSED, SHUTTING_DOWN, CRASHED, DYING, SUSPENDED, "
              "LOST)"));
        }
      } else if (c.field == "type") {
        xenia::v1::DomainType type;
        if (!xenia::v1::DomainType_Parse(absl::AsciiStrToUpper(c.value), &type)) {
          return absl::InvalidArgumentError(
              absl::StrCat("filter: unknown type \"", c.value, "\" (one of PV, PVH, HVM)"));
        }
      } else if (c.field == "managed" && c.value != "true" && c.value != "false") {
        return absl::InvalidArgumentError("filter: managed is true or false");
      }
    }
  }
  return absl::OkStatus();
}

bool DomainFieldEquals(const DomainEntry& entry, const std::string& field,
                       const std::string& wanted) {
  if (field == "power_state") {
    return absl::EqualsIgnoreCase(xenia::v1::PowerState_Name(entry.status.power_state()), wanted);
  }
  if (field == "name") return GlobMatch(wanted, entry.name());
  if (field == "type")
    return absl::EqualsIgnoreCase(xenia::v1::DomainType_Name(entry.spec.type()), wanted);
  if (field == "managed") return wanted == "true";
  return false;
}

// Whether an unmanaged domain passes a ListDomains filter.
bool UnmanagedFieldEquals(const xenia::v1::Domain& d, const std::string& field,
                          const std::string& wanted) {
  if (field == "power_state") {
    return absl::EqualsIgnoreCase(xenia::v1::PowerState_Name(d.status().power_state()), wanted);
  }
  if (field == "name") return GlobMatch(wanted, d.spec().name());
  if (field == "type")
    return absl::EqualsIgnoreCase(xenia::v1::DomainType_Name(d.spec().type()), wanted);
  if (field == "managed") return wanted == "false";
  return false;
}

}  // namespace

DomainServiceImpl::DomainServiceImpl(const CallGate& gate, OperationEngine& engine,
                                     hv::Hypervisor& hypervisor, const DomainRegistry& registry,
                                     const UnmanagedDomains& unmanaged, const ResourceNames& names,
                                     images::ImageDirectory& images, std::string peer_token)
    : gate_(gate),
      engine_(engine),
      hypervisor_(hypervisor),
      registry_(registry),
      unmanaged_(unmanaged),
      names_(names),
      images_(images),
      image_format_(hypervisor.image_format()),
      peer_token_(std::move(peer_token)) {}

grpc::ServerUnaryReactor* DomainServiceImpl::SubmitVerb(
    grpc::CallbackServerContext* ctx, const char* method, const google::protobuf::Message& request,
    const std::string& name, const std::string& request_id, Operation* response,
    const TaskFactory& make_task) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<Caller> caller = gate_.Admit(*ctx, FullMethod(method));
  if (!caller.ok()) return Fail(reactor, caller.status());
  if (absl::Status s = CheckNoUnknownFields(request); !s.ok()) return Fail(reactor, s);
  if (absl::Status s = CheckRequestId(request_id); !s.ok()) return Fail(reactor, s);
  absl::StatusOr<std::string> domain = ParseDomainName(names_, name);
  if (!domain.ok()) return Fail(reactor, domain.status());
  if (!registry_.ContainsName(*domain) && unmanaged_.Get(*domain).has_value()) {
    return Fail(reactor, NotManaged(*domain));
  }
  absl::StatusOr<std::unique_ptr<OperationTask>> task = make_task();
  if (!task.ok()) return Fail(reactor, task.status());

  OperationRequest op;
  op.method = method;
  op.target = names_.Domain(*domain);
  op.domain_name = *domain;
  op.request_id = request_id;
  op.request = RequestFingerprint(request);
  op.principal = caller->principal;
  op.task = *std::move(task);
  engine_.Submit(std::move(op), Reply(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* DomainServiceImpl::CreateDomain(
    grpc::CallbackServerContext* ctx, const xenia::v1::CreateDomainRequest* request,
    Operation* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<Caller> caller = gate_.Admit(*ctx, FullMethod("CreateDomain"));
  if (!caller.ok()) return Fail(reactor, caller.status());
  if (absl::Status s = CheckNoUnknownFields(*request); !s.ok()) return Fail(reactor, s);
  if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) return Fail(reactor, s);
  if (absl::Status s = names_.CheckHost("parent", request->parent()); !s.ok()) {
    return Fail(reactor, s);
  }
  if (!request->has_spec()) {
    return Fail(reactor, absl::InvalidArgumentError("spec: required"));
  }
  xenia::v1::DomainSpec spec = request->spec();
  if (absl::Status s = ValidateAndDefaultSpec(&spec); !s.ok()) return Fail(reactor, s);
  if (std::vector<std::string> missing = hv::DiskTargetProblems(spec); !missing.empty()) {
    return Fail(reactor, absl::InvalidArgumentError(
                             absl::StrCat("spec.", absl::StrJoin(missing, "; spec."))));
  }
  if (request->validate_only()) {
    if (registry_.ContainsName(spec.name())) {
      return Fail(reactor, absl::AlreadyExistsError(
                               absl::StrCat("domain \"", spec.name(), "\" already exists")));
    }
    response->set_method("CreateDomain");
    response->set_target(names_.Domain(spec.name()));
    response->set_state(Operation::DONE);
    response->set_done(true);
    response->set_progress_message("validated; nothing was changed");
    DomainEntry preview;
    preview.spec = spec;
    preview.status.set_power_state(xenia::v1::SHUTOFF);
    *response->mutable_domain() = ToDomainProto(preview, names_);
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  OperationRequest op;
  op.method = "CreateDomain";
  op.target = names_.Domain(spec.name());
  op.domain_uuid = spec.uuid();
  op.request_id = request->request_id();
  op.request = RequestFingerprint(*request);
  op.principal = caller->principal;
  op.task = MakeCreateDomainTask(std::move(spec), request->start());
  engine_.Submit(std::move(op), Reply(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* DomainServiceImpl::GetDomain(grpc::CallbackServerContext* ctx,
                                                       const xenia::v1::GetDomainRequest* request,
                                                       xenia::v1::Domain* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<Caller> caller = gate_.Admit(*ctx, FullMethod("GetDomain"));
  if (!caller.ok()) return Fail(reactor, caller.status());
  // Unmanaged domains may carry names xeniad would not give (Domain-0), so
  // the name is only checked once nothing answers to it.
  absl::StatusOr<std::string> name = names_.ParseDomain("name", request->name());
  if (!name.ok()) return Fail(reactor, name.status());
  std::optional<DomainEntry> entry = registry_.GetByName(*name);
  if (!entry.has_value()) {
    if (std::optional<hv::DomainFacts> stranger = unmanaged_.Get(*name); stranger.has_value()) {
      *response = UnmanagedDomainProto(*stranger, unmanaged_.observed(), names_);
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }
    absl::StatusOr<std::string> valid = ParseDomainName(names_, request->name());
    if (!valid.ok()) return Fail(reactor, valid.status());
    return Fail(reactor, absl::NotFoundError(absl::StrCat("domain \"", *name, "\" not found")));
  }
  *response = ToDomainProto(*entry, names_);
  response->mutable_status()->set_current_operation(engine_.ActiveOperation(entry->uuid()));
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* DomainServiceImpl::ListDomains(
    grpc::CallbackServerContext* ctx, const xenia::v1::ListDomainsRequest* request,
    xenia::v1::ListDomainsResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<Caller> caller = gate_.Admit(*ctx, FullMethod("ListDomains"));
  if (!caller.ok()) return Fail(reactor, caller.status());
  if (absl::Status s = names_.CheckHost("parent", request->parent()); !s.ok()) {
    return Fail(reactor, s);
  }
  absl::StatusOr<int> page_size = PageSize(request->page_size(), kDefaultPageSize, kMaxPageSize);
  if (!page_size.ok()) return Fail(reactor, page_size.status());
  absl::StatusOr<ListFilter> filter = ListFilter::Parse(request->filter(), DomainFilterFields());
  if (!filter.ok()) return Fail(reactor, filter.status());
  if (absl::Status s = CheckFilterValues(*filter); !s.ok()) return Fail(reactor, s);
  std::string scope = absl::StrCat("ListDomains\n", request->filter());
  absl::StatusOr<std::string> after = DecodePageToken(request->page_token(), scope);
  if (!after.ok()) return Fail(reactor, after.status());

  std::function<bool(const DomainEntry&)> match;
  if (!filter->empty()) {
    match = [&](const DomainEntry& e) {
      return filter->Matches([&](const std::string& field, const std::string& wanted) {
        return DomainFieldEquals(e, field, wanted);
      });
    };
  }
  // Managed domains from the registry and unmanaged ones as last seen, merged
  // in name order (a name can appear twice: a halted definition and a guest
  // of that name started with xl).
  google::protobuf::RepeatedPtrField<xenia::v1::Domain> managed;
  managed.Reserve(*page_size);
  DomainRegistry::PageInfo page =
      registry_.VisitPage(*after, *page_size, match,
                          [&](const DomainEntry& e) { *managed.Add() = ToDomainProto(e, names_); });
  std::vector<xenia::v1::Domain> strangers;
  absl::Time observed = unmanaged_.observed();
  for (const hv::DomainFacts& facts : unmanaged_.After(*after)) {
    if (registry_.GetByUuid(facts.uuid).has_value()) continue;  // adopted meanwhile
    xenia::v1::Domain d = UnmanagedDomainProto(facts, observed, names_);
    bool keep = filter->Matches([&](const std::string& field, const std::string& wanted) {
      return UnmanagedFieldEquals(d, field, wanted);
    });
    if (keep) strangers.push_back(std::move(d));
  }
  int total = page.total + static_cast<int>(strangers.size());
  auto m = managed.begin();
  auto u = strangers.begin();
  while (response->domains_size() < *page_size && (m != managed.end() || u != strangers.end())) {
    bool take_managed =
        u == strangers.end() || (m != managed.end() && m->spec().name() <= u->spec().name());
    *response->add_domains() = take_managed ? std::move(*m++) : std::move(*u++);
  }
  bool more = page.more || m != managed.end() || u != strangers.end();
  // Unmanaged domains before the page count towards the total too.
  if (!after->empty()) {
    for (const hv::DomainFacts& facts : unmanaged_.After("")) {
      if (facts.name > *after) break;
      if (registry_.GetByUuid(facts.uuid).has_value()) continue;
      xenia::v1::Domain d = UnmanagedDomainProto(facts, observed, names_);
      if (filter->Matches([&](const std::string& field, const std::string& wanted) {
            return UnmanagedFieldEquals(d, field, wanted);
          })) {
        ++total;
      }
    }
  }
  response->set_total_size(total);
  if (more && response->domains_size() > 0) {
    response->set_next_page_token(
        EncodePageToken(scope, response->domains(response->domains_size() - 1).spec().name()));
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* DomainServiceImpl::AdoptDomain(
    grpc::CallbackServerContext* ctx, const xenia::v1::AdoptDomainRequest* request,
    Operation* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<Caller> caller = gate_.Admit(*ctx, FullMethod("AdoptDomain"));
  if (!caller.ok()) return Fail(reactor, caller.status());
  if (absl::Status s = CheckNoUnknownFields(*request); !s.ok()) return Fail(reactor, s);
  if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) return Fail(reactor, s);
  absl::StatusOr<std::string> name = names_.ParseDomain("name", request->name());
  if (!name.ok()) return Fail(reactor, name.status());
  std::optional<hv::DomainFacts> stranger = unmanaged_.Get(*name);
  OperationRequest op;
  op.method = "AdoptDomain";
  op.target = names_.Domain(*name);
  op.request_id = request->request_id();
  op.request = RequestFingerprint(*request);
  op.principal = caller->principal;
  if (stranger.has_value() && !registry_.ContainsName(*name)) {
    if (stranger->domid == 0) {
      return Fail(reactor, absl::FailedPreconditionError(
                               "Domain-0 is the control domain; it cannot be adopted"));
    }
    op.domain_uuid = stranger->uuid;
  } else {
    // Already managed (the task refuses it, after the engine has answered a
    // repeat of the request_id), or unknown (NOT_FOUND).
    op.domain_name = *name;
  }
  op.task = MakeAdoptDomainTask(*name);
  engine_.Submit(std::move(op), Reply(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* DomainServiceImpl::DeleteDomain(
    grpc::CallbackServerContext* ctx, const xenia::v1::DeleteDomainRequest* request,
    Operation* response) {
  std::string etag = request->etag();
  return SubmitVerb(ctx, "DeleteDomain", *request, request->name(), request->request_id(), response,
                    [etag]() -> absl::StatusOr<std::unique_ptr<OperationTask>> {
                      return MakeDeleteDomainTask(etag);
                    });
}

grpc::ServerUnaryReactor* DomainServiceImpl::StartDomain(
    grpc::CallbackServerContext* ctx, const xenia::v1::StartDomainRequest* request,
    Operation* response) {
  bool paused = request->paused();
  return SubmitVerb(ctx, "StartDomain", *request, request->name(), request->request_id(), response,
                    [paused]() -> absl::StatusOr<std::unique_ptr<OperationTask>> {
                      return MakeStartDomainTask(paused);
                    });
}

grpc::ServerUnaryReactor* DomainServiceImpl::ShutdownDomain(
    grpc::CallbackServerContext* ctx, const xenia::v1::ShutdownDomainRequest* request,
    Operation* response) {
  return SubmitVerb(ctx, "ShutdownDomain", *request, request->name(), request->request_id(),
                    response, [request]() -> absl::StatusOr<std::unique_ptr<OperationTask>> {
                      absl::StatusOr<absl::Duration> timeout = ShutdownTimeout(*request);
                      if (!timeout.ok()) return timeout.status();
                      return MakeShutdownDomainTask(false, *timeout, request->force());
                    });
}

grpc::ServerUnaryReactor* DomainServiceImpl::RebootDomain(
    grpc::CallbackServerContext* ctx, const xenia::v1::RebootDomainRequest* request,
    Operation* response) {
  return SubmitVerb(ctx, "RebootDomain", *request, request->name(), request->request_id(), response,
                    [request]() -> absl::StatusOr<std::unique_ptr<OperationTask>> {
                      xenia::v1::ShutdownDomainRequest as_shutdown;
                      *as_shutdown.mutable_timeout() = request->timeout();
                      if (!request->has_timeout()) as_shutdown.clear_timeout();
                      absl::StatusOr<absl::Duration> timeout = ShutdownTimeout(as_shutdown);
                      if (!timeout.ok()) return timeout.status();
                      return MakeShutdownDomainTask(true, *timeout, request->force());
                    });
}

grpc::ServerUnaryReactor* DomainServiceImpl::DestroyDomain(
    grpc::CallbackServerContext* ctx, const xenia::v1::DestroyDomainRequest* request,
    Operation* response) {
  return SubmitVerb(
      ctx, "DestroyDomain", *request, request->name(), request->request_id(), response,
      []() -> absl::StatusOr<std::unique_ptr<OperationTask>> { return MakeDestroyDomainTask(); });
}

grpc::ServerUnaryReactor* DomainServiceImpl::PauseDomain(
    grpc::CallbackServerContext* ctx, const xenia::v1::PauseDomainRequest* request,
    Operation* response) {
  return SubmitVerb(
      ctx, "PauseDomain", *request, request->name(), request->request_id(), response,
      []() -> absl::StatusOr<std::unique_ptr<OperationTask>> { return MakePauseDomainTask(); });
}

grpc::ServerUnaryReactor* DomainServiceImpl::UnpauseDomain(
    grpc::CallbackServerContext* ctx, const xenia::v1::UnpauseDomainRequest* request,
    Operation* response) {
  return SubmitVerb(
      ctx, "UnpauseDomain", *request, request->name(), request->request_id(), response,
      []() -> absl::StatusOr<std::unique_ptr<OperationTask>> { return MakeUnpauseDomainTask(); });
}

}  // namespace xenia
