// The simulated guest in a domain stream: its pages written from the memory
// model, and a receiver that checks every page it is sent against the
// content the guest must have; its clocks and schedule as the GUEST_STATE's
// backend state.
//
// Thread-compatible: each object belongs to one save or restore.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/hypervisor/hypervisor.h"
#include "daemon/hypervisor/sim/guest_memory.h"
#include "daemon/hypervisor/sim/sim_domain.h"
#include "daemon/stream/stream_writer.h"
#include "xenia/v1/simulator.pb.h"

namespace xenia::hv {

// The simulator's name in a stream header's `backend`.
inline constexpr char kSimStreamBackend[] = "sim";

// The header of a stream of `guest`: the caller's `base` with the backend,
// the guest's identity and its memory geometry filled in.
xenia::v1::StreamHeader SimStreamHeader(const xenia::v1::StreamHeader& base,
                                        const SimDomainRecord& guest);

// Writes pages [first, first + count) of `memory` as they are after `writes`
// writes, in PAGES records of up to 1024 pages, for pre-copy round `round`.
// `pages_done` is called after each record with the pages written so far.
// Stops with the OpContext's CANCELLED or DEADLINE_EXCEEDED.
absl::Status WritePages(const OpContext& ctx, stream::StreamWriter& writer,
                        const GuestMemory& memory, int64_t writes, uint32_t round,
                        const std::function<void(int64_t pages_done)>& pages_done);

// Writes the pages the guest wrote between `from_writes` and `to_writes`
// writes, as they are after `to_writes`, in PAGES records of runs of
// consecutive pages, for pre-copy round `round`. Returns how many pages it
// wrote. Stops as WritePages does.
absl::StatusOr<int64_t> WriteDirtyPages(const OpContext& ctx, stream::StreamWriter& writer,
                                        const GuestMemory& memory, int64_t from_writes,
                                        int64_t to_writes, uint32_t round);

// The number of pages the guest wrote between `from_writes` and `to_writes`
// writes (each counted once).
int64_t DirtyPageCount(const GuestMemory& memory, int64_t from_writes, int64_t to_writes);

// The guest's state for its GUEST_STATE record, as of `writes` writes.
xenia::v1::SimulatedGuestState GuestStateOf(const SimDomainRecord& record, int64_t writes);

// Applies a received guest state to a record being restored (its clocks,
// schedule and memory model). DATA_LOSS if it contradicts the record (another
// guest's content seed, a working set larger than its memory).
absl::Status ApplyGuestState(const xenia::v1::SimulatedGuestState& state, int32_t online_vcpus,
                             SimDomainRecord& record);

// Receives a guest's pages and checks each one, then checks that the memory
// as received is the memory the guest's state says it has.
class PageReceiver {
 public:
  // `memory` gives the seed and page count the pages must match.
  explicit PageReceiver(const GuestMemory& memory);

  // A PAGES record's pages, from `first_page` on. DATA_LOSS naming the page
  // and what is wrong with it.
  absl::Status Accept(int64_t first_page, absl::string_view pages);
  // After the stream's END: every page was sent, and its last copy has the
  // version the guest's state says. DATA_LOSS otherwise.
  absl::Status Verify(const xenia::v1::SimulatedGuestState& state) const;

  int64_t pages_received() const { return pages_received_; }

 private:
  GuestMemory memory_;
  // The last version received of each page; kUnsent before the first.
  std::vector<uint32_t> versions_;
  std::vector<bool> sent_;
  int64_t pages_received_ = 0;
};

}  // namespace xenia::hv
