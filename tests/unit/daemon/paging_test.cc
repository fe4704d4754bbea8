#include "daemon/api/paging.h"

#include "gtest/gtest.h"

namespace xenia {
namespace {

TEST(PageSize, DefaultsClampsAndRefusesNegative) {
  EXPECT_EQ(*PageSize(0, 100, 1000), 100);
  EXPECT_EQ(*PageSize(5, 100, 1000), 5);
  EXPECT_EQ(*PageSize(5000, 100, 1000), 1000);
  absl::StatusOr<int> bad = PageSize(-1, 100, 1000);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("page_size"), absl::string_view::npos);
}

TEST(PageToken, RoundTripsWithinItsQuery) {
  std::string token = EncodePageToken("ListDomains\npower_state = RUNNING", "web42");
  absl::StatusOr<std::string> key = DecodePageToken(token, "ListDomains\npower_state = RUNNING");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, "web42");
  EXPECT_EQ(*DecodePageToken("", "anything"), "");
}

TEST(PageToken, RefusesTokensOfAnotherQueryOrGarbage) {
  std::string token = EncodePageToken("ListDomains\n", "web42");
  absl::StatusOr<std::string> other = DecodePageToken(token, "ListDomains\nname = x");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(DecodePageToken("!!!not base64!!!", "ListDomains\n").ok());
}

}  // namespace
}  // namespace xenia
