// AIP-158 pagination: page sizes with a default and a maximum, and opaque
// page tokens bound to the query they continue.
//
// Thread-safe: pure functions.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace xenia {

// 0 -> `default_size`; above `max_size` -> `max_size`; negative ->
// INVALID_ARGUMENT.
absl::StatusOr<int> PageSize(int requested, int default_size, int max_size);

// A token that continues after `last_key` for the query described by `scope`
// (method and filter).
std::string EncodePageToken(absl::string_view scope, absl::string_view last_key);

// The last key, or INVALID_ARGUMENT if the token is malformed or belongs to
// another query. An empty token gives "".
absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view scope);

}  // namespace xenia
