#include "daemon/hypervisor/sim/sim_state_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace xenia::hv {
namespace {

absl::Status FileError(int error, absl::string_view what, absl::string_view path) {
  return absl::Status(absl::ErrnoToStatusCode(error),
                      absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(error)));
}

bool AllZero(absl::Span<const uint8_t> bytes) {
  for (uint8_t b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

// The header copies of a file that does not hold a valid one look like ours
// if they are empty or carry our magic (a torn first write); anything else is
// somebody else's file, which we refuse to overwrite.
bool LooksLikeOurs(const uint8_t* header_region) {
  for (int i = 0; i < 2; ++i) {
    const uint8_t* payload = header_region + i * kCopySize + kCopyOverhead;
    if (std::memcmp(payload, kStateMagic, sizeof(kStateMagic)) != 0 &&
        !AllZero(absl::MakeConstSpan(payload, sizeof(kStateMagic)))) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> ReadHostBootId() {
  constexpr char kBootIdPath[] = "/proc/sys/kernel/random/boot_id";
  std::ifstream in(kBootIdPath);
  std::string boot_id;
  if (!in || !std::getline(in, boot_id) || absl::StripAsciiWhitespace(boot_id).empty()) {
    return absl::UnavailableError(
        absl::StrCat("cannot read the host's boot id from ", kBootIdPath,
                     "; the simulator needs it to tell a daemon restart from a host reboot"));
  }
  return std::string(absl::StripAsciiWhitespace(boot_id));
}

SimStateFile::SimStateFile(std::string path, int fd, int memory_fd)
    : path_(std::move(path)), fd_(fd), memory_fd_(memory_fd) {}

SimStateFile::~SimStateFile() {
  Unmap();
  if (memory_fd_ >= 0) ::close(memory_fd_);
  ::close(fd_);  // Releases the flock.
}

absl::StatusOr<std::unique_ptr<SimStateFile>> SimStateFile::Open(const std::string& path,
                                                                 uint32_t min_slots,
                                                                 absl::string_view boot_id,
                                                                 Logger& logger) {
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) return FileError(error.value(), "create the directory of", path);
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return FileError(errno, "open the simulator state file", path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("the simulator state file ", path,
                       " is in use by another process (is another xeniad running on this host?)"));
    }
    return FileError(error, "lock", path);
  }
  const std::string memory_path = absl::StrCat(path, ".memory");
  const int memory_fd = ::open(memory_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (memory_fd < 0) {
    const int error = errno;
    ::close(fd);
    return FileError(error, "open the simulator memory file", memory_path);
  }
  // From here on the object owns the descriptors.
  std::unique_ptr<SimStateFile> file(new SimStateFile(path, fd, memory_fd));
  struct stat st;
  if (::fstat(fd, &st) != 0) return FileError(errno, "stat", path);
  const size_t size = static_cast<size_t>(st.st_size);

  uint8_t region[kHeaderRegionSize] = {};
  if (size > 0 && ::pread(fd, region, std::min(size, sizeof(region)), 0) < 0) {
    return FileError(errno, "read the header of", path);
  }
  const CopyReadResult read = ReadNewestCopy(region, kCopySize);
  std::optional<StateHeader> header;
  if (read.kind == CopyReadResult::Kind::kValid) {
    absl::StatusOr<StateHeader> decoded =
        DecodeHeader(absl::MakeConstSpan(read.payload, read.length));
    if (!decoded.ok()) {
      return absl::Status(decoded.status().code(),
                          absl::StrCat("cannot use the simulator state file ", path, ": ",
                                       decoded.status().message()));
    }
    header = *std::move(decoded);
  } else if (!LooksLikeOurs(region)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a Xenia simulator state file; refusing to overwrite it"));
  } else if (read.kind == CopyReadResult::Kind::kCorrupt) {
    return absl::DataLossError(absl::StrCat(
        "the header of the simulator state file ", path,
        " is corrupt (both of its copies fail their checksum), so the simulated domains it "
        "describes cannot be recovered; move the file aside to start with an empty host"));
  }

  if (!header.has_value()) {
    // A new file (or one whose first header write never completed).
    if (absl::Status s = file->Reinitialize(min_slots, boot_id); !s.ok()) return s;
    return file;
  }
  const size_t needed = StateFileSize(header->slot_count);
  if (size < needed) {
    return absl::DataLossError(absl::StrCat("the simulator state file ", path, " is ", size,
                                            " bytes long but its header describes ", needed,
                                            "; it was truncated and domain records are lost"));
  }
  if (absl::Status s = file->Map(needed); !s.ok()) return s;
  file->header_ = *header;
  if (header->boot_id != boot_id) {
    logger.Warn(
        "the host rebooted since the simulator state was written: its simulated guests are "
        "gone, as on Xen; starting with an empty host",
        {{"state_file", path},
         {"previous_boot_id", header->boot_id},
         {"boot_id", boot_id},
         {"domains_lost", file->CountDomains()}});
    if (absl::Status s = file->Reinitialize(std::max(min_slots, header->slot_count), boot_id);
        !s.ok()) {
      return s;
    }
    return file;
  }
  if (min_slots > header->slot_count) {
    if (absl::Status s = file->Grow(min_slots); !s.ok()) return s;
  } else if (absl::Status s = file->MapMemory(false); !s.ok()) {
    return s;
  }
  return file;
}

absl::Status SimStateFile::Map(size_t size) {
  Unmap();
  void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (base == MAP_FAILED) return FileError(errno, "map", path_);
  base_ = static_cast<uint8_t*>(base);
  mapped_size_ = size;
  return absl::OkStatus();
}

void SimStateFile::Unmap() {
  if (base_ != nullptr) ::munmap(base_, mapped_size_);
  base_ = nullptr;
  mapped_size_ = 0;
  if (memory_base_ != nullptr) ::munmap(memory_base_, memory_mapped_size_);
  memory_base_ = nullptr;
  memory_mapped_size_ = 0;
}

absl::Status SimStateFile::MapMemory(bool empty) {
  if (memory_base_ != nullptr) ::munmap(memory_base_, memory_mapped_size_);
  memory_base_ = nullptr;
  memory_mapped_size_ = 0;
  const std::string memory_path = absl::StrCat(path_, ".memory");
  const size_t size = MemoryFileSize(header_.slot_count);
  if (empty && ::ftruncate(memory_fd_, 0) != 0) return FileError(errno, "empty", memory_path);
  struct stat st;
  if (::fstat(memory_fd_, &st) != 0) return FileError(errno, "stat", memory_path);
  // Never shrinks: a longer file (slots from a larger host) is harmless.
  if (static_cast<size_t>(st.st_size) < size &&
      ::ftruncate(memory_fd_, static_cast<off_t>(size)) != 0) {
    return FileError(errno, "resize", memory_path);
  }
  void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, memory_fd_, 0);
  if (base == MAP_FAILED) return FileError(errno, "map", memory_path);
  memory_base_ = static_cast<uint8_t*>(base);
  memory_mapped_size_ = size;
  return absl::OkStatus();
}

absl::Status SimStateFile::Reinitialize(uint32_t slot_count, absl::string_view boot_id) {
  Unmap();
  // Truncating to zero first drops every old record at once (a kill right
  // after leaves an empty file, which opens as a new one).
  const size_t size = StateFileSize(slot_count);
  if (::ftruncate(fd_, 0) != 0 || ::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
    return FileError(errno, "resize", path_);
  }
  if (absl::Status s = Map(size); !s.ok()) return s;
  header_.slot_count = slot_count;
  if (absl::Status s = MapMemory(true); !s.ok()) return s;
  StoreHeader(StateHeader{slot_count, /*next_domid=*/1, std::string(boot_id)});
  return absl::OkStatus();
}

absl::Status SimStateFile::Grow(uint32_t slot_count) {
  // The file grows before the header says so: a kill in between leaves a
  // file longer than needed, which is harmless.
  const size_t size = StateFileSize(slot_count);
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return FileError(errno, "grow", path_);
  if (absl::Status s = Map(size); !s.ok()) return s;
  StateHeader grown = header_;
  grown.slot_count = slot_count;
  StoreHeader(grown);
  return MapMemory(false);
}

void SimStateFile::StoreHeader(const StateHeader& header) {
  const HeaderPayload payload = EncodeHeader(header);
  WriteNextCopy(base_, kCopySize,
                absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(&payload), sizeof(payload)));
  header_ = header;
}

