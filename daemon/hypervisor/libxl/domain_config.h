// The translation between a DomainSpec and libxl's libxl_domain_config, in
// both directions. Pure: no libxl_ctx, no Xen; tested against golden JSON.
//
// The forward direction maps what xl's parser (tools/xl/xl_parse.c) would
// make of the equivalent xl.cfg: type, name, uuid, memory, vCPUs and their
// affinity, direct kernel boot or a bootloader, disks, network interfaces,
// PCI devices, vTPMs, the on_* actions, tsc_mode, driver_domain, and a small
// set of xl.cfg keys from `extra` (see domain_extra.h). Errors are
// INVALID_ARGUMENT, naming the spec field ("spec.disks[1].vdev: ...").
// Labels are Xenia's metadata and are not handed to libxl.
//
// The reverse direction serves adoption of domains made with xl: it maps
// back what the forward direction maps, in canonical form (lowercase UUIDs
// and MACs, "DDDD:BB:DD.F", CPU lists as "0-3,6", rates as "10MB/s"), and
// leaves unset what the config does not say; it invents no extra keys.
//
// Thread-safe: pure functions.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/hypervisor/libxl/libxl_api.h"
#include "xenia/v1/domain.pb.h"

namespace xenia::hv {

// Fills `out`, which the caller has initialised with libxl_domain_config_init
// and disposes with libxl_domain_config_dispose (also after an error, when
// `out` may be partly filled). spec.uuid must be set: the backend generates
// one for a spec without before it translates.
absl::Status SpecToDomainConfig(const xenia::v1::DomainSpec& spec, libxl_domain_config* out);

// The spec a config describes. INVALID_ARGUMENT when the config is not one
// of a domain (no name).
absl::StatusOr<xenia::v1::DomainSpec> DomainConfigToSpec(const libxl_domain_config& cfg);

// Owns one libxl_domain_config: initialised on construction, disposed on
// destruction.
class ScopedDomainConfig {
 public:
  ScopedDomainConfig() { libxl_domain_config_init(&cfg_); }
  ~ScopedDomainConfig() { libxl_domain_config_dispose(&cfg_); }
  ScopedDomainConfig(const ScopedDomainConfig&) = delete;
  ScopedDomainConfig& operator=(const ScopedDomainConfig&) = delete;

  libxl_domain_config* get() { return &cfg_; }
  const libxl_domain_config& operator*() const { return cfg_; }

 private:
  libxl_domain_config cfg_;
};

}  // namespace xenia::hv
