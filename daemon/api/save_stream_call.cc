#include "daemon/api/save_stream_call.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/api/status_mapping.h"

namespace xenia {
namespace {

class SaveStreamReactor final : public grpc::ServerWriteReactor<xenia::v1::ImageChunk> {
 public:
  explicit SaveStreamReactor(std::shared_ptr<SaveStreamSink> sink) : sink_(std::move(sink)) {}

  void OnWriteDone(bool ok) override { sink_->OnWriteDone(ok); }
  void OnCancel() override { sink_->OnCancel(); }
  void OnDone() override {
    sink_->Detach();
    delete this;
  }

 private:
  std::shared_ptr<SaveStreamSink> sink_;
};

std::string Seconds(absl::Duration d) { return absl::StrCat(absl::ToInt64Seconds(d), "s"); }

// How the call ends for an operation as the engine reports it.
grpc::Status CallStatus(const absl::StatusOr<xenia::v1::Operation>& op) {
  if (!op.ok()) return ToGrpcStatus(op.status());
  switch (op->state()) {
    case xenia::v1::Operation::DONE:
      return grpc::Status::OK;
    case xenia::v1::Operation::FAILED:
    case xenia::v1::Operation::CANCELLED:
      return grpc::Status(static_cast<grpc::StatusCode>(op->error().code()),
                          absl::StrCat(op->name(), ": ", op->error().message()));
    default:
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          absl::StrCat("xeniad is stopping; ", op->name(),
                                       " was not finished (the next start settles it)"));
  }
}

}  // namespace

SaveStreamSink::SaveStreamSink(size_t chunk_bytes, absl::Duration stall_limit)
    : chunk_bytes_(chunk_bytes), stall_limit_(stall_limit) {}

void SaveStreamSink::Attach(grpc::ServerWriteReactor<xenia::v1::ImageChunk>* reactor,
                            grpc::CallbackServerContext* ctx) {
  absl::MutexLock lock(&mu_);
  reactor_ = reactor;
  ctx_ = ctx;
}

void SaveStreamSink::Fail(absl::Status why) {
  if (failed_.ok()) failed_ = std::move(why);
}

void SaveStreamSink::WaitIdleLocked() {
  const absl::Time give_up = absl::Now() + stall_limit_;
  while (writing_ && failed_.ok()) {
    if (mu_.AwaitWithDeadline(absl::Condition(this, &SaveStreamSink::IdleOrFailed), give_up)) {
      break;
    }
    Fail(absl::DeadlineExceededError(absl::StrCat("the caller took no image data for ",
                                                  Seconds(stall_limit_), " (after ", sent_bytes_,
                                                  " bytes) and was cut off")));
    // The write in flight ends (not ok) once gRPC has cancelled the call.
    if (ctx_ != nullptr) ctx_->TryCancel();
  }
}

bool SaveStreamSink::IdleOrFailed() const { return !writing_ || !failed_.ok(); }

absl::Status SaveStreamSink::SendLocked(size_t n) {
  WaitIdleLocked();
  if (!failed_.ok()) return failed_;
  if (finished_ || reactor_ == nullptr) {
    Fail(absl::AbortedError("the call has ended"));
    return failed_;
  }
  in_flight_.mutable_data()->assign(pending_, 0, n);
  pending_.erase(0, n);
  writing_ = true;
  sent_bytes_ += static_cast<int64_t>(n);
  grpc::ServerWriteReactor<xenia::v1::ImageChunk>* reactor = reactor_;
  // No Finish can start while writing_ is set, so the reactor stays.
  mu_.Unlock();
  reactor->StartWrite(&in_flight_);
  mu_.Lock();
  return absl::OkStatus();
}

absl::Status SaveStreamSink::Write(absl::string_view data) {
  absl::MutexLock lock(&mu_);
  if (!failed_.ok()) return failed_;
  pending_.append(data.data(), data.size());
  while (pending_.size() >= chunk_bytes_) {
    if (absl::Status s = SendLocked(chunk_bytes_); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status SaveStreamSink::Flush() {
  absl::MutexLock lock(&mu_);
  if (!failed_.ok()) return failed_;
  if (pending_.empty()) return absl::OkStatus();
  return SendLocked(pending_.size());
}

absl::Status SaveStreamSink::Drain() {
  absl::MutexLock lock(&mu_);
  if (!failed_.ok()) return failed_;
  if (!pending_.empty()) {
    if (absl::Status s = SendLocked(pending_.size()); !s.ok()) return s;
  }
  WaitIdleLocked();
  return failed_;
}

std::optional<grpc::Status> SaveStreamSink::TakeFinishLocked() {
  if (!end_.has_value() || writing_ || finished_ || reactor_ == nullptr) return std::nullopt;
  finished_ = true;
  return end_;
}

void SaveStreamSink::End(const grpc::Status& status) {
  std::optional<grpc::Status> finish;
  grpc::ServerWriteReactor<xenia::v1::ImageChunk>* reactor = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (!end_.has_value()) end_ = status;
    finish = TakeFinishLocked();
    reactor = reactor_;
  }
  if (finish.has_value()) reactor->Finish(*finish);
}

void SaveStreamSink::OnWriteDone(bool ok) {
  std::optional<grpc::Status> finish;
  grpc::ServerWriteReactor<xenia::v1::ImageChunk>* reactor = nullptr;
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      Fail(absl::AbortedError(
          absl::StrCat("the caller went away after ", sent_bytes_, " bytes of the image")));
    }
    finish = TakeFinishLocked();
    reactor = reactor_;
  }
  if (finish.has_value()) reactor->Finish(*finish);
}

void SaveStreamSink::OnCancel() {
  std::optional<grpc::Status> finish;
  grpc::ServerWriteReactor<xenia::v1::ImageChunk>* reactor = nullptr;
  {
    absl::MutexLock lock(&mu_);
    Fail(absl::AbortedError(
        absl::StrCat("the caller went away after ", sent_bytes_, " bytes of the image")));
    // Nothing more will reach the caller: end the call now rather than when
    // the operation, perhaps still queued, gets to fail.
    if (!end_.has_value()) end_ = ToGrpcStatus(failed_);
    finish = TakeFinishLocked();
    reactor = reactor_;
  }
  if (finish.has_value()) reactor->Finish(*finish);
}

void SaveStreamSink::Detach() {
  absl::MutexLock lock(&mu_);
  Fail(absl::AbortedError("the call has ended"));
  reactor_ = nullptr;
  ctx_ = nullptr;
  finished_ = true;
}

grpc::ServerWriteReactor<xenia::v1::ImageChunk>* StartSaveStreamCall(
    grpc::CallbackServerContext* ctx, std::shared_ptr<SaveStreamSink> sink) {
  auto* reactor = new SaveStreamReactor(sink);
  sink->Attach(reactor, ctx);
  return reactor;
}

void SaveStreamSink::EndWith(const absl::StatusOr<xenia::v1::Operation>& op) {
  End(CallStatus(op));
}

}  // namespace xenia
