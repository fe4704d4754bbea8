// Builds the API's Domain resource from a registry entry.
//
// Thread-safe: pure functions.
#pragma once

#include "daemon/domain/domain_registry.h"
#include "daemon/resource_names.h"
#include "xenia/v1/domain.pb.h"

namespace xenia {

xenia::v1::Domain ToDomainProto(const DomainEntry& entry, const ResourceNames& names);

// "running", "shut off", … as people say them.
const char* PowerStateName(xenia::v1::PowerState state);

}  // namespace xenia
