#include "daemon/migration/destination_link.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logger.h"
#include "daemon/stream/block_digests.h"
#include "daemon/stream/fast_xxhash.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace xenia {
namespace {

using xenia::v1::MigrationMessage;
using xenia::v1::MigrationReply;

// Stream bytes per stream_data message.
constexpr size_t kChunkBytes = size_t{1} << 20;

absl::StatusCode CodeOf(grpc::StatusCode code) { return static_cast<absl::StatusCode>(code); }

std::string PhaseName(MigrationReply::Phase phase) {
  return absl::AsciiStrToLower(MigrationReply::Phase_Name(phase));
}

std::shared_ptr<grpc::Channel> ChannelTo(const DestinationOptions& options) {
  // A connection of its own, closed with the link: nothing of it outlives
  // the migration.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(options.address, grpc::InsecureChannelCredentials(), args);
}

void Authorize(grpc::ClientContext& context, const DestinationOptions& options) {
  context.AddMetadata("authorization", absl::StrCat("Bearer ", options.peer_token));
}

}  // namespace

DestinationLink::DestinationLink(DestinationOptions options) : options_(std::move(options)) {}

DestinationLink::~DestinationLink() {
  if (!ended_ && call_ != nullptr) {
    context_.TryCancel();
    (void)call_->Finish();
  }
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (watchdog_.joinable()) watchdog_.join();
}

absl::StatusOr<std::unique_ptr<DestinationLink>> DestinationLink::Open(
    const DestinationOptions& options, const MigrationMessage::Begin& begin) {
  std::unique_ptr<DestinationLink> link(new DestinationLink(options));
  // No wait for the connection here: the call fails at once when nothing
  // listens, and the watchdog ends it when the connection hangs.
  link->stub_ = xenia::v1::MigrationService::NewStub(ChannelTo(options));
  Authorize(link->context_, options);
  link->call_ = link->stub_->ReceiveMigration(&link->context_);
  {
    absl::MutexLock lock(&link->mu_);
    link->last_progress_ = absl::Now();
  }
  link->watchdog_ = std::thread([raw = link.get()] { raw->Watch(); });
  MigrationMessage message;
  *message.mutable_begin() = begin;
  absl::Status started = link->Send(message);
  if (started.ok()) started = link->Expect(MigrationReply::PREPARED).status();
  if (!started.ok()) return started;
  return link;
}

void DestinationLink::Touch() {
  absl::MutexLock lock(&mu_);
  last_progress_ = absl::Now();
}

void DestinationLink::Watch() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    const absl::Time now = absl::Now();
    std::string reason;
    if (now - last_progress_ >= options_.stall_limit) {
      reason = absl::StrCat("nothing moved to or from the destination for ",
                            absl::FormatDuration(options_.stall_limit));
    } else if (!handing_over_ && options_.cancelled != nullptr && options_.cancelled->load()) {
      reason = "the operation was cancelled";
    }
    if (!reason.empty()) {
      watchdog_reason_ = std::move(reason);
      context_.TryCancel();
      return;
    }
    // Wakes for the stall limit or a cancellation, whichever comes first
    // (cancellation is polled: the flag has no waiter).
    absl::Time wake =
        std::min(last_progress_ + options_.stall_limit, now + absl::Milliseconds(100));
    mu_.AwaitWithDeadline(absl::Condition(&stopping_), wake);
  }
}

absl::Status DestinationLink::Broken(absl::string_view while_doing) {
  ended_ = true;
  // Drain replies so that Finish returns the status the call ended with.
  MigrationReply ignored;
  while (call_->Read(&ignored)) {
  }
  grpc::Status status = call_->Finish();
  std::string watchdog;
  {
    absl::MutexLock lock(&mu_);
    watchdog = watchdog_reason_;
  }
  if (!watchdog.empty()) {
    return absl::Status(
        watchdog == "the operation was cancelled" ? absl::StatusCode::kCancelled
                                                  : absl::StatusCode::kDeadlineExceeded,
        absl::StrCat(watchdog, " (while ", while_doing, ", after ", bytes_sent_, " stream bytes)"));
  }
  if (status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("the destination ", options_.address, " ended the call while ", while_doing));
  }
  const absl::StatusCode code = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                                        status.error_code() == grpc::StatusCode::CANCELLED
                                    ? absl::StatusCode::kUnavailable
                                    : CodeOf(status.error_code());
  std::string what;
  if (code != absl::StatusCode::kUnavailable) {
    what = absl::StrCat("the destination ", options_.address, " refused: ", status.error_message());
  } else if (!replied_) {
    what = absl::StrCat("cannot reach the destination xeniad at ", options_.address, " (",
                        status.error_message(), ")");
  } else {
    what = absl::StrCat("the connection to the destination ", options_.address, " broke (",
                        status.error_message(), ")");
  }
  return absl::Status(
      code, absl::StrCat(what, " while ", while_doing, ", after ", bytes_sent_, " stream bytes"));
}

absl::Status DestinationLink::Send(const MigrationMessage& message) {
  if (ended_) return absl::FailedPreconditionError("the migration call has ended");
  if (!call_->Write(message)) {
    return Broken(message.has_begin()    ? "starting"
                  : message.has_commit() ? "handing over"
                                         : "sending the stream");
  }
  Touch();
  return absl::OkStatus();
}

