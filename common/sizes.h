// Parsing and printing of memory sizes as people write them: "512M", "2G",
// "1536", "4GiB", "64k".
//
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace xenia {

// Parses a size into bytes. Suffixes K, M, G, T (optionally followed by "iB"
// or "B", any case) are powers of 1024; a bare number is in `default_unit`
// bytes (1 for bytes, 1 << 20 for MiB, as xl's memory= is). Fails with
// INVALID_ARGUMENT naming the text for anything else, negative values and
// overflow.
absl::StatusOr<int64_t> ParseSizeBytes(absl::string_view text, int64_t default_unit = 1);

// Parses a size and returns whole MiB; sizes that are not a whole number of
// MiB are refused.
absl::StatusOr<int64_t> ParseSizeMib(absl::string_view text);

// "512 MiB", "2 GiB", "1.5 GiB".
std::string FormatMib(int64_t mib);

}  // namespace xenia
