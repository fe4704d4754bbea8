// How YAML reads a plain (unquoted) scalar under the YAML 1.2 core schema:
// "512" is an integer, "true" a boolean, "~" null. Used both to read spec
// files and to decide which strings need quotes when printing YAML.
//
// Thread-safe: pure functions.
#pragma once

#include "absl/strings/string_view.h"

namespace xenia::spec_text {

enum class ScalarKind { kString, kNull, kBool, kInt, kFloat };

ScalarKind ClassifyPlainScalar(absl::string_view text);

// True when `text` must be quoted in YAML output to be read back as a string:
// it would resolve to something else under the core schema, or under YAML
// 1.1's yes/no/on/off/y/n that older readers still apply.
bool NeedsQuotesAsString(absl::string_view text);

}  // namespace xenia::spec_text
