// What libxl says about domains and the host, in the Hypervisor interface's
// terms: dominfo -> DomainFacts, libxl events -> DomainEvents, physinfo and
// version -> HostFacts, and the wording of messages about a domain. Pure
// functions, so that they are tested without Xen.
//
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "daemon/hypervisor/hypervisor.h"
#include "daemon/hypervisor/libxl/libxl_api.h"

namespace xenia::hv {

// "01234567-89ab-cdef-0123-456789abcdef", lowercase.
std::string UuidToString(const libxl_uuid& uuid);

// Xen's SHUTDOWN_* codes (libxl_shutdown_reason), kNone for unknown ones.
ShutdownReason ShutdownReasonFromLibxl(int reason);

xenia::v1::DomainType DomainTypeFromLibxl(libxl_domain_type type);

// The facts of one domain. Run state, by precedence: dying, then shut down
// (with its reason), then paused (by the toolstack), else running (running
// or blocked, or neither for an instant while Xen schedules it). Xen cannot
// tell PVH from HVM here (both are "hvm guests"): the type is HVM for both,
// and the caller refines it. requested_shutdown is left kNone: Xen does not
// report a pending request.
DomainFacts FactsFromDominfo(const libxl_dominfo& info, absl::string_view name);

// The DomainEvent of a DOMAIN_SHUTDOWN or DOMAIN_DEATH event of the domain
// with `uuid`; nullopt for other event types.
std::optional<DomainEvent> DomainEventFromLibxl(const libxl_event& event, absl::string_view uuid);

// The host's facts; `version.pagesize` converts pages to KiB.
HostFacts HostFactsFrom(const libxl_physinfo& physinfo, const libxl_version_info& version,
                        uint64_t dom0_memkb);

// "domain 5 (\"web1\")", as the simulator words it.
std::string DomainLabelFor(uint32_t domid, absl::string_view name);

// "running", "paused", "shut down (crash)" or "dying".
std::string StateForMessage(const DomainFacts& facts);

}  // namespace xenia::hv
