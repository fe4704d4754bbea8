// DestinationLink: the source's end of one ReceiveMigration call to the
// destination xeniad (api/proto/xenia/v1/migration.proto). Open sends the
// Begin and waits for PREPARED; the link is then the ByteSink the domain
// stream is written to (1 MiB stream_data messages, gRPC's flow control
// holding the writer back); AwaitVerified and Commit carry out the
// hand-over. Every error names the destination and what happened, and keeps
// the status code the destination gave (or UNAVAILABLE when the call
// broke, DEADLINE_EXCEEDED when it stalled, CANCELLED when the operation
// was).
//
// A watchdog cancels the call when nothing moves for `stall_limit`, or when
// `cancelled` becomes true before the hand-over began.
//
// Thread-safety: one thread (the operation's worker) uses the link; the
// watchdog is its own thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "daemon/stream/byte_stream.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/sync_stream.h"
#include "xenia/v1/migration.grpc.pb.h"

namespace xenia {

class Logger;

struct DestinationOptions {
  // "HOST:PORT" of the destination xeniad's TCP listener.
  std::string address;
  // The fleet's peer token (config.peer_token_file).
  std::string peer_token;
  // How long a Resolve call may take.
  absl::Duration resolve_timeout = absl::Seconds(10);
  absl::Duration stall_limit = absl::Seconds(60);
  // The operation's cancellation flag; may be null.
  const std::atomic<bool>* cancelled = nullptr;
  // At debug level, hears of every stream message sent, with fingerprints of
  // its 64 KiB blocks (to find where a message the destination refused on
  // its checksum changed). May be null.
  Logger* logger = nullptr;
};

class DestinationLink final : public stream::ByteSink {
 public:
  static absl::StatusOr<std::unique_ptr<DestinationLink>> Open(
      const DestinationOptions& options, const xenia::v1::MigrationMessage::Begin& begin);
  ~DestinationLink() override;

  // ByteSink: the domain stream.
  absl::Status Write(absl::string_view data) override;
  absl::Status Flush() override;

  // Waits for VERIFIED once the whole stream is written.
  absl::Status AwaitVerified();
  // Sends the Commit and waits for RUNNING; returns the domain's name there.
  absl::StatusOr<std::string> Commit(const std::string& digest);
  // Tells the destination to discard what it received (best effort) and
  // ends the call.
  void Abort(const absl::Status& why);

  int64_t bytes_sent() const { return bytes_sent_; }

  // One Resolve call (see migration.proto): delivers the source's decision
  // on `operation`. Returns the destination's answer: RUNNING (with the
  // domain's name there) or DISCARDED.
  static absl::StatusOr<xenia::v1::MigrationReply> Resolve(const DestinationOptions& options,
                                                           const std::string& operation,
                                                           bool commit);

 private:
  explicit DestinationLink(DestinationOptions options);
  // Sends one message; on failure, the call's status.
  absl::Status Send(const xenia::v1::MigrationMessage& message);
  // Reads the next reply, which must be `want`.
  absl::StatusOr<xenia::v1::MigrationReply> Expect(xenia::v1::MigrationReply::Phase want);
  // The call's final status, as an error naming the destination.
  absl::Status Broken(absl::string_view while_doing);
  void Touch();
  void Watch();

  const DestinationOptions options_;
  std::unique_ptr<xenia::v1::MigrationService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<xenia::v1::MigrationMessage, xenia::v1::MigrationReply>>
      call_;
  std::string pending_;
  int64_t bytes_sent_ = 0;
  int64_t data_messages_ = 0;
  bool ended_ = false;
  // The destination has answered once (it was reached).
  bool replied_ = false;

  absl::Mutex mu_;
  absl::Time last_progress_ ABSL_GUARDED_BY(mu_);
  bool handing_over_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::string watchdog_reason_ ABSL_GUARDED_BY(mu_);
  std::thread watchdog_;
};

// Delivers the source's decision on `operation` (a Resolve call), retried
// with backoff for up to `patience` while the destination cannot be reached
// (it may be restarting); `wait` does the waiting between tries and returns
// false to give up early (default: sleep). A destination with nothing waiting
// answers NOT_FOUND, which counts as delivered. Returns the domain's name
// there if it runs the guest, or "" (discarded, or nothing was waiting).
absl::StatusOr<std::string> DeliverDecision(
    const std::string& destination, const std::string& peer_token, const std::string& operation,
    bool commit, absl::Duration patience,
    const std::function<bool(absl::Duration)>& wait = nullptr);

}  // namespace xenia
