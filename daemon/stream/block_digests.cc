#include "daemon/stream/block_digests.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_format.h"
#include "daemon/stream/fast_xxhash.h"

namespace xenia::stream {

std::string BlockDigests(absl::string_view data, size_t block_bytes) {
  std::string out;
  if (block_bytes == 0) return out;
  out.reserve((data.size() / block_bytes + 1) * 9);
  for (size_t at = 0; at < data.size(); at += block_bytes) {
    const size_t n = std::min(block_bytes, data.size() - at);
    const auto low = static_cast<uint32_t>(XXH3_64bits(data.data() + at, n));
    if (!out.empty()) out.push_back(' ');
    absl::StrAppendFormat(&out, "%08x", low);
  }
  return out;
}

}  // namespace xenia::stream
