// The simulated guest's memory: real, checkable page content without keeping
// the pages anywhere.
//
// A guest has page_count pages of kSimPageSize bytes. Page p's bytes are a
// pure function of (seed, p, version of p): they begin with a tag, p and the
// version, so a receiver can check any page it is sent against the function.
// The guest writes its pages in a fixed order: write k goes to the page at
// position k mod working_set_pages of a permutation of all pages fixed by the
// seed. Only the working set is ever written; its pages are rewritten in
// turn. After W writes, every page's version is thus known in closed form
// (PageVersion), and the pages dirtied between W1 and W2 writes are the
// positions W1..W2 of the cycle (ForEachWrittenPage): what log-dirty mode
// reports to a live migration.
//
// How many writes a guest has made is a function of its own running time
// (WritesAt): it dirties dirty_bytes_per_second of memory while it runs and
// nothing while it is paused.
//
// Pure functions over value types; any thread.
#pragma once

#include <cstdint>
#include <functional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace xenia::hv {

inline constexpr int64_t kSimPageSize = 4096;
inline constexpr int64_t kSimPagesPerMib = (1 << 20) / kSimPageSize;

// What determines a guest's memory at any moment.
struct GuestMemory {
  // Derived from the domain's uuid (MemorySeed), so it travels with the guest.
  uint64_t seed = 0;
  int64_t page_count = 0;
  // Pages the guest writes (1..page_count).
  int64_t working_set_pages = 0;
  // Bytes the guest dirties per second of its running time (0: none).
  int64_t dirty_bytes_per_second = 0;
  // writes(guest time g) = write_offset + g * pages per second, so that a
  // change of rate keeps the count continuous (RetimeWrites).
  int64_t write_offset = 0;
};

// The seed of a guest's content: a hash of its uuid.
uint64_t MemorySeed(absl::string_view uuid);

// The writes a guest has made by guest running time `guest_ns`.
int64_t WritesAt(const GuestMemory& memory, int64_t guest_ns);

// Changes the rate at guest time `guest_ns`, keeping WritesAt continuous.
void RetimeWrites(GuestMemory& memory, int64_t guest_ns, int64_t dirty_bytes_per_second);

// Sets write_offset so that WritesAt(memory, guest_ns) == writes.
void SetWritesAt(GuestMemory& memory, int64_t guest_ns, int64_t writes);

// The order in which a guest writes its pages: a permutation of its page
// numbers fixed by the seed (an affine map modulo page_count). Cheap to copy.
class PageOrder {
 public:
  explicit PageOrder(const GuestMemory& memory);
  // The page at `position` of the cycle (0 <= position < page_count).
  int64_t PfnAt(int64_t position) const;
  int64_t PositionOf(int64_t pfn) const;

 private:
  int64_t count_;
  int64_t multiplier_;
  int64_t inverse_;
  int64_t shift_;
};

// The version of page `pfn` after `writes` writes (0: never written).
uint32_t PageVersion(const GuestMemory& memory, const PageOrder& order, int64_t writes,
                     int64_t pfn);

// Calls `visit(pfn)` for each page written by writes [from, to) (each page
// once, at most working_set_pages of them).
void ForEachWrittenPage(const GuestMemory& memory, const PageOrder& order, int64_t from, int64_t to,
                        const std::function<void(int64_t pfn)>& visit);

// Writes page `pfn`'s kSimPageSize bytes at `version` to `out`.
void FillPage(uint64_t seed, int64_t pfn, uint32_t version, char* out);

// Checks that `page` (kSimPageSize bytes) is page `pfn` of the guest with
// `seed`, and returns its version. DATA_LOSS saying what is wrong otherwise.
absl::StatusOr<uint32_t> CheckPage(uint64_t seed, int64_t pfn, absl::string_view page);

}  // namespace xenia::hv
