// The task behind MigrateDomain on the source host: the domain's stream goes
// to the destination xeniad (DestinationLink), live in pre-copy rounds or
// with the guest paused; once the destination has verified the whole stream
// the hand-over is recorded durably, the Commit sent, and — when the
// destination runs the guest — this host's copy destroyed and its record
// removed. A failure before the hand-over leaves the guest running here as
// it was (docs/design/migration.md).
//
// Thread-safety: see OperationTask.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "daemon/operations/operation_task.h"

namespace xenia {

struct MigrateOptions {
  // "HOST:PORT" of the destination xeniad.
  std::string destination;
  std::string peer_token;
  bool live = true;
  // 0: no limit.
  int64_t max_bytes_per_second = 0;
  int32_t max_rounds = 30;
  absl::Duration max_downtime = absl::Milliseconds(300);
};

std::unique_ptr<OperationTask> MakeMigrateDomainTask(MigrateOptions options);
}  // namespace xenia
