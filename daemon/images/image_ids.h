// The id of a save image in its resource name ("hosts/h/saveImages/{id}") is
// its path under the image directory with '%' and '/' percent-encoded, so
// that ids and paths map one to one. Pure functions; any thread.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace xenia::images {

std::string ImageIdForPath(absl::string_view relative_path);

// INVALID_ARGUMENT naming `field` for a malformed escape.
absl::StatusOr<std::string> PathForImageId(absl::string_view field, absl::string_view id);

}  // namespace xenia::images
