#include "daemon/hypervisor/sim/versioned_copies.h"

#include <array>
#include <atomic>
#include <cstring>

namespace xenia::hv {
namespace {

constexpr size_t kSeqOffset = 0;
constexpr size_t kCrcOffset = 8;
constexpr size_t kLengthOffset = 12;

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

// The sequence number is the commit point: it is stored last, with release
// order, so every store of the payload and checksum comes before it.
uint64_t LoadSeq(const uint8_t* copy) {
  auto* word = reinterpret_cast<uint64_t*>(const_cast<uint8_t*>(copy + kSeqOffset));
  return std::atomic_ref<uint64_t>(*word).load(std::memory_order_acquire);
}

void StoreSeq(uint8_t* copy, uint64_t seq) {
  auto* word = reinterpret_cast<uint64_t*>(copy + kSeqOffset);
  std::atomic_ref<uint64_t>(*word).store(seq, std::memory_order_release);
}

uint32_t LoadU32(const uint8_t* at) {
  uint32_t value;
  std::memcpy(&value, at, sizeof(value));
  return value;
}

void StoreU32(uint8_t* at, uint32_t value) { std::memcpy(at, &value, sizeof(value)); }

enum class CopyState { kUncommitted, kValid, kCorrupt };

CopyState Inspect(const uint8_t* copy, size_t copy_size, uint64_t* seq) {
  *seq = LoadSeq(copy);
  if (*seq == 0) return CopyState::kUncommitted;
  const uint32_t length = LoadU32(copy + kLengthOffset);
  if (length > copy_size - kCopyOverhead) return CopyState::kCorrupt;
  const uint32_t crc = LoadU32(copy + kCrcOffset);
  if (crc != CopyChecksum(*seq, absl::MakeConstSpan(copy + kCopyOverhead, length))) {
    return CopyState::kCorrupt;
  }
  return CopyState::kValid;
}

}  // namespace

uint32_t Crc32(absl::Span<const uint8_t> data, uint32_t crc) {
  crc = ~crc;
  for (uint8_t byte : data) crc = kCrcTable[(crc ^ byte) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

uint32_t CopyChecksum(uint64_t seq, absl::Span<const uint8_t> payload) {
  uint8_t seq_bytes[sizeof(seq)];
  std::memcpy(seq_bytes, &seq, sizeof(seq));
  const uint32_t length = static_cast<uint32_t>(payload.size());
  uint8_t length_bytes[sizeof(length)];
  std::memcpy(length_bytes, &length, sizeof(length));
  uint32_t crc = Crc32(absl::MakeConstSpan(seq_bytes, sizeof(seq_bytes)));
  crc = Crc32(absl::MakeConstSpan(length_bytes, sizeof(length_bytes)), crc);
  return Crc32(payload, crc);
}

CopyReadResult ReadNewestCopy(const uint8_t* pair, size_t copy_size) {
  CopyReadResult result;
  bool committed = false;
  for (int i = 0; i < 2; ++i) {
    const uint8_t* copy = pair + i * copy_size;
    uint64_t seq = 0;
    const CopyState state = Inspect(copy, copy_size, &seq);
    if (state != CopyState::kUncommitted) committed = true;
    if (state != CopyState::kValid) continue;
    if (result.kind != CopyReadResult::Kind::kValid || seq > result.seq) {
      result.kind = CopyReadResult::Kind::kValid;
      result.seq = seq;
      result.payload = copy + kCopyOverhead;
      result.length = LoadU32(copy + kLengthOffset);
    }
  }
  if (result.kind != CopyReadResult::Kind::kValid && committed) {
    result.kind = CopyReadResult::Kind::kCorrupt;
  }
  return result;
}

uint64_t WriteNextCopy(uint8_t* pair, size_t copy_size, absl::Span<const uint8_t> payload) {
  uint64_t seqs[2];
  CopyState states[2];
  for (int i = 0; i < 2; ++i) states[i] = Inspect(pair + i * copy_size, copy_size, &seqs[i]);
  // Overwrite anything but the newest valid copy.
  int target = 0;
  if (states[0] == CopyState::kValid && (states[1] != CopyState::kValid || seqs[0] > seqs[1])) {
    target = 1;
  }
  const uint64_t seq = (seqs[0] > seqs[1] ? seqs[0] : seqs[1]) + 1;
  uint8_t* copy = pair + target * copy_size;
  std::memcpy(copy + kCopyOverhead, payload.data(), payload.size());
  StoreU32(copy + kLengthOffset, static_cast<uint32_t>(payload.size()));
  StoreU32(copy + kCrcOffset, CopyChecksum(seq, payload));
  StoreSeq(copy, seq);
  return seq;
}

}  // namespace xenia::hv
