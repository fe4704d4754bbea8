// The tasks behind DomainService's verbs. Each checks its preconditions at
// admission (when the domain's queue is idle) and again when it runs.
//
// Thread-safety: see OperationTask.
#pragma once

#include <memory>

#include "absl/time/time.h"
#include "daemon/operations/operation_task.h"
#include "xenia/v1/domain.pb.h"

namespace xenia {

// Defines a domain and, if asked, starts it.
std::unique_ptr<OperationTask> MakeCreateDomainTask(xenia::v1::DomainSpec spec, bool start);
std::unique_ptr<OperationTask> MakeStartDomainTask(bool paused);
std::unique_ptr<OperationTask> MakeDestroyDomainTask();
std::unique_ptr<OperationTask> MakePauseDomainTask();
std::unique_ptr<OperationTask> MakeUnpauseDomainTask();
std::unique_ptr<OperationTask> MakeDeleteDomainTask(std::string etag);

// Takes a domain made beside xeniad (e.g. with xl) under management: its
// definition is read back from the hypervisor, completed with the defaults a
// new spec gets, and recorded with the domain's live state.
std::unique_ptr<OperationTask> MakeAdoptDomainTask(std::string name);

// Asks the guest to power off (or, with `reboot`, to reboot: the domain is
// then re-created from its spec) and waits up to `timeout`; with `force` the
// domain is destroyed (and, for a reboot, re-created) if the guest has not
// complied by then.
std::unique_ptr<OperationTask> MakeShutdownDomainTask(bool reboot, absl::Duration timeout,
                                                      bool force);

}  // namespace xenia
