#include "cli/output/cells.h"

#include "absl/time/time.h"

namespace xenia::cli {

std::string FormatTimestamp(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(ts.seconds()),
                          absl::UTCTimeZone());
}

std::string OrDash(absl::string_view text) { return text.empty() ? "-" : std::string(text); }

std::string YesNo(bool b) { return b ? "yes" : "no"; }

}  // namespace xenia::cli
