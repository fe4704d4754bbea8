#include "daemon/hypervisor/sim/sim_memory_stream.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "daemon/stream/stream_format.h"

namespace xenia::hv {
namespace {

constexpr int64_t kPagesPerRecord = stream::kMaxPagesPerRecord;

absl::Status CheckContext(const OpContext& ctx) {
  if (ctx.Cancelled()) return absl::CancelledError("the operation was cancelled");
  if (absl::Now() >= ctx.deadline) {
    return absl::DeadlineExceededError("the operation's deadline passed");
  }
  return absl::OkStatus();
}

}  // namespace

xenia::v1::StreamHeader SimStreamHeader(const xenia::v1::StreamHeader& base,
                                        const SimDomainRecord& guest) {
  xenia::v1::StreamHeader header = base;
  header.set_backend(kSimStreamBackend);
  header.set_domain_uuid(guest.uuid);
  if (header.domain_name().empty()) header.set_domain_name(guest.name);
  header.set_page_count(guest.memory.page_count);
  header.set_page_size(static_cast<int32_t>(kSimPageSize));
  return header;
}

absl::Status WritePages(const OpContext& ctx, stream::StreamWriter& writer,
                        const GuestMemory& memory, int64_t writes, uint32_t round,
                        const std::function<void(int64_t pages_done)>& pages_done) {
  const PageOrder order(memory);
  std::string buffer(static_cast<size_t>(kPagesPerRecord * kSimPageSize), '\0');
  for (int64_t first = 0; first < memory.page_count; first += kPagesPerRecord) {
    if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
    const int64_t count = std::min(kPagesPerRecord, memory.page_count - first);
    for (int64_t i = 0; i < count; ++i) {
      const int64_t pfn = first + i;
      FillPage(memory.seed, pfn, PageVersion(memory, order, writes, pfn),
               buffer.data() + i * kSimPageSize);
    }
    absl::string_view data(buffer.data(), static_cast<size_t>(count * kSimPageSize));
    if (absl::Status s = writer.WritePages(first, round, data); !s.ok()) return s;
    if (pages_done) pages_done(first + count);
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> WriteDirtyPages(const OpContext& ctx, stream::StreamWriter& writer,
                                        const GuestMemory& memory, int64_t from_writes,
                                        int64_t to_writes, uint32_t round) {
  const PageOrder order(memory);
  std::vector<int64_t> pfns;
  ForEachWrittenPage(memory, order, from_writes, to_writes,
                     [&pfns](int64_t pfn) { pfns.push_back(pfn); });
  std::sort(pfns.begin(), pfns.end());
  std::string buffer(static_cast<size_t>(kPagesPerRecord * kSimPageSize), '\0');
  size_t i = 0;
  while (i < pfns.size()) {
    if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
    // A run of consecutive pages, at most one record long.
    const int64_t first = pfns[i];
    int64_t count = 0;
    while (i < pfns.size() && pfns[i] == first + count && count < kPagesPerRecord) {
      FillPage(memory.seed, pfns[i], PageVersion(memory, order, to_writes, pfns[i]),
               buffer.data() + count * kSimPageSize);
      ++count;
      ++i;
    }
    absl::string_view data(buffer.data(), static_cast<size_t>(count * kSimPageSize));
    if (absl::Status s = writer.WritePages(first, round, data); !s.ok()) return s;
  }
  return static_cast<int64_t>(pfns.size());
}

int64_t DirtyPageCount(const GuestMemory& memory, int64_t from_writes, int64_t to_writes) {
  if (to_writes <= from_writes) return 0;
  return std::min(to_writes - from_writes, memory.working_set_pages);
}

xenia::v1::SimulatedGuestState GuestStateOf(const SimDomainRecord& record, int64_t writes) {
  xenia::v1::SimulatedGuestState state;
  state.set_guest_ns(record.timeline.guest_ns);
  state.set_cpu_ns(record.timeline.cpu_ns);
  state.set_cpu_load_ppm(record.timeline.cpu_load_ppm);
  state.set_boot_ns(record.schedule.boot_ns);
  state.set_shutdown_time_ns(record.schedule.shutdown_time_ns);
  state.set_requested_shutdown(static_cast<int32_t>(record.schedule.requested));
  state.set_request_guest_ns(record.schedule.request_guest_ns);
  state.set_ignore_shutdown(record.schedule.ignore_shutdown);
  state.set_refuse_device_release(record.refuses_device_release);
  state.set_crash_at_guest_ns(record.schedule.crash_at_guest_ns);
  state.set_poweroff_at_guest_ns(record.schedule.poweroff_at_guest_ns);
  state.set_seed(record.memory.seed);
  state.set_working_set_pages(record.memory.working_set_pages);
  state.set_dirty_bytes_per_second(record.memory.dirty_bytes_per_second);
  state.set_writes(writes);
  state.set_paused(record.state == RunState::kPaused);
  state.set_balloon_target_kib(record.balloon.target_kib);
  state.set_balloon_from_kib(record.balloon.from_kib);
  state.set_balloon_set_guest_ns(record.balloon.set_guest_ns);
  state.set_balloon_floor_kib(record.balloon.floor_kib);
  state.set_balloon_kib_per_second(record.balloon.kib_per_second);
  state.set_max_memory_kib(std::max(record.max_memory_mib, record.memory_mib) * 1024);
  return state;
}

absl::Status ApplyGuestState(const xenia::v1::SimulatedGuestState& state, int32_t online_vcpus,
                             SimDomainRecord& record) {
  auto lost = [](auto&&... parts) {
    return absl::DataLossError(absl::StrCat("the guest state record ", parts...));
  };
  if (state.seed() != record.memory.seed) {
    return lost("is another guest's (its memory seed is not the one of uuid ", record.uuid, ")");
  }
  if (state.working_set_pages() < 1 || state.working_set_pages() > record.memory.page_count) {
    return lost("gives a working set of ", state.working_set_pages(), " pages for a guest of ",
                record.memory.page_count);
  }
  if (state.guest_ns() < 0 || state.cpu_ns() < 0 || state.writes() < 0 ||
      state.dirty_bytes_per_second() < 0 || state.cpu_load_ppm() < 0 ||
      state.cpu_load_ppm() > kLoadPpmScale) {
    return lost("holds a negative time, count or rate");
  }
  constexpr int32_t kLastReason = static_cast<int32_t>(ShutdownReason::kReboot);
  if (state.requested_shutdown() < 0 || state.requested_shutdown() > kLastReason) {
    return lost("holds an impossible pending request");
  }
  if (state.balloon_target_kib() < 0 || state.balloon_from_kib() < 0 ||
      state.balloon_set_guest_ns() < 0 || state.balloon_floor_kib() < 0 ||
      state.balloon_kib_per_second() < 0 || state.max_memory_kib() < 0) {
    return lost("holds a negative balloon or memory size");
  }
  const int64_t max_kib =
      std::max(state.max_memory_kib(), std::max(record.max_memory_mib, record.memory_mib) * 1024);
  if (state.balloon_target_kib() > max_kib) {
    return lost("gives a balloon target of ", state.balloon_target_kib(), " KiB above the maximum ",
                max_kib, " KiB");
  }
  if (online_vcpus < 1 || online_vcpus > record.max_vcpus) {
    return lost("gives ", online_vcpus, " vCPUs online for a guest of at most ", record.max_vcpus);
  }
  record.timeline.guest_ns = state.guest_ns();
  record.timeline.cpu_ns = state.cpu_ns();
  record.timeline.cpu_load_ppm = state.cpu_load_ppm();
  record.timeline.vcpus = online_vcpus;
  record.schedule.boot_ns = state.boot_ns();
  record.schedule.shutdown_time_ns = state.shutdown_time_ns();
  record.schedule.requested = static_cast<ShutdownReason>(state.requested_shutdown());
  record.schedule.request_guest_ns = state.request_guest_ns();
  record.schedule.ignore_shutdown = state.ignore_shutdown();
  record.refuses_device_release = state.refuse_device_release();
  record.schedule.crash_at_guest_ns = state.crash_at_guest_ns();
  record.schedule.poweroff_at_guest_ns = state.poweroff_at_guest_ns();
  record.memory.working_set_pages = state.working_set_pages();
  record.memory.dirty_bytes_per_second = state.dirty_bytes_per_second();
  SetWritesAt(record.memory, state.guest_ns(), state.writes());
  record.balloon.target_kib = state.balloon_target_kib();
  record.balloon.from_kib = state.balloon_from_kib();
  record.balloon.set_guest_ns = state.balloon_set_guest_ns();
  record.balloon.floor_kib = state.balloon_floor_kib();
  record.balloon.kib_per_second = state.balloon_kib_per_second();
  record.max_memory_mib = max_kib / 1024;
  return absl::OkStatus();
}

PageReceiver::PageReceiver(const GuestMemory& memory)
    : memory_(memory),
      versions_(static_cast<size_t>(memory.page_count), 0),
      sent_(static_cast<size_t>(memory.page_count), false) {}

absl::Status PageReceiver::Accept(int64_t first_page, absl::string_view pages) {
  const int64_t count = static_cast<int64_t>(pages.size()) / kSimPageSize;
  if (first_page < 0 || first_page + count > memory_.page_count) {
    return absl::DataLossError(absl::StrCat("pages ", first_page, " to ", first_page + count - 1,
                                            " lie outside the guest's ", memory_.page_count,
                                            " pages"));
  }
  for (int64_t i = 0; i < count; ++i) {
    const int64_t pfn = first_page + i;
    absl::StatusOr<uint32_t> version = CheckPage(
        memory_.seed, pfn,
        pages.substr(static_cast<size_t>(i * kSimPageSize), static_cast<size_t>(kSimPageSize)));
    if (!version.ok()) return version.status();
    versions_[static_cast<size_t>(pfn)] = *version;
    sent_[static_cast<size_t>(pfn)] = true;
  }
  pages_received_ += count;
  return absl::OkStatus();
}

absl::Status PageReceiver::Verify(const xenia::v1::SimulatedGuestState& state) const {
  GuestMemory claimed = memory_;
  claimed.working_set_pages = state.working_set_pages();
  const PageOrder order(claimed);
  for (int64_t pfn = 0; pfn < memory_.page_count; ++pfn) {
    if (!sent_[static_cast<size_t>(pfn)]) {
      return absl::DataLossError(absl::StrCat("page ", pfn, " of ", memory_.page_count,
                                              " was never sent; the guest's memory is incomplete"));
    }
    const uint32_t want = PageVersion(claimed, order, state.writes(), pfn);
    if (versions_[static_cast<size_t>(pfn)] != want) {
      return absl::DataLossError(
          absl::StrCat("page ", pfn, " arrived at version ", versions_[static_cast<size_t>(pfn)],
                       " but the guest had written it up to version ", want,
                       " when it stopped: a later copy of the page is missing"));
    }
  }
  return absl::OkStatus();
}

}  // namespace xenia::hv
