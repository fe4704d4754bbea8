#include "store/queries.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace xenia::store {
namespace {

constexpr char kSelectDomains[] =
    "SELECT uuid, name, spec, status, create_time_us, update_time_us FROM domains "
    "ORDER BY name";

constexpr char kSelectSaveImages[] =
    "SELECT name, domain_uuid, path, body, create_time_us FROM save_images ORDER BY name";
constexpr char kSelectSaveImage[] =
    "SELECT name, domain_uuid, path, body, create_time_us FROM save_images WHERE name = ?1";

#define XENIA_OPERATION_COLUMNS                                                   \
  "SELECT id, target, method, request_id, request, state, body, create_time_us, " \
  "update_time_us FROM operations "

constexpr char kSelectOperation[] = XENIA_OPERATION_COLUMNS "WHERE id = ?1";
// `request_id != ''` lets SQLite use the partial unique index.
constexpr char kSelectOperationByRequestId[] =
    XENIA_OPERATION_COLUMNS "WHERE request_id = ?1 AND request_id != ''";
// `IN` rather than `<` so that SQLite searches the state index (and sorts the
// few unfinished operations) instead of scanning every operation by time.
constexpr char kSelectUnfinishedOperations[] =
    XENIA_OPERATION_COLUMNS "WHERE state IN (1, 2) ORDER BY create_time_us, id";
constexpr char kSelectRequestIds[] = XENIA_OPERATION_COLUMNS
    "WHERE request_id != '' AND create_time_us >= ?1 ORDER BY create_time_us, id";

// ListOperations, one statement per combination of filters so that each can
// use its index: ?1 target, ?2 state, ?3 and ?4 the cursor, ?5 the limit.
// Row values compare (create_time_us, id) as the index orders them. With
// both filters, `+state` steers SQLite to the (usually more selective)
// target index.
constexpr const char* kListOperations[2][2][2] = {
    {{XENIA_OPERATION_COLUMNS "ORDER BY create_time_us DESC, id DESC LIMIT ?5",
      XENIA_OPERATION_COLUMNS
      "WHERE (create_time_us, id) < (?3, ?4) ORDER BY create_time_us DESC, id DESC LIMIT ?5"},
     {XENIA_OPERATION_COLUMNS "WHERE state = ?2 ORDER BY create_time_us DESC, id DESC LIMIT ?5",
      XENIA_OPERATION_COLUMNS "WHERE state = ?2 AND (create_time_us, id) < (?3, ?4) "
                              "ORDER BY create_time_us DESC, id DESC LIMIT ?5"}},
    {{XENIA_OPERATION_COLUMNS "WHERE target = ?1 ORDER BY create_time_us DESC, id DESC LIMIT ?5",
      XENIA_OPERATION_COLUMNS "WHERE target = ?1 AND (create_time_us, id) < (?3, ?4) "
                              "ORDER BY create_time_us DESC, id DESC LIMIT ?5"},
     {XENIA_OPERATION_COLUMNS
      "WHERE target = ?1 AND +state = ?2 ORDER BY create_time_us DESC, id DESC LIMIT ?5",
      XENIA_OPERATION_COLUMNS
      "WHERE target = ?1 AND +state = ?2 AND (create_time_us, id) < (?3, ?4) "
      "ORDER BY create_time_us DESC, id DESC LIMIT ?5"}},
};

#undef XENIA_OPERATION_COLUMNS

constexpr char kSelectEvents[] =
    "SELECT sequence, time_us, resource, body FROM events WHERE sequence > ?1 "
    "ORDER BY sequence LIMIT ?2";
// The resource itself (?3), or any name under it: [resource + "/",
// resource + "0") (?4, ?5) holds exactly the names that start with
// resource + "/", '0' being the byte after '/'. Both halves search the
// (resource, sequence) index, so a filtered read costs in proportion to the
// events under that resource rather than to the whole table (which a scan
// by sequence would cost when the resource's events are rare). `+sequence`
// keeps the second half on the index's resource range.
constexpr char kSelectEventsUnder[] =
    "SELECT sequence, time_us, resource, body FROM events WHERE resource = ?3 AND sequence > ?1 "
    "UNION ALL "
    "SELECT sequence, time_us, resource, body FROM events "
    "WHERE resource >= ?4 AND resource < ?5 AND +sequence > ?1 "
    "ORDER BY sequence LIMIT ?2";
constexpr char kSelectLastEventSequence[] = "SELECT max(sequence) FROM events";
constexpr char kSelectLastOperationId[] = "SELECT max(id) FROM operations";

constexpr char kSelectMeta[] = "SELECT value FROM meta WHERE key = ?1";

DomainRow ReadDomain(const Statement& row) {
  DomainRow domain;
  domain.uuid = row.ColumnString(0);
  domain.name = row.ColumnString(1);
  domain.spec = row.ColumnString(2);
  domain.status = row.ColumnString(3);
  domain.create_time_us = row.ColumnInt64(4);
  domain.update_time_us = row.ColumnInt64(5);
  return domain;
}

SaveImageRow ReadSaveImage(const Statement& row) {
  SaveImageRow image;
  image.name = row.ColumnString(0);
  image.domain_uuid = row.ColumnString(1);
  image.path = row.ColumnString(2);
  image.body = row.ColumnString(3);
  image.create_time_us = row.ColumnInt64(4);
  return image;
}

OperationRow ReadOperation(const Statement& row) {
  OperationRow operation;
  operation.id = row.ColumnString(0);
  operation.target = row.ColumnString(1);
  operation.method = row.ColumnString(2);
  operation.request_id = row.ColumnString(3);
  operation.request = row.ColumnString(4);
  // The table's CHECK constraint keeps the state within the enum.
  operation.state = static_cast<OperationState>(row.ColumnInt64(5));
  operation.body = row.ColumnString(6);
  operation.create_time_us = row.ColumnInt64(7);
  operation.update_time_us = row.ColumnInt64(8);
  return operation;
}

EventRow ReadEvent(const Statement& row) {
  EventRow event;
  event.sequence = row.ColumnInt64(0);
  event.time_us = row.ColumnInt64(1);
  event.resource = row.ColumnString(2);
  event.body = row.ColumnString(3);
  return event;
}

// Steps `statement` to the end, appending each row as `read` makes it.
template <typename Row, typename ReadFn>
absl::Status ReadAll(Statement& statement, ReadFn read, std::vector<Row>* rows) {
  for (;;) {
    absl::StatusOr<bool> more = statement.Step();
    if (!more.ok()) return more.status();
    if (!*more) return absl::OkStatus();
    rows->push_back(read(statement));
  }
}

// At most one operation: the first row of a prepared, bound statement.
absl::StatusOr<std::optional<OperationRow>> ReadOneOperation(Statement& statement) {
  absl::StatusOr<bool> found = statement.Step();
  if (!found.ok()) return found.status();
  if (!*found) return std::optional<OperationRow>();
  return std::optional<OperationRow>(ReadOperation(statement));
}

absl::Status CheckLimit(const char* method, int64_t limit) {
  if (limit > 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(method, ": limit must be positive, got ", limit));
}

}  // namespace

