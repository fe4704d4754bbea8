// The destination's tasks of a migration (docs/design/migration.md).
//
// ReceiveMigration: defines the arriving domain (its name and uuid must be
// free), checks that its memory fits, answers PREPARED, builds the guest
// paused from the stream as it arrives (verifying every record), records it
// verified and answers VERIFIED, then waits for the source's decision: on
// Commit (with the digest both sides computed) it unpauses the guest and
// answers RUNNING; on an abort it destroys the guest and removes the domain.
// A stream that fails or breaks leaves nothing behind. A call that breaks
// after VERIFIED leaves the guest paused, marked with the migration
// (DomainStatus.incoming_migration), for the source's Resolve.
//
// ResolveMigration: carries out that decision on such a domain.
//
// Thread-safety: see OperationTask.
#pragma once

#include <memory>

#include "daemon/api/incoming_migration_call.h"
#include "daemon/operations/operation_task.h"
#include "xenia/v1/migration.pb.h"

namespace xenia {

std::unique_ptr<OperationTask> MakeReceiveMigrationTask(std::shared_ptr<IncomingMigration> call,
                                                        xenia::v1::MigrationMessage::Begin begin);

std::unique_ptr<OperationTask> MakeResolveMigrationTask(
    std::shared_ptr<IncomingMigration> call, xenia::v1::MigrationMessage::Resolve resolve);

}  // namespace xenia
