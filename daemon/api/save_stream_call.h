// SaveStreamCall: one SaveDomainToStream call. The save runs as an operation
// on a worker, which writes the image into the call's sink; the sink hands it
// to gRPC as ImageChunk messages, one write in flight and one chunk being
// filled, so that a slow caller holds the worker back (the guest stays paused
// meanwhile, as it would on a slow disk) instead of filling the daemon's
// memory. A caller that takes nothing for `stall_limit` is cut off.
//
// The call ends when the operation does: OK once every byte has gone out,
// otherwise with the operation's error. A caller that goes away fails the
// sink's writes, so the save fails and the guest runs on.
//
// Thread-safe: the worker calls the sink's ByteSink methods and Drain; gRPC
// calls the reactor on its threads; the engine's callback calls End. Every
// path that starts a write or the finish decides so under the sink's lock and
// calls gRPC outside it, never both at once, so that a reactor method never
// runs under a lock the reactor's own callbacks take.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "daemon/operations/save_restore_tasks.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "xenia/v1/operation.pb.h"
#include "xenia/v1/save_image.pb.h"

namespace xenia {

class SaveStreamSink final : public CallerImageSink {
 public:
  SaveStreamSink(size_t chunk_bytes, absl::Duration stall_limit);

  // ByteSink, on the worker. Write fails once the caller is gone.
  absl::Status Write(absl::string_view data) override;
  absl::Status Flush() override;
  absl::Status Drain() override;

  // From the handler: the call's reactor and context, until Detach.
  void Attach(grpc::ServerWriteReactor<xenia::v1::ImageChunk>* reactor,
              grpc::CallbackServerContext* ctx);
  // Ends the call with `status` once no write is in flight (the first call
  // decides).
  void End(const grpc::Status& status);
  // Ends the call as the operation ended: OK if it is done, its error if it
  // failed, UNAVAILABLE if xeniad stopped first (or the engine's refusal).
  void EndWith(const absl::StatusOr<xenia::v1::Operation>& op);

  // From the reactor.
  void OnWriteDone(bool ok);
  void OnCancel();
  void Detach();

 private:
  // Hands `n` bytes of pending_ to gRPC once the write in flight is done.
  // Takes and returns with mu_ held; releases it while calling gRPC.
  absl::Status SendLocked(size_t n) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits until no write is in flight or the caller is gone, cutting the
  // caller off after stall_limit_.
  void WaitIdleLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool IdleOrFailed() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // If the call is to end and may now: marks it finished and returns the
  // status to finish with (the caller calls Finish outside mu_).
  std::optional<grpc::Status> TakeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Fail(absl::Status why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t chunk_bytes_;
  const absl::Duration stall_limit_;

  absl::Mutex mu_;
  grpc::ServerWriteReactor<xenia::v1::ImageChunk>* reactor_ ABSL_GUARDED_BY(mu_) = nullptr;
  grpc::CallbackServerContext* ctx_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::string pending_ ABSL_GUARDED_BY(mu_);
  xenia::v1::ImageChunk in_flight_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  int64_t sent_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // Why the caller can take no more (OK while it can).
  absl::Status failed_ ABSL_GUARDED_BY(mu_);
  std::optional<grpc::Status> end_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// Creates the reactor of one call around `sink` (which it attaches) and
// returns it for the handler to return to gRPC.
grpc::ServerWriteReactor<xenia::v1::ImageChunk>* StartSaveStreamCall(
    grpc::CallbackServerContext* ctx, std::shared_ptr<SaveStreamSink> sink);

}  // namespace xenia
