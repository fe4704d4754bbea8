// xl's CPU list and vif rate syntaxes.
#include <vector>

#include "daemon/hypervisor/libxl/cpu_list.h"
#include "daemon/hypervisor/libxl/domain_config_parts.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace xenia::hv {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CpuList, ParsesXlSyntax) {
  EXPECT_THAT(*ParseCpuList("3", "f"), ElementsAre(3));
  EXPECT_THAT(*ParseCpuList("0-3,6", "f"), ElementsAre(0, 1, 2, 3, 6));
  EXPECT_THAT(*ParseCpuList("0-5,^1-2,^4", "f"), ElementsAre(0, 3, 5));
  EXPECT_THAT(*ParseCpuList("6,2,2,0-1", "f"), ElementsAre(0, 1, 2, 6));
}

TEST(CpuList, RefusesMalformedLists) {
  for (const char* bad : {"", "a", "1,", "-1", "1-", "3-1", "1-2-3", "+1", " 1", "4096", "^"}) {
    absl::StatusOr<std::vector<int>> cpus = ParseCpuList(bad, "spec.cpus");
    EXPECT_EQ(cpus.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(cpus.status().message()), HasSubstr("spec.cpus: ")) << bad;
  }
}

TEST(CpuList, FormatsCanonically) {
  EXPECT_EQ(FormatCpuList({}), "");
  EXPECT_EQ(FormatCpuList({4}), "4");
  EXPECT_EQ(FormatCpuList({0, 1, 2, 3, 6, 8, 9}), "0-3,6,8-9");
}

TEST(CpuList, BitmapsRoundTrip) {
  libxl_bitmap bitmap;
  libxl_bitmap_init(&bitmap);
  CpusToBitmap({0, 7, 8, 63}, &bitmap);
  EXPECT_EQ(bitmap.size, 8u);
  EXPECT_THAT(BitmapToCpus(bitmap), ElementsAre(0, 7, 8, 63));
  libxl_bitmap_dispose(&bitmap);
}

TEST(NicRate, ParsesAsXlDoes) {
  uint64_t bytes = 0;
  uint32_t usecs = 0;
  ASSERT_TRUE(ParseNicRate("10MB/s", "f", &bytes, &usecs).ok());
  EXPECT_EQ(usecs, 50'000u);
  EXPECT_EQ(bytes, 500'000u);  // 10 MB/s over 50 ms
  ASSERT_TRUE(ParseNicRate("8Mb/s@20ms", "f", &bytes, &usecs).ok());
  EXPECT_EQ(usecs, 20'000u);
  EXPECT_EQ(bytes, 20'000u);  // 1 MB/s over 20 ms
  ASSERT_TRUE(ParseNicRate("100KB/s@1s", "f", &bytes, &usecs).ok());
  EXPECT_EQ(usecs, 1'000'000u);
  EXPECT_EQ(bytes, 100'000u);
  ASSERT_TRUE(ParseNicRate("1GB/s@250us", "f", &bytes, &usecs).ok());
  EXPECT_EQ(usecs, 250u);
  EXPECT_EQ(bytes, 250'000u);
  ASSERT_TRUE(ParseNicRate("5B/s@2", "f", &bytes, &usecs).ok());
  EXPECT_EQ(usecs, 2'000'000u);
  EXPECT_EQ(bytes, 10u);
}

TEST(NicRate, RefusesMalformedRates) {
  uint64_t bytes = 0;
  uint32_t usecs = 0;
  for (const char* bad : {"", "10", "10MB", "MB/s", "0MB/s", "10TB/s", "1MB/s@", "1MB/s@0ms",
                          "1MB/s@5000s", "1MB/s@1ms@2ms", "-1MB/s", "99999999999B/s"}) {
    absl::Status status = ParseNicRate(bad, "spec.x.rate", &bytes, &usecs);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(status.message()), HasSubstr("spec.x.rate: ")) << bad;
  }
}

TEST(NicRate, FormatsCanonically) {
  EXPECT_EQ(FormatNicRate(500'000, 50'000), "10MB/s");
  EXPECT_EQ(FormatNicRate(20'000, 20'000), "1MB/s@20ms");
  EXPECT_EQ(FormatNicRate(15, 10'000), "1500B/s@10ms");
  EXPECT_EQ(FormatNicRate(100'000, 1'000'000), "100KB/s@1s");
  EXPECT_EQ(FormatNicRate(250'000, 250), "1GB/s@250us");
}

}  // namespace
}  // namespace xenia::hv
