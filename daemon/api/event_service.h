// EventService: WatchEvents (a server stream per watcher, see EventStream)
// and ListEvents (the retained history, paged), over the EventHub.
//
// Thread-safe: gRPC calls the handlers on its own threads; no handler blocks
// on anything but a short read of the store.
#pragma once

#include "daemon/api/call_gate.h"
#include "daemon/events/event_hub.h"
#include "daemon/resource_names.h"
#include "xenia/v1/event.grpc.pb.h"

namespace xenia {

class EventServiceImpl final : public xenia::v1::EventService::CallbackService {
 public:
  // Everything is borrowed and must outlive the service. A watcher more than
  // `watcher_buffer` events behind is cut off.
  EventServiceImpl(const CallGate& gate, EventHub& hub, const ResourceNames& names,
                   int watcher_buffer);

  grpc::ServerWriteReactor<xenia::v1::Event>* WatchEvents(
      grpc::CallbackServerContext* ctx, const xenia::v1::WatchEventsRequest* request) override;
  grpc::ServerUnaryReactor* ListEvents(grpc::CallbackServerContext* ctx,
                                       const xenia::v1::ListEventsRequest* request,
                                       xenia::v1::ListEventsResponse* response) override;

 private:
  // The resource filter with "-" resolved to this host: "" (everything),
  // "hosts/{host}" or a resource under it. INVALID_ARGUMENT or NOT_FOUND
  // (another host) naming the field.
  absl::StatusOr<std::string> ResolveResource(absl::string_view resource) const;

  const CallGate& gate_;
  EventHub& hub_;
  const ResourceNames& names_;
  const int watcher_buffer_;
};

}  // namespace xenia
