// xxHash for the domain stream: Debian's libxxhash, and on x86-64 its
// dispatching entry points, which pick the widest vector unit the CPU has
// (AVX2, AVX-512) at run time instead of the SSE2 baseline. The checksums are
// the same either way; only the speed differs.
//
// Thread-safety: as xxhash.h.
#pragma once

#include <xxhash.h>

#if defined(__x86_64__)
#include <xxh_x86dispatch.h>
#endif
