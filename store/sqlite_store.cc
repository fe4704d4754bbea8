#include "store/sqlite_store.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "common/logger.h"
#include "store/mutations.h"
#include "store/queries.h"
#include "store/schema.h"

namespace xenia::store {
namespace {

// Rows of PRAGMA quick_check to quote in the error when it fails.
constexpr int kIntegrityRowsReported = 5;

absl::Status CheckIntegrity(Connection& connection) {
  absl::StatusOr<ScopedStatement> check = connection.Prepare("PRAGMA quick_check");
  if (!check.ok()) return check.status();
  std::vector<std::string> problems;
  for (;;) {
    absl::StatusOr<bool> row = (*check)->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    std::string line = (*check)->ColumnString(0);
    if (line == "ok") return absl::OkStatus();
    if (problems.size() < kIntegrityRowsReported) problems.push_back(std::move(line));
  }
  return absl::DataLossError(absl::StrCat(
      connection.context(), ": integrity check failed: ", absl::StrJoin(problems, "; ")));
}

// What an operator can do about a damaged file, added to DATA_LOSS errors.
absl::Status WithDataLossAdvice(absl::Status status) {
  if (!absl::IsDataLoss(status)) return status;
  return absl::DataLossError(absl::StrCat(status.message(),
                                          "; xeniad will not use this file: move it aside (a new "
                                          "one is created) or restore it from a backup"));
}

absl::Status CheckOptions(const StoreOptions& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("store: StoreOptions.path is empty");
  if (options.sync_grace_us < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("store: StoreOptions.sync_grace_us is negative: ", options.sync_grace_us));
  }
  if (options.max_group_delay_us < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "store: StoreOptions.max_group_delay_us is negative: ", options.max_group_delay_us));
  }
  if (options.busy_timeout_ms < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("store: StoreOptions.busy_timeout_ms is negative: ", options.busy_timeout_ms));
  }
  return absl::OkStatus();
}

int ReaderConnections() {
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(2 * cores, 4, 16);
}

absl::StatusOr<SqliteStore::ConnectionSettings> ReadSettings(Connection& connection) {
  SqliteStore::ConnectionSettings settings;
  absl::StatusOr<std::string> journal_mode = connection.QueryString("PRAGMA journal_mode");
  if (!journal_mode.ok()) return journal_mode.status();
  settings.journal_mode = *std::move(journal_mode);
  absl::StatusOr<int64_t> value = connection.QueryInt64("PRAGMA synchronous");
  if (!value.ok()) return value.status();
  settings.synchronous = *value;
  value = connection.QueryInt64("PRAGMA foreign_keys");
  if (!value.ok()) return value.status();
  settings.foreign_keys = *value != 0;
  value = connection.QueryInt64("PRAGMA query_only");
  if (!value.ok()) return value.status();
  settings.query_only = *value != 0;
  value = connection.QueryInt64("PRAGMA busy_timeout");
  if (!value.ok()) return value.status();
  settings.busy_timeout_ms = *value;
  return settings;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(*std::move(store));
}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const StoreOptions& options) {
  absl::Status valid = CheckOptions(options);
  if (!valid.ok()) return valid;
  absl::StatusOr<std::unique_ptr<Connection>> writer =
      Connection::Open(options.path, Connection::Role::kWriter, options.busy_timeout_ms);
  if (!writer.ok()) return WithDataLossAdvice(writer.status());
  absl::Status intact = CheckIntegrity(**writer);
  if (!intact.ok()) return WithDataLossAdvice(intact);
  absl::StatusOr<MigrationResult> migrated = Migrate(**writer, StoreMigrations());
  if (!migrated.ok()) return migrated.status();

  std::unique_ptr<SqliteStore> store(
      new SqliteStore(*std::move(writer), options, migrated->to_version));
  // Opens the first reader now, so that a file readers cannot use fails here
  // rather than at the first query.
  absl::StatusOr<ReaderPool::Lease> reader = store->readers_.Acquire();
  if (!reader.ok()) return reader.status();

  if (options.logger != nullptr) {
    options.logger->Info("store opened", {{"path", options.path},
                                          {"schema_version", migrated->to_version},
                                          {"migrated_from", migrated->from_version}});
  }
  return store;
}

SqliteStore::SqliteStore(std::unique_ptr<Connection> writer, const StoreOptions& options,
                         int schema_version)
    : schema_version_(schema_version),
      readers_(options.path, options.busy_timeout_ms, ReaderConnections()),
      committer_(std::move(writer), absl::Microseconds(options.max_group_delay_us),
                 absl::Microseconds(options.sync_grace_us), options.logger) {}

SqliteStore::~SqliteStore() = default;

void SqliteStore::Submit(WriteBatch batch, std::function<void(absl::Status)> done) {
  Submit(std::move(batch), Durability::kSynced, std::move(done));
}

void SqliteStore::Submit(WriteBatch batch, Durability durability,
                         std::function<void(absl::Status)> done) {
  GroupCommitter::Task task;
  task.batch = std::move(batch);
  task.durability = durability;
  task.done = std::move(done);
  committer_.Enqueue(std::move(task));
}

void SqliteStore::Sync(std::function<void(absl::Status)> done) {
  GroupCommitter::Task task;
  task.barrier = true;
  task.done = std::move(done);
  committer_.Enqueue(std::move(task));
}

absl::Status SqliteStore::Write(WriteBatch batch) {
  if (committer_.OnWriterThread()) {
    return absl::FailedPreconditionError(
        "Store::Write called from a Submit callback, on the store's writer thread, where it "
        "would wait for itself; use Submit there");
  }
  absl::Notification committed;
  absl::Status result;
  Submit(std::move(batch), [&](absl::Status status) {
    result = std::move(status);
    committed.Notify();
  });
  committed.WaitForNotification();
  return result;
}

