#include "daemon/hypervisor/sim/sim_state_format.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace xenia::hv {
namespace {

template <size_t N>
void CopyString(char (&to)[N], absl::string_view from) {
  std::memset(to, 0, N);
  std::memcpy(to, from.data(), std::min(from.size(), N - 1));
}

template <size_t N>
std::string ReadString(const char (&from)[N]) {
  return std::string(from, strnlen(from, N));
}

absl::Status Impossible(const RecordPayload& payload, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("the record of domid ", payload.domid, " holds an impossible ", what));
}

}  // namespace

HeaderPayload EncodeHeader(const StateHeader& header) {
  HeaderPayload payload;
  std::memset(&payload, 0, sizeof(payload));
  std::memcpy(payload.magic, kStateMagic, sizeof(payload.magic));
  payload.format_version = kStateFormatVersion;
  payload.slot_size = kSlotSize;
  payload.slot_count = header.slot_count;
  payload.next_domid = header.next_domid;
  CopyString(payload.boot_id, header.boot_id);
  return payload;
}

absl::StatusOr<StateHeader> DecodeHeader(absl::Span<const uint8_t> bytes) {
  HeaderPayload payload;
  std::memset(&payload, 0, sizeof(payload));
  std::memcpy(&payload, bytes.data(), std::min(bytes.size(), sizeof(payload)));
  if (bytes.size() < sizeof(payload) ||
      std::memcmp(payload.magic, kStateMagic, sizeof(kStateMagic)) != 0) {
    return absl::FailedPreconditionError("it is not a Xenia simulator state file");
  }
  if (payload.format_version != kStateFormatVersion || payload.slot_size != kSlotSize) {
    return absl::FailedPreconditionError(absl::StrCat(
        "it has format version ", payload.format_version, " (slot size ", payload.slot_size,
        "); this xeniad reads version ", kStateFormatVersion, " (slot size ", kSlotSize, ")"));
  }
  StateHeader header;
  header.slot_count = payload.slot_count;
  header.next_domid = payload.next_domid;
  header.boot_id = ReadString(payload.boot_id);
  return header;
}

RecordPayload FreeRecord() {
  RecordPayload payload;
  std::memset(&payload, 0, sizeof(payload));
  return payload;
}

RecordPayload EncodeRecord(const SimDomainRecord& record) {
  RecordPayload p = FreeRecord();
  p.in_use = 1;
  p.domid = record.domid;
  CopyString(p.uuid, record.uuid);
  CopyString(p.name, record.name);
  p.type = static_cast<int32_t>(record.type);
  p.state = static_cast<int32_t>(record.state);
  p.shutdown_reason = static_cast<int32_t>(record.shutdown_reason);
  p.requested_shutdown = static_cast<int32_t>(record.schedule.requested);
  p.memory_mib = record.memory_mib;
  p.max_memory_mib = record.max_memory_mib;
  p.vcpus = record.timeline.vcpus;
  p.max_vcpus = record.max_vcpus;
  p.cpu_load_ppm = record.timeline.cpu_load_ppm;
  p.anchor_boot_ns = record.timeline.anchor_boot_ns;
  p.guest_ns = record.timeline.guest_ns;
  p.cpu_ns = record.timeline.cpu_ns;
  p.running = record.timeline.running ? 1 : 0;
  p.boot_ns = record.schedule.boot_ns;
  p.shutdown_time_ns = record.schedule.shutdown_time_ns;
  p.request_guest_ns = record.schedule.request_guest_ns;
  p.crash_at_guest_ns = record.schedule.crash_at_guest_ns;
  p.poweroff_at_guest_ns = record.schedule.poweroff_at_guest_ns;
  p.flags = (record.schedule.ignore_shutdown ? kRecordIgnoresShutdown : 0) |
            (record.made_by_xeniad ? kRecordMadeByXeniad : 0) |
            (record.refuses_device_release ? kRecordRefusesDeviceRelease : 0);
  return p;
}

