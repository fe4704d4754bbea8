// A libxl_domain_config as libxl's own JSON: the form libxl stores with
// every domain and prints for `xl create -n`, and what golden files hold so
// that a review shows exactly what libxl receives.
//
// Thread-safe: pure function.
#pragma once

#include <string>

#include "daemon/hypervisor/libxl/libxl_api.h"

namespace xenia::hv {

// libxl's generator (libxl_domain_config_gen_json) on a yajl generator of
// our own, beautified with libxl's settings, ending in a newline. Fields at
// their defaults are left out, as libxl does. Unlike
// libxl_domain_config_to_json, it needs no libxl_ctx. `cfg` is not changed
// (libxl's signature just lacks the const). "" if yajl fails.
std::string DomainConfigToJson(libxl_domain_config* cfg);

}  // namespace xenia::hv
