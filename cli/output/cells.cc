#include "cli/output/cells.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace xenia::cli {

std::string FormatTimestamp(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(ts.seconds()),
                          absl::UTCTimeZone());
}

std::string OrDash(absl::string_view text) { return text.empty() ? "-" : std::string(text); }

std::string YesNo(bool b) { return b ? "yes" : "no"; }

std::string FormatBytes(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  constexpr int kLast = sizeof(kUnits) / sizeof(kUnits[0]) - 1;
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (unit < kLast && value >= 1024) {
    value /= 1024;
    ++unit;
  }
  std::string text = absl::StrFormat("%.1f", value);
  if (text == "1024.0" && unit < kLast) {  // 1023.96 KiB rounds up to 1 MiB
    value /= 1024;
    ++unit;
    text = absl::StrFormat("%.1f", value);
  }
  if (absl::EndsWith(text, ".0")) text.resize(text.size() - 2);
  return absl::StrCat(text, " ", kUnits[unit]);
}

}  // namespace xenia::cli
