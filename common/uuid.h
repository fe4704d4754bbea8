// UUIDs as Xen prints them: 36 lowercase characters, 8-4-4-4-12.
//
// Thread-safe: NewRandomUuid may be called from any thread.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace xenia {

// A random (version 4) UUID.
std::string NewRandomUuid();

// True for 8-4-4-4-12 hex digits, either case.
bool IsValidUuid(absl::string_view text);

// Lowercase form of a valid UUID.
std::string NormalizeUuid(absl::string_view text);

}  // namespace xenia