int SimStateFile::CountDomains() const {
  int count = 0;
  for (uint32_t slot = 0; slot < header_.slot_count; ++slot) {
    const CopyReadResult read = ReadNewestCopy(base_ + SlotOffset(slot), kCopySize);
    if (read.kind == CopyReadResult::Kind::kValid && read.length >= sizeof(uint32_t)) {
      uint32_t in_use;
      std::memcpy(&in_use, read.payload, sizeof(in_use));
      if (in_use != 0) ++count;
    }
  }
  return count;
}

absl::StatusOr<std::vector<std::pair<uint32_t, SimDomainRecord>>> SimStateFile::LoadRecords(
    int64_t default_dirty_bytes_per_second, int64_t default_working_set_pages) const {
  std::vector<std::pair<uint32_t, SimDomainRecord>> records;
  for (uint32_t slot = 0; slot < header_.slot_count; ++slot) {
    const CopyReadResult read = ReadNewestCopy(base_ + SlotOffset(slot), kCopySize);
    if (read.kind == CopyReadResult::Kind::kEmpty) continue;
    if (read.kind == CopyReadResult::Kind::kCorrupt) {
      return absl::DataLossError(absl::StrCat(
          "slot ", slot, " of the simulator state file ", path_,
          " is corrupt (both of its copies fail their checksum): a simulated domain's record "
          "is lost; move the file aside to start with an empty host"));
    }
    RecordPayload payload = FreeRecord();
    std::memcpy(&payload, read.payload, std::min<size_t>(read.length, sizeof(payload)));
    if (payload.in_use == 0) continue;
    absl::StatusOr<SimDomainRecord> record = DecodeRecord(payload);
    if (!record.ok()) {
      return absl::DataLossError(absl::StrCat("slot ", slot, " of the simulator state file ", path_,
                                              " is unreadable: ", record.status().message()));
    }
    InitMemory(*record, default_dirty_bytes_per_second, default_working_set_pages);
    const CopyReadResult memory =
        ReadNewestCopy(memory_base_ + MemorySlotOffset(slot), kMemoryCopySize);
    if (memory.kind == CopyReadResult::Kind::kValid) {
      MemoryPayload memory_payload;
      std::memset(&memory_payload, 0, sizeof(memory_payload));
      std::memcpy(&memory_payload, memory.payload,
                  std::min<size_t>(memory.length, sizeof(memory_payload)));
      DecodeMemory(memory_payload, *record);
    }
    records.emplace_back(slot, *std::move(record));
  }
  return records;
}

void SimStateFile::StoreRecord(uint32_t slot, const SimDomainRecord& record) {
  // The memory model first: a kill between the writes leaves a memory slot
  // naming a uuid the record slot does not hold yet, which reads as none.
  const MemoryPayload memory = EncodeMemory(record);
  WriteNextCopy(memory_base_ + MemorySlotOffset(slot), kMemoryCopySize,
                absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(&memory), sizeof(memory)));
  const RecordPayload payload = EncodeRecord(record);
  WriteNextCopy(base_ + SlotOffset(slot), kCopySize,
                absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(&payload), sizeof(payload)));
}

void SimStateFile::FreeSlot(uint32_t slot) {
  const RecordPayload payload = FreeRecord();
  WriteNextCopy(base_ + SlotOffset(slot), kCopySize,
                absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(&payload), sizeof(payload)));
}

}  // namespace xenia::hv
