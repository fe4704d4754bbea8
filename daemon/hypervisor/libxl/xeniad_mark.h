// The mark by which a domain xeniad built is told, on Xen, from one made
// beside it with xl: a key in its create info's xsdata, which libxl writes
// to the domain's xenstore directory (/local/domain/<domid>/xenia-made-by)
// and keeps in the configuration it stores for the domain, where
// libxl_retrieve_domain_configuration reads it back.
//
// Thread-safe: pure functions.
#pragma once

#include "daemon/hypervisor/libxl/libxl_api.h"

namespace xenia::hv {

// Adds the mark to `cfg` (a config that SpecToDomainConfig filled).
void AddXeniadMark(libxl_domain_config* cfg);

// Whether `cfg` carries the mark.
bool HasXeniadMark(const libxl_domain_config& cfg);

}  // namespace xenia::hv
