// Allocation for values handed to libxl: libxl's *_dispose functions free()
// strings, arrays and bitmap maps, so they must come from malloc, not new.
// None of these needs a libxl_ctx (libxl_bitmap_alloc does: with a null ctx
// it dereferences the context's no-GC allocator and crashes).
//
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "daemon/hypervisor/libxl/libxl_api.h"

namespace xenia::hv {

// A malloc'ed, NUL-terminated copy of `text` (libxl frees it), or null for
// an empty string: libxl reads null as "not set". All of these abort when
// memory is exhausted, as new does.
char* DupOrNull(absl::string_view text);

// A malloc'ed copy, even of an empty string.
char* Dup(absl::string_view text);

// Gives `bitmap` (initialised, without a map) room for `bits` bits, all
// clear: the same layout libxl_bitmap_alloc makes.
void AllocBitmap(libxl_bitmap* bitmap, int bits);

// A calloc'ed array of `n` Ts for a libxl_domain_config's device arrays,
// which libxl_domain_config_dispose frees; null for n == 0.
template <typename T>
T* CallocArray(int n) {
  if (n <= 0) return nullptr;
  void* p = std::calloc(static_cast<size_t>(n), sizeof(T));
  if (p == nullptr) std::abort();  // as an uncaught std::bad_alloc would
  return static_cast<T*>(p);
}

}  // namespace xenia::hv
