#include "daemon/api/event_service.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "daemon/api/event_stream.h"
#include "daemon/api/paging.h"
#include "daemon/api/status_mapping.h"

namespace xenia {
namespace {

constexpr char kService[] = "/xenia.v1.EventService/";

// Finishes a stream at once with an error (the call never subscribes).
class FailedStream final : public grpc::ServerWriteReactor<xenia::v1::Event> {
 public:
  explicit FailedStream(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

EventServiceImpl::EventServiceImpl(const CallGate& gate, EventHub& hub, const ResourceNames& names,
                                   int watcher_buffer)
    : gate_(gate), hub_(hub), names_(names), watcher_buffer_(watcher_buffer) {}

absl::StatusOr<std::string> EventServiceImpl::ResolveResource(absl::string_view resource) const {
  if (resource.empty()) return std::string();
  std::vector<std::string> parts = absl::StrSplit(resource, '/');
  if (parts.size() < 2 || parts[0] != "hosts") {
    return absl::InvalidArgumentError(
        absl::StrCat("resource: \"", resource,
                     "\" is not a resource name (hosts/{host}, hosts/{host}/domains/{name}, ...)"));
  }
  if (absl::Status s = names_.CheckHost("resource", absl::StrCat("hosts/", parts[1])); !s.ok()) {
    return s;
  }
  parts[1] = names_.host_id();
  for (const std::string& part : parts) {
    if (part.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("resource: \"", resource, "\" has an empty segment"));
    }
  }
  return absl::StrJoin(parts, "/");
}

grpc::ServerWriteReactor<xenia::v1::Event>* EventServiceImpl::WatchEvents(
    grpc::CallbackServerContext* ctx, const xenia::v1::WatchEventsRequest* request) {
  absl::StatusOr<Caller> caller = gate_.Admit(*ctx, absl::StrCat(kService, "WatchEvents"));
  if (!caller.ok()) return new FailedStream(caller.status());
  if (absl::Status s = CheckNoUnknownFields(*request); !s.ok()) return new FailedStream(s);
  absl::StatusOr<std::string> resource = ResolveResource(request->resource());
  if (!resource.ok()) return new FailedStream(resource.status());
  return new EventStream(hub_, request->after_sequence(), *std::move(resource), watcher_buffer_);
}

grpc::ServerUnaryReactor* EventServiceImpl::ListEvents(grpc::CallbackServerContext* ctx,
                                                       const xenia::v1::ListEventsRequest* request,
                                                       xenia::v1::ListEventsResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  auto fail = [reactor](const absl::Status& status) {
    reactor->Finish(ToGrpcStatus(status));
    return reactor;
  };
  absl::StatusOr<Caller> caller = gate_.Admit(*ctx, absl::StrCat(kService, "ListEvents"));
  if (!caller.ok()) return fail(caller.status());
  if (absl::Status s = CheckNoUnknownFields(*request); !s.ok()) return fail(s);
  absl::StatusOr<int> page_size = PageSize(request->page_size(), 100, 1000);
  if (!page_size.ok()) return fail(page_size.status());
  absl::StatusOr<std::string> resource = ResolveResource(request->resource());
  if (!resource.ok()) return fail(resource.status());
  if (request->after_sequence() < 0) {
    return fail(absl::InvalidArgumentError(
        absl::StrCat("after_sequence must be 0 (from the oldest kept) or a sequence, got ",
                     request->after_sequence())));
  }
  const std::string scope =
      absl::StrCat("ListEvents\n", *resource, "\n", request->after_sequence());
  absl::StatusOr<std::string> token = DecodePageToken(request->page_token(), scope);
  if (!token.ok()) return fail(token.status());
  int64_t after = request->after_sequence();
  if (!token->empty() && !absl::SimpleAtoi(*token, &after)) {
    return fail(absl::InvalidArgumentError("page_token: malformed"));
  }
  // One more than asked for tells whether another page follows.
  const int64_t up_to = hub_.last_sequence();
  absl::StatusOr<std::vector<xenia::v1::Event>> events =
      hub_.Read(after, up_to, *page_size + 1, *resource);
  if (!events.ok()) return fail(events.status());
  const bool more = static_cast<int>(events->size()) > *page_size;
  if (more) events->resize(*page_size);
  for (xenia::v1::Event& event : *events) *response->add_events() = std::move(event);
  if (more) {
    response->set_next_page_token(
        EncodePageToken(scope, absl::StrCat(response->events().rbegin()->sequence())));
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace xenia
