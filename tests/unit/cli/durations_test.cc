#include "cli/durations.h"

#include "gtest/gtest.h"

namespace xenia::cli {
namespace {

TEST(DurationsTest, GoStyleStrings) {
  EXPECT_EQ(*ParseDurationFlag("30s"), absl::Seconds(30));
  EXPECT_EQ(*ParseDurationFlag("2m"), absl::Minutes(2));
  EXPECT_EQ(*ParseDurationFlag("1m30s"), absl::Seconds(90));
  EXPECT_EQ(*ParseDurationFlag("500ms"), absl::Milliseconds(500));
  EXPECT_EQ(*ParseDurationFlag("1h"), absl::Hours(1));
  EXPECT_EQ(*ParseDurationFlag("0"), absl::ZeroDuration());
}

TEST(DurationsTest, BareIntegerIsSeconds) {
  EXPECT_EQ(*ParseDurationFlag("45"), absl::Seconds(45));
  EXPECT_EQ(*ParseDurationFlag(" 7 "), absl::Seconds(7));
}

TEST(DurationsTest, RejectsGarbageNegativeAndInfinite) {
  for (const char* bad : {"", "abc", "10x", "1.5", "-5s", "-3", "inf", "s"}) {
    absl::StatusOr<absl::Duration> d = ParseDurationFlag(bad);
    EXPECT_FALSE(d.ok()) << bad;
    if (!d.ok()) {
      EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_NE(d.status().message().find(std::string("\"") + bad + "\""), std::string::npos)
          << d.status();
    }
  }
}

TEST(DurationsTest, ProtoRoundTrip) {
  const google::protobuf::Duration p = ToProtoDuration(absl::Milliseconds(1500));
  EXPECT_EQ(p.seconds(), 1);
  EXPECT_EQ(p.nanos(), 500000000);
  EXPECT_EQ(FromProtoDuration(p), absl::Milliseconds(1500));
}

TEST(DurationsTest, TenthsOfSeconds) {
  google::protobuf::Duration d;
  EXPECT_EQ(FormatSecondsTenths(d), "0.0");
  d.set_seconds(12);
  d.set_nanos(340000000);
  EXPECT_EQ(FormatSecondsTenths(d), "12.3");
}

}  // namespace
}  // namespace xenia::cli
