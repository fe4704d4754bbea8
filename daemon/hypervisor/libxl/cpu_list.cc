#include "daemon/hypervisor/libxl/cpu_list.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "daemon/hypervisor/libxl/libxl_alloc.h"

namespace xenia::hv {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": \"", text, "\" is not a CPU list (", why, ")"));
}

bool ParseCpu(absl::string_view text, int* cpu) {
  return !text.empty() && absl::SimpleAtoi(text, cpu) && *cpu >= 0 && *cpu <= kMaxCpuNumber &&
         text.find_first_not_of("0123456789") == absl::string_view::npos;
}

}  // namespace

absl::StatusOr<std::vector<int>> ParseCpuList(absl::string_view text, absl::string_view field) {
  if (absl::StartsWith(text, "nodes:") || absl::StrContains(text, ",nodes:")) {
    return Invalid(field, text,
                   "NUMA node affinity (\"nodes:\") is not supported by the libxl backend; "
                   "name the CPUs instead");
  }
  std::set<int> cpus;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    const bool remove = absl::ConsumePrefix(&item, "^");
    int first = 0;
    int last = 0;
    if (std::vector<absl::string_view> ends = absl::StrSplit(item, '-'); ends.size() == 1) {
      if (!ParseCpu(ends[0], &first)) {
        return Invalid(field, text,
                       absl::StrCat("expected a CPU number from 0 to ", kMaxCpuNumber,
                                    " or a range N-M, got \"", item, "\""));
      }
      last = first;
    } else if (ends.size() != 2 || !ParseCpu(ends[0], &first) || !ParseCpu(ends[1], &last) ||
               last < first) {
      return Invalid(field, text,
                     absl::StrCat("expected a range N-M with N <= M <= ", kMaxCpuNumber, ", got \"",
                                  item, "\""));
    }
    for (int cpu = first; cpu <= last; ++cpu) {
      if (remove) {
        cpus.erase(cpu);
      } else {
        cpus.insert(cpu);
      }
    }
  }
  if (cpus.empty()) return Invalid(field, text, "it leaves no CPU");
  return std::vector<int>(cpus.begin(), cpus.end());
}

std::string FormatCpuList(const std::vector<int>& cpus) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    parts.push_back(j == i ? absl::StrCat(cpus[i]) : absl::StrCat(cpus[i], "-", cpus[j]));
    i = j + 1;
  }
  return absl::StrJoin(parts, ",");
}

void CpusToBitmap(const std::vector<int>& cpus, libxl_bitmap* bitmap) {
  AllocBitmap(bitmap, cpus.empty() ? 1 : cpus.back() + 1);
  for (int cpu : cpus) libxl_bitmap_set(bitmap, cpu);
}

std::vector<int> BitmapToCpus(const libxl_bitmap& bitmap) {
  std::vector<int> cpus;
  const int bits = static_cast<int>(bitmap.size) * 8;
  for (int bit = 0; bit < bits; ++bit) {
    if (libxl_bitmap_test(&bitmap, bit)) cpus.push_back(bit);
  }
  return cpus;
}

}  // namespace xenia::hv
