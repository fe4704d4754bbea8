// What `xenia restore ARG` restores from. A bare word is a domain name (the
// image it was last saved to); "hosts/H/domains/D" is a domain too;
// "hosts/H/saveImages/I" is a save image; anything else containing a '/' or
// ending in ".xsave" is an image path under xeniad's image directory, sent as
// written but for a leading "./" (which is how a bare file name is given:
// ./web1.img); "-" is an image on stdin.
//
// Thread-safe: pure functions.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace xenia::cli {

struct RestoreSource {
  enum class Kind { kDomain, kImage, kStdin };
  Kind kind = Kind::kDomain;
  // kDomain: the domain's resource name; kImage: a SaveImage resource name
  // or a path; kStdin: empty.
  std::string value;
};

// INVALID_ARGUMENT for an empty argument or "./" alone.
absl::StatusOr<RestoreSource> ParseRestoreSource(absl::string_view arg);

}  // namespace xenia::cli
