// The tasks that change a running guest's resources: its balloon target
// (mem-set), its memory ceiling (mem-max) and its online vCPUs (vcpu-set).
// They change the running domain only; the spec, what the next start
// builds, stays as defined.
//
// Thread-safety: as every OperationTask (operation_task.h).
#pragma once

#include <cstdint>
#include <memory>

#include "absl/time/time.h"
#include "daemon/operations/operation_task.h"

namespace xenia {

// How long a balloon may make no progress before mem-set reports where the
// guest stopped (libxl_wait_for_memory_target waits the same way).
inline constexpr absl::Duration kBalloonStallLimit = absl::Seconds(3);

// Sets the target, then waits for the guest to reach it: done when it does
// (or at once, for a paused guest, which balloons when unpaused); failed
// with FAILED_PRECONDITION naming where it stopped if it makes no progress
// for kBalloonStallLimit. The target stays set either way.
std::unique_ptr<OperationTask> MakeSetMemoryTask(int64_t target_mib);
std::unique_ptr<OperationTask> MakeSetMaxMemoryTask(int64_t max_mib);
std::unique_ptr<OperationTask> MakeSetVcpusTask(int32_t vcpus);

}  // namespace xenia
