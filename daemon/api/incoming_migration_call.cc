#include "daemon/api/incoming_migration_call.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logger.h"
#include "daemon/api/status_mapping.h"
#include "daemon/stream/block_digests.h"
#include "daemon/stream/fast_xxhash.h"

namespace xenia {
namespace {

using xenia::v1::MigrationMessage;
using xenia::v1::MigrationReply;

class IncomingMigrationReactor final : public IncomingMigration::Reactor {
 public:
  explicit IncomingMigrationReactor(std::shared_ptr<IncomingMigration> call)
      : call_(std::move(call)) {}

  void OnReadDone(bool ok) override { call_->OnReadDone(ok); }
  void OnWriteDone(bool ok) override { call_->OnWriteDone(ok); }
  void OnCancel() override { call_->OnCancel(); }
  void OnDone() override {
    call_->Detach();
    delete this;
  }

 private:
  std::shared_ptr<IncomingMigration> call_;
};

}  // namespace

IncomingMigration::IncomingMigration(size_t capacity, absl::Duration stall_limit, First first,
                                     Logger* logger)
    : capacity_(capacity), stall_limit_(stall_limit), first_(std::move(first)), logger_(logger) {}

void IncomingMigration::Attach(Reactor* reactor, grpc::CallbackServerContext* ctx) {
  absl::MutexLock lock(&mu_);
  reactor_ = reactor;
  ctx_ = ctx;
}

void IncomingMigration::FailLocked(absl::Status why) {
  if (failed_.ok()) failed_ = std::move(why);
}

bool IncomingMigration::TakeReadLocked() {
  if (reading_ || end_.has_value() || finished_ || reactor_ == nullptr || input_done_) {
    return false;
  }
  if (queue_.size() >= capacity_) {
    read_paused_ = true;
    return false;
  }
  read_paused_ = false;
  reading_ = true;
  ++starts_;
  return true;
}

std::optional<MigrationReply> IncomingMigration::TakeWriteLocked() {
  if (writing_ || replies_.empty() || finished_ || reactor_ == nullptr) return std::nullopt;
  writing_ = true;
  ++starts_;
  MigrationReply reply = std::move(replies_.front());
  replies_.pop_front();
  return reply;
}

std::optional<grpc::Status> IncomingMigration::TakeFinishLocked() {
  if (!end_.has_value() || finished_ || starts_ > 0 || writing_ || !replies_.empty() ||
      reactor_ == nullptr) {
    return std::nullopt;
  }
  finished_ = true;
  return end_;
}

void IncomingMigration::Run(Next next) {
  Reactor* reactor = nullptr;
  {
    absl::MutexLock lock(&mu_);
    reactor = reactor_;
  }
  if (next.first.has_value()) first_(*next.first, shared_from_this());
  // reactor_ stays set while starts_ > 0: no Finish, so no OnDone, before
  // these calls return.
  if (next.read) reactor->StartRead(&incoming_);
  if (next.write.has_value()) {
    outgoing_ = *std::move(next.write);
    reactor->StartWrite(&outgoing_);
  }
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock lock(&mu_);
    if (next.read) --starts_;
    if (next.write.has_value()) --starts_;
    finish = TakeFinishLocked();
  }
  if (next.finish.has_value()) finish = next.finish;
  if (finish.has_value()) reactor->Finish(*finish);
}

void IncomingMigration::Begin() {
  Next next;
  {
    absl::MutexLock lock(&mu_);
    next.read = TakeReadLocked();
    next.finish = TakeFinishLocked();
  }
  Run(std::move(next));
}

void IncomingMigration::AcceptLocked(Next* next) {
  auto protocol = [&](absl::string_view what) {
    const absl::Status bad = absl::InvalidArgumentError(
        absl::StrCat("migration protocol: ", what, " (after ", received_bytes_, " stream bytes)"));
    FailLocked(bad);
    if (!end_.has_value()) end_ = ToGrpcStatus(bad);
    input_done_ = true;
  };
  if (!got_first_) {
    got_first_ = true;
    if (!incoming_.has_begin() && !incoming_.has_resolve()) {
      protocol("the first message must be a Begin or a Resolve");
      return;
    }
    next->first = incoming_;
    if (incoming_.has_resolve()) input_done_ = true;
    return;
  }
  switch (incoming_.message_case()) {
    case MigrationMessage::kStreamData: {
      if (stream_ended_) return protocol("stream_data after stream_end");
      const std::string& data = incoming_.stream_data();
      ++data_messages_;
      if (incoming_.has_stream_data_checksum() &&
          XXH3_64bits(data.data(), data.size()) != incoming_.stream_data_checksum()) {
        // What came before is good; the reader fails once it reaches this.
        // The fingerprints show which part changed on the way, beside the
        // source's own (its debug log has those of every message it sent).
        if (logger_ != nullptr) {
          logger_->Error("migration stream message arrived corrupted",
                         {{"message", data_messages_},
                          {"offset", received_bytes_},
                          {"bytes", data.size()},
                          {"blocks_64k", stream::BlockDigests(data, 64 << 10)},
                          {"pages_4k", stream::BlockDigests(data, 4 << 10)}});
        }
        FailLocked(absl::DataLossError(
            absl::StrCat("stream message #", data_messages_, " (stream bytes ", received_bytes_,
                         " to ", received_bytes_ + static_cast<int64_t>(data.size()),
                         ") arrived corrupted: its checksum does not match its bytes")));
        input_done_ = true;
        return;
      }
      received_bytes_ += static_cast<int64_t>(data.size());
      queue_.Push(std::move(*incoming_.mutable_stream_data()));
      return;
    }
    case MigrationMessage::kStreamEnd:
      stream_ended_ = true;
      return;
    case MigrationMessage::kCommit:
      if (!stream_ended_) return protocol("a Commit before stream_end");
      decision_ = Decision{true, incoming_.commit().digest(), absl::OkStatus()};
      return;
    case MigrationMessage::kAbort:
      decision_ = Decision{false, "",
                           absl::Status(static_cast<absl::StatusCode>(incoming_.abort().code()),
                                        incoming_.abort().message())};
      FailLocked(
          absl::AbortedError(absl::StrCat("the source gave up: ", incoming_.abort().message())));
      return;
    default:
      return protocol("a second Begin or Resolve, or an empty message");
  }
}

