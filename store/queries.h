// The store's reads, one prepared statement each, on a reader connection.
// Their arguments are checked here (INVALID_ARGUMENT for a bad limit or
// state); their meaning is documented on Store in store.h.
//
// Called by the thread that holds `reader` (a ReaderPool lease).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/sqlite_connection.h"
#include "store/store.h"

namespace xenia::store {

absl::StatusOr<std::vector<DomainRow>> QueryDomains(Connection& reader);

absl::StatusOr<std::vector<SaveImageRow>> QuerySaveImages(Connection& reader);
absl::StatusOr<std::optional<SaveImageRow>> QuerySaveImage(Connection& reader,
                                                           const std::string& name);

absl::StatusOr<std::optional<OperationRow>> QueryOperation(Connection& reader,
                                                           const std::string& id);
absl::StatusOr<std::optional<OperationRow>> QueryOperationByRequestId(
    Connection& reader, const std::string& request_id);
absl::StatusOr<std::vector<OperationRow>> QueryUnfinishedOperations(Connection& reader);
absl::StatusOr<std::vector<OperationRow>> QueryRequestIds(Connection& reader, int64_t since_us);
absl::StatusOr<Page<OperationRow>> QueryOperationPage(Connection& reader,
                                                      const Store::OperationCursor& after,
                                                      int limit, const std::string& target,
                                                      int state);

absl::StatusOr<std::vector<EventRow>> QueryEvents(Connection& reader, int64_t after, int limit,
                                                  const std::string& resource);
absl::StatusOr<int64_t> QueryLastEventSequence(Connection& reader);
absl::StatusOr<std::string> QueryLastOperationId(Connection& reader);

absl::StatusOr<std::optional<std::string>> QueryMeta(Connection& reader, const std::string& key);

}  // namespace xenia::store
