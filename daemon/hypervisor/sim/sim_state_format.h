// The on-disk layout of the simulator's host state file, and the conversion
// of its records to and from the in-memory types.
//
//   offset 0            header: VersionedCopies of HeaderPayload (2 x 256 bytes)
//   offset 4096 + 512*i slot i: VersionedCopies of RecordPayload (2 x 256 bytes)
//
// Beside it, the memory file ("<state file>.memory") holds each slot's
// memory model (guest_memory.h) at the same index:
//
//   offset 256*i        memory slot i: VersionedCopies of MemoryPayload (2 x 128 bytes)
//
// A memory slot counts only if it names the uuid of the record in its slot;
// otherwise (a file from before the memory file existed, or a kill between
// the two writes) the domain's memory takes the host's defaults.
//
// Integers are in the host's byte order: the file belongs to one host and is
// meaningless after that host reboots (its boot id is in the header). A slot
// whose newest copy has in_use == 0 (or was never committed) is free.
//
// Pure functions over fixed-size plain structs; thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/hypervisor/sim/sim_domain.h"
#include "daemon/hypervisor/sim/versioned_copies.h"

namespace xenia::hv {

inline constexpr char kStateMagic[8] = {'X', 'E', 'N', 'S', 'I', 'M', 'H', '1'};
inline constexpr uint32_t kStateFormatVersion = 1;
inline constexpr size_t kCopySize = 256;
inline constexpr size_t kHeaderRegionSize = 4096;
inline constexpr size_t kSlotSize = 2 * kCopySize;

// Xen's domids run from 1 to DOMID_FIRST_RESERVED - 1.
inline constexpr uint32_t kDomidFirstReserved = 0x7FF0;

struct HeaderPayload {
  char magic[8];
  uint32_t format_version;
  uint32_t slot_size;
  uint32_t slot_count;
  // The domid the next domain is offered (Xen's allocator never goes back).
  uint32_t next_domid;
  // /proc/sys/kernel/random/boot_id of the boot that wrote the file.
  char boot_id[40];
};
static_assert(sizeof(HeaderPayload) <= kCopySize - kCopyOverhead);

struct RecordPayload {
  uint32_t in_use;
  uint32_t domid;
  char uuid[40];
  char name[64];
  int32_t type;
  int32_t state;
  int32_t shutdown_reason;
  int32_t requested_shutdown;
  int64_t memory_mib;
  int64_t max_memory_mib;
  int32_t vcpus;
  int32_t max_vcpus;
  int64_t cpu_load_ppm;
  int64_t anchor_boot_ns;
  int64_t guest_ns;
  int64_t cpu_ns;
  int64_t boot_ns;
  int64_t shutdown_time_ns;
  int64_t request_guest_ns;
  int64_t crash_at_guest_ns;
  int64_t poweroff_at_guest_ns;
  uint32_t running;
  // kRecordIgnoresShutdown | kRecordMadeByXeniad |
  // kRecordRefusesDeviceRelease. (The first files held only
  // 0 or 1 here, for ignore_shutdown: they read the same.)
  uint32_t flags;
};
constexpr uint32_t kRecordIgnoresShutdown = 1;
constexpr uint32_t kRecordMadeByXeniad = 2;
constexpr uint32_t kRecordRefusesDeviceRelease = 4;
static_assert(sizeof(RecordPayload) <= kCopySize - kCopyOverhead);

inline constexpr size_t kMemoryCopySize = 128;
inline constexpr size_t kMemorySlotSize = 2 * kMemoryCopySize;

struct MemoryPayload {
  char uuid[40];
  int64_t working_set_pages;
  int64_t dirty_bytes_per_second;
  int64_t write_offset;
  // The balloon (guest_balloon.h); all 0 in files from before it existed,
  // which reads as a balloon never set.
  int64_t balloon_target_kib;
  int64_t balloon_from_kib;
  int64_t balloon_set_guest_ns;
  int64_t balloon_floor_kib;
  int64_t balloon_kib_per_second;
};
static_assert(sizeof(MemoryPayload) <= kMemoryCopySize - kCopyOverhead);

// What the header says, in memory.
struct StateHeader {
  uint32_t slot_count = 0;
  uint32_t next_domid = 1;
  std::string boot_id;
};

HeaderPayload EncodeHeader(const StateHeader& header);
// FAILED_PRECONDITION for another magic (not a state file) or format version.
absl::StatusOr<StateHeader> DecodeHeader(absl::Span<const uint8_t> payload);

RecordPayload EncodeRecord(const SimDomainRecord& record);
// INVALID_ARGUMENT (to be wrapped by the caller) for a payload that passes its
// checksum yet holds impossible values.
absl::StatusOr<SimDomainRecord> DecodeRecord(const RecordPayload& payload);

MemoryPayload EncodeMemory(const SimDomainRecord& record);
// Sets record.memory from `payload` if it belongs to the record (same uuid,
// sane values); returns whether it did.
bool DecodeMemory(const MemoryPayload& payload, SimDomainRecord& record);

// The payload of a free slot.
RecordPayload FreeRecord();

// The file offset of slot `slot`, and the file size for `slot_count` slots.
inline constexpr size_t SlotOffset(size_t slot) { return kHeaderRegionSize + slot * kSlotSize; }
inline constexpr size_t StateFileSize(size_t slot_count) { return SlotOffset(slot_count); }
inline constexpr size_t MemorySlotOffset(size_t slot) { return slot * kMemorySlotSize; }
inline constexpr size_t MemoryFileSize(size_t slot_count) { return MemorySlotOffset(slot_count); }

}  // namespace xenia::hv