absl::Status SqliteStore::RunOnWriter(absl::AnyInvocable<absl::Status(Connection&)> work) {
  if (committer_.OnWriterThread()) {
    return absl::FailedPreconditionError(
        "a Store prune or diagnostic called from a Submit callback, on the store's writer "
        "thread, where it would wait for itself");
  }
  absl::Notification committed;
  absl::Status result;
  GroupCommitter::Task task;
  task.custom = std::move(work);
  task.done = [&](absl::Status status) {
    result = std::move(status);
    committed.Notify();
  };
  committer_.Enqueue(std::move(task));
  committed.WaitForNotification();
  return result;
}

absl::StatusOr<std::vector<DomainRow>> SqliteStore::LoadDomains() {
  absl::StatusOr<ReaderPool::Lease> reader = readers_.Acquire();
  if (!reader.ok()) return reader.status();
  return QueryDomains(**reader);
}

absl::StatusOr<std::vector<SaveImageRow>> SqliteStore::LoadSaveImages() {
  absl::StatusOr<ReaderPool::Lease> reader = readers_.Acquire();
  if (!reader.ok()) return reader.status();
  return QuerySaveImages(**reader);
}

absl::StatusOr<std::optional<SaveImageRow>> SqliteStore::GetSaveImage(const std::string& name) {
  absl::StatusOr<ReaderPool::Lease> reader = readers_.Acquire();
  if (!reader.ok()) return reader.status();
  return QuerySaveImage(**reader, name);
}

absl::StatusOr<std::optional<OperationRow>> SqliteStore::GetOperation(const std::string& id) {
  absl::StatusOr<ReaderPool::Lease> reader = readers_.Acquire();
  if (!reader.ok()) return reader.status();
  return QueryOperation(**reader, id);
}

absl::StatusOr<std::optional<OperationRow>> SqliteStore::FindOperationByRequestId(
    const std::string& request_id) {
  absl::StatusOr<ReaderPool::Lease> reader = readers_.Acquire();
  if (!reader.ok()) return reader.status();
  return QueryOperationByRequestId(**reader, request_id);
}

absl::StatusOr<std::vector<OperationRow>> SqliteStore::LoadUnfinishedOperations() {
  absl::StatusOr<ReaderPool::Lease> reader = readers_.Acquire();
  if (!reader.ok()) return reader.status();
  return QueryUnfinishedOperations(**reader);
}

absl::StatusOr<std::vector<OperationRow>> SqliteStore::LoadRequestIds(int64_t since_us) {
  absl::StatusOr<ReaderPool::Lease> reader = readers_.Acquire();
  if (!reader.ok()) return reader.status();
  return QueryRequestIds(**reader, since_us);
}

absl::StatusOr<Page<OperationRow>> SqliteStore::ListOperations(const OperationCursor& after,
                                                               int limit, const std::string& target,
                                                               int state) {
  absl::StatusOr<ReaderPool::Lease> reader = readers_.Acquire();
  if (!reader.ok()) return reader.status();
  return QueryOperationPage(**reader, after, limit, target, state);
}

absl::StatusOr<int64_t> SqliteStore::PruneOperations(int64_t before_us) {
  int64_t deleted = 0;
  absl::Status status = RunOnWriter([&](Connection& writer) -> absl::Status {
    absl::StatusOr<int64_t> count = DeleteFinishedOperations(writer, before_us);
    if (!count.ok()) return count.status();
    deleted = *count;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return deleted;
}

absl::StatusOr<std::vector<EventRow>> SqliteStore::ReadEvents(int64_t after, int limit,
                                                              const std::string& resource) {
  absl::StatusOr<ReaderPool::Lease> reader = readers_.Acquire();
  if (!reader.ok()) return reader.status();
  return QueryEvents(**reader, after, limit, resource);
}

absl::StatusOr<int64_t> SqliteStore::LastEventSequence() {
  absl::StatusOr<ReaderPool::Lease> reader = readers_.Acquire();
  if (!reader.ok()) return reader.status();
  return QueryLastEventSequence(**reader);
}

absl::StatusOr<std::string> SqliteStore::LastOperationId() {
  absl::StatusOr<ReaderPool::Lease> reader = readers_.Acquire();
  if (!reader.ok()) return reader.status();
  return QueryLastOperationId(**reader);
}

absl::StatusOr<int64_t> SqliteStore::PruneEvents(int64_t keep) {
  int64_t deleted = 0;
  absl::Status status = RunOnWriter([&](Connection& writer) -> absl::Status {
    absl::StatusOr<int64_t> count = DeleteOldEvents(writer, keep);
    if (!count.ok()) return count.status();
    deleted = *count;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return deleted;
}

absl::StatusOr<std::optional<std::string>> SqliteStore::GetMeta(const std::string& key) {
  absl::StatusOr<ReaderPool::Lease> reader = readers_.Acquire();
  if (!reader.ok()) return reader.status();
  return QueryMeta(**reader, key);
}

absl::StatusOr<SqliteStore::ConnectionSettings> SqliteStore::WriterSettings() {
  ConnectionSettings settings;
  absl::Status status = RunOnWriter([&](Connection& writer) -> absl::Status {
    absl::StatusOr<ConnectionSettings> read = ReadSettings(writer);
    if (!read.ok()) return read.status();
    settings = *std::move(read);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return settings;
}

absl::StatusOr<SqliteStore::ConnectionSettings> SqliteStore::ReaderSettings() {
  absl::StatusOr<ReaderPool::Lease> reader = readers_.Acquire();
  if (!reader.ok()) return reader.status();
  return ReadSettings(**reader);
}

}  // namespace xenia::store