absl::StatusOr<std::vector<DomainRow>> QueryDomains(Connection& reader) {
  absl::StatusOr<ScopedStatement> select = reader.Prepare(kSelectDomains);
  if (!select.ok()) return select.status();
  std::vector<DomainRow> domains;
  absl::Status status = ReadAll(**select, ReadDomain, &domains);
  if (!status.ok()) return status;
  return domains;
}

absl::StatusOr<std::vector<SaveImageRow>> QuerySaveImages(Connection& reader) {
  absl::StatusOr<ScopedStatement> select = reader.Prepare(kSelectSaveImages);
  if (!select.ok()) return select.status();
  std::vector<SaveImageRow> images;
  absl::Status status = ReadAll(**select, ReadSaveImage, &images);
  if (!status.ok()) return status;
  return images;
}

absl::StatusOr<std::optional<SaveImageRow>> QuerySaveImage(Connection& reader,
                                                           const std::string& name) {
  absl::StatusOr<ScopedStatement> select = reader.Prepare(kSelectSaveImage);
  if (!select.ok()) return select.status();
  (*select)->BindText(1, name);
  absl::StatusOr<bool> found = (*select)->Step();
  if (!found.ok()) return found.status();
  if (!*found) return std::optional<SaveImageRow>();
  return std::optional<SaveImageRow>(ReadSaveImage(**select));
}

absl::StatusOr<std::optional<OperationRow>> QueryOperation(Connection& reader,
                                                           const std::string& id) {
  absl::StatusOr<ScopedStatement> select = reader.Prepare(kSelectOperation);
  if (!select.ok()) return select.status();
  (*select)->BindText(1, id);
  return ReadOneOperation(**select);
}

absl::StatusOr<std::optional<OperationRow>> QueryOperationByRequestId(
    Connection& reader, const std::string& request_id) {
  if (request_id.empty()) return std::optional<OperationRow>();
  absl::StatusOr<ScopedStatement> select = reader.Prepare(kSelectOperationByRequestId);
  if (!select.ok()) return select.status();
  (*select)->BindText(1, request_id);
  return ReadOneOperation(**select);
}

