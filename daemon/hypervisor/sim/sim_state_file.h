// SimStateFile: the simulated host's state outside the daemon's memory. The
// file (layout in sim_state_format.h) is mapped with MAP_SHARED, so a
// completed store is in the kernel's page cache at once and survives the
// process being killed at any instant; each value is written as a pair of
// versioned copies (versioned_copies.h), so a store cut short leaves the
// previous value readable. Power loss is out of scope on purpose: it reboots
// the host, and a host reboot ends every guest anyway (the header's boot id
// detects it and the file starts over empty).
//
// The file is locked (flock) for exclusive use while the object lives. The
// file grows sparsely: unused slots are holes. The memory file beside it
// ("<path>.memory", see sim_state_format.h) is kept the same way and covered
// by the same lock.
//
// Thread-compatible: the owner serializes calls.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/logger.h"
#include "daemon/hypervisor/sim/sim_domain.h"
#include "daemon/hypervisor/sim/sim_state_format.h"

namespace xenia::hv {

// The host's boot id, from /proc/sys/kernel/random/boot_id. UNAVAILABLE if it
// cannot be read.
absl::StatusOr<std::string> ReadHostBootId();

class SimStateFile {
 public:
  // Opens `path`, creating it and its directory if missing, with room for at
  // least `min_slots` domain records (a file with more keeps them). A file
  // written during another boot than `boot_id` is emptied, with a warning.
  // FAILED_PRECONDITION if another process (or another SimStateFile) holds
  // the file, or it is not a state file of this format version; DATA_LOSS if
  // its header is corrupt beyond its redundancy.
  static absl::StatusOr<std::unique_ptr<SimStateFile>> Open(const std::string& path,
                                                            uint32_t min_slots,
                                                            absl::string_view boot_id,
                                                            Logger& logger);
  ~SimStateFile();
  SimStateFile(const SimStateFile&) = delete;
  SimStateFile& operator=(const SimStateFile&) = delete;

  const std::string& path() const { return path_; }
  const StateHeader& header() const { return header_; }
  uint32_t slot_count() const { return header_.slot_count; }

  // Replaces the header (slot_count must stay as it is).
  void StoreHeader(const StateHeader& header);

  // Every domain in the file, with its slot, in slot order. DATA_LOSS naming
  // the slot if both copies of a record are corrupt. A domain whose memory
  // slot does not hold its memory model gets these defaults (InitMemory).
  absl::StatusOr<std::vector<std::pair<uint32_t, SimDomainRecord>>> LoadRecords(
      int64_t default_dirty_bytes_per_second, int64_t default_working_set_pages) const;

  // Writes a domain's record and memory model into `slot` (< slot_count()).
  void StoreRecord(uint32_t slot, const SimDomainRecord& record);
  // Marks `slot` free.
  void FreeSlot(uint32_t slot);

 private:
  SimStateFile(std::string path, int fd, int memory_fd);
  absl::Status Map(size_t size);
  // Sizes the memory file for the header's slot count (an empty one, if
  // `empty`) and maps it.
  absl::Status MapMemory(bool empty);
  void Unmap();
  // Empties the file and writes a fresh header for `slot_count` slots.
  absl::Status Reinitialize(uint32_t slot_count, absl::string_view boot_id);
  // Grows the file to `slot_count` slots (more than now).
  absl::Status Grow(uint32_t slot_count);
  // Domains recorded in the file (for the warning after a reboot).
  int CountDomains() const;

  const std::string path_;
  const int fd_;
  const int memory_fd_;
  uint8_t* base_ = nullptr;
  size_t mapped_size_ = 0;
  uint8_t* memory_base_ = nullptr;
  size_t memory_mapped_size_ = 0;
  StateHeader header_;
};

}  // namespace xenia::hv
