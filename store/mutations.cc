#include "store/mutations.h"

#include "absl/strings/str_cat.h"

namespace xenia::store {
namespace {

// Upserts rather than INSERT OR REPLACE: REPLACE would resolve a conflict on
// another unique column (a domain's name, an operation's request id) by
// deleting the row that holds it.
//
// Nearly every put of a known domain keeps its name: the upsert then leaves
// the name column (and so its index) alone, and only a put that renames the
// domain (the upsert changes no row) rewrites it, with kRenameDomain.
constexpr char kPutDomain[] =
    "INSERT INTO domains (uuid, name, spec, status, create_time_us, update_time_us) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
    "ON CONFLICT (uuid) DO UPDATE SET spec = excluded.spec, status = excluded.status, "
    "create_time_us = excluded.create_time_us, update_time_us = excluded.update_time_us "
    "WHERE name = excluded.name";
constexpr char kRenameDomain[] =
    "UPDATE domains SET name = ?2, spec = ?3, status = ?4, create_time_us = ?5, "
    "update_time_us = ?6 WHERE uuid = ?1";
constexpr char kDomainByName[] = "SELECT uuid FROM domains WHERE name = ?1";
constexpr char kDeleteDomain[] = "DELETE FROM domains WHERE uuid = ?1";
// An operation's id, target, method, request_id, request and create time
// never change once it is recorded, so a later record of it rewrites only
// what does (and SQLite leaves the indexes on the others alone).
constexpr char kPutOperation[] =
    "INSERT INTO operations (id, target, method, request_id, request, state, body, "
    "create_time_us, update_time_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
    "ON CONFLICT (id) DO UPDATE SET state = excluded.state, body = excluded.body, "
    "update_time_us = excluded.update_time_us";
constexpr char kOperationByRequestId[] =
    "SELECT id FROM operations WHERE request_id = ?1 AND request_id != ''";
constexpr char kAppendEvent[] =
    "INSERT INTO events (sequence, time_us, resource, body) VALUES (?1, ?2, ?3, ?4)";
constexpr char kPutMeta[] =
    "INSERT INTO meta (key, value) VALUES (?1, ?2) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
// A save image's name is the upsert's key; its path is unique too.
constexpr char kPutSaveImage[] =
    "INSERT INTO save_images (name, domain_uuid, path, body, create_time_us) "
    "VALUES (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT (name) DO UPDATE SET domain_uuid = excluded.domain_uuid, "
    "path = excluded.path, body = excluded.body, create_time_us = excluded.create_time_us";
constexpr char kSaveImageByPath[] = "SELECT name FROM save_images WHERE path = ?1";
constexpr char kDeleteSaveImage[] = "DELETE FROM save_images WHERE name = ?1";
constexpr char kDeleteFinishedOperations[] =
    "DELETE FROM operations WHERE state >= 3 AND update_time_us < ?1";
// The sequence of the keep-th newest event; everything below it goes. With
// fewer than `keep` events the subquery is NULL and nothing is deleted.
constexpr char kDeleteOldEvents[] =
    "DELETE FROM events WHERE sequence < "
    "(SELECT sequence FROM events ORDER BY sequence DESC LIMIT 1 OFFSET ?1)";
constexpr char kDeleteAllEvents[] = "DELETE FROM events";

bool IsUniqueViolation(const absl::Status& status) { return absl::IsAlreadyExists(status); }

// Who holds a unique value, for the error message; empty if unknown.
std::string Holder(Connection& writer, const char* sql, absl::string_view value) {
  absl::StatusOr<ScopedStatement> query = writer.Prepare(sql);
  if (!query.ok()) return std::string();
  (*query)->BindText(1, value);
  absl::StatusOr<bool> row = (*query)->Step();
  if (!row.ok() || !*row) return std::string();
  return (*query)->ColumnString(0);
}

absl::Status PutDomain(Connection& writer, const DomainRow& row) {
  if (row.uuid.empty()) return absl::InvalidArgumentError("PutDomain: the domain has no uuid");
  if (row.name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("PutDomain: domain ", row.uuid, " has no name"));
  }
  absl::Status status;
  for (const char* sql : {kPutDomain, kRenameDomain}) {
    absl::StatusOr<ScopedStatement> put = writer.Prepare(sql);
    if (!put.ok()) return put.status();
    (*put)->BindText(1, row.uuid);
    (*put)->BindText(2, row.name);
    (*put)->BindBlob(3, row.spec);
    (*put)->BindBlob(4, row.status);
    (*put)->BindInt64(5, row.create_time_us);
    (*put)->BindInt64(6, row.update_time_us);
    status = (*put)->Run();
    // Done unless the upsert found the domain under another name.
    if (!status.ok() || writer.changes() > 0) break;
  }
  if (status.ok() || !IsUniqueViolation(status)) return status;
  // The uuid is the upsert's key, so the only unique column left is the name.
  std::string holder = Holder(writer, kDomainByName, row.name);
  return absl::AlreadyExistsError(
      absl::StrCat("a domain named \"", row.name, "\" already exists",
                   holder.empty() ? std::string() : absl::StrCat(" (uuid ", holder, ")"),
                   "; domain ", row.uuid, " cannot take its name"));
}

absl::Status DeleteDomain(Connection& writer, const std::string& uuid) {
  absl::StatusOr<ScopedStatement> del = writer.Prepare(kDeleteDomain);
  if (!del.ok()) return del.status();
  (*del)->BindText(1, uuid);
  return (*del)->Run();
}

absl::Status PutOperation(Connection& writer, const OperationRow& row) {
  if (row.id.empty()) return absl::InvalidArgumentError("PutOperation: the operation has no id");
  const int state = static_cast<int>(row.state);
  if (state < static_cast<int>(OperationState::kPending) ||
      state > static_cast<int>(OperationState::kCancelled)) {
    return absl::InvalidArgumentError(
        absl::StrCat("PutOperation: operation ", row.id, " has an unknown state ", state));
  }
  absl::StatusOr<ScopedStatement> put = writer.Prepare(kPutOperation);
  if (!put.ok()) return put.status();
  (*put)->BindText(1, row.id);
  (*put)->BindText(2, row.target);
  (*put)->BindText(3, row.method);
  (*put)->BindText(4, row.request_id);
  (*put)->BindBlob(5, row.request);
  (*put)->BindInt64(6, state);
  (*put)->BindBlob(7, row.body);
  (*put)->BindInt64(8, row.create_time_us);
  (*put)->BindInt64(9, row.update_time_us);
  absl::Status status = (*put)->Run();
  if (status.ok() || !IsUniqueViolation(status)) return status;
  // The id is the upsert's key, so the only unique column left is the
  // request id.
  std::string holder = Holder(writer, kOperationByRequestId, row.request_id);
  return absl::AlreadyExistsError(absl::StrCat(
      "request_id \"", row.request_id, "\" is already used by ",
      holder.empty() ? std::string("another operation") : absl::StrCat("operation ", holder),
      "; operation ", row.id, " cannot take it"));
}

absl::Status AppendEvent(Connection& writer, const EventRow& row) {
  absl::StatusOr<ScopedStatement> append = writer.Prepare(kAppendEvent);
  if (!append.ok()) return append.status();
  (*append)->BindInt64(1, row.sequence);
  (*append)->BindInt64(2, row.time_us);
  (*append)->BindText(3, row.resource);
  (*append)->BindBlob(4, row.body);
  absl::Status status = (*append)->Run();
  if (status.ok() || !IsUniqueViolation(status)) return status;
  return absl::AlreadyExistsError(
      absl::StrCat("event sequence ", row.sequence, " is already stored (about ",
                   row.resource.empty() ? std::string("no resource") : row.resource, ")"));
}

absl::Status PutMeta(Connection& writer, const std::string& key, const std::string& value) {
  if (key.empty()) return absl::InvalidArgumentError("PutMeta: the key is empty");
  absl::StatusOr<ScopedStatement> put = writer.Prepare(kPutMeta);
  if (!put.ok()) return put.status();
  (*put)->BindText(1, key);
  (*put)->BindBlob(2, value);
  return (*put)->Run();
}

absl::Status PutSaveImage(Connection& writer, const SaveImageRow& row) {
  if (row.name.empty()) {
    return absl::InvalidArgumentError("PutSaveImage: the save image has no name");
  }
  if (row.path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("PutSaveImage: save image ", row.name, " has no path"));
  }
  absl::StatusOr<ScopedStatement> put = writer.Prepare(kPutSaveImage);
  if (!put.ok()) return put.status();
  (*put)->BindText(1, row.name);
  (*put)->BindText(2, row.domain_uuid);
  (*put)->BindText(3, row.path);
  (*put)->BindBlob(4, row.body);
  (*put)->BindInt64(5, row.create_time_us);
  absl::Status status = (*put)->Run();
  if (status.ok() || !IsUniqueViolation(status)) return status;
  // The name is the upsert's key, so the only unique column left is the path.
  std::string holder = Holder(writer, kSaveImageByPath, row.path);
  return absl::AlreadyExistsError(absl::StrCat(
      "save image path \"", row.path, "\" is already used by ",
      holder.empty() ? std::string("another save image") : absl::StrCat("save image ", holder),
      "; save image ", row.name, " cannot take it"));
}

