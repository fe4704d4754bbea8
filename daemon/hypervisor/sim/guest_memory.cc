#include "daemon/hypervisor/sim/guest_memory.h"

#include <bit>
#include <cstring>
#include <numeric>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "daemon/stream/little_endian.h"

namespace xenia::hv {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
// "XENIAPG1" as a little-endian word: the first word of every page.
constexpr uint64_t kPageTag = 0x31475041494E4558ull;
constexpr int kHeaderWords = 3;
constexpr int kWordsPerPage = kSimPageSize / 8;

uint64_t Mix(uint64_t x) {
  // splitmix64's finalizer.
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The word the page body starts from, and what each next word adds.
uint64_t BodyStart(uint64_t seed, int64_t pfn, uint32_t version) {
  return Mix(seed ^ Mix(static_cast<uint64_t>(pfn) ^ (static_cast<uint64_t>(version) << 40)));
}
constexpr uint64_t kBodyStride = 0xD6E8FEB86659FD93ull;

// Writes per second of running time, as a rational: bytes / kSimPageSize.
int64_t WritesFor(int64_t dirty_bytes_per_second, int64_t guest_ns) {
  if (dirty_bytes_per_second <= 0 || guest_ns <= 0) return 0;
  absl::int128 writes = absl::int128(guest_ns) * dirty_bytes_per_second /
                        (absl::int128(kNanosPerSecond) * kSimPageSize);
  return static_cast<int64_t>(writes);
}

// Body words are little-endian like the rest of the stream; on a
// little-endian host that is a plain copy.
void StoreWord(char* out, uint64_t word) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(out, &word, 8);
  } else {
    stream::PutU64(out, word);
  }
}

uint64_t LoadWord(const char* in) {
  if constexpr (std::endian::native == std::endian::little) {
    uint64_t word;
    std::memcpy(&word, in, 8);
    return word;
  } else {
    return stream::GetU64(in);
  }
}

int64_t ModInverse(int64_t a, int64_t m) {
  // Extended Euclid; a and m coprime.
  int64_t t = 0, new_t = 1, r = m, new_r = a;
  while (new_r != 0) {
    int64_t q = r / new_r;
    int64_t tmp = t - q * new_t;
    t = new_t;
    new_t = tmp;
    tmp = r - q * new_r;
    r = new_r;
    new_r = tmp;
  }
  return t < 0 ? t + m : t;
}

int64_t MulMod(int64_t a, int64_t b, int64_t m) {
  return static_cast<int64_t>(absl::int128(a) * b % m);
}

}  // namespace

uint64_t MemorySeed(absl::string_view uuid) {
  uint64_t h = 0xCBF29CE484222325ull;  // FNV-1a, then mixed.
  for (unsigned char c : uuid) h = (h ^ c) * 0x100000001B3ull;
  return Mix(h);
}

int64_t WritesAt(const GuestMemory& memory, int64_t guest_ns) {
  return memory.write_offset + WritesFor(memory.dirty_bytes_per_second, guest_ns);
}

void RetimeWrites(GuestMemory& memory, int64_t guest_ns, int64_t dirty_bytes_per_second) {
  const int64_t writes = WritesAt(memory, guest_ns);
  memory.dirty_bytes_per_second = std::max<int64_t>(0, dirty_bytes_per_second);
  SetWritesAt(memory, guest_ns, writes);
}

void SetWritesAt(GuestMemory& memory, int64_t guest_ns, int64_t writes) {
  memory.write_offset = writes - WritesFor(memory.dirty_bytes_per_second, guest_ns);
}

PageOrder::PageOrder(const GuestMemory& memory) : count_(std::max<int64_t>(1, memory.page_count)) {
  const uint64_t mixed = Mix(memory.seed ^ 0xA5A5A5A5A5A5A5A5ull);
  int64_t a = static_cast<int64_t>(mixed % static_cast<uint64_t>(count_));
  // A multiplier near 0.618 of the count scatters neighbours; any coprime one
  // makes a permutation.
  a = (a / 4 + count_ * 5 / 8) % count_;
  if (a == 0) a = 1;
  while (std::gcd(a, count_) != 1) a = a + 1 < count_ ? a + 1 : 1;
  multiplier_ = a;
  inverse_ = count_ == 1 ? 0 : ModInverse(a, count_);
  shift_ = static_cast<int64_t>(Mix(memory.seed) % static_cast<uint64_t>(count_));
}

