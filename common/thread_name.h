// SetThreadName: names the calling thread (as `top -H`, `ps -L`, gdb and
// perf show it), so that an operator can tell xeniad's threads apart.
//
// Thread-safe: names only the calling thread.
#pragma once

namespace xenia {

// `name` is cut to the kernel's limit of 15 characters.
void SetThreadName(const char* name);

}  // namespace xenia
