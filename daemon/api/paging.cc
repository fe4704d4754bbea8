#include "daemon/api/paging.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace xenia {

absl::StatusOr<int> PageSize(int requested, int default_size, int max_size) {
  if (requested < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must not be negative, got ", requested));
  }
  if (requested == 0) return default_size;
  return requested > max_size ? max_size : requested;
}

std::string EncodePageToken(absl::string_view scope, absl::string_view last_key) {
  return absl::WebSafeBase64Escape(absl::StrCat("p1", "\n", scope, "\n", last_key));
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view scope) {
  if (token.empty()) return std::string();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) {
    return absl::InvalidArgumentError("page_token: not a token this server issued");
  }
  std::string prefix = absl::StrCat("p1", "\n", scope, "\n");
  if (raw.compare(0, prefix.size(), prefix) != 0) {
    return absl::InvalidArgumentError(
        "page_token: issued for a different query (the filter or method changed); "
        "start again without a page_token");
  }
  return raw.substr(prefix.size());
}

}  // namespace xenia