absl::StatusOr<MigrationReply> DestinationLink::Expect(MigrationReply::Phase want) {
  if (ended_) return absl::FailedPreconditionError("the migration call has ended");
  MigrationReply reply;
  const std::string waiting = absl::StrCat("waiting for ", PhaseName(want));
  if (!call_->Read(&reply)) return Broken(waiting);
  replied_ = true;
  Touch();
  if (reply.phase() != want) {
    Abort(absl::InternalError("unexpected reply"));
    return absl::InternalError(absl::StrCat("the destination ", options_.address, " answered ",
                                            PhaseName(reply.phase()), " while the source was ",
                                            waiting));
  }
  return reply;
}

absl::Status DestinationLink::Write(absl::string_view data) {
  while (!data.empty()) {
    const size_t take = std::min(data.size(), kChunkBytes - pending_.size());
    pending_.append(data.data(), take);
    data.remove_prefix(take);
    if (pending_.size() == kChunkBytes) {
      if (absl::Status s = Flush(); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::Status DestinationLink::Flush() {
  if (pending_.empty()) return absl::OkStatus();
  MigrationMessage message;
  message.set_stream_data(std::move(pending_));
  message.set_stream_data_checksum(
      XXH3_64bits(message.stream_data().data(), message.stream_data().size()));
  pending_.clear();
  const int64_t size = static_cast<int64_t>(message.stream_data().size());
  ++data_messages_;
  if (options_.logger != nullptr && options_.logger->Enabled(LogLevel::kDebug)) {
    options_.logger->Debug("migration stream message sent",
                           {{"message", data_messages_},
                            {"offset", bytes_sent_},
                            {"bytes", size},
                            {"blocks_64k", stream::BlockDigests(message.stream_data(), 64 << 10)}});
  }
  if (absl::Status s = Send(message); !s.ok()) return s;
  bytes_sent_ += size;
  return absl::OkStatus();
}

absl::Status DestinationLink::AwaitVerified() {
  if (absl::Status s = Flush(); !s.ok()) return s;
  MigrationMessage end;
  end.set_stream_end(true);
  if (absl::Status s = Send(end); !s.ok()) return s;
  return Expect(MigrationReply::VERIFIED).status();
}

absl::StatusOr<std::string> DestinationLink::Commit(const std::string& digest) {
  {
    absl::MutexLock lock(&mu_);
    handing_over_ = true;
  }
  MigrationMessage message;
  message.mutable_commit()->set_digest(digest);
  if (absl::Status s = Send(message); !s.ok()) return s;
  absl::StatusOr<MigrationReply> running = Expect(MigrationReply::RUNNING);
  if (!running.ok()) return running.status();
  call_->WritesDone();
  MigrationReply ignored;
  while (call_->Read(&ignored)) {
  }
  ended_ = true;
  (void)call_->Finish();
  return running->domain();
}

void DestinationLink::Abort(const absl::Status& why) {
  if (ended_) return;
  MigrationMessage message;
  message.mutable_abort()->set_code(static_cast<int>(why.code()));
  message.mutable_abort()->set_message(std::string(why.message()));
  if (call_->Write(message)) call_->WritesDone();
  // The destination ends the call once it has discarded its copy; a
  // destination that is gone ends it too.
  MigrationReply ignored;
  while (call_->Read(&ignored)) {
  }
  ended_ = true;
  (void)call_->Finish();
}

absl::StatusOr<MigrationReply> DestinationLink::Resolve(const DestinationOptions& options,
                                                        const std::string& operation, bool commit) {
  std::shared_ptr<grpc::Channel> channel = ChannelTo(options);
  auto stub = xenia::v1::MigrationService::NewStub(channel);
  grpc::ClientContext context;
  Authorize(context, options);
  context.set_deadline(absl::ToChronoTime(absl::Now() + options.resolve_timeout));
  auto call = stub->ReceiveMigration(&context);
  MigrationMessage message;
  message.mutable_resolve()->set_operation(operation);
  message.mutable_resolve()->set_commit(commit);
  MigrationReply reply;
  bool answered = call->Write(message) && call->WritesDone() && call->Read(&reply);
  MigrationReply ignored;
  while (call->Read(&ignored)) {
  }
  grpc::Status status = call->Finish();
  if (!status.ok()) {
    return absl::Status(CodeOf(status.error_code()),
                        absl::StrCat("the destination ", options.address,
                                     " did not take the decision: ", status.error_message()));
  }
  if (!answered) {
    return absl::UnavailableError(
        absl::StrCat("the destination ", options.address, " did not answer the decision"));
  }
  return reply;
}

absl::StatusOr<std::string> DeliverDecision(const std::string& destination,
                                            const std::string& peer_token,
                                            const std::string& operation, bool commit,
                                            absl::Duration patience,
                                            const std::function<bool(absl::Duration)>& wait) {
  DestinationOptions options;
  options.address = destination;
  options.peer_token = peer_token;
  options.resolve_timeout = absl::Seconds(2);
  const absl::Time give_up = absl::Now() + patience;
  absl::Duration backoff = absl::Milliseconds(100);
  while (true) {
    absl::StatusOr<MigrationReply> answer = DestinationLink::Resolve(options, operation, commit);
    if (answer.ok()) return answer->phase() == MigrationReply::RUNNING ? answer->domain() : "";
    if (answer.status().code() == absl::StatusCode::kNotFound) return std::string();
    // A refusal (a copy that is never run there) is final.
    if (answer.status().code() == absl::StatusCode::kFailedPrecondition) return answer.status();
    if (absl::Now() + backoff > give_up) return answer.status();
    if (wait) {
      if (!wait(backoff)) return answer.status();
    } else {
      absl::SleepFor(backoff);
    }
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
}

}  // namespace xenia
