// Helpers for the simulator's unit tests: a temporary directory, a domain spec
// builder, a recording event handler and a fixture that opens a SimHypervisor
// on a FakeClock without the event thread.
//
// Thread-safety: RecordingHandler is thread-safe; the rest is for the test's
// main thread.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/fake_clock.h"
#include "common/logger.h"
#include "daemon/hypervisor/sim/sim_hypervisor.h"
#include "gtest/gtest.h"
#include "xenia/v1/domain.pb.h"

namespace xenia::hv::testing {

// A fresh directory under the test's temporary directory, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "/xenia-sim-XXXXXX";
    path_ = mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
    EXPECT_FALSE(path_.empty()) << "mkdtemp failed";
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline xenia::v1::DomainSpec Spec(const std::string& name, int64_t memory_mib = 512,
                                  int32_t vcpus = 1) {
  xenia::v1::DomainSpec spec;
  spec.set_name(name);
  spec.set_memory_mib(memory_mib);
  spec.set_vcpus(vcpus);
  return spec;
}

// GuestBehaviors that change one thing.
inline GuestBehavior IgnoreShutdown(bool ignore) {
  GuestBehavior b;
  b.ignore_shutdown = ignore;
  return b;
}
inline GuestBehavior CrashAfter(absl::Duration d) {
  GuestBehavior b;
  b.crash_after = d;
  return b;
}
inline GuestBehavior PoweroffAfter(absl::Duration d) {
  GuestBehavior b;
  b.poweroff_after = d;
  return b;
}
inline GuestBehavior ShutdownTime(absl::Duration d) {
  GuestBehavior b;
  b.shutdown_time = d;
  return b;
}

// Records every event it receives.
class RecordingHandler final : public DomainEventHandler {
 public:
  void OnDomainEvent(const DomainEvent& event) override {
    absl::MutexLock lock(&mu_);
    events_.push_back(event);
  }
  std::vector<DomainEvent> events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  // Waits until at least `n` events arrived or `timeout` passed.
  bool WaitForEvents(size_t n, absl::Duration timeout) const {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return events_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<DomainEvent> events_ ABSL_GUARDED_BY(mu_);
};

// A SimHypervisor on a FakeClock in a temporary directory, without the event
// thread: tests advance the clock and call ProcessDueTransitions().
class SimTest : public ::testing::Test {
 protected:
  SimTest() {
    config_.state_file = dir_.path() + "/host/sim-state";
    config_.total_memory_mib = 16384;
    config_.cpus = 8;
    config_.dom0_memory_mib = 1024;
    config_.boot_time = absl::Seconds(2);
    config_.shutdown_time = absl::Seconds(1);
    config_.cpu_load = 0.5;
    config_.event_thread = false;
  }

  // Opens (or reopens) the simulator; a previous one is closed first.
  void Open() {
    sim_.reset();
    absl::StatusOr<std::unique_ptr<SimHypervisor>> sim =
        SimHypervisor::Open(config_, clock_, logger_);
    ASSERT_TRUE(sim.ok()) << sim.status();
    sim_ = *std::move(sim);
    sim_->Watch(&handler_);
  }

  DomainFacts Create(const std::string& name, int64_t memory_mib = 512, int32_t vcpus = 1,
                     bool paused = false) {
    const xenia::v1::DomainSpec spec = Spec(name, memory_mib, vcpus);
    absl::StatusOr<DomainFacts> facts = sim_->CreateDomain(ctx_, {&spec, paused});
    EXPECT_TRUE(facts.ok()) << facts.status();
    return facts.ok() ? *facts : DomainFacts{};
  }

  DomainFacts Describe(const DomainFacts& d) {
    absl::StatusOr<DomainFacts> facts = sim_->DescribeDomain(ctx_, Ref(d));
    EXPECT_TRUE(facts.ok()) << facts.status();
    return facts.ok() ? *facts : DomainFacts{};
  }

  static DomainRef Ref(const DomainFacts& d) { return DomainRef{d.domid, d.uuid}; }

  void Advance(absl::Duration d) {
    clock_.Advance(d);
    sim_->ProcessDueTransitions();
  }

  TempDir dir_;
  FakeClock clock_;
  Logger logger_{LogLevel::kOff, nullptr};
  SimHostConfig config_;
  OpContext ctx_;
  RecordingHandler handler_;
  std::unique_ptr<SimHypervisor> sim_;
};

}  // namespace xenia::hv::testing
