// The simulated guest's memory model: page content, its check, the write
// cycle's closed form against a page-by-page replay, and the dirty sets.
#include "daemon/hypervisor/sim/guest_memory.h"

#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace xenia::hv {
namespace {

using ::testing::HasSubstr;

GuestMemory Memory(int64_t pages, int64_t working_set, int64_t rate = 0) {
  GuestMemory m;
  m.seed = MemorySeed("0f6c3c2e-8d4e-4c55-9a43-6f7d0b1c2d3e");
  m.page_count = pages;
  m.working_set_pages = working_set;
  m.dirty_bytes_per_second = rate;
  return m;
}

std::string Page(uint64_t seed, int64_t pfn, uint32_t version) {
  std::string page(kSimPageSize, '\0');
  FillPage(seed, pfn, version, page.data());
  return page;
}

TEST(GuestMemoryTest, PageOrderIsAPermutation) {
  for (int64_t n : {1, 2, 3, 256, 1000, 4096, 65536 + 7}) {
    const PageOrder order(Memory(n, n));
    std::vector<bool> seen(n, false);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t pfn = order.PfnAt(i);
      ASSERT_GE(pfn, 0);
      ASSERT_LT(pfn, n);
      ASSERT_FALSE(seen[pfn]) << "n=" << n << " pfn " << pfn << " twice";
      seen[pfn] = true;
      ASSERT_EQ(order.PositionOf(pfn), i);
    }
  }
}

TEST(GuestMemoryTest, ClosedFormMatchesReplayingEveryWrite) {
  const GuestMemory m = Memory(1000, 300);
  const PageOrder order(m);
  std::vector<uint32_t> replayed(1000, 0);
  int64_t writes = 0;
  for (int64_t target : {0, 1, 299, 300, 301, 777, 2500}) {
    ForEachWrittenPage(m, order, writes, target, [&](int64_t pfn) { ++replayed[pfn]; });
    // ForEachWrittenPage visits each page once per call; replay one write at
    // a time to count repeats.
    std::fill(replayed.begin(), replayed.end(), 0);
    for (int64_t k = 0; k < target; ++k) {
      ForEachWrittenPage(m, order, k, k + 1, [&](int64_t pfn) { ++replayed[pfn]; });
    }
    writes = target;
    for (int64_t pfn = 0; pfn < 1000; ++pfn) {
      ASSERT_EQ(PageVersion(m, order, writes, pfn), replayed[pfn])
          << "page " << pfn << " after " << writes << " writes";
    }
  }
}

TEST(GuestMemoryTest, OnlyTheWorkingSetIsWritten) {
  const GuestMemory m = Memory(1024, 100);
  const PageOrder order(m);
  std::set<int64_t> written;
  ForEachWrittenPage(m, order, 0, 1'000'000, [&](int64_t pfn) { written.insert(pfn); });
  EXPECT_EQ(written.size(), 100u);
  int64_t untouched = 0;
  for (int64_t pfn = 0; pfn < 1024; ++pfn) untouched += PageVersion(m, order, 1'000'000, pfn) == 0;
  EXPECT_EQ(untouched, 1024 - 100);
}

TEST(GuestMemoryTest, DirtySetBetweenTwoCountsIsWhatChanged) {
  const GuestMemory m = Memory(2048, 2048);
  const PageOrder order(m);
  std::set<int64_t> dirty;
  ForEachWrittenPage(m, order, 500, 900, [&](int64_t pfn) { dirty.insert(pfn); });
  EXPECT_EQ(dirty.size(), 400u);
  for (int64_t pfn = 0; pfn < 2048; ++pfn) {
    const bool changed = PageVersion(m, order, 500, pfn) != PageVersion(m, order, 900, pfn);
    EXPECT_EQ(changed, dirty.count(pfn) == 1) << pfn;
  }
}

TEST(GuestMemoryTest, WritesFollowRunningTimeAndRateChangesAreContinuous) {
  GuestMemory m = Memory(1 << 18, 1 << 18, 4096 * 1000);  // 1000 pages/s
  EXPECT_EQ(WritesAt(m, 0), 0);
  EXPECT_EQ(WritesAt(m, 2'000'000'000), 2000);
  RetimeWrites(m, 2'000'000'000, 4096 * 10);  // 10 pages/s from 2 s on
  EXPECT_EQ(WritesAt(m, 2'000'000'000), 2000);
  EXPECT_EQ(WritesAt(m, 3'000'000'000), 2010);
  SetWritesAt(m, 3'000'000'000, 5);
  EXPECT_EQ(WritesAt(m, 3'000'000'000), 5);
  EXPECT_EQ(WritesAt(m, 4'000'000'000), 15);
}

TEST(GuestMemoryTest, CheckPageAcceptsThePageAndGivesItsVersion) {
  const uint64_t seed = MemorySeed("a");
  absl::StatusOr<uint32_t> version = CheckPage(seed, 77, Page(seed, 77, 12345));
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, 12345u);
  EXPECT_NE(Page(seed, 77, 1), Page(seed, 77, 2));
  EXPECT_NE(Page(seed, 77, 1), Page(seed, 78, 1));
  EXPECT_NE(Page(seed, 77, 1), Page(MemorySeed("b"), 77, 1));
}

TEST(GuestMemoryTest, CheckPageRefusesWhatIsNotThePage) {
  const uint64_t seed = MemorySeed("a");
  EXPECT_THAT(CheckPage(seed, 78, Page(seed, 77, 1)).status().message(),
              HasSubstr("holds the content of page 77"));
  EXPECT_THAT(CheckPage(MemorySeed("b"), 77, Page(seed, 77, 1)).status().message(),
              HasSubstr("differs from the guest's content"));
  std::string flipped = Page(seed, 77, 1);
  flipped[4000] ^= 0x10;
  absl::StatusOr<uint32_t> bad = CheckPage(seed, 77, flipped);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(bad.status().message(), HasSubstr("at byte 4000"));
  EXPECT_THAT(CheckPage(seed, 77, std::string(kSimPageSize, '\0')).status().message(),
              HasSubstr("does not hold guest memory content"));
  EXPECT_EQ(CheckPage(seed, 77, "short").status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace xenia::hv
