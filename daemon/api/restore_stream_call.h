// RestoreStreamCall: one RestoreDomainFromStream call. The first message
// carries the options; the image's bytes follow. The call reads until it has
// the image's header (which names the domain, and so the queue the restore
// joins), then hands options and header to its `submit` function, which
// starts the operation. The operation's task reads the image from the call's
// source as the caller sends it; at most `capacity` bytes wait in memory,
// and the call reads no further until the task has taken some. A caller that
// sends nothing for `stall_limit` is cut off, and one that goes away leaves a
// truncated stream, which the restore refuses (nothing is left running).
//
// The call ends with the operation: its response is the operation as it
// ended (DONE or FAILED); a bad first message, an image whose header is
// unreadable, or a refused operation end the call with that error.
//
// Thread-safe: the worker calls Read; gRPC calls the reactor on its threads;
// the engine's callback calls End. gRPC is only called outside the source's
// lock, and a read is never started once the finish is decided.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "daemon/api/chunk_queue.h"
#include "daemon/stream/byte_stream.h"
#include "daemon/stream/image_reader.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "xenia/v1/domain_service.pb.h"
#include "xenia/v1/domain_stream.pb.h"
#include "xenia/v1/operation.pb.h"

namespace xenia {

class RestoreStreamSource final : public stream::ByteSource,
                                  public std::enable_shared_from_this<RestoreStreamSource> {
 public:
  using Reactor = grpc::ServerReadReactor<xenia::v1::RestoreDomainFromStreamRequest>;
  // Checks the options alone (before any image byte is read).
  using CheckOptions = std::function<absl::Status(const xenia::v1::RestoreDomainRequest&)>;
  // Starts the operation; it must end the call through End, also when the
  // operation is refused. Called at most once, without the source's lock.
  using Submit =
      std::function<void(const xenia::v1::RestoreDomainRequest& options, stream::ImageHead head,
                         std::shared_ptr<RestoreStreamSource> source)>;

  RestoreStreamSource(size_t capacity, absl::Duration stall_limit, CheckOptions check,
                      Submit submit);

  // ByteSource, on the worker: the image from its first byte; 0 once the
  // caller has closed its side; an error if it went away or stalled.
  absl::StatusOr<size_t> Read(char* buffer, size_t max) override;

  // From the handler: the call's reactor, context and response; then Begin
  // starts reading.
  void Attach(Reactor* reactor, grpc::CallbackServerContext* ctx, xenia::v1::Operation* response);
  void Begin();
  // Ends the call: OK with the operation as it ended, or the error.
  void End(const absl::StatusOr<xenia::v1::Operation>& op);

  // From the reactor.
  void OnReadDone(bool ok);
  void OnCancel();
  void Detach();

 private:
  enum class Phase { kOptions, kHeader, kBody };
  // What OnReadDone decided to do once the lock is released.
  struct Next {
    bool read = false;
    std::optional<grpc::Status> finish;
    std::optional<stream::ImageHead> submit;
  };

  // Takes the message just read; returns the status to end with, if any.
  std::optional<absl::Status> AcceptLocked(Next* next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the call with `status` (and, if OK, `op`) unless it has ended.
  void EndLocked(const absl::Status& status, const xenia::v1::Operation* op)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::optional<grpc::Status> TakeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Decides whether to read on (room in the queue, not ended).
  bool TakeReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Carries out `next` without the lock.
  void Run(Next next) ABSL_LOCKS_EXCLUDED(mu_);
  bool ReadableOrOver() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Fail(absl::Status why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t capacity_;
  const absl::Duration stall_limit_;
  const CheckOptions check_;
  const Submit submit_;

  absl::Mutex mu_;
  Reactor* reactor_ ABSL_GUARDED_BY(mu_) = nullptr;
  grpc::CallbackServerContext* ctx_ ABSL_GUARDED_BY(mu_) = nullptr;
  xenia::v1::Operation* response_ ABSL_GUARDED_BY(mu_) = nullptr;
  // The message gRPC reads into; touched only by the read in flight and its
  // OnReadDone.
  xenia::v1::RestoreDomainFromStreamRequest incoming_;
  Phase phase_ ABSL_GUARDED_BY(mu_) = Phase::kOptions;
  xenia::v1::RestoreDomainRequest options_ ABSL_GUARDED_BY(mu_);
  // Image bytes before the header is complete.
  std::string prefix_ ABSL_GUARDED_BY(mu_);
  ChunkQueue queue_ ABSL_GUARDED_BY(mu_);
  int64_t received_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // A read is in flight / reading waits for room in the queue.
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  // StartRead calls decided but not yet returned: no Finish meanwhile.
  int read_starts_ ABSL_GUARDED_BY(mu_) = 0;
  // The caller closed its side (every byte is queued).
  bool input_done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);
  std::optional<grpc::Status> end_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// Creates the reactor of one call around `source` (which it attaches) and
// starts reading, or finishes at once if `source` was ended already.
grpc::ServerReadReactor<xenia::v1::RestoreDomainFromStreamRequest>* StartRestoreStreamCall(
    grpc::CallbackServerContext* ctx, xenia::v1::Operation* response,
    std::shared_ptr<RestoreStreamSource> source);

}  // namespace xenia
