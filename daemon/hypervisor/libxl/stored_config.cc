#include "daemon/hypervisor/libxl/stored_config.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/hypervisor/libxl/domain_config.h"
#include "daemon/hypervisor/libxl/libxl_status.h"

namespace xenia::hv {
namespace {

// libxl's name for the userdata that holds a domain's config.
constexpr char kConfigUserdata[] = "libxl-json";

}  // namespace

absl::StatusOr<std::optional<std::string>> ReadStoredConfigJson(libxl_ctx* ctx, uint32_t domid) {
  uint8_t* data = nullptr;
  int len = 0;
  const int rc = libxl_userdata_retrieve(ctx, domid, kConfigUserdata, &data, &len);
  if (rc != 0) {
    return LibxlStatus(rc,
                       absl::StrCat("reading the configuration libxl stored for domid ", domid));
  }
  if (data == nullptr || len <= 0) {
    std::free(data);
    return std::optional<std::string>();
  }
  // libxl stores the terminating NUL too.
  std::string json(reinterpret_cast<const char*>(data), static_cast<size_t>(len));
  std::free(data);
  while (!json.empty() && json.back() == '\0') json.pop_back();
  return std::optional<std::string>(std::move(json));
}

absl::StatusOr<bool> ReadStoredConfig(libxl_ctx* ctx, uint32_t domid, libxl_domain_config* cfg) {
  absl::StatusOr<std::optional<std::string>> json = ReadStoredConfigJson(ctx, domid);
  if (!json.ok()) return json.status();
  if (!json->has_value()) return false;
  const int rc = libxl_domain_config_from_json(ctx, cfg, (*json)->c_str());
  if (rc != 0) {
    return LibxlStatus(rc,
                       absl::StrCat("parsing the configuration libxl stored for domid ", domid));
  }
  return true;
}

absl::StatusOr<std::optional<libxl_domain_type>> ReadStoredDomainType(libxl_ctx* ctx,
                                                                      uint32_t domid) {
  ScopedDomainConfig cfg;
  absl::StatusOr<bool> stored = ReadStoredConfig(ctx, domid, cfg.get());
  if (!stored.ok()) return stored.status();
  if (!*stored) return std::optional<libxl_domain_type>();
  return std::optional<libxl_domain_type>((*cfg).c_info.type);
}

}  // namespace xenia::hv
