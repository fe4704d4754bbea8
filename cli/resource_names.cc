#include "cli/resource_names.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace xenia::cli {

std::string DomainResourceName(absl::string_view name_or_resource) {
  if (absl::StartsWith(name_or_resource, "hosts/")) return std::string(name_or_resource);
  return absl::StrCat(kThisHost, "/domains/", name_or_resource);
}

std::string OperationResourceName(absl::string_view id_or_resource) {
  if (absl::StartsWith(id_or_resource, "hosts/")) return std::string(id_or_resource);
  return absl::StrCat(kThisHost, "/operations/", id_or_resource);
}

absl::string_view LastSegment(absl::string_view resource) {
  const size_t slash = resource.rfind('/');
  if (slash == absl::string_view::npos) return resource;
  return resource.substr(slash + 1);
}

}  // namespace xenia::cli
