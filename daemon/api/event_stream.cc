#include "daemon/api/event_stream.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/api/status_mapping.h"

namespace xenia {
namespace {

// Events read from the history per round.
constexpr int kHistoryPage = 256;

}  // namespace

EventStream::EventStream(EventHub& hub, int64_t after_sequence, std::string resource,
                         int buffer_limit)
    : hub_(hub), resource_(std::move(resource)), buffer_limit_(buffer_limit) {
  absl::StatusOr<int64_t> live_after = hub_.Subscribe(after_sequence, resource_, this);
  {
    absl::MutexLock lock(&mu_);
    if (!live_after.ok()) {
      EndLocked(live_after.status());
    } else {
      live_after_ = *live_after;
      backlog_after_ = after_sequence < 0 ? live_after_ : after_sequence;
      last_sent_ = backlog_after_;
    }
  }
  // Headers at once: the watcher knows it is subscribed before any event.
  if (live_after.ok()) StartSendInitialMetadata();
  Pump();
}

std::string EventStream::ResumeHintLocked() const {
  return absl::StrCat("resume with after_sequence=", last_sent_);
}

void EventStream::EndLocked(absl::Status status) {
  if (end_.has_value()) return;
  end_ = std::move(status);
  backlog_.clear();
  live_.clear();
  backlog_after_ = live_after_;
}

void EventStream::Pump() {
  while (true) {
    absl::ReleasableMutexLock lock(&mu_);
    if (finished_ || writing_ || reading_) return;
    std::deque<xenia::v1::Event>* source = nullptr;
    if (!backlog_.empty()) {
      source = &backlog_;
    } else if (backlog_after_ < live_after_) {
      // Read the next page of history, without the lock (the hub may be
      // publishing to us meanwhile).
      reading_ = true;
      const int64_t after = backlog_after_;
      const int64_t up_to = live_after_;
      lock.Release();
      absl::StatusOr<std::vector<xenia::v1::Event>> page =
          hub_.Read(after, up_to, kHistoryPage, resource_);
      absl::MutexLock relock(&mu_);
      reading_ = false;
      if (end_.has_value()) continue;
      if (!page.ok()) {
        EndLocked(absl::Status(page.status().code(),
                               absl::StrCat(page.status().message(), "; ", ResumeHintLocked())));
        continue;
      }
      backlog_after_ =
          static_cast<int>(page->size()) < kHistoryPage ? up_to : page->back().sequence();
      for (xenia::v1::Event& event : *page) backlog_.push_back(std::move(event));
      continue;
    } else if (!live_.empty()) {
      source = &live_;
    }
    if (source != nullptr) {
      in_flight_ = std::move(source->front());
      source->pop_front();
      last_sent_ = in_flight_.sequence();
      writing_ = true;
      lock.Release();
      StartWrite(&in_flight_);
      return;
    }
    if (!end_.has_value()) return;
    finished_ = true;
    const grpc::Status status = ToGrpcStatus(*end_);
    lock.Release();
    Finish(status);
    return;
  }
}

bool EventStream::OnEvents(const std::vector<const xenia::v1::Event*>& events) {
  bool idle = false;
  {
    absl::MutexLock lock(&mu_);
    if (end_.has_value()) return false;
    for (const xenia::v1::Event* event : events) live_.push_back(*event);
    if (static_cast<int>(live_.size()) > buffer_limit_) {
      EndLocked(absl::ResourceExhaustedError(
          absl::StrCat("this watcher fell more than ", buffer_limit_,
                       " events behind and was cut off, so that it cannot slow the daemon down; ",
                       ResumeHintLocked())));
    }
    // History is read on gRPC's threads, never here (the hub's lock is held).
    idle = !writing_ && !reading_ && backlog_.empty() && backlog_after_ >= live_after_;
  }
  if (idle) Pump();
  absl::MutexLock lock(&mu_);
  return !end_.has_value();
}

void EventStream::OnClosed(const absl::Status& why) {
  bool idle = false;
  {
    absl::MutexLock lock(&mu_);
    EndLocked(absl::Status(why.code(), absl::StrCat(why.message(), "; ", ResumeHintLocked())));
    idle = !writing_ && !reading_;
  }
  if (idle) Pump();
}

void EventStream::OnWriteDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) EndLocked(absl::CancelledError("the watcher went away"));
  }
  Pump();
}

void EventStream::OnCancel() {
  {
    absl::MutexLock lock(&mu_);
    EndLocked(absl::CancelledError("the watcher went away"));
  }
  Pump();
}

void EventStream::OnDone() {
  hub_.Unsubscribe(this);
  delete this;
}

}  // namespace xenia
