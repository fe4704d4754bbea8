// The configuration libxl stores with each domain it builds (its userdata
// "libxl-json", written at create by libxl itself, whether xl or xeniad
// asked): the one place a domain's type (PVH or HVM) and definition survive.
//
// Thread-safe: libxl's calls are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/hypervisor/libxl/libxl_api.h"

namespace xenia::hv {

// The stored JSON of domain `domid`; nullopt when libxl stored none (dom0,
// or a domain built by another toolstack).
absl::StatusOr<std::optional<std::string>> ReadStoredConfigJson(libxl_ctx* ctx, uint32_t domid);

// Parses the stored config of domain `domid` into `cfg` (freshly
// initialized); false when libxl stored none.
absl::StatusOr<bool> ReadStoredConfig(libxl_ctx* ctx, uint32_t domid, libxl_domain_config* cfg);

// The guest type in the stored config; nullopt when there is none.
absl::StatusOr<std::optional<libxl_domain_type>> ReadStoredDomainType(libxl_ctx* ctx,
                                                                      uint32_t domid);

}  // namespace xenia::hv
