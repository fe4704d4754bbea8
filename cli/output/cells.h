// Small formatters for the cells of table output: timestamps, empty values,
// booleans, byte sizes.
//
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/timestamp.pb.h"

namespace xenia::cli {

// "2024-05-01T12:00:03Z" (UTC, whole seconds); "-" when unset.
std::string FormatTimestamp(const google::protobuf::Timestamp& ts);

// `text`, or "-" when it is empty.
std::string OrDash(absl::string_view text);

std::string YesNo(bool b);

// "512 B", "64 KiB", "1.5 GiB": powers of 1024, one decimal unless whole.
std::string FormatBytes(int64_t bytes);

}  // namespace xenia::cli
