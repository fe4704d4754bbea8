#include "daemon/api/operation_service.h"

#include <atomic>
#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "daemon/api/list_filter.h"
#include "daemon/api/paging.h"
#include "daemon/api/status_mapping.h"
#include "daemon/proto_time.h"

namespace xenia {
namespace {

using xenia::v1::Operation;

constexpr char kService[] = "/xenia.v1.OperationService/";
constexpr absl::Duration kLongestWait = absl::Hours(24);

grpc::ServerUnaryReactor* Fail(grpc::ServerUnaryReactor* reactor, const absl::Status& status) {
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// Answers WaitOperation when the operation is done, its wait runs out, or the
// caller goes away — whichever comes first — without holding a thread.
class WaitReactor final : public grpc::ServerUnaryReactor {
 public:
  WaitReactor(OperationEngine& engine, Operation* response)
      : engine_(engine), response_(response) {}

  void Begin(const std::string& id, absl::Time deadline) {
    uint64_t handle = engine_.Wait(
        id, deadline, [this](absl::StatusOr<Operation> op) { Complete(std::move(op)); });
    handle_.store(handle);
    if (cancelled_.load() && handle != 0 && engine_.CancelWait(handle)) {
      Complete(absl::CancelledError("the caller went away"));
    }
    Unref();
  }

  void OnCancel() override {
    cancelled_.store(true);
    uint64_t handle = handle_.load();
    if (handle != 0 && engine_.CancelWait(handle)) {
      Complete(absl::CancelledError("the caller went away"));
    }
  }
  void OnDone() override { Unref(); }

 private:
  // Deleted once both gRPC (OnDone) and Begin are done with it: the engine
  // may answer, and gRPC finish the call, before Begin returns.
  void Unref() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

  void Complete(absl::StatusOr<Operation> op) {
    if (finished_.exchange(true)) return;
    if (!op.ok()) {
      Finish(ToGrpcStatus(op.status()));
      return;
    }
    *response_ = *std::move(op);
    Finish(grpc::Status::OK);
  }

  OperationEngine& engine_;
  Operation* response_;
  std::atomic<uint64_t> handle_{0};
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> finished_{false};
  std::atomic<int> refs_{2};
};

absl::StatusOr<store::OperationState> ParseState(const std::string& text) {
  Operation::State state;
  if (!Operation::State_Parse(absl::AsciiStrToUpper(text), &state) ||
      state == Operation::STATE_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat(
        "filter: unknown state \"", text, "\" (one of PENDING, RUNNING, DONE, FAILED, CANCELLED)"));
  }
  return static_cast<store::OperationState>(static_cast<int>(state));
}

}  // namespace

OperationServiceImpl::OperationServiceImpl(const CallGate& gate, OperationEngine& engine,
                                           store::Store& store, const ResourceNames& names)
    : gate_(gate), engine_(engine), store_(store), names_(names) {}

grpc::ServerUnaryReactor* OperationServiceImpl::GetOperation(
    grpc::CallbackServerContext* ctx, const xenia::v1::GetOperationRequest* request,
    Operation* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<Caller> caller = gate_.Admit(*ctx, absl::StrCat(kService, "GetOperation"));
  if (!caller.ok()) return Fail(reactor, caller.status());
  absl::StatusOr<std::string> id = names_.ParseOperation("name", request->name());
  if (!id.ok()) return Fail(reactor, id.status());
  absl::StatusOr<Operation> op = engine_.Get(*id);
  if (!op.ok()) return Fail(reactor, op.status());
  *response = *std::move(op);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* OperationServiceImpl::ListOperations(
    grpc::CallbackServerContext* ctx, const xenia::v1::ListOperationsRequest* request,
    xenia::v1::ListOperationsResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<Caller> caller = gate_.Admit(*ctx, absl::StrCat(kService, "ListOperations"));
  if (!caller.ok()) return Fail(reactor, caller.status());
  if (absl::Status s = names_.CheckHost("parent", request->parent()); !s.ok()) {
    return Fail(reactor, s);
  }
  absl::StatusOr<int> page_size = PageSize(request->page_size(), 50, 1000);
  if (!page_size.ok()) return Fail(reactor, page_size.status());
  absl::StatusOr<ListFilter> filter =
      ListFilter::Parse(request->filter(), {"target", "state", "method"});
  if (!filter.ok()) return Fail(reactor, filter.status());
  if (filter->clauses().size() > 1) {
    return Fail(reactor, absl::InvalidArgumentError(
                             "filter: ListOperations accepts comparisons joined by AND only"));
  }
  std::string target;
  int state = 0;
  std::string method;
  if (!filter->empty()) {
    for (const ListFilter::Comparison& c : filter->clauses()[0]) {
      if (!c.equal) {
        return Fail(reactor, absl::InvalidArgumentError(
                                 "filter: ListOperations accepts only = comparisons"));
      }
      if (c.field == "target") {
        absl::StatusOr<std::string> domain = names_.ParseDomain("filter: target", c.value);
        if (!domain.ok()) return Fail(reactor, domain.status());
        target = names_.Domain(*domain);
      } else if (c.field == "state") {
        absl::StatusOr<store::OperationState> s = ParseState(c.value);
        if (!s.ok()) return Fail(reactor, s.status());
        state = static_cast<int>(*s);
      } else {
        method = c.value;
      }
    }
  }
  std::string scope = absl::StrCat("ListOperations\n", request->filter());
  absl::StatusOr<std::string> token = DecodePageToken(request->page_token(), scope);
  if (!token.ok()) return Fail(reactor, token.status());
  store::Store::OperationCursor cursor;
  if (!token->empty()) {
    std::vector<std::string> parts = absl::StrSplit(*token, absl::MaxSplits(':', 1));
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &cursor.create_time_us)) {
      return Fail(reactor, absl::InvalidArgumentError("page_token: malformed"));
    }
    cursor.id = parts[1];
  }
  absl::StatusOr<store::Page<store::OperationRow>> page =
      store_.ListOperations(cursor, *page_size, target, state);
  if (!page.ok()) return Fail(reactor, page.status());
  for (const store::OperationRow& row : page->rows) {
    if (!method.empty() && row.method != method) continue;
    std::optional<Operation> live = engine_.Peek(row.id);
    Operation* out = response->add_operations();
    if (live.has_value()) {
      *out = *std::move(live);
    } else if (!out->ParseFromString(row.body)) {
      return Fail(reactor,
                  absl::DataLossError(absl::StrCat("stored operation ", row.id, " is unreadable")));
    }
  }
  if (page->more && !page->rows.empty()) {
    const store::OperationRow& last = page->rows.back();
    response->set_next_page_token(
        EncodePageToken(scope, absl::StrCat(last.create_time_us, ":", last.id)));
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* OperationServiceImpl::WaitOperation(
    grpc::CallbackServerContext* ctx, const xenia::v1::WaitOperationRequest* request,
    Operation* response) {
  absl::StatusOr<Caller> caller = gate_.Admit(*ctx, absl::StrCat(kService, "WaitOperation"));
  absl::StatusOr<std::string> id =
      caller.ok() ? names_.ParseOperation("name", request->name()) : caller.status();
  absl::Time now = absl::Now();
  absl::Time deadline = now + kLongestWait;
  if (id.ok() && request->has_timeout()) {
    absl::Duration timeout = FromProto(request->timeout());
    if (timeout < absl::ZeroDuration()) {
      id = absl::InvalidArgumentError("timeout: must not be negative");
    } else {
      deadline = std::min(deadline, now + timeout);
    }
  }
  // gRPC says "no deadline" with the largest time point.
  if (ctx->deadline() != std::chrono::system_clock::time_point::max()) {
    deadline = std::min(deadline, absl::FromChrono(ctx->deadline()));
  }
  if (!id.ok()) {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    return Fail(reactor, id.status());
  }
  auto* reactor = new WaitReactor(engine_, response);
  reactor->Begin(*id, deadline);
  return reactor;
}

grpc::ServerUnaryReactor* OperationServiceImpl::CancelOperation(
    grpc::CallbackServerContext* ctx, const xenia::v1::CancelOperationRequest* request,
    Operation* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<Caller> caller = gate_.Admit(*ctx, absl::StrCat(kService, "CancelOperation"));
  if (!caller.ok()) return Fail(reactor, caller.status());
  if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) return Fail(reactor, s);
  absl::StatusOr<std::string> id = names_.ParseOperation("name", request->name());
  if (!id.ok()) return Fail(reactor, id.status());
  engine_.Cancel(*id, request->request_id(), RequestFingerprint(*request),
                 [reactor, response](absl::StatusOr<Operation> op) {
                   if (!op.ok()) {
                     reactor->Finish(ToGrpcStatus(op.status()));
                     return;
                   }
                   *response = *std::move(op);
                   reactor->Finish(grpc::Status::OK);
                 });
  return reactor;
}

}  // namespace xenia
