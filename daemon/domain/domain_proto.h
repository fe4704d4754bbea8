// Builds the API's Domain resource from a registry entry.
//
// Thread-safe: pure functions.
#pragma once

#include "daemon/domain/domain_registry.h"
#include "daemon/hypervisor/hypervisor.h"
#include "daemon/resource_names.h"
#include "xenia/v1/domain.pb.h"

namespace xenia {

xenia::v1::Domain ToDomainProto(const DomainEntry& entry, const ResourceNames& names);

// Copies the live facts (domid, memory, vCPUs, CPU time) into `status`.
void ApplyFacts(const hv::DomainFacts& facts, absl::Time now, xenia::v1::DomainStatus* status);

xenia::v1::DomainStatus::ShutdownReason ToApiReason(hv::ShutdownReason reason);
// The power state the hypervisor's facts show, with no record to go by:
// a shut-down guest is SHUTTING_DOWN (awaiting its destroy) or CRASHED.
xenia::v1::PowerState PowerStateOf(const hv::DomainFacts& facts);

// "running", "shut off", … as people say them.
const char* PowerStateName(xenia::v1::PowerState state);

}  // namespace xenia
