// Steps shared by the domain tasks: starting a domain in the hypervisor,
// destroying it, folding hypervisor facts into a domain's status, and the
// precondition errors every verb reports the same way.
//
// Thread-safe: called from one task at a time (the engine serializes a
// domain's operations).
#pragma once

#include <initializer_list>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "daemon/domain/domain_proto.h"
#include "daemon/domain/domain_registry.h"
#include "daemon/hypervisor/hypervisor.h"
#include "daemon/operations/operation_task.h"
#include "xenia/v1/domain.pb.h"

namespace xenia {

hv::DomainRef RefOf(const DomainEntry& entry);

// FAILED_PRECONDITION unless the domain is in one of `allowed`, e.g.
// `domain "web1" is running; it must be shut off to be started`.
absl::Status RequireState(const DomainEntry& entry,
                          std::initializer_list<xenia::v1::PowerState> allowed,
                          absl::string_view must_be, absl::string_view to_verb);

// `status` with `prefix` before its message (same code): how a task says
// which domain and step an error from below belongs to.
absl::Status Prefixed(const absl::Status& status, absl::string_view prefix);

// The domain by the context, or NOT_FOUND saying it was deleted meanwhile.
absl::StatusOr<DomainEntry> CurrentDomain(TaskContext& ctx);

// Builds the domain in the hypervisor from its spec and records it running
// (or paused).
absl::Status StartInHypervisor(TaskContext& ctx, const DomainEntry& entry, bool paused);

// Destroys the domain in the hypervisor (an already vanished domain is not an
// error) and records it shut off with `reason`.
absl::Status DestroyInHypervisor(TaskContext& ctx, const DomainEntry& entry,
                                 xenia::v1::DomainStatus::ShutdownReason reason,
                                 absl::string_view message);

}  // namespace xenia