absl::StatusOr<SimDomainRecord> DecodeRecord(const RecordPayload& p) {
  if (p.domid == 0 || p.domid >= kDomidFirstReserved) return Impossible(p, "domid");
  if (!xenia::v1::DomainType_IsValid(p.type)) return Impossible(p, "domain type");
  if (p.state < static_cast<int32_t>(RunState::kRunning) ||
      p.state > static_cast<int32_t>(RunState::kShutdown)) {
    return Impossible(p, "run state");
  }
  constexpr int32_t kLastReason = static_cast<int32_t>(ShutdownReason::kSoftReset);
  if (p.shutdown_reason < 0 || p.shutdown_reason > kLastReason || p.requested_shutdown < 0 ||
      p.requested_shutdown > kLastReason) {
    return Impossible(p, "shutdown reason");
  }
  if (p.memory_mib <= 0 || p.vcpus <= 0) return Impossible(p, "size");
  SimDomainRecord r;
  r.domid = p.domid;
  r.uuid = ReadString(p.uuid);
  r.name = ReadString(p.name);
  r.type = static_cast<xenia::v1::DomainType>(p.type);
  r.state = static_cast<RunState>(p.state);
  r.shutdown_reason = static_cast<ShutdownReason>(p.shutdown_reason);
  r.memory_mib = p.memory_mib;
  r.max_memory_mib = p.max_memory_mib;
  r.max_vcpus = p.max_vcpus;
  r.timeline.running = p.running != 0;
  r.timeline.anchor_boot_ns = p.anchor_boot_ns;
  r.timeline.guest_ns = p.guest_ns;
  r.timeline.cpu_ns = p.cpu_ns;
  r.timeline.vcpus = p.vcpus;
  r.timeline.cpu_load_ppm = p.cpu_load_ppm;
  r.schedule.boot_ns = p.boot_ns;
  r.schedule.shutdown_time_ns = p.shutdown_time_ns;
  r.schedule.requested = static_cast<ShutdownReason>(p.requested_shutdown);
  r.schedule.request_guest_ns = p.request_guest_ns;
  r.schedule.ignore_shutdown = (p.flags & kRecordIgnoresShutdown) != 0;
  r.made_by_xeniad = (p.flags & kRecordMadeByXeniad) != 0;
  r.refuses_device_release = (p.flags & kRecordRefusesDeviceRelease) != 0;
  r.schedule.crash_at_guest_ns = p.crash_at_guest_ns;
  r.schedule.poweroff_at_guest_ns = p.poweroff_at_guest_ns;
  return r;
}

MemoryPayload EncodeMemory(const SimDomainRecord& record) {
  MemoryPayload p;
  std::memset(&p, 0, sizeof(p));
  CopyString(p.uuid, record.uuid);
  p.working_set_pages = record.memory.working_set_pages;
  p.dirty_bytes_per_second = record.memory.dirty_bytes_per_second;
  p.write_offset = record.memory.write_offset;
  p.balloon_target_kib = record.balloon.target_kib;
  p.balloon_from_kib = record.balloon.from_kib;
  p.balloon_set_guest_ns = record.balloon.set_guest_ns;
  p.balloon_floor_kib = record.balloon.floor_kib;
  p.balloon_kib_per_second = record.balloon.kib_per_second;
  return p;
}

bool DecodeMemory(const MemoryPayload& p, SimDomainRecord& record) {
  if (ReadString(p.uuid) != record.uuid) return false;
  if (p.working_set_pages < 1 || p.working_set_pages > record.memory.page_count ||
      p.dirty_bytes_per_second < 0 || p.balloon_target_kib < 0 || p.balloon_from_kib < 0 ||
      p.balloon_set_guest_ns < 0 || p.balloon_floor_kib < 0 || p.balloon_kib_per_second < 0) {
    return false;
  }
  record.memory.working_set_pages = p.working_set_pages;
  record.memory.dirty_bytes_per_second = p.dirty_bytes_per_second;
  record.memory.write_offset = p.write_offset;
  record.balloon.target_kib = p.balloon_target_kib;
  record.balloon.from_kib = p.balloon_from_kib;
  record.balloon.set_guest_ns = p.balloon_set_guest_ns;
  record.balloon.floor_kib = p.balloon_floor_kib;
  record.balloon.kib_per_second = p.balloon_kib_per_second;
  return true;
}

}  // namespace xenia::hv
