#include "tests/bench/bench_client.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/bench/stats.h"

namespace xenia::bench {
namespace {

using xenia::v1::Operation;

// No single call of the benchmark should come near these; reaching one means
// the daemon is stuck, and the benchmark stops with DEADLINE_EXCEEDED.
constexpr absl::Duration kCallTimeout = absl::Seconds(60);
constexpr absl::Duration kWaitSlice = absl::Seconds(30);
constexpr absl::Duration kOpTimeout = absl::Seconds(180);

void SetDeadline(grpc::ClientContext* ctx, absl::Duration timeout) {
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout));
}

absl::Status FromGrpc(const grpc::Status& s, absl::string_view what) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(what, ": ", s.error_message()));
}

absl::string_view MethodName(Verb verb) {
  switch (verb) {
    case Verb::kDefine:
      return "CreateDomain";
    case Verb::kStart:
      return "StartDomain";
    case Verb::kDestroy:
      return "DestroyDomain";
    case Verb::kDelete:
      return "DeleteDomain";
  }
  return "?";
}

// The power state a done op leaves the domain in; UNSPECIFIED: no domain in
// the result is required (DeleteDomain).
xenia::v1::PowerState ExpectedPowerState(Verb verb) {
  switch (verb) {
    case Verb::kDefine:
    case Verb::kDestroy:
      return xenia::v1::SHUTOFF;
    case Verb::kStart:
      return xenia::v1::RUNNING;
    case Verb::kDelete:
      break;
  }
  return xenia::v1::POWER_STATE_UNSPECIFIED;
}

bool NamesDomain(const std::string& resource, absl::string_view id) {
  return absl::EndsWith(resource, absl::StrCat("/domains/", id));
}

}  // namespace

absl::string_view VerbName(Verb verb) {
  switch (verb) {
    case Verb::kDefine:
      return "define";
    case Verb::kStart:
      return "start";
    case Verb::kDestroy:
      return "destroy";
    case Verb::kDelete:
      return "delete";
  }
  return "?";
}

std::string DomainResource(absl::string_view id) { return absl::StrCat("hosts/-/domains/", id); }

BenchClient::BenchClient(const std::string& socket) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  channel_ = grpc::CreateCustomChannel(absl::StrCat("unix:", socket),
                                       grpc::InsecureChannelCredentials(), args);
  domains_ = xenia::v1::DomainService::NewStub(channel_);
  operations_ = xenia::v1::OperationService::NewStub(channel_);
  hosts_ = xenia::v1::HostService::NewStub(channel_);
}

absl::Status BenchClient::Connect() {
  auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(30);
  if (!channel_->WaitForConnected(deadline)) {
    return absl::UnavailableError("cannot connect to xeniad's socket within 30 s");
  }
  return GetHost().status();
}

absl::StatusOr<xenia::v1::Host> BenchClient::GetHost() {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kCallTimeout);
  xenia::v1::GetHostRequest req;
  xenia::v1::Host host;
  grpc::Status s = hosts_->GetHost(&ctx, req, &host);
  if (!s.ok()) return FromGrpc(s, "GetHost");
  return host;
}

grpc::Status BenchClient::CallMutation(Verb verb, const std::string& id, Operation* op) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kCallTimeout);
  switch (verb) {
    case Verb::kDefine: {
      xenia::v1::CreateDomainRequest req;
      xenia::v1::DomainSpec* spec = req.mutable_spec();
      spec->set_name(id);
      spec->set_type(xenia::v1::PVH);
      spec->set_memory_mib(64);
      spec->set_vcpus(1);
      req.set_start(false);
      return domains_->CreateDomain(&ctx, req, op);
    }
    case Verb::kStart: {
      xenia::v1::StartDomainRequest req;
      req.set_name(DomainResource(id));
      return domains_->StartDomain(&ctx, req, op);
    }
    case Verb::kDestroy: {
      xenia::v1::DestroyDomainRequest req;
      req.set_name(DomainResource(id));
      return domains_->DestroyDomain(&ctx, req, op);
    }
    case Verb::kDelete: {
      xenia::v1::DeleteDomainRequest req;
      req.set_name(DomainResource(id));
      return domains_->DeleteDomain(&ctx, req, op);
    }
  }
  return grpc::Status(grpc::StatusCode::INTERNAL, "unknown verb");
}

