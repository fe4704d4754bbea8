// ParseNicRate / FormatNicRate (declared in domain_config_parts.h): xl's
// vif rate syntax, with the meaning xl.cfg(5) and libxlu_vif.c give it.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "daemon/hypervisor/libxl/domain_config_parts.h"

namespace xenia::hv {
namespace {

constexpr uint32_t kDefaultIntervalUsecs = 50'000;
constexpr uint64_t kUsecsPerSecond = 1'000'000;

bool ParseCount(absl::string_view digits, uint64_t* out) {
  return !digits.empty() && digits.find_first_not_of("0123456789") == absl::string_view::npos &&
         absl::SimpleAtoi(digits, out) && *out > 0 && *out <= std::numeric_limits<uint32_t>::max();
}

}  // namespace

absl::Status ParseNicRate(absl::string_view rate, absl::string_view field,
                          uint64_t* bytes_per_interval, uint32_t* interval_usecs) {
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": \"", rate, "\" is not a rate such as \"10MB/s\" or \"1Mb/s@20ms\" (", why, ")"));
  };
  std::vector<absl::string_view> parts = absl::StrSplit(rate, '@');
  if (parts.size() > 2) return invalid("more than one '@'");

  absl::string_view amount = parts[0];
  const bool bits = absl::ConsumeSuffix(&amount, "b/s");
  if (!bits && !absl::ConsumeSuffix(&amount, "B/s")) {
    return invalid("the rate must end in B/s or b/s");
  }
  uint64_t multiplier = 1;
  if (absl::ConsumeSuffix(&amount, "G")) {
    multiplier = 1'000'000'000;
  } else if (absl::ConsumeSuffix(&amount, "M")) {
    multiplier = 1'000'000;
  } else if (absl::ConsumeSuffix(&amount, "K")) {
    multiplier = 1'000;
  }
  uint64_t count = 0;
  if (!ParseCount(amount, &count)) return invalid("expected a count from 1 to 4294967295");
  const uint64_t bytes_per_second = count * multiplier / (bits ? 8 : 1);

  uint64_t usecs = kDefaultIntervalUsecs;
  if (parts.size() == 2) {
    absl::string_view interval = parts[1];
    uint64_t unit = kUsecsPerSecond;
    if (absl::ConsumeSuffix(&interval, "us")) {
      unit = 1;
    } else if (absl::ConsumeSuffix(&interval, "ms")) {
      unit = 1'000;
    } else {
      absl::ConsumeSuffix(&interval, "s");
    }
    uint64_t n = 0;
    if (!ParseCount(interval, &n) || n * unit > std::numeric_limits<uint32_t>::max()) {
      return invalid("the interval must be a positive number of s, ms or us below 4295 s");
    }
    usecs = n * unit;
  }
  if (bytes_per_second > std::numeric_limits<uint64_t>::max() / usecs) {
    return invalid("too large");
  }
  *bytes_per_interval = bytes_per_second * usecs / kUsecsPerSecond;
  *interval_usecs = static_cast<uint32_t>(usecs);
  return absl::OkStatus();
}

std::string FormatNicRate(uint64_t bytes_per_interval, uint32_t interval_usecs) {
  const uint64_t usecs = interval_usecs == 0 ? kDefaultIntervalUsecs : interval_usecs;
  const uint64_t per_second = bytes_per_interval * kUsecsPerSecond / usecs;
  std::string out;
  if (per_second == 0) {
    out = absl::StrCat(per_second, "B/s");
  } else if (per_second % 1'000'000'000 == 0) {
    out = absl::StrCat(per_second / 1'000'000'000, "GB/s");
  } else if (per_second % 1'000'000 == 0) {
    out = absl::StrCat(per_second / 1'000'000, "MB/s");
  } else if (per_second % 1'000 == 0) {
    out = absl::StrCat(per_second / 1'000, "KB/s");
  } else {
    out = absl::StrCat(per_second, "B/s");
  }
  if (usecs == kDefaultIntervalUsecs) return out;
  if (usecs % kUsecsPerSecond == 0) return absl::StrCat(out, "@", usecs / kUsecsPerSecond, "s");
  if (usecs % 1'000 == 0) return absl::StrCat(out, "@", usecs / 1'000, "ms");
  return absl::StrCat(out, "@", usecs, "us");
}

}  // namespace xenia::hv
