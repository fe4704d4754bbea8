// SimHypervisor with its real event thread and the real clock: guests act on
// their own and the watcher hears of it without anyone calling in.
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "daemon/hypervisor/sim/sim_hypervisor.h"
#include "gtest/gtest.h"
#include "tests/unit/sim/sim_test_util.h"

namespace xenia::hv {
namespace {

using testing::CrashAfter;
using testing::PoweroffAfter;
using testing::RecordingHandler;
using testing::Spec;
using testing::TempDir;

class SimEventThreadTest : public ::testing::Test {
 protected:
  SimEventThreadTest() {
    config_.state_file = dir_.path() + "/state";
    config_.boot_time = absl::Milliseconds(50);
    config_.shutdown_time = absl::Milliseconds(50);
    config_.event_thread = true;
  }

  std::unique_ptr<SimHypervisor> OpenSim() {
    absl::StatusOr<std::unique_ptr<SimHypervisor>> sim =
        SimHypervisor::Open(config_, clock_, logger_);
    EXPECT_TRUE(sim.ok()) << sim.status();
    if (!sim.ok()) return nullptr;
    (*sim)->Watch(&handler_);
    return *std::move(sim);
  }

  TempDir dir_;
  SystemClock clock_;
  Logger logger_{LogLevel::kOff, nullptr};
  SimHostConfig config_;
  OpContext ctx_;
  RecordingHandler handler_;
};

TEST_F(SimEventThreadTest, DeliversAShutdownEventOnItsOwn) {
  std::unique_ptr<SimHypervisor> sim = OpenSim();
  ASSERT_NE(sim, nullptr);
  const xenia::v1::DomainSpec spec = Spec("web1");
  absl::StatusOr<DomainFacts> d = sim->CreateDomain(ctx_, {&spec, false});
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_TRUE(sim->ShutdownDomain(ctx_, {{d->domid, d->uuid}, ShutdownReason::kReboot}).ok());
  ASSERT_TRUE(handler_.WaitForEvents(1, absl::Seconds(30)));
  const DomainEvent event = handler_.events()[0];
  EXPECT_EQ(event.kind, DomainEvent::Kind::kShutdown);
  EXPECT_EQ(event.domid, d->domid);
  EXPECT_EQ(event.reason, ShutdownReason::kReboot);
  absl::StatusOr<DomainFacts> facts = sim->DescribeDomain(ctx_, {d->domid, d->uuid});
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->state, RunState::kShutdown);
  EXPECT_EQ(handler_.events().size(), 1u);
}

TEST_F(SimEventThreadTest, WakesForANewerEarlierAction) {
  std::unique_ptr<SimHypervisor> sim = OpenSim();
  ASSERT_NE(sim, nullptr);
  const xenia::v1::DomainSpec late = Spec("late");
  const xenia::v1::DomainSpec soon = Spec("soon");
  absl::StatusOr<DomainFacts> a = sim->CreateDomain(ctx_, {&late, false});
  absl::StatusOr<DomainFacts> b = sim->CreateDomain(ctx_, {&soon, false});
  ASSERT_TRUE(a.ok() && b.ok());
  // The thread first sleeps towards an hour away, then must wake for this.
  ASSERT_TRUE(sim->SetGuestBehavior({a->domid, a->uuid}, CrashAfter(absl::Hours(1))).ok());
  ASSERT_TRUE(
      sim->SetGuestBehavior({b->domid, b->uuid}, PoweroffAfter(absl::Milliseconds(20))).ok());
  ASSERT_TRUE(handler_.WaitForEvents(1, absl::Seconds(30)));
  EXPECT_EQ(handler_.events()[0].domid, b->domid);
  EXPECT_EQ(handler_.events()[0].reason, ShutdownReason::kPoweroff);
}

TEST_F(SimEventThreadTest, StopsPromptlyWithWorkPending) {
  std::unique_ptr<SimHypervisor> sim = OpenSim();
  ASSERT_NE(sim, nullptr);
  const xenia::v1::DomainSpec spec = Spec("web1");
  absl::StatusOr<DomainFacts> d = sim->CreateDomain(ctx_, {&spec, false});
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(sim->SetGuestBehavior({d->domid, d->uuid}, CrashAfter(absl::Hours(1))).ok());
  const absl::Time start = absl::Now();
  sim.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  // And the guest is still there for the next one.
  sim = OpenSim();
  ASSERT_NE(sim, nullptr);
  EXPECT_TRUE(sim->DescribeDomain(ctx_, {d->domid, d->uuid}).ok());
}

TEST_F(SimEventThreadTest, ConcurrentCallersAndTheEventThreadAgree) {
  config_.boot_time = absl::Milliseconds(1);
  config_.shutdown_time = absl::Milliseconds(1);
  std::unique_ptr<SimHypervisor> sim = OpenSim();
  ASSERT_NE(sim, nullptr);
  constexpr int kThreads = 4;
  constexpr int kDomainsPerThread = 25;
  std::atomic<int> failures{0};
  std::atomic<int> crashes_set{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kDomainsPerThread; ++i) {
        const xenia::v1::DomainSpec spec = Spec(absl::StrCat("t", t, "-", i), 16);
        absl::StatusOr<DomainFacts> d = sim->CreateDomain(ctx_, {&spec, false});
        if (!d.ok()) {
          ++failures;
          continue;
        }
        const DomainRef ref{d->domid, d->uuid};
        if (!sim->PauseDomain(ctx_, ref).ok() || !sim->UnpauseDomain(ctx_, ref).ok()) ++failures;
        if (i % 2 == 0) {
          if (sim->SetGuestBehavior(ref, CrashAfter(absl::Milliseconds(i))).ok()) ++crashes_set;
        } else {
          // May race with nothing: the guest is running and has no crash.
          if (!sim->ShutdownDomain(ctx_, {ref, ShutdownReason::kPoweroff}).ok()) ++failures;
        }
        if (!sim->ListDomains(ctx_).ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  // Every guest shuts down on its own: half crash, half power off.
  ASSERT_TRUE(handler_.WaitForEvents(kThreads * kDomainsPerThread, absl::Seconds(60)));
  absl::StatusOr<std::vector<DomainFacts>> list = sim->ListDomains(ctx_);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u + kThreads * kDomainsPerThread);
  int crashed = 0;
  for (size_t i = 1; i < list->size(); ++i) {
    EXPECT_EQ((*list)[i].state, RunState::kShutdown);
    if ((*list)[i].shutdown_reason == ShutdownReason::kCrash) ++crashed;
  }
  EXPECT_EQ(crashed, crashes_set.load());
  EXPECT_EQ(handler_.events().size(), list->size() - 1);
  for (size_t i = 1; i < list->size(); ++i) {
    ASSERT_TRUE(sim->DestroyDomain(ctx_, {(*list)[i].domid, (*list)[i].uuid}).ok());
  }
  EXPECT_EQ(sim->ListDomains(ctx_)->size(), 1u);
}

}  // namespace
}  // namespace xenia::hv
