#include "cli/resource_names.h"

#include "gtest/gtest.h"

namespace xenia::cli {
namespace {

TEST(ResourceNamesTest, DomainNames) {
  EXPECT_EQ(DomainResourceName("web1"), "hosts/-/domains/web1");
  EXPECT_EQ(DomainResourceName("hosts/h1/domains/web1"), "hosts/h1/domains/web1");
}

TEST(ResourceNamesTest, OperationNames) {
  EXPECT_EQ(OperationResourceName("0c9f"), "hosts/-/operations/0c9f");
  EXPECT_EQ(OperationResourceName("hosts/h1/operations/0c9f"), "hosts/h1/operations/0c9f");
}

TEST(ResourceNamesTest, LastSegment) {
  EXPECT_EQ(LastSegment("hosts/h1/operations/0c9f"), "0c9f");
  EXPECT_EQ(LastSegment("web1"), "web1");
  EXPECT_EQ(LastSegment(""), "");
}

}  // namespace
}  // namespace xenia::cli
