#include "daemon/hypervisor/sim/guest_timeline.h"

#include "gtest/gtest.h"

namespace xenia::hv {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

GuestTimeline Running(int64_t anchor, int32_t vcpus = 2, int64_t load_ppm = 500'000) {
  GuestTimeline t;
  t.running = true;
  t.anchor_boot_ns = anchor;
  t.vcpus = vcpus;
  t.cpu_load_ppm = load_ppm;
  return t;
}

TEST(GuestTimelineTest, GuestTimeAdvancesOnlyWhileRunning) {
  GuestTimeline t = Running(10 * kSecond);
  EXPECT_EQ(GuestNanosAt(t, 10 * kSecond), 0);
  EXPECT_EQ(GuestNanosAt(t, 13 * kSecond), 3 * kSecond);
  Reanchor(t, 13 * kSecond, /*running=*/false);
  EXPECT_EQ(GuestNanosAt(t, 100 * kSecond), 3 * kSecond);
  Reanchor(t, 100 * kSecond, /*running=*/true);
  EXPECT_EQ(GuestNanosAt(t, 101 * kSecond), 4 * kSecond);
}

TEST(GuestTimelineTest, ClockBeforeAnchorCountsAsAnchor) {
  GuestTimeline t = Running(10 * kSecond);
  EXPECT_EQ(GuestNanosAt(t, 5 * kSecond), 0);
  EXPECT_EQ(CpuNanosAt(t, 5 * kSecond), 0);
}

TEST(GuestTimelineTest, CpuTimeIsVcpusTimesLoadTimesRunning) {
  GuestTimeline t = Running(0, /*vcpus=*/4, /*load_ppm=*/250'000);
  EXPECT_EQ(CpuNanosAt(t, 10 * kSecond), 10 * kSecond);
  Reanchor(t, 10 * kSecond, false);
  EXPECT_EQ(CpuNanosAt(t, 50 * kSecond), 10 * kSecond);
  Reanchor(t, 50 * kSecond, true);
  EXPECT_EQ(CpuNanosAt(t, 51 * kSecond), 11 * kSecond);
}

TEST(GuestTimelineTest, CpuNanosForIsExactAndSaturates) {
  EXPECT_EQ(CpuNanosFor(3, 1, 500'000), 1);  // 1.5 ns truncated
  EXPECT_EQ(CpuNanosFor(kSecond, 3, 333'333), 999'999'000);
  EXPECT_EQ(CpuNanosFor(kNever - 1, 1024, 1'000'000), kNever);
  EXPECT_EQ(CpuNanosFor(-5, 1, 1'000'000), 0);
  EXPECT_EQ(CpuLoadToPpm(0.5), 500'000);
  EXPECT_EQ(CpuLoadToPpm(1.0), 1'000'000);
}

TEST(GuestTimelineTest, BootNanosAtGuestNanos) {
  GuestTimeline t = Running(10 * kSecond);
  t.guest_ns = 5 * kSecond;
  EXPECT_EQ(BootNanosAtGuestNanos(t, 7 * kSecond), 12 * kSecond);
  EXPECT_EQ(BootNanosAtGuestNanos(t, 1 * kSecond), 10 * kSecond);  // already behind
  EXPECT_EQ(BootNanosAtGuestNanos(t, kNever), kNever);
  t.running = false;
  EXPECT_EQ(BootNanosAtGuestNanos(t, 7 * kSecond), kNever);
}

TEST(GuestScheduleTest, RequestBeforeBootIsActedOnAfterBoot) {
  GuestSchedule s;
  s.boot_ns = 2 * kSecond;
  s.shutdown_time_ns = 1 * kSecond;
  s.requested = ShutdownReason::kPoweroff;
  s.request_guest_ns = kSecond / 2;
  EXPECT_EQ(RequestDueGuestNanos(s), 3 * kSecond);
  s.request_guest_ns = 10 * kSecond;
  EXPECT_EQ(RequestDueGuestNanos(s), 11 * kSecond);
  s.ignore_shutdown = true;
  EXPECT_EQ(RequestDueGuestNanos(s), kNever);
}

TEST(GuestScheduleTest, NextActionIsTheEarliestAndTiesGoToTheCrash) {
  GuestSchedule s;
  EXPECT_EQ(NextGuestAction(s).guest_ns, kNever);
  s.requested = ShutdownReason::kReboot;
  s.shutdown_time_ns = 5 * kSecond;
  EXPECT_EQ(NextGuestAction(s).reason, ShutdownReason::kReboot);
  EXPECT_EQ(NextGuestAction(s).guest_ns, 5 * kSecond);
  s.poweroff_at_guest_ns = 5 * kSecond;
  EXPECT_EQ(NextGuestAction(s).reason, ShutdownReason::kPoweroff);
  s.crash_at_guest_ns = 5 * kSecond;
  EXPECT_EQ(NextGuestAction(s).reason, ShutdownReason::kCrash);
  s.poweroff_at_guest_ns = 4 * kSecond;
  EXPECT_EQ(NextGuestAction(s).reason, ShutdownReason::kPoweroff);
  EXPECT_EQ(NextGuestAction(s).guest_ns, 4 * kSecond);
}

TEST(GuestScheduleTest, SaturatingAdd) {
  EXPECT_EQ(SaturatingAdd(1, 2), 3);
  EXPECT_EQ(SaturatingAdd(kNever, 1), kNever);
  EXPECT_EQ(SaturatingAdd(5, kNever), kNever);
  EXPECT_EQ(SaturatingAdd(kNever - 10, 11), kNever);
}

}  // namespace
}  // namespace xenia::hv
