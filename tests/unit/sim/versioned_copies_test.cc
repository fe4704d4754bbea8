#include "daemon/hypervisor/sim/versioned_copies.h"

#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace xenia::hv {
namespace {

constexpr size_t kCopy = 64;

absl::Span<const uint8_t> Bytes(const std::string& s) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

std::string Read(const std::vector<uint64_t>& pair) {
  const CopyReadResult r = ReadNewestCopy(reinterpret_cast<const uint8_t*>(pair.data()), kCopy);
  switch (r.kind) {
    case CopyReadResult::Kind::kEmpty:
      return "<empty>";
    case CopyReadResult::Kind::kCorrupt:
      return "<corrupt>";
    case CopyReadResult::Kind::kValid:
      return std::string(reinterpret_cast<const char*>(r.payload), r.length);
  }
  return "<?>";
}

void Write(std::vector<uint64_t>& pair, const std::string& value) {
  WriteNextCopy(reinterpret_cast<uint8_t*>(pair.data()), kCopy, Bytes(value));
}

// Two copies of kCopy bytes, 8-byte aligned as in the mapped file.
std::vector<uint64_t> NewPair() { return std::vector<uint64_t>(2 * kCopy / 8, 0); }

TEST(Crc32Test, MatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32(Bytes("123456789")), 0xCBF43926u);
  EXPECT_EQ(Crc32(Bytes("")), 0u);
  EXPECT_EQ(Crc32(Bytes("6789"), Crc32(Bytes("12345"))), 0xCBF43926u);
}

TEST(VersionedCopiesTest, ZeroedMemoryIsEmpty) {
  std::vector<uint64_t> pair = NewPair();
  EXPECT_EQ(Read(pair), "<empty>");
}

TEST(VersionedCopiesTest, NewestWriteWinsAndWritesAlternate) {
  std::vector<uint64_t> pair = NewPair();
  for (int i = 1; i <= 5; ++i) {
    Write(pair, "value " + std::to_string(i));
    EXPECT_EQ(Read(pair), "value " + std::to_string(i));
  }
  // Both copies are in use: the older one holds the previous value.
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(pair.data());
  const std::string first(reinterpret_cast<const char*>(bytes + kCopyOverhead), 7);
  const std::string second(reinterpret_cast<const char*>(bytes + kCopy + kCopyOverhead), 7);
  EXPECT_NE(first, second);
}

// Simulates the writer being killed after every prefix of its stores: the
// payload bytes one by one, then the length, then the checksum; the sequence
// number (the commit point) never made it. The reader must see the previous
// value each time, then the new one once the sequence number is stored.
TEST(VersionedCopiesTest, AWriteCutShortAtAnyStoreLeavesThePreviousValue) {
  for (const int earlier_writes : {1, 2}) {
    std::vector<uint64_t> before = NewPair();
    Write(before, "old value, long enough to matter");
    if (earlier_writes == 2) Write(before, "old value, second edition!!!!!!!");
    const std::string old_value = Read(before);
    std::vector<uint64_t> after = before;
    Write(after, "NEW value, which is different....");
    // Find the copy the write changed.
    const uint8_t* b = reinterpret_cast<const uint8_t*>(before.data());
    const uint8_t* a = reinterpret_cast<const uint8_t*>(after.data());
    const size_t target = std::memcmp(b, a, kCopy) != 0 ? 0 : kCopy;
    // Store order: payload bytes, length (4), checksum (4), sequence (8).
    std::vector<size_t> order;
    for (size_t i = kCopyOverhead; i < kCopy; ++i) order.push_back(i);
    for (size_t i = 12; i < 16; ++i) order.push_back(i);
    for (size_t i = 8; i < 12; ++i) order.push_back(i);
    for (size_t stores = 0; stores <= order.size(); ++stores) {
      std::vector<uint64_t> torn = before;
      uint8_t* t = reinterpret_cast<uint8_t*>(torn.data());
      for (size_t k = 0; k < stores; ++k) t[target + order[k]] = a[target + order[k]];
      ASSERT_EQ(Read(torn), old_value) << "after " << stores << " stores";
    }
    EXPECT_EQ(Read(after), "NEW value, which is different....");
  }
}

TEST(VersionedCopiesTest, CorruptNewestCopyFallsBackToTheOlderOne) {
  std::vector<uint64_t> pair = NewPair();
  Write(pair, "first");
  Write(pair, "second");
  // The second write went to copy 1; flip a payload bit there.
  reinterpret_cast<uint8_t*>(pair.data())[kCopy + kCopyOverhead] ^= 0x01;
  EXPECT_EQ(Read(pair), "first");
  // The next write replaces the corrupt copy, not the good one.
  Write(pair, "third");
  EXPECT_EQ(Read(pair), "third");
  reinterpret_cast<uint8_t*>(pair.data())[kCopy + kCopyOverhead] ^= 0x01;
  EXPECT_EQ(Read(pair), "first");
}

TEST(VersionedCopiesTest, BothCopiesCorruptIsReportedNotGuessed) {
  std::vector<uint64_t> pair = NewPair();
  Write(pair, "first");
  Write(pair, "second");
  uint8_t* bytes = reinterpret_cast<uint8_t*>(pair.data());
  bytes[kCopyOverhead] ^= 0x80;
  bytes[kCopy + kCopyOverhead] ^= 0x80;
  EXPECT_EQ(Read(pair), "<corrupt>");
}

TEST(VersionedCopiesTest, ImpossibleLengthIsCorrupt) {
  std::vector<uint64_t> pair = NewPair();
  Write(pair, "only");
  uint8_t* bytes = reinterpret_cast<uint8_t*>(pair.data());
  const uint32_t huge = 1000;
  std::memcpy(bytes + 12, &huge, sizeof(huge));
  EXPECT_EQ(Read(pair), "<corrupt>");
}

}  // namespace
}  // namespace xenia::hv
