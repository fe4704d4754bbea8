// BlockDigests: one fingerprint per block, so that two copies of a message
// show which blocks differ.
#include "daemon/stream/block_digests.h"

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace xenia::stream {
namespace {

std::vector<std::string> Split(const std::string& digests) {
  return absl::StrSplit(digests, ' ', absl::SkipEmpty());
}

TEST(BlockDigestsTest, OneEightHexDigitFingerprintPerBlockAndOneForTheShortTail) {
  std::string data(10 * 1024 + 5, 'x');
  std::vector<std::string> blocks = Split(BlockDigests(data, 1024));
  ASSERT_EQ(blocks.size(), 11u);
  for (const std::string& b : blocks) {
    EXPECT_EQ(b.size(), 8u) << b;
    EXPECT_EQ(b.find_first_not_of("0123456789abcdef"), std::string::npos) << b;
  }
  // Equal blocks, equal fingerprints; the 5-byte tail differs.
  EXPECT_EQ(blocks[0], blocks[9]);
  EXPECT_NE(blocks[9], blocks[10]);
}

TEST(BlockDigestsTest, AChangedByteChangesOnlyItsBlockAndAShiftChangesEveryBlockAfterIt) {
  std::string data;
  for (int i = 0; i < 8 * 256; ++i) data.push_back(static_cast<char>(i * 7 + i / 256));
  const std::vector<std::string> original = Split(BlockDigests(data, 256));

  std::string damaged = data;
  damaged[3 * 256 + 17] ^= 1;
  std::vector<std::string> d = Split(BlockDigests(damaged, 256));
  ASSERT_EQ(d.size(), original.size());
  for (size_t i = 0; i < d.size(); ++i) EXPECT_EQ(d[i] != original[i], i == 3) << i;

  std::string shifted = data;
  shifted.erase(2 * 256 + 9, 1);
  shifted.push_back('\0');
  std::vector<std::string> s = Split(BlockDigests(shifted, 256));
  ASSERT_EQ(s.size(), original.size());
  for (size_t i = 0; i < s.size(); ++i) EXPECT_EQ(s[i] != original[i], i >= 2) << i;
}

TEST(BlockDigestsTest, EmptyInputOrZeroBlockSizeGivesNothing) {
  EXPECT_EQ(BlockDigests("", 64), "");
  EXPECT_EQ(BlockDigests("abc", 0), "");
}

}  // namespace
}  // namespace xenia::stream
