// IncomingMigration: the destination's end of one ReceiveMigration call
// (api/proto/xenia/v1/migration.proto). The first message (a Begin, or a
// Resolve) goes to the `first` function, which starts the operation that
// serves the call. That operation's task then reads the domain stream from
// the call (ByteSource: the stream_data bytes, ending at stream_end; at most
// `capacity` bytes wait in memory), sends replies, and waits for the
// source's Commit or abort. The call ends with End once the operation has.
//
// A source that goes away, half-closes early or stalls for `stall_limit`
// fails the stream's reads and the wait for its decision.
//
// Thread-safety: the task's worker calls Read, Reply and AwaitDecision; gRPC
// calls the reactor on its threads; the engine's callback calls End. gRPC is
// called only outside the lock.
#pragma once

#include <cstdint>
#include <deque>
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
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "xenia/v1/migration.pb.h"

namespace xenia {

class Logger;

class IncomingMigration final : public stream::ByteSource,
                                public std::enable_shared_from_this<IncomingMigration> {
 public:
  using Reactor = grpc::ServerBidiReactor<xenia::v1::MigrationMessage, xenia::v1::MigrationReply>;
  // Gets the first message; must see that End is called (also on refusal).
  // Called once, without the lock.
  using First = std::function<void(const xenia::v1::MigrationMessage& first,
                                   std::shared_ptr<IncomingMigration> call)>;

  // What the source decided after VERIFIED.
  struct Decision {
    bool commit = false;
    // Commit: the digest the source wrote. Abort: why it gave up.
    std::string digest;
    absl::Status abort;
  };

  // `logger` (may be null) hears of a message refused on its checksum, with
  // fingerprints of its blocks to compare with the source's debug log.
  IncomingMigration(size_t capacity, absl::Duration stall_limit, First first,
                    Logger* logger = nullptr);

  // ByteSource: the stream; 0 after stream_end; an error if the source went
  // away, broke the protocol or stalled.
  absl::StatusOr<size_t> Read(char* buffer, size_t max) override;
  // Sends a reply (queued behind any still in flight).
  void Reply(xenia::v1::MigrationReply reply);
  // Waits up to `limit` for the Commit or abort; an error if the call broke
  // first (UNAVAILABLE) or nothing came (DEADLINE_EXCEEDED).
  absl::StatusOr<Decision> AwaitDecision(absl::Duration limit);

  // Ends the call (after the replies queued before it): OK, or the error.
  void End(const absl::Status& status);

  // From the reactor.
  void Attach(Reactor* reactor, grpc::CallbackServerContext* ctx);
  void Begin();
  void OnReadDone(bool ok);
  void OnWriteDone(bool ok);
  void OnCancel();
  void Detach();

 private:
  // What to do once the lock is released.
  struct Next {
    bool read = false;
    std::optional<xenia::v1::MigrationReply> write;
    std::optional<grpc::Status> finish;
    std::optional<xenia::v1::MigrationMessage> first;
  };

  void AcceptLocked(Next* next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FailLocked(absl::Status why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool TakeReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::optional<xenia::v1::MigrationReply> TakeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::optional<grpc::Status> TakeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run(Next next) ABSL_LOCKS_EXCLUDED(mu_);
  bool ReadableOrOver() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool DecidedOrOver() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t capacity_;
  const absl::Duration stall_limit_;
  const First first_;
  Logger* const logger_;

  mutable absl::Mutex mu_;
  Reactor* reactor_ ABSL_GUARDED_BY(mu_) = nullptr;
  grpc::CallbackServerContext* ctx_ ABSL_GUARDED_BY(mu_) = nullptr;
  // Touched only by the read in flight and its OnReadDone.
  xenia::v1::MigrationMessage incoming_;
  xenia::v1::MigrationReply outgoing_;
  bool got_first_ ABSL_GUARDED_BY(mu_) = false;
  ChunkQueue queue_ ABSL_GUARDED_BY(mu_);
  int64_t received_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t data_messages_ ABSL_GUARDED_BY(mu_) = 0;
  bool stream_ended_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<Decision> decision_ ABSL_GUARDED_BY(mu_);
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  // The source half-closed or the call is over: no more reads.
  bool input_done_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<xenia::v1::MigrationReply> replies_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  // StartRead/StartWrite calls decided but not yet returned: no Finish.
  int starts_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);
  std::optional<grpc::Status> end_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// Creates the reactor of one call around `call` and starts reading (or
// finishes at once if `call` was ended already).
IncomingMigration::Reactor* StartIncomingMigration(grpc::CallbackServerContext* ctx,
                                                   std::shared_ptr<IncomingMigration> call);

}  // namespace xenia
