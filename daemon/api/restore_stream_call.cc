#include "daemon/api/restore_stream_call.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/api/status_mapping.h"
#include "daemon/stream/image_reader.h"

namespace xenia {
namespace {

constexpr char kStreamName[] = "the image from the caller's stream";

class RestoreStreamReactor final : public RestoreStreamSource::Reactor {
 public:
  explicit RestoreStreamReactor(std::shared_ptr<RestoreStreamSource> source)
      : source_(std::move(source)) {}

  void OnReadDone(bool ok) override { source_->OnReadDone(ok); }
  void OnCancel() override { source_->OnCancel(); }
  void OnDone() override {
    source_->Detach();
    delete this;
  }

 private:
  std::shared_ptr<RestoreStreamSource> source_;
};

// The bytes received so far. At their end it answers UNAVAILABLE ("more to
// come") unless the caller has closed its side, when it ends as a file does.
class PrefixSource final : public stream::ByteSource {
 public:
  PrefixSource(absl::string_view bytes, bool complete) : bytes_(bytes), complete_(complete) {}

  absl::StatusOr<size_t> Read(char* buffer, size_t max) override {
    if (bytes_.empty()) {
      if (complete_) return 0;
      return absl::UnavailableError("more bytes to come");
    }
    const size_t n = std::min(max, bytes_.size());
    std::memcpy(buffer, bytes_.data(), n);
    bytes_.remove_prefix(n);
    return n;
  }

