// Resource names as the CLI builds them from what a person types: "web1"
// becomes "hosts/-/domains/web1" ("-" is the host xeniad runs on), a bare
// operation id becomes "hosts/-/operations/ID"; full names pass through.
//
// Thread-safe: pure functions.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace xenia::cli {

// The host xeniad runs on.
inline constexpr absl::string_view kThisHost = "hosts/-";

std::string DomainResourceName(absl::string_view name_or_resource);
std::string OperationResourceName(absl::string_view id_or_resource);

// The last path segment: "web1" for "hosts/h1/domains/web1".
absl::string_view LastSegment(absl::string_view resource);

}  // namespace xenia::cli