absl::StatusOr<Operation> BenchClient::WaitDone(Operation op, int* waits) {
  absl::Time give_up = absl::Now() + kOpTimeout;
  const std::string name = op.name();
  while (!op.done()) {
    absl::Duration left = give_up - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(absl::StrCat("operation ", name, " not done after ",
                                                      absl::FormatDuration(kOpTimeout),
                                                      "; last seen: ", op.ShortDebugString()));
    }
    absl::Duration slice = std::min(left, kWaitSlice);
    grpc::ClientContext ctx;
    SetDeadline(&ctx, slice + absl::Seconds(5));
    xenia::v1::WaitOperationRequest req;
    req.set_name(name);
    req.mutable_timeout()->set_seconds(absl::ToInt64Seconds(slice));
    req.mutable_timeout()->set_nanos(
        static_cast<int32_t>(absl::ToInt64Nanoseconds(slice % absl::Seconds(1))));
    Operation next;
    grpc::Status s = operations_->WaitOperation(&ctx, req, &next);
    ++*waits;
    if (!s.ok()) return FromGrpc(s, absl::StrCat("WaitOperation(", name, ")"));
    if (next.name() != name) {
      return absl::InternalError(
          absl::StrCat("WaitOperation(", name, ") answered with operation \"", next.name(), "\""));
    }
    op = std::move(next);
  }
  return op;
}

absl::Status BenchClient::RunOp(Verb verb, const std::string& id, OpTrace* trace) {
  Operation op;
  Clock::time_point t0 = Clock::now();
  grpc::Status s = CallMutation(verb, id, &op);
  if (trace != nullptr) trace->rpc_seconds = SecondsBetween(t0, Clock::now());
  std::string what = absl::StrCat(MethodName(verb), "(", id, ")");
  if (!s.ok()) return FromGrpc(s, what);
  if (op.name().empty()) return absl::InternalError(absl::StrCat(what, " returned no Operation"));
  int waits = 0;
  absl::StatusOr<Operation> done = WaitDone(std::move(op), &waits);
  if (trace != nullptr) trace->waits = waits;
  if (!done.ok()) {
    return absl::Status(done.status().code(), absl::StrCat(what, ": ", done.status().message()));
  }
  if (done->state() != Operation::DONE) {
    return absl::AbortedError(absl::StrCat(what, ": operation ", done->name(), " ended ",
                                           Operation::State_Name(done->state()), ": code ",
                                           done->error().code(), ": ", done->error().message()));
  }
  xenia::v1::PowerState want = ExpectedPowerState(verb);
  if (want != xenia::v1::POWER_STATE_UNSPECIFIED) {
    if (!done->has_domain()) {
      return absl::InternalError(
          absl::StrCat(what, ": operation ", done->name(), " is DONE but carries no Domain"));
    }
    if (!NamesDomain(done->domain().name(), id)) {
      return absl::InternalError(absl::StrCat(what, ": operation ", done->name(), " is about \"",
                                              done->domain().name(), "\""));
    }
    xenia::v1::PowerState got = done->domain().status().power_state();
    if (got != want) {
      return absl::InternalError(absl::StrCat(
          what, ": operation ", done->name(), " is DONE but the domain is ",
          xenia::v1::PowerState_Name(got), ", not ", xenia::v1::PowerState_Name(want)));
    }
  }
  return absl::OkStatus();
}

absl::Status BenchClient::GetDomain(const std::string& id, xenia::v1::Domain* out) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kCallTimeout);
  xenia::v1::GetDomainRequest req;
  req.set_name(DomainResource(id));
  grpc::Status s = domains_->GetDomain(&ctx, req, out);
  if (!s.ok()) return FromGrpc(s, absl::StrCat("GetDomain(", id, ")"));
  if (!NamesDomain(out->name(), id)) {
    return absl::InternalError(
        absl::StrCat("GetDomain(", id, ") answered with domain \"", out->name(), "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<ListResult> BenchClient::ListAll(const std::string& filter, int page_size,
                                                std::vector<std::string>* names) {
  ListResult result;
  xenia::v1::ListDomainsRequest req;
  req.set_page_size(page_size);
  req.set_filter(filter);
  xenia::v1::ListDomainsResponse resp;
  while (true) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, kCallTimeout);
    resp.Clear();
    grpc::Status s = domains_->ListDomains(&ctx, req, &resp);
    if (!s.ok()) {
      return FromGrpc(s, absl::StrCat("ListDomains(page ", result.pages + 1, ")"));
    }
    ++result.pages;
    if (resp.domains_size() > page_size) {
      return absl::InternalError(absl::StrCat("ListDomains returned ", resp.domains_size(),
                                              " domains for page_size ", page_size));
    }
    result.domains += resp.domains_size();
    if (names != nullptr) {
      for (const xenia::v1::Domain& d : resp.domains()) {
        size_t slash = d.name().rfind('/');
        names->push_back(slash == std::string::npos ? d.name() : d.name().substr(slash + 1));
      }
    }
    if (resp.next_page_token().empty()) break;
    if (resp.domains_size() == 0) {
      return absl::InternalError("ListDomains returned an empty page with a next_page_token");
    }
    req.set_page_token(resp.next_page_token());
  }
  if (result.domains != resp.total_size()) {
    return absl::InternalError(
        absl::StrCat("ListDomains returned ", result.domains, " domains over ", result.pages,
                     " pages but its last page says total_size ", resp.total_size()));
  }
  return result;
}

}  // namespace xenia::bench