 private:
  absl::string_view bytes_;
  bool complete_;
};

// The header, if `prefix` holds all of it; nullopt if more bytes are needed;
// the reader's error if the prefix is not the start of a domain stream.
absl::StatusOr<std::optional<stream::ImageHead>> HeadOf(absl::string_view prefix, bool complete) {
  PrefixSource source(prefix, complete);
  stream::ImageReader reader(source, kStreamName);
  absl::Status read = reader.ReadHead();
  if (read.ok()) return std::optional<stream::ImageHead>(reader.head());
  if (!complete && read.code() == absl::StatusCode::kUnavailable) {
    return std::optional<stream::ImageHead>();
  }
  return read;
}

}  // namespace

RestoreStreamSource::RestoreStreamSource(size_t capacity, absl::Duration stall_limit,
                                         CheckOptions check, Submit submit)
    : capacity_(capacity),
      stall_limit_(stall_limit),
      check_(std::move(check)),
      submit_(std::move(submit)) {}

void RestoreStreamSource::Attach(Reactor* reactor, grpc::CallbackServerContext* ctx,
                                 xenia::v1::Operation* response) {
  absl::MutexLock lock(&mu_);
  reactor_ = reactor;
  ctx_ = ctx;
  response_ = response;
}

void RestoreStreamSource::Fail(absl::Status why) {
  if (failed_.ok()) failed_ = std::move(why);
}

bool RestoreStreamSource::TakeReadLocked() {
  if (reading_ || end_.has_value() || finished_ || reactor_ == nullptr || input_done_) {
    return false;
  }
  if (phase_ == Phase::kBody && queue_.size() >= capacity_) {
    read_paused_ = true;
    return false;
  }
  read_paused_ = false;
  reading_ = true;
  ++read_starts_;
  return true;
}

std::optional<grpc::Status> RestoreStreamSource::TakeFinishLocked() {
  if (!end_.has_value() || finished_ || read_starts_ > 0 || reactor_ == nullptr) {
    return std::nullopt;
  }
  finished_ = true;
  return end_;
}

void RestoreStreamSource::EndLocked(const absl::Status& status, const xenia::v1::Operation* op) {
  if (end_.has_value()) return;
  if (status.ok() && op != nullptr && response_ != nullptr) *response_ = *op;
  end_ = ToGrpcStatus(status);
  // Whatever the task has not read yet will not be read.
  Fail(status.ok() ? absl::AbortedError("the restore has ended") : status);
}

void RestoreStreamSource::Run(Next next) {
  Reactor* reactor = nullptr;
  {
    absl::MutexLock lock(&mu_);
    reactor = reactor_;
  }
  if (next.submit.has_value()) {
    xenia::v1::RestoreDomainRequest options;
    {
      absl::MutexLock lock(&mu_);
      options = options_;
    }
    submit_(options, *std::move(next.submit), shared_from_this());
  }
  if (next.read) {
    // reactor_ stays set: no Finish (and so no OnDone) while read_starts_ > 0.
    reactor->StartRead(&incoming_);
    absl::MutexLock lock(&mu_);
    --read_starts_;
    next.finish = TakeFinishLocked();
  }
  if (next.finish.has_value()) reactor->Finish(*next.finish);
}

void RestoreStreamSource::Begin() {
  Next next;
  {
    absl::MutexLock lock(&mu_);
    next.read = TakeReadLocked();
    next.finish = TakeFinishLocked();
  }
  Run(std::move(next));
}

std::optional<absl::Status> RestoreStreamSource::AcceptLocked(Next* next) {
  switch (phase_) {
    case Phase::kOptions: {
      if (!incoming_.has_options()) {
        return absl::InvalidArgumentError(
            "the first message must carry the options (RestoreDomainFromStreamRequest.options); "
            "the image's bytes follow in chunks");
      }
      if (absl::Status s = check_(incoming_.options()); !s.ok()) return s;
      options_ = incoming_.options();
      phase_ = Phase::kHeader;
      return std::nullopt;
    }
    case Phase::kHeader:
    case Phase::kBody:
      break;
  }
  if (!incoming_.has_chunk()) {
    return absl::InvalidArgumentError(
        absl::StrCat("options may be sent only once, as the first message; message after byte ",
                     received_bytes_, " of the image carries them again"));
  }
  std::string* data = incoming_.mutable_chunk()->mutable_data();
  received_bytes_ += static_cast<int64_t>(data->size());
  if (phase_ == Phase::kBody) {
    queue_.Push(std::move(*data));
    return std::nullopt;
  }
  prefix_.append(*data);
  absl::StatusOr<std::optional<stream::ImageHead>> header = HeadOf(prefix_, false);
  if (!header.ok()) return header.status();
  if (header->has_value()) {
    phase_ = Phase::kBody;
    queue_.Push(std::move(prefix_));
    prefix_.clear();
    next->submit = **std::move(header);
  }
  return std::nullopt;
}

void RestoreStreamSource::OnReadDone(bool ok) {
  Next next;
  {
    absl::MutexLock lock(&mu_);
    reading_ = false;
    if (!ok) {
      input_done_ = true;
      // The reads end both when the caller has sent everything and when it
      // went away; only the second cancels the call (always known in the
      // callback API), and the restore must say so rather than "truncated".
      if (ctx_ != nullptr && ctx_->IsCancelled()) {
        Fail(absl::AbortedError(absl::StrCat("the caller went away after sending ", received_bytes_,
                                             " bytes of the image")));
      }
      if (phase_ == Phase::kOptions) {
        EndLocked(absl::InvalidArgumentError(
                      "the stream ended before its first message (the options) arrived"),
                  nullptr);
      } else if (phase_ == Phase::kHeader) {
        absl::StatusOr<std::optional<stream::ImageHead>> header = HeadOf(prefix_, true);
        EndLocked(header.ok() ? absl::DataLossError(
                                    absl::StrCat(kStreamName, " ended after ", received_bytes_,
                                                 " bytes, before its header was complete"))
                              : header.status(),
                  nullptr);
      }
    } else if (!end_.has_value()) {
      if (std::optional<absl::Status> error = AcceptLocked(&next); error.has_value()) {
        EndLocked(*error, nullptr);
        next.submit.reset();
      }
    }
    next.read = TakeReadLocked();
    next.finish = TakeFinishLocked();
  }
  Run(std::move(next));
}

bool RestoreStreamSource::ReadableOrOver() const {
  return !queue_.empty() || input_done_ || !failed_.ok();
}

absl::StatusOr<size_t> RestoreStreamSource::Read(char* buffer, size_t max) {
  Next next;
  absl::StatusOr<size_t> result = size_t{0};
  {
    absl::MutexLock lock(&mu_);
    if (!mu_.AwaitWithTimeout(absl::Condition(this, &RestoreStreamSource::ReadableOrOver),
                              stall_limit_)) {
      Fail(absl::DeadlineExceededError(
          absl::StrCat("the caller sent nothing for ", absl::ToInt64Seconds(stall_limit_),
                       "s (after ", received_bytes_, " bytes of the image) and was cut off")));
      if (ctx_ != nullptr) ctx_->TryCancel();
    }
    if (!queue_.empty()) {
      result = queue_.Pop(buffer, max);
      // Read on once half the room is free again.
      if (read_paused_ && queue_.size() <= capacity_ / 2) next.read = TakeReadLocked();
    } else if (!failed_.ok()) {
      result = failed_;
    }
  }
  Run(std::move(next));
  return result;
}

void RestoreStreamSource::End(const absl::StatusOr<xenia::v1::Operation>& op) {
  Next next;
  {
    absl::MutexLock lock(&mu_);
    if (!op.ok()) {
      EndLocked(op.status(), nullptr);
    } else if (!op->done()) {
      EndLocked(
          absl::UnavailableError(absl::StrCat("xeniad is stopping; ", op->name(),
                                              " was not finished (the next start settles it)")),
          nullptr);
    } else {
      EndLocked(absl::OkStatus(), &*op);
    }
    next.finish = TakeFinishLocked();
  }
  Run(std::move(next));
}

void RestoreStreamSource::OnCancel() {
  Next next;
  {
    absl::MutexLock lock(&mu_);
    const absl::Status gone = absl::AbortedError(absl::StrCat(
        "the caller went away after sending ", received_bytes_, " bytes of the image"));
    Fail(gone);
    EndLocked(gone, nullptr);
    next.finish = TakeFinishLocked();
  }
  Run(std::move(next));
}

void RestoreStreamSource::Detach() {
  absl::MutexLock lock(&mu_);
  Fail(absl::AbortedError("the call has ended"));
  reactor_ = nullptr;
  ctx_ = nullptr;
  response_ = nullptr;
  finished_ = true;
}

grpc::ServerReadReactor<xenia::v1::RestoreDomainFromStreamRequest>* StartRestoreStreamCall(
    grpc::CallbackServerContext* ctx, xenia::v1::Operation* response,
    std::shared_ptr<RestoreStreamSource> source) {
  auto* reactor = new RestoreStreamReactor(source);
  source->Attach(reactor, ctx, response);
  source->Begin();
  return reactor;
}

}  // namespace xenia