absl::Status DeleteSaveImage(Connection& writer, const std::string& name) {
  absl::StatusOr<ScopedStatement> del = writer.Prepare(kDeleteSaveImage);
  if (!del.ok()) return del.status();
  (*del)->BindText(1, name);
  return (*del)->Run();
}

absl::Status ApplyEntry(Connection& writer, const WriteBatch::Entry& entry) {
  switch (entry.kind) {
    case WriteBatch::Entry::Kind::kPutDomain:
      return PutDomain(writer, entry.domain);
    case WriteBatch::Entry::Kind::kDeleteDomain:
      return DeleteDomain(writer, entry.domain.uuid);
    case WriteBatch::Entry::Kind::kPutOperation:
      return PutOperation(writer, entry.operation);
    case WriteBatch::Entry::Kind::kAppendEvent:
      return AppendEvent(writer, entry.event);
    case WriteBatch::Entry::Kind::kPutMeta:
      return PutMeta(writer, entry.key, entry.value);
    case WriteBatch::Entry::Kind::kPutSaveImage:
      return PutSaveImage(writer, entry.save_image);
    case WriteBatch::Entry::Kind::kDeleteSaveImage:
      return DeleteSaveImage(writer, entry.save_image.name);
  }
  return absl::InternalError("WriteBatch entry of an unknown kind");
}

}  // namespace

absl::Status ApplyBatch(Connection& writer, const WriteBatch& batch) {
  for (const WriteBatch::Entry& entry : batch.entries()) {
    absl::Status status = ApplyEntry(writer, entry);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> DeleteFinishedOperations(Connection& writer, int64_t before_us) {
  absl::StatusOr<ScopedStatement> del = writer.Prepare(kDeleteFinishedOperations);
  if (!del.ok()) return del.status();
  (*del)->BindInt64(1, before_us);
  absl::Status status = (*del)->Run();
  if (!status.ok()) return status;
  return writer.changes();
}

absl::StatusOr<int64_t> DeleteOldEvents(Connection& writer, int64_t keep) {
  if (keep < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("PruneEvents: keep must not be negative, got ", keep));
  }
  absl::StatusOr<ScopedStatement> del =
      writer.Prepare(keep == 0 ? kDeleteAllEvents : kDeleteOldEvents);
  if (!del.ok()) return del.status();
  if (keep > 0) (*del)->BindInt64(1, keep - 1);
  absl::Status status = (*del)->Run();
  if (!status.ok()) return status;
  return writer.changes();
}

}  // namespace xenia::store