absl::StatusOr<std::vector<OperationRow>> QueryUnfinishedOperations(Connection& reader) {
  absl::StatusOr<ScopedStatement> select = reader.Prepare(kSelectUnfinishedOperations);
  if (!select.ok()) return select.status();
  std::vector<OperationRow> operations;
  absl::Status status = ReadAll(**select, ReadOperation, &operations);
  if (!status.ok()) return status;
  return operations;
}

absl::StatusOr<std::vector<OperationRow>> QueryRequestIds(Connection& reader, int64_t since_us) {
  absl::StatusOr<ScopedStatement> select = reader.Prepare(kSelectRequestIds);
  if (!select.ok()) return select.status();
  (*select)->BindInt64(1, since_us);
  std::vector<OperationRow> operations;
  absl::Status status = ReadAll(**select, ReadOperation, &operations);
  if (!status.ok()) return status;
  return operations;
}

absl::StatusOr<Page<OperationRow>> QueryOperationPage(Connection& reader,
                                                      const Store::OperationCursor& after,
                                                      int limit, const std::string& target,
                                                      int state) {
  absl::Status valid = CheckLimit("ListOperations", limit);
  if (!valid.ok()) return valid;
  if (state != 0 && (state < static_cast<int>(OperationState::kPending) ||
                     state > static_cast<int>(OperationState::kCancelled))) {
    return absl::InvalidArgumentError(
        absl::StrCat("ListOperations: unknown operation state ", state));
  }
  const bool by_target = !target.empty();
  const bool by_state = state != 0;
  const bool from_cursor = after.create_time_us != 0;
  absl::StatusOr<ScopedStatement> select =
      reader.Prepare(kListOperations[by_target][by_state][from_cursor]);
  if (!select.ok()) return select.status();
  if (by_target) (*select)->BindText(1, target);
  if (by_state) (*select)->BindInt64(2, state);
  if (from_cursor) {
    (*select)->BindInt64(3, after.create_time_us);
    (*select)->BindText(4, after.id);
  }
  // One row more than asked says whether another page follows.
  (*select)->BindInt64(5, static_cast<int64_t>(limit) + 1);
  Page<OperationRow> page;
  page.rows.reserve(static_cast<size_t>(std::min(limit, 1024)));
  absl::Status status = ReadAll(**select, ReadOperation, &page.rows);
  if (!status.ok()) return status;
  if (page.rows.size() > static_cast<size_t>(limit)) {
    page.rows.pop_back();
    page.more = true;
  }
  return page;
}

absl::StatusOr<std::vector<EventRow>> QueryEvents(Connection& reader, int64_t after, int limit,
                                                  const std::string& resource) {
  absl::Status valid = CheckLimit("ReadEvents", limit);
  if (!valid.ok()) return valid;
  // Bound without copying, so declared before the statement that is reset
  // when it goes out of scope.
  std::string lower;
  std::string upper;
  absl::StatusOr<ScopedStatement> select =
      reader.Prepare(resource.empty() ? kSelectEvents : kSelectEventsUnder);
  if (!select.ok()) return select.status();
  (*select)->BindInt64(1, after);
  (*select)->BindInt64(2, limit);
  if (!resource.empty()) {
    lower = absl::StrCat(resource, "/");
    upper = absl::StrCat(resource, "0");
    (*select)->BindText(3, resource);
    (*select)->BindText(4, lower);
    (*select)->BindText(5, upper);
  }
  std::vector<EventRow> events;
  absl::Status status = ReadAll(**select, ReadEvent, &events);
  if (!status.ok()) return status;
  return events;
}

absl::StatusOr<int64_t> QueryLastEventSequence(Connection& reader) {
  absl::StatusOr<ScopedStatement> select = reader.Prepare(kSelectLastEventSequence);
  if (!select.ok()) return select.status();
  absl::StatusOr<bool> row = (*select)->Step();
  if (!row.ok()) return row.status();
  // max() of no rows is NULL, which reads as 0.
  return *row ? (*select)->ColumnInt64(0) : 0;
}

absl::StatusOr<std::string> QueryLastOperationId(Connection& reader) {
  absl::StatusOr<ScopedStatement> select = reader.Prepare(kSelectLastOperationId);
  if (!select.ok()) return select.status();
  absl::StatusOr<bool> row = (*select)->Step();
  if (!row.ok()) return row.status();
  // max() of no rows is NULL, which reads as "".
  return *row ? (*select)->ColumnString(0) : std::string();
}

absl::StatusOr<std::optional<std::string>> QueryMeta(Connection& reader, const std::string& key) {
  absl::StatusOr<ScopedStatement> select = reader.Prepare(kSelectMeta);
  if (!select.ok()) return select.status();
  (*select)->BindText(1, key);
  absl::StatusOr<bool> row = (*select)->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>((*select)->ColumnString(0));
}

}  // namespace xenia::store
