#include "daemon/images/image_ids.h"

#include "absl/strings/str_cat.h"

namespace xenia::images {

std::string ImageIdForPath(absl::string_view relative_path) {
  std::string id;
  id.reserve(relative_path.size());
  for (char c : relative_path) {
    if (c == '%') {
      id += "%25";
    } else if (c == '/') {
      id += "%2F";
    } else {
      id += c;
    }
  }
  return id;
}

absl::StatusOr<std::string> PathForImageId(absl::string_view field, absl::string_view id) {
  std::string path;
  path.reserve(id.size());
  for (size_t i = 0; i < id.size(); ++i) {
    if (id[i] != '%') {
      path += id[i];
      continue;
    }
    absl::string_view escape = id.substr(i, 3);
    if (escape == "%25") {
      path += '%';
    } else if (escape == "%2F" || escape == "%2f") {
      path += '/';
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": \"", escape, "\" is not an escape an image id may hold (only %2F and %25)"));
    }
    i += 2;
  }
  return path;
}

}  // namespace xenia::images
