// xl's CPU list syntax for vCPU affinity ("0-3,6", "0-7,^2"), to and from
// sets of physical CPU numbers and libxl bitmaps.
//
// Supported: "N", "N-M", and "^N" / "^N-M" to take CPUs out again, joined
// with commas, as xl.cfg(5) describes for `cpus`. Not supported: "nodes:"
// (NUMA nodes need the host's topology, which a pure translation does not
// have). "all" is not a list: callers treat it as "no restriction".
//
// Thread-safe: pure functions.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/hypervisor/libxl/libxl_api.h"

namespace xenia::hv {

// The highest CPU number a list may name (Xen's NR_CPUS on x86 is 4096).
inline constexpr int kMaxCpuNumber = 4095;

// The CPUs `text` names, ascending and without duplicates. INVALID_ARGUMENT
// (naming `field`) for a malformed list, a CPU above kMaxCpuNumber, or a
// list that leaves no CPU.
absl::StatusOr<std::vector<int>> ParseCpuList(absl::string_view text, absl::string_view field);

// The canonical list of ascending CPUs: "0-3,6".
std::string FormatCpuList(const std::vector<int>& cpus);

// Fills `bitmap` (initialised, without a map) with `cpus`.
void CpusToBitmap(const std::vector<int>& cpus, libxl_bitmap* bitmap);

// The CPUs set in `bitmap`, ascending.
std::vector<int> BitmapToCpus(const libxl_bitmap& bitmap);

}  // namespace xenia::hv
