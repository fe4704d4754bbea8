#include "cli/restore_source.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "cli/resource_names.h"

namespace xenia::cli {
namespace {

// "hosts/{host}/{collection}/{id}" with every segment non-empty.
bool IsResourceIn(absl::string_view arg, absl::string_view collection) {
  const std::vector<absl::string_view> parts = absl::StrSplit(arg, '/');
  return parts.size() == 4 && parts[0] == "hosts" && !parts[1].empty() && parts[2] == collection &&
         !parts[3].empty();
}

}  // namespace

absl::StatusOr<RestoreSource> ParseRestoreSource(absl::string_view arg) {
  using Kind = RestoreSource::Kind;
  if (arg.empty()) {
    return absl::InvalidArgumentError("restore: give a domain NAME, an image FILE or -");
  }
  if (arg == "-") return RestoreSource{Kind::kStdin, ""};
  if (IsResourceIn(arg, "domains")) return RestoreSource{Kind::kDomain, std::string(arg)};
  if (IsResourceIn(arg, "saveImages")) return RestoreSource{Kind::kImage, std::string(arg)};
  if (absl::ConsumePrefix(&arg, "./")) {
    if (arg.empty()) return absl::InvalidArgumentError("restore: \"./\" names no image file");
    return RestoreSource{Kind::kImage, std::string(arg)};
  }
  if (absl::StrContains(arg, '/') || absl::EndsWith(arg, ".xsave")) {
    return RestoreSource{Kind::kImage, std::string(arg)};
  }
  return RestoreSource{Kind::kDomain, DomainResourceName(arg)};
}

}  // namespace xenia::cli
