// VersionedCopies: the crash-consistent storage unit of the simulator's state
// file. A value is kept in two fixed-size copies side by side; each copy holds
// a sequence number, a checksum over sequence number and payload, and the
// payload. A write goes to the copy that is not the newest, in this order:
// payload, length, checksum, and last the sequence number. A process killed
// between any two of those stores leaves the newest copy untouched and the one
// being written invalid (its checksum does not cover its old sequence number
// with its new payload), so the reader still finds the previous value.
//
//   copy := seq:u64 crc:u32 length:u32 payload[copy_size - 16]
//
// A copy whose sequence number is zero was never committed (a fresh, zeroed
// file reads as "no value"). A committed copy whose checksum fails is torn or
// corrupt.
//
// Functions over caller-owned memory (the mapped file); thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"

namespace xenia::hv {

// CRC-32 (IEEE 802.3, the one zlib and gzip use) of `data`, continuing from
// `crc` (0 to start).
uint32_t Crc32(absl::Span<const uint8_t> data, uint32_t crc = 0);

// Bytes before the payload in each copy.
inline constexpr size_t kCopyOverhead = 16;

struct CopyReadResult {
  enum class Kind {
    kEmpty,    // neither copy was ever committed
    kValid,    // `payload` is the newest committed value
    kCorrupt,  // committed copies exist but none passes its checksum
  };
  Kind kind = Kind::kEmpty;
  uint64_t seq = 0;
  // Points into the copies; `length` bytes (kValid only).
  const uint8_t* payload = nullptr;
  uint32_t length = 0;
};

// Reads the newest valid copy of the pair at `pair` (2 * copy_size bytes).
CopyReadResult ReadNewestCopy(const uint8_t* pair, size_t copy_size);

// Writes `payload` (at most copy_size - kCopyOverhead bytes) over the copy
// that is not the newest valid one, with a sequence number above both, and
// returns that sequence number.
uint64_t WriteNextCopy(uint8_t* pair, size_t copy_size, absl::Span<const uint8_t> payload);

// The checksum a copy with this sequence number and payload carries.
uint32_t CopyChecksum(uint64_t seq, absl::Span<const uint8_t> payload);

}  // namespace xenia::hv