void IncomingMigration::OnReadDone(bool ok) {
  Next next;
  {
    absl::MutexLock lock(&mu_);
    reading_ = false;
    if (!ok) {
      input_done_ = true;
      // A cancelled call (the source went away) ends the reads too.
      if (ctx_ != nullptr && ctx_->IsCancelled()) {
        FailLocked(absl::UnavailableError(absl::StrCat(
            "the source went away (the call was cut) after ", received_bytes_, " stream bytes")));
      }
      if (!got_first_) {
        const absl::Status empty =
            absl::InvalidArgumentError("the call ended before its first message (a Begin)");
        if (!end_.has_value()) end_ = ToGrpcStatus(empty);
      } else if (!stream_ended_) {
        FailLocked(absl::UnavailableError(absl::StrCat(
            "the source ended the call after ", received_bytes_, " stream bytes, mid-stream")));
      } else if (!decision_.has_value()) {
        FailLocked(absl::UnavailableError(
            "the source ended the call after the stream without handing the domain over"));
      }
    } else if (!end_.has_value()) {
      AcceptLocked(&next);
    }
    next.read = TakeReadLocked();
    next.finish = TakeFinishLocked();
  }
  Run(std::move(next));
}

void IncomingMigration::OnWriteDone(bool ok) {
  Next next;
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      replies_.clear();
      FailLocked(absl::UnavailableError("a reply could not be sent: the source is gone"));
    }
    next.write = TakeWriteLocked();
    next.finish = TakeFinishLocked();
  }
  Run(std::move(next));
}

bool IncomingMigration::ReadableOrOver() const {
  return !queue_.empty() || stream_ended_ || !failed_.ok();
}

absl::StatusOr<size_t> IncomingMigration::Read(char* buffer, size_t max) {
  Next next;
  absl::StatusOr<size_t> result = size_t{0};
  {
    absl::MutexLock lock(&mu_);
    if (!mu_.AwaitWithTimeout(absl::Condition(this, &IncomingMigration::ReadableOrOver),
                              stall_limit_)) {
      FailLocked(absl::DeadlineExceededError(
          absl::StrCat("the source sent nothing for ", absl::FormatDuration(stall_limit_),
                       " (after ", received_bytes_, " stream bytes) and was cut off")));
      if (ctx_ != nullptr) ctx_->TryCancel();
    }
    if (!queue_.empty()) {
      result = queue_.Pop(buffer, max);
      if (read_paused_ && queue_.size() <= capacity_ / 2) next.read = TakeReadLocked();
    } else if (!failed_.ok()) {
      result = failed_;
    }
  }
  Run(std::move(next));
  return result;
}

bool IncomingMigration::DecidedOrOver() const { return decision_.has_value() || !failed_.ok(); }

absl::StatusOr<IncomingMigration::Decision> IncomingMigration::AwaitDecision(absl::Duration limit) {
  absl::MutexLock lock(&mu_);
  if (!mu_.AwaitWithTimeout(absl::Condition(this, &IncomingMigration::DecidedOrOver), limit)) {
    return absl::DeadlineExceededError(
        absl::StrCat("the source did not hand the domain over within ", absl::FormatDuration(limit),
                     " of the stream being verified"));
  }
  if (decision_.has_value()) return *decision_;
  return failed_;
}

void IncomingMigration::Reply(MigrationReply reply) {
  Next next;
  {
    absl::MutexLock lock(&mu_);
    if (end_.has_value() || finished_) return;
    replies_.push_back(std::move(reply));
    next.write = TakeWriteLocked();
  }
  Run(std::move(next));
}

void IncomingMigration::End(const absl::Status& status) {
  Next next;
  {
    absl::MutexLock lock(&mu_);
    if (!end_.has_value()) end_ = ToGrpcStatus(status);
    FailLocked(status.ok() ? absl::AbortedError("the migration has ended") : status);
    next.finish = TakeFinishLocked();
  }
  Run(std::move(next));
}

void IncomingMigration::OnCancel() {
  Next next;
  {
    absl::MutexLock lock(&mu_);
    const absl::Status gone = absl::UnavailableError(absl::StrCat(
        "the source went away (the call was cut) after ", received_bytes_, " stream bytes"));
    FailLocked(gone);
    replies_.clear();
    if (!end_.has_value()) end_ = ToGrpcStatus(gone);
    next.finish = TakeFinishLocked();
  }
  Run(std::move(next));
}

void IncomingMigration::Detach() {
  absl::MutexLock lock(&mu_);
  FailLocked(absl::UnavailableError("the call has ended"));
  reactor_ = nullptr;
  ctx_ = nullptr;
  finished_ = true;
}

IncomingMigration::Reactor* StartIncomingMigration(grpc::CallbackServerContext* ctx,
                                                   std::shared_ptr<IncomingMigration> call) {
  auto* reactor = new IncomingMigrationReactor(call);
  call->Attach(reactor, ctx);
  call->Begin();
  return reactor;
}

}  // namespace xenia
