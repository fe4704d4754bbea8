// ResourceNames: the AIP-122 resource names of this host's resources, and
// their parsing. "-" stands for this host in any {host} segment.
//
//   hosts/{host}
//   hosts/{host}/domains/{domain}
//   hosts/{host}/operations/{operation}
//   hosts/{host}/saveImages/{image}
//
// Thread-safe: immutable after construction.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace xenia {

class ResourceNames {
 public:
  explicit ResourceNames(std::string host_id) : host_id_(std::move(host_id)) {}

  const std::string& host_id() const { return host_id_; }
  std::string Host() const;
  std::string Domain(absl::string_view domain) const;
  std::string Operation(absl::string_view id) const;
  std::string SaveImage(absl::string_view id) const;

  // Each returns the last segment. INVALID_ARGUMENT naming `field` when the
  // text is not of the expected shape; NOT_FOUND when {host} is another host.
  absl::StatusOr<std::string> ParseDomain(absl::string_view field, absl::string_view name) const;
  absl::StatusOr<std::string> ParseOperation(absl::string_view field, absl::string_view name) const;
  absl::StatusOr<std::string> ParseSaveImage(absl::string_view field, absl::string_view name) const;
  // Accepts "hosts/{host}", "hosts/-" and "" (this host).
  absl::Status CheckHost(absl::string_view field, absl::string_view name) const;

 private:
  absl::StatusOr<std::string> Parse(absl::string_view field, absl::string_view name,
                                    absl::string_view collection) const;
  std::string host_id_;
};

}  // namespace xenia
