// EventStream: one WatchEvents call. It reads the retained events the caller
// has not seen from the hub, then forwards live ones as the hub publishes
// them, one write in flight at a time.
//
// A watcher that falls more than `buffer_limit` events behind is cut off with
// RESOURCE_EXHAUSTED (the daemon and the other watchers never wait for it);
// when the hub closes it ends with UNAVAILABLE. Both messages say which
// sequence to resume after.
//
// Thread-safe: gRPC calls the reactor methods on its threads, the hub calls
// OnEvents/OnClosed on the publishing thread; the stream deletes itself when
// gRPC reports it done.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "daemon/events/event_hub.h"
#include "grpcpp/support/server_callback.h"
#include "xenia/v1/event.pb.h"

namespace xenia {

class EventStream final : public grpc::ServerWriteReactor<xenia::v1::Event>, public EventWatcher {
 public:
  // Subscribes at once; the stream finishes by itself on a bad range.
  EventStream(EventHub& hub, int64_t after_sequence, std::string resource, int buffer_limit);

  // grpc::ServerWriteReactor
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

  // EventWatcher
  bool OnEvents(const std::vector<const xenia::v1::Event*>& events) override;
  void OnClosed(const absl::Status& why) override;

 private:
  // Starts the next write, or the finish, if nothing is in flight. Takes mu_.
  void Pump();
  // Ends the stream with `status` once no write is in flight.
  void EndLocked(absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string ResumeHintLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  EventHub& hub_;
  const std::string resource_;
  const int buffer_limit_;

  absl::Mutex mu_;
  // History still to read: (backlog_after_, live_after_].
  int64_t backlog_after_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t live_after_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<xenia::v1::Event> backlog_ ABSL_GUARDED_BY(mu_);
  // Live events not yet written.
  std::deque<xenia::v1::Event> live_ ABSL_GUARDED_BY(mu_);
  xenia::v1::Event in_flight_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  int64_t last_sent_ ABSL_GUARDED_BY(mu_) = 0;
  // Set once the stream is to end; Finish is called when no write is in flight.
  std::optional<absl::Status> end_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace xenia
