#include "common/uuid.h"

#include <set>

#include "gtest/gtest.h"

namespace xenia {
namespace {

TEST(Uuid, RandomUuidsAreValidVersion4AndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string u = NewRandomUuid();
    EXPECT_TRUE(IsValidUuid(u)) << u;
    EXPECT_EQ(u[14], '4') << u;
    EXPECT_TRUE(u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b') << u;
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(Uuid, Validation) {
  EXPECT_TRUE(IsValidUuid("01234567-89ab-cdef-0123-456789ABCDEF"));
  EXPECT_FALSE(IsValidUuid("01234567-89ab-cdef-0123-456789ABCDE"));
  EXPECT_FALSE(IsValidUuid("0123456789ab-cdef-0123-456789ABCDEF-"));
  EXPECT_FALSE(IsValidUuid("g1234567-89ab-cdef-0123-456789abcdef"));
  EXPECT_EQ(NormalizeUuid("ABCDEF01-89ab-cdef-0123-456789ABCDEF"),
            "abcdef01-89ab-cdef-0123-456789abcdef");
}

}  // namespace
}  // namespace xenia
