#include "daemon/hypervisor/sim/guest_balloon.h"

#include "gtest/gtest.h"

namespace xenia::hv {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kGiB = int64_t{1} << 20;  // in KiB

TEST(GuestBalloonTest, NeverSetHoldsTheBuiltMemory) {
  GuestBalloon b;
  EXPECT_EQ(BalloonTargetKib(b, kGiB), kGiB);
  EXPECT_EQ(BalloonMemoryKibAt(b, kGiB, 100 * kSecond), kGiB);
}

TEST(GuestBalloonTest, MovesAtItsRateInGuestTimeAndStopsAtTheTarget) {
  GuestBalloon b;
  b.kib_per_second = 256 << 10;  // 256 MiB/s
  SetBalloonTarget(b, kGiB, kGiB / 2, 10 * kSecond);
  EXPECT_EQ(BalloonMemoryKibAt(b, kGiB, 10 * kSecond), kGiB);
  EXPECT_EQ(BalloonMemoryKibAt(b, kGiB, 11 * kSecond), kGiB - (256 << 10));
  EXPECT_EQ(BalloonMemoryKibAt(b, kGiB, 12 * kSecond), kGiB / 2);
  EXPECT_EQ(BalloonMemoryKibAt(b, kGiB, 60 * kSecond), kGiB / 2);
  // Up again from wherever it stands.
  SetBalloonTarget(b, kGiB, 2 * kGiB, 13 * kSecond);
  EXPECT_EQ(BalloonMemoryKibAt(b, kGiB, 14 * kSecond), kGiB / 2 + (256 << 10));
  EXPECT_EQ(BalloonMemoryKibAt(b, kGiB, 30 * kSecond), 2 * kGiB);
}

TEST(GuestBalloonTest, TheFloorStopsItGoingDownButNeverPullsItUp) {
  GuestBalloon b;
  b.floor_kib = 700 << 10;
  SetBalloonTarget(b, kGiB, 512 << 10, 0);
  EXPECT_EQ(BalloonRestingKib(b, kGiB), 700 << 10);
  EXPECT_EQ(BalloonMemoryKibAt(b, kGiB, 60 * kSecond), 700 << 10);
  EXPECT_EQ(BalloonTargetKib(b, kGiB), 512 << 10);
  // A guest already below a floor set later stays where it is.
  GuestBalloon low;
  SetBalloonTarget(low, kGiB, 256 << 10, 0);
  SetBalloonBehavior(low, kGiB, 700 << 10, 0, 60 * kSecond);
  EXPECT_EQ(BalloonMemoryKibAt(low, kGiB, 120 * kSecond), 256 << 10);
}

TEST(GuestBalloonTest, ChangingTheRateKeepsTheMemoryWhereItIs) {
  GuestBalloon b;
  SetBalloonTarget(b, kGiB, 0 + (256 << 10), 0);
  const int64_t at_one = BalloonMemoryKibAt(b, kGiB, kSecond / 2);
  SetBalloonBehavior(b, kGiB, 0, 1 << 10, kSecond / 2);  // 1 MiB/s
  EXPECT_EQ(BalloonMemoryKibAt(b, kGiB, kSecond / 2), at_one);
  EXPECT_EQ(BalloonMemoryKibAt(b, kGiB, kSecond / 2 + kSecond), at_one - (1 << 10));
}

}  // namespace
}  // namespace xenia::hv
