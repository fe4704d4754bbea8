#include "daemon/hypervisor/libxl/libxl_alloc.h"

#include <cstring>

namespace xenia::hv {

char* Dup(absl::string_view text) {
  char* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy == nullptr) std::abort();  // as an uncaught std::bad_alloc would
  if (!text.empty()) std::memcpy(copy, text.data(), text.size());
  copy[text.size()] = '\0';
  return copy;
}

char* DupOrNull(absl::string_view text) { return text.empty() ? nullptr : Dup(text); }

void AllocBitmap(libxl_bitmap* bitmap, int bits) {
  const int bytes = bits <= 0 ? 1 : (bits + 7) / 8;
  bitmap->map = CallocArray<uint8_t>(bytes);
  bitmap->size = static_cast<uint32_t>(bytes);
}

}  // namespace xenia::hv
