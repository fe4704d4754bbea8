#include "daemon/api/operation_end.h"

#include <string>
#include <utility>

namespace xenia {

OperationEngine::OperationCallback OnOperationEnd(OperationEngine& engine,
                                                  const ResourceNames& names,
                                                  OperationEngine::OperationCallback done) {
  return
      [&engine, &names, done = std::move(done)](absl::StatusOr<xenia::v1::Operation> op) mutable {
        if (!op.ok() || op->done()) {
          done(std::move(op));
          return;
        }
        absl::StatusOr<std::string> id = names.ParseOperation("name", op->name());
        if (!id.ok()) {
          done(id.status());
          return;
        }
        engine.Wait(*id, absl::InfiniteFuture(), std::move(done));
      };
}

}  // namespace xenia
