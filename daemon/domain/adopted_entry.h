// AdoptedEntry: the record of a domain that xeniad takes under management
// although it did not define it — adopted on request (`xenia adopt`), or at
// start-up when the hypervisor runs a domain xeniad built whose record the
// store no longer has.
//
// Thread-safe: pure functions.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "daemon/domain/domain_registry.h"
#include "daemon/hypervisor/hypervisor.h"
#include "daemon/resource_names.h"
#include "xenia/v1/domain.pb.h"
#include "xenia/v1/event.pb.h"

namespace xenia {

// The entry: `spec` as the hypervisor holds it (validated and defaulted;
// INVALID_ARGUMENT naming what is wrong with it), the status from `facts`
// (RUNNING, PAUSED, or SHUTTING_DOWN for a guest going down, whose policy a
// reconciliation must then apply), `message` as the status message.
absl::StatusOr<DomainEntry> AdoptedEntry(const hv::DomainFacts& facts, xenia::v1::DomainSpec spec,
                                         absl::Time now, absl::string_view message);

// The DOMAIN_ADOPTED event of `entry`, which had domid `domid`.
xenia::v1::Event AdoptedEvent(const ResourceNames& names, const DomainEntry& entry, uint32_t domid,
                              absl::string_view how);

}  // namespace xenia
