#include "cli/durations.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace xenia::cli {

absl::StatusOr<absl::Duration> ParseDurationFlag(absl::string_view text) {
  absl::string_view t = absl::StripAsciiWhitespace(text);
  absl::Duration d;
  int64_t seconds = 0;
  if (!t.empty() && absl::ascii_isdigit(static_cast<unsigned char>(t.back())) &&
      absl::SimpleAtoi(t, &seconds)) {
    d = absl::Seconds(seconds);
  } else if (t.empty() || !absl::ParseDuration(t, &d)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid duration \"", text, "\": use a number of seconds or e.g. 30s, 2m, 1m30s, 500ms"));
  }
  if (d < absl::ZeroDuration() || d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid duration \"", text, "\": must be finite and not negative"));
  }
  return d;
}

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
  return out;
}

absl::Duration FromProtoDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

std::string FormatSecondsTenths(const google::protobuf::Duration& d) {
  return absl::StrFormat("%.1f", absl::ToDoubleSeconds(FromProtoDuration(d)));
}

}  // namespace xenia::cli
