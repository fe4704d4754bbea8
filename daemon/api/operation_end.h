// OnOperationEnd: for a call that lasts as long as its operation (the
// streaming save and restore), the engine callback that waits for the
// admitted operation to end.
//
// Thread-safe: the callback runs on whichever thread the engine calls it on.
#pragma once

#include "daemon/operations/operation_engine.h"
#include "daemon/resource_names.h"

namespace xenia {

// Returns the callback for OperationEngine::Submit: a refusal, or an
// operation that is already over, goes straight to `done`; otherwise `done`
// gets the operation once it has ended, or as it is when the engine releases
// its waiters at shutdown (not done then). `engine` and `names` must outlive
// the operation.
OperationEngine::OperationCallback OnOperationEnd(OperationEngine& engine,
                                                  const ResourceNames& names,
                                                  OperationEngine::OperationCallback done);

}  // namespace xenia
