#include "common/sizes.h"

#include "gtest/gtest.h"

namespace xenia {
namespace {

TEST(ParseSizeMib, AcceptsSuffixesAndBareMib) {
  EXPECT_EQ(*ParseSizeMib("512"), 512);
  EXPECT_EQ(*ParseSizeMib("512M"), 512);
  EXPECT_EQ(*ParseSizeMib("512MiB"), 512);
  EXPECT_EQ(*ParseSizeMib("2G"), 2048);
  EXPECT_EQ(*ParseSizeMib("2gb"), 2048);
  EXPECT_EQ(*ParseSizeMib("1T"), 1024 * 1024);
  EXPECT_EQ(*ParseSizeMib("2048K"), 2);
}

TEST(ParseSizeMib, RefusesWhatIsNotASize) {
  for (const char* bad : {"", "M", "-5", "12X", "1.5G", "512 MB extra", "1000K"}) {
    absl::StatusOr<int64_t> parsed = ParseSizeMib(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    }
  }
  EXPECT_NE(ParseSizeMib("12X").status().message().find("12X"), absl::string_view::npos);
}

TEST(ParseSizeBytes, RefusesOverflow) {
  EXPECT_FALSE(ParseSizeBytes("99999999999999999999").ok());
  EXPECT_FALSE(ParseSizeBytes("9999999999T").ok());
}

TEST(FormatMib, ReadsNaturally) {
  EXPECT_EQ(FormatMib(512), "512 MiB");
  EXPECT_EQ(FormatMib(2048), "2 GiB");
  EXPECT_EQ(FormatMib(1536), "1.5 GiB");
}

}  // namespace
}  // namespace xenia
