// BlockDigests: a short fingerprint of each fixed-size block of a buffer, for
// log lines that must show where two copies of the same bytes differ (a
// migration message refused on its checksum: one damaged block points to
// memory corruption, every block from some offset on to a shifted stream).
//
// A pure function; any thread may call it.
#pragma once

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace xenia::stream {

// Space-separated, one 8-hex-digit fingerprint (the low 32 bits of XXH3) per
// `block_bytes` of `data`; the last block may be shorter.
std::string BlockDigests(absl::string_view data, size_t block_bytes);

}  // namespace xenia::stream
