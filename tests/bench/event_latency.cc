#include "tests/bench/event_latency.h"

#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "tests/bench/stats.h"
#include "xenia/v1/event.grpc.pb.h"

namespace xenia::bench {
namespace {

// Watchers share a few connections, as many clients of one process would.
constexpr int kWatchersPerChannel = 100;

// What all watchers of one measurement report to.
class Tally {
 public:
  void Subscribed(bool ok) {
    absl::MutexLock lock(&mu_);
    ++(ok ? subscribed_ : failed_);
  }
  void Received(double seconds) {
    absl::MutexLock lock(&mu_);
    samples_.push_back(seconds);
  }
  void Ended(const grpc::Status& status) {
    absl::MutexLock lock(&mu_);
    ++ended_;
    if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED && first_error_.ok()) {
      first_error_ = absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                                  absl::StrCat("a watch ended: ", status.error_message()));
    }
  }
  // Waits until `count` watchers answered the subscription (or one failed).
  bool AwaitSubscribed(int count, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto done = [&] {
      mu_.AssertHeld();
      return subscribed_ + failed_ >= count;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&done), timeout) && failed_ == 0;
  }
  bool AwaitSamples(size_t count, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto done = [&] {
      mu_.AssertHeld();
      return samples_.size() >= count || !first_error_.ok();
    };
    return mu_.AwaitWithTimeout(absl::Condition(&done), timeout) && first_error_.ok();
  }
  void AwaitEnded(int count) {
    absl::MutexLock lock(&mu_);
    auto done = [&] {
      mu_.AssertHeld();
      return ended_ >= count;
    };
    mu_.Await(absl::Condition(&done));
  }
  Samples samples() {
    absl::MutexLock lock(&mu_);
    return samples_;
  }
  size_t received() {
    absl::MutexLock lock(&mu_);
    return samples_.size();
  }
  absl::Status error() {
    absl::MutexLock lock(&mu_);
    return first_error_;
  }

 private:
  absl::Mutex mu_;
  int subscribed_ = 0;
  int failed_ = 0;
  int ended_ = 0;
  Samples samples_;
  absl::Status first_error_;
};

// One WatchEvents stream, read on gRPC's callback threads.
class Watcher final : public grpc::ClientReadReactor<xenia::v1::Event> {
 public:
  Watcher(xenia::v1::EventService::Stub& stub, const std::string& resource, Tally& tally)
      : tally_(tally) {
    request_.set_after_sequence(-1);
    request_.set_resource(resource);
    stub.async()->WatchEvents(&ctx_, &request_, this);
    StartRead(&event_);
    StartCall();
  }
  void Cancel() { ctx_.TryCancel(); }

  void OnReadInitialMetadataDone(bool ok) override { tally_.Subscribed(ok); }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (event_.type() == xenia::v1::Event::OPERATION_CHANGED &&
        event_.operation_state() == xenia::v1::Operation::DONE) {
      const absl::Time stamped =
          absl::FromUnixSeconds(event_.time().seconds()) + absl::Nanoseconds(event_.time().nanos());
      tally_.Received(absl::ToDoubleSeconds(absl::Now() - stamped));
    }
    StartRead(&event_);
  }
  void OnDone(const grpc::Status& status) override { tally_.Ended(status); }

 private:
  Tally& tally_;
  grpc::ClientContext ctx_;
  xenia::v1::WatchEventsRequest request_;
  xenia::v1::Event event_;
};

std::shared_ptr<grpc::Channel> OwnChannel(const std::string& socket) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(absl::StrCat("unix:", socket),
                                   grpc::InsecureChannelCredentials(), args);
}

absl::Status MeasureWith(const BenchTarget& target, BenchClient& client, int watchers,
                         const EventOptions& options) {
  const std::string id = absl::StrCat(target.tag, "-ev-", watchers);
  if (absl::Status s = client.RunOp(Verb::kDefine, id); !s.ok()) return s;

  Tally tally;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<xenia::v1::EventService::Stub>> stubs;
  std::vector<std::unique_ptr<Watcher>> streams;
  for (int i = 0; i < watchers; ++i) {
    if (i % kWatchersPerChannel == 0) {
      channels.push_back(OwnChannel(target.socket));
      stubs.push_back(xenia::v1::EventService::NewStub(channels.back()));
    }
    streams.push_back(std::make_unique<Watcher>(*stubs.back(), DomainResource(id), tally));
  }
  absl::Status result;
  if (!tally.AwaitSubscribed(watchers, absl::Seconds(60))) {
    result = absl::DeadlineExceededError(
        absl::StrCat("not every one of ", watchers, " watchers was subscribed within 60 s"));
  }
  if (result.ok()) EmitMemory(target, absl::StrCat("events_w", watchers));
  for (int i = 0; result.ok() && i < options.pairs; ++i) {
    result = client.RunOp(Verb::kStart, id);
    if (result.ok()) result = client.RunOp(Verb::kDestroy, id);
  }
  const size_t expected = static_cast<size_t>(watchers) * 2 * options.pairs;
  if (result.ok() && !tally.AwaitSamples(expected, absl::Seconds(120))) {
    result = tally.error().ok()
                 ? absl::DeadlineExceededError(absl::StrCat("the watchers read ", tally.received(),
                                                            " of ", expected, " events"))
                 : tally.error();
  }
  for (auto& stream : streams) stream->Cancel();
  tally.AwaitEnded(watchers);
  if (result.ok()) {
    EmitLatency(absl::StrCat("events_w", watchers, "_delivery"), tally.samples());
    EmitInt(absl::StrCat("events_w", watchers, "_received"),
            static_cast<long long>(tally.received()), "events");
  }
  if (absl::Status s = client.RunOp(Verb::kDelete, id); !s.ok() && result.ok()) result = s;
  return result;
}

}  // namespace

absl::Status RunEventLatency(const BenchTarget& target, BenchClient& client,
                             const EventOptions& options) {
  for (int watchers : options.watchers) {
    if (absl::Status s = MeasureWith(target, client, watchers, options); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace xenia::bench
