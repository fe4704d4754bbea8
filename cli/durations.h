// Durations as flags take them: Go-style strings ("30s", "2m", "1m30s",
// "500ms") or a bare integer meaning seconds; and their conversion to and from
// google.protobuf.Duration.
//
// Thread-safe: pure functions.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"

namespace xenia::cli {

// INVALID_ARGUMENT naming the text for anything else, and for negative or
// infinite durations.
absl::StatusOr<absl::Duration> ParseDurationFlag(absl::string_view text);

google::protobuf::Duration ToProtoDuration(absl::Duration d);
absl::Duration FromProtoDuration(const google::protobuf::Duration& d);

// Seconds with one decimal, as xl list prints CPU time: "12.3".
std::string FormatSecondsTenths(const google::protobuf::Duration& d);

}  // namespace xenia::cli