int64_t PageOrder::PfnAt(int64_t position) const {
  return (MulMod(multiplier_, position, count_) + shift_) % count_;
}

int64_t PageOrder::PositionOf(int64_t pfn) const {
  return MulMod(inverse_, (pfn - shift_ + count_) % count_, count_);
}

uint32_t PageVersion(const GuestMemory& memory, const PageOrder& order, int64_t writes,
                     int64_t pfn) {
  const int64_t wss = memory.working_set_pages;
  if (wss <= 0 || writes <= 0) return 0;
  const int64_t position = order.PositionOf(pfn);
  if (position >= wss) return 0;
  const int64_t rounds = writes / wss;
  const int64_t extra = position < writes % wss ? 1 : 0;
  return static_cast<uint32_t>(rounds + extra);
}

void ForEachWrittenPage(const GuestMemory& memory, const PageOrder& order, int64_t from, int64_t to,
                        const std::function<void(int64_t pfn)>& visit) {
  const int64_t wss = memory.working_set_pages;
  if (wss <= 0 || to <= from) return;
  const int64_t count = std::min(to - from, wss);
  int64_t position = from % wss;
  for (int64_t i = 0; i < count; ++i) {
    visit(order.PfnAt(position));
    if (++position == wss) position = 0;
  }
}

void FillPage(uint64_t seed, int64_t pfn, uint32_t version, char* out) {
  stream::PutU64(out, kPageTag);
  stream::PutU64(out + 8, static_cast<uint64_t>(pfn));
  stream::PutU64(out + 16, version);
  uint64_t word = BodyStart(seed, pfn, version);
  for (int i = kHeaderWords; i < kWordsPerPage; ++i) {
    StoreWord(out + 8 * i, word);
    word += kBodyStride;
  }
}

absl::StatusOr<uint32_t> CheckPage(uint64_t seed, int64_t pfn, absl::string_view page) {
  if (static_cast<int64_t>(page.size()) != kSimPageSize) {
    return absl::DataLossError(
        absl::StrCat("page ", pfn, " is ", page.size(), " bytes, not ", kSimPageSize));
  }
  const char* p = page.data();
  if (stream::GetU64(p) != kPageTag) {
    return absl::DataLossError(absl::StrCat("page ", pfn, " does not hold guest memory content"));
  }
  if (stream::GetU64(p + 8) != static_cast<uint64_t>(pfn)) {
    return absl::DataLossError(
        absl::StrCat("page ", pfn, " holds the content of page ", stream::GetU64(p + 8)));
  }
  const uint64_t version = stream::GetU64(p + 16);
  if (version > UINT32_MAX) {
    return absl::DataLossError(absl::StrCat("page ", pfn, " has an impossible version"));
  }
  const uint64_t start = BodyStart(seed, pfn, static_cast<uint32_t>(version));
  // Every word is compared without an early exit, so that the compiler can
  // vectorize the loop; the first difference is looked for only if there is
  // one.
  uint64_t diff = 0;
  uint64_t word = start;
  for (int i = kHeaderWords; i < kWordsPerPage; ++i) {
    diff |= LoadWord(p + 8 * i) ^ word;
    word += kBodyStride;
  }
  if (diff == 0) return static_cast<uint32_t>(version);
  word = start;
  int i = kHeaderWords;
  while (LoadWord(p + 8 * i) == word) {
    word += kBodyStride;
    ++i;
  }
  return absl::DataLossError(absl::StrCat("page ", pfn, " (version ", version,
                                          ") differs from the guest's content at byte ", 8 * i));
}

}  // namespace xenia::hv
