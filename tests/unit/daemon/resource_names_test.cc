#include "daemon/resource_names.h"

#include "gtest/gtest.h"

namespace xenia {
namespace {

TEST(ResourceNames, FormatsAndParses) {
  ResourceNames names("h1");
  EXPECT_EQ(names.Host(), "hosts/h1");
  EXPECT_EQ(names.Domain("web1"), "hosts/h1/domains/web1");
  EXPECT_EQ(names.Operation("abc"), "hosts/h1/operations/abc");
  EXPECT_EQ(*names.ParseDomain("name", "hosts/h1/domains/web1"), "web1");
  EXPECT_EQ(*names.ParseDomain("name", "hosts/-/domains/web1"), "web1");
  EXPECT_EQ(*names.ParseOperation("name", "hosts/-/operations/abc"), "abc");
  EXPECT_TRUE(names.CheckHost("parent", "").ok());
  EXPECT_TRUE(names.CheckHost("parent", "hosts/-").ok());
  EXPECT_TRUE(names.CheckHost("parent", "hosts/h1").ok());
}

TEST(ResourceNames, WrongShapeIsInvalidArgumentNamingTheField) {
  ResourceNames names("h1");
  for (const char* bad : {"web1", "hosts/h1/domain/web1", "hosts/h1/domains/", "hosts//domains/x",
                          "hosts/h1/domains/web1/extra"}) {
    absl::StatusOr<std::string> parsed = names.ParseDomain("name", bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(parsed.status().message().rfind("name: ", 0), 0u) << parsed.status().message();
  }
  EXPECT_EQ(names.ParseDomain("name", "").status().message(), "name: required");
}

TEST(ResourceNames, AnotherHostIsNotFound) {
  ResourceNames names("h1");
  absl::StatusOr<std::string> parsed = names.ParseDomain("name", "hosts/h2/domains/web1");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(names.CheckHost("parent", "hosts/h2").code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace xenia
