// SimHypervisor: guests acting in their own time (boot, shutdown and reboot
// requests, ignored requests, crashes, self power-off), vCPU time, and the
// events that report it, on a FakeClock without the event thread.
#include <string>

#include "daemon/hypervisor/sim/sim_hypervisor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/sim/sim_test_util.h"

namespace xenia::hv {
namespace {

using testing::CrashAfter;
using testing::IgnoreShutdown;
using testing::PoweroffAfter;
using testing::ShutdownTime;
using testing::SimTest;

constexpr int64_t kSecond = 1'000'000'000;

class SimGuestTest : public SimTest {
 protected:
  void SetUp() override { Open(); }

  absl::Status Request(const DomainFacts& d, ShutdownReason reason) {
    return sim_->ShutdownDomain(ctx_, {Ref(d), reason});
  }
};

TEST_F(SimGuestTest, ARequestDuringBootIsActedOnShutdownTimeAfterBoot) {
  DomainFacts d = Create("web1");
  Advance(absl::Milliseconds(500));
  ASSERT_TRUE(Request(d, ShutdownReason::kPoweroff).ok());
  EXPECT_EQ(Describe(d).requested_shutdown, ShutdownReason::kPoweroff);
  // Boot completes at 2 s of guest time, the guest acts 1 s later.
  Advance(absl::Milliseconds(2499));
  EXPECT_EQ(Describe(d).state, RunState::kRunning);
  EXPECT_TRUE(handler_.events().empty());
  Advance(absl::Milliseconds(1));
  const DomainFacts after = Describe(d);
  EXPECT_EQ(after.state, RunState::kShutdown);
  EXPECT_EQ(after.shutdown_reason, ShutdownReason::kPoweroff);
  EXPECT_EQ(after.requested_shutdown, ShutdownReason::kNone);
  ASSERT_EQ(handler_.events().size(), 1u);
  const DomainEvent e = handler_.events()[0];
  EXPECT_EQ(e.kind, DomainEvent::Kind::kShutdown);
  EXPECT_EQ(e.domid, d.domid);
  EXPECT_EQ(e.uuid, d.uuid);
  EXPECT_EQ(e.reason, ShutdownReason::kPoweroff);
}

TEST_F(SimGuestTest, ARequestAfterBootIsActedOnShutdownTimeLater) {
  DomainFacts d = Create("web1");
  Advance(absl::Seconds(10));
  ASSERT_TRUE(Request(d, ShutdownReason::kReboot).ok());
  Advance(absl::Milliseconds(999));
  EXPECT_EQ(Describe(d).state, RunState::kRunning);
  Advance(absl::Milliseconds(1));
  EXPECT_EQ(Describe(d).state, RunState::kShutdown);
  EXPECT_EQ(Describe(d).shutdown_reason, ShutdownReason::kReboot);
  ASSERT_EQ(handler_.events().size(), 1u);
  EXPECT_EQ(handler_.events()[0].reason, ShutdownReason::kReboot);
}

TEST_F(SimGuestTest, TheFirstRequestWins) {
  DomainFacts d = Create("web1");
  Advance(absl::Seconds(5));
  ASSERT_TRUE(Request(d, ShutdownReason::kPoweroff).ok());
  Advance(absl::Milliseconds(500));
  ASSERT_TRUE(Request(d, ShutdownReason::kReboot).ok());
  EXPECT_EQ(Describe(d).requested_shutdown, ShutdownReason::kPoweroff);
  Advance(absl::Milliseconds(500));  // 1 s after the first request
  EXPECT_EQ(Describe(d).shutdown_reason, ShutdownReason::kPoweroff);
}

TEST_F(SimGuestTest, PausingFreezesAPendingShutdown) {
  DomainFacts d = Create("web1");
  Advance(absl::Seconds(3));
  ASSERT_TRUE(Request(d, ShutdownReason::kPoweroff).ok());
  Advance(absl::Milliseconds(600));
  ASSERT_TRUE(sim_->PauseDomain(ctx_, Ref(d)).ok());
  Advance(absl::Hours(1));
  EXPECT_EQ(Describe(d).state, RunState::kPaused);
  EXPECT_EQ(Describe(d).requested_shutdown, ShutdownReason::kPoweroff);
  ASSERT_TRUE(sim_->UnpauseDomain(ctx_, Ref(d)).ok());
  Advance(absl::Milliseconds(399));
  EXPECT_EQ(Describe(d).state, RunState::kRunning);
  Advance(absl::Milliseconds(1));
  EXPECT_EQ(Describe(d).state, RunState::kShutdown);
}

TEST_F(SimGuestTest, IgnoredRequestsStayPendingUntilTheGuestListens) {
  DomainFacts d = Create("hung");
  absl::StatusOr<GuestBehavior> b = sim_->SetGuestBehavior(Ref(d), IgnoreShutdown(true));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(*b->ignore_shutdown);
  ASSERT_TRUE(Request(d, ShutdownReason::kPoweroff).ok());
  Advance(absl::Hours(24));
  DomainFacts facts = Describe(d);
  EXPECT_EQ(facts.state, RunState::kRunning);
  EXPECT_EQ(facts.requested_shutdown, ShutdownReason::kPoweroff);
  EXPECT_TRUE(handler_.events().empty());
  // Once it listens, it acts on the pending request shutdown_time later.
  ASSERT_TRUE(sim_->SetGuestBehavior(Ref(d), IgnoreShutdown(false)).ok());
  Advance(absl::Milliseconds(999));
  EXPECT_EQ(Describe(d).state, RunState::kRunning);
  Advance(absl::Milliseconds(1));
  EXPECT_EQ(Describe(d).state, RunState::kShutdown);
}

TEST_F(SimGuestTest, CrashAfterCrashesAtThatGuestTime) {
  DomainFacts d = Create("crashy", 512, 2);
  Advance(absl::Seconds(1));
  absl::StatusOr<GuestBehavior> b = sim_->SetGuestBehavior(Ref(d), CrashAfter(absl::Seconds(5)));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*b->crash_after, absl::Seconds(5));
  EXPECT_EQ(*b->poweroff_after, absl::InfiniteDuration());
  Advance(absl::Seconds(2));
  EXPECT_EQ(*sim_->SetGuestBehavior(Ref(d), {})->crash_after, absl::Seconds(3));
  // Processed late: the guest still stopped at 6 s, and so did its vCPU time.
  clock_.Advance(absl::Seconds(10));
  const DomainFacts facts = Describe(d);
  EXPECT_EQ(facts.state, RunState::kShutdown);
  EXPECT_EQ(facts.shutdown_reason, ShutdownReason::kCrash);
  EXPECT_EQ(facts.cpu_time_ns, 6 * kSecond);  // 6 s x 2 vCPUs x 0.5
  ASSERT_EQ(handler_.events().size(), 1u);
  EXPECT_EQ(handler_.events()[0].reason, ShutdownReason::kCrash);
}

TEST_F(SimGuestTest, CrashAfterZeroCrashesAtOnceAndDeliversTheEvent) {
  DomainFacts d = Create("crashy");
  ASSERT_TRUE(sim_->SetGuestBehavior(Ref(d), CrashAfter(absl::ZeroDuration())).ok());
  ASSERT_EQ(handler_.events().size(), 1u);
  EXPECT_EQ(handler_.events()[0].reason, ShutdownReason::kCrash);
  EXPECT_EQ(Describe(d).state, RunState::kShutdown);
}

TEST_F(SimGuestTest, APausedGuestCrashesWhenUnpaused) {
  DomainFacts d = Create("crashy", 512, 1, /*paused=*/true);
  ASSERT_TRUE(sim_->SetGuestBehavior(Ref(d), CrashAfter(absl::ZeroDuration())).ok());
  Advance(absl::Seconds(5));
  EXPECT_EQ(Describe(d).state, RunState::kPaused);
  ASSERT_TRUE(sim_->UnpauseDomain(ctx_, Ref(d)).ok());
  EXPECT_EQ(Describe(d).state, RunState::kShutdown);
  EXPECT_EQ(handler_.events().size(), 1u);
}

TEST_F(SimGuestTest, AnInfiniteDurationCancelsACrash) {
  DomainFacts d = Create("lucky");
  ASSERT_TRUE(sim_->SetGuestBehavior(Ref(d), CrashAfter(absl::Seconds(1))).ok());
  ASSERT_TRUE(sim_->SetGuestBehavior(Ref(d), CrashAfter(absl::InfiniteDuration())).ok());
  Advance(absl::Hours(1));
  EXPECT_EQ(Describe(d).state, RunState::kRunning);
}

TEST_F(SimGuestTest, PoweroffAfterPowersTheGuestOff) {
  DomainFacts d = Create("batch");
  ASSERT_TRUE(sim_->SetGuestBehavior(Ref(d), PoweroffAfter(absl::Seconds(30))).ok());
  Advance(absl::Seconds(29));
  EXPECT_EQ(Describe(d).state, RunState::kRunning);
  Advance(absl::Seconds(1));
  EXPECT_EQ(Describe(d).state, RunState::kShutdown);
  EXPECT_EQ(Describe(d).shutdown_reason, ShutdownReason::kPoweroff);
  ASSERT_EQ(handler_.events().size(), 1u);
  EXPECT_EQ(handler_.events()[0].reason, ShutdownReason::kPoweroff);
}

TEST_F(SimGuestTest, PerGuestShutdownTime) {
  DomainFacts slow = Create("slow");
  DomainFacts fast = Create("fast");
  ASSERT_TRUE(sim_->SetGuestBehavior(Ref(slow), ShutdownTime(absl::Seconds(60))).ok());
  Advance(absl::Seconds(10));
  ASSERT_TRUE(Request(slow, ShutdownReason::kPoweroff).ok());
  ASSERT_TRUE(Request(fast, ShutdownReason::kPoweroff).ok());
  Advance(absl::Seconds(1));
  EXPECT_EQ(Describe(fast).state, RunState::kShutdown);
  EXPECT_EQ(Describe(slow).state, RunState::kRunning);
  Advance(absl::Seconds(59));
  EXPECT_EQ(Describe(slow).state, RunState::kShutdown);
}

TEST_F(SimGuestTest, BehaviourRejectsNegativeDurationsAndUnknownDomains) {
  DomainFacts d = Create("web1");
  EXPECT_EQ(sim_->SetGuestBehavior(Ref(d), CrashAfter(absl::Seconds(-1))).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(sim_->SetGuestBehavior({77, ""}, {}).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(sim_->SetGuestBehavior({0, ""}, {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(SimGuestTest, CpuTimeAccruesWhileRunningOnlyAndExactly) {
  DomainFacts d = Create("busy", 512, 2);  // 2 vCPUs x 0.5 = 1 s of CPU per second
  Advance(absl::Seconds(10));
  EXPECT_EQ(Describe(d).cpu_time_ns, 10 * kSecond);
  ASSERT_TRUE(sim_->PauseDomain(ctx_, Ref(d)).ok());
  Advance(absl::Seconds(100));
  EXPECT_EQ(Describe(d).cpu_time_ns, 10 * kSecond);
  ASSERT_TRUE(sim_->UnpauseDomain(ctx_, Ref(d)).ok());
  Advance(absl::Milliseconds(1500));
  EXPECT_EQ(Describe(d).cpu_time_ns, 11'500'000'000);
  DomainFacts four = Create("four", 512, 4);  // 2 s of CPU per second
  Advance(absl::Nanoseconds(7));
  EXPECT_EQ(Describe(four).cpu_time_ns, 14);
}

TEST_F(SimGuestTest, ShutDownGuestsUseNoMoreCpu) {
  DomainFacts d = Create("web1", 512, 2);
  Advance(absl::Seconds(5));
  ASSERT_TRUE(Request(d, ShutdownReason::kPoweroff).ok());
  Advance(absl::Seconds(1));
  ASSERT_EQ(Describe(d).state, RunState::kShutdown);
  Advance(absl::Seconds(100));
  EXPECT_EQ(Describe(d).cpu_time_ns, 6 * kSecond);
}

TEST_F(SimGuestTest, ReadsApplyDueTransitionsAndDeliverTheirEventsInOrder) {
  DomainFacts a = Create("a");
  DomainFacts b = Create("b");
  ASSERT_TRUE(sim_->SetGuestBehavior(Ref(b), CrashAfter(absl::Seconds(3))).ok());
  ASSERT_TRUE(sim_->SetGuestBehavior(Ref(a), PoweroffAfter(absl::Seconds(4))).ok());
  // No ProcessDueTransitions: the listing itself must not be stale.
  clock_.Advance(absl::Seconds(5));
  absl::StatusOr<std::vector<DomainFacts>> list = sim_->ListDomains(ctx_);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)[1].state, RunState::kShutdown);
  EXPECT_EQ((*list)[2].state, RunState::kShutdown);
  const std::vector<DomainEvent> events = handler_.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].domid, b.domid);  // crashed at 3 s
  EXPECT_EQ(events[1].domid, a.domid);  // powered off at 4 s
}

}  // namespace
}  // namespace xenia::hv
