#include "daemon/resource_names.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace xenia {

std::string ResourceNames::Host() const { return absl::StrCat("hosts/", host_id_); }

std::string ResourceNames::Domain(absl::string_view domain) const {
  return absl::StrCat("hosts/", host_id_, "/domains/", domain);
}

std::string ResourceNames::Operation(absl::string_view id) const {
  return absl::StrCat("hosts/", host_id_, "/operations/", id);
}

std::string ResourceNames::SaveImage(absl::string_view id) const {
  return absl::StrCat("hosts/", host_id_, "/saveImages/", id);
}

absl::Status ResourceNames::CheckHost(absl::string_view field, absl::string_view name) const {
  if (name.empty()) return absl::OkStatus();
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 2 || parts[0] != "hosts" || parts[1].empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": expected \"hosts/{host}\", got \"", name, "\""));
  }
  if (parts[1] != "-" && parts[1] != host_id_) {
    return absl::NotFoundError(
        absl::StrCat(field, ": host \"", parts[1], "\" is not this host (\"", host_id_, "\")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ResourceNames::Parse(absl::string_view field, absl::string_view name,
                                                 absl::string_view collection) const {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 4 || parts[0] != "hosts" || parts[1].empty() || parts[2] != collection ||
      parts[3].empty()) {
    if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
    return absl::InvalidArgumentError(absl::StrCat(field, ": expected \"hosts/{host}/", collection,
                                                   "/{id}\", got \"", name, "\""));
  }
  if (parts[1] != "-" && parts[1] != host_id_) {
    return absl::NotFoundError(
        absl::StrCat(field, ": host \"", parts[1], "\" is not this host (\"", host_id_, "\")"));
  }
  return std::string(parts[3]);
}

absl::StatusOr<std::string> ResourceNames::ParseDomain(absl::string_view field,
                                                       absl::string_view name) const {
  return Parse(field, name, "domains");
}

absl::StatusOr<std::string> ResourceNames::ParseOperation(absl::string_view field,
                                                          absl::string_view name) const {
  return Parse(field, name, "operations");
}

absl::StatusOr<std::string> ResourceNames::ParseSaveImage(absl::string_view field,
                                                          absl::string_view name) const {
  return Parse(field, name, "saveImages");
}

}  // namespace xenia
