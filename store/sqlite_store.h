// SqliteStore: the Store on one SQLite file (see store.h for the contract).
//
// Connections: one writer connection, used only by the GroupCommitter's
// writer thread (every change, including the prunes, goes through it, so
// writes never contend for SQLite's write lock inside the process), and a
// ReaderPool of read connections for the queries, which in WAL mode read a
// committed snapshot without waiting for the writer or its fsync.
//
// Thread-safe: every method may be called from any thread; the destructor
// must not race with other calls (it commits what is queued and waits).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/group_commit.h"
#include "store/reader_pool.h"
#include "store/store.h"

namespace xenia::store {

class SqliteStore final : public Store {
 public:
  // See Store::Open. Also INVALID_ARGUMENT for unusable options.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const StoreOptions& options);
  ~SqliteStore() override;

  int schema_version() const override { return schema_version_; }

  void Submit(WriteBatch batch, std::function<void(absl::Status)> done) override;
  void Submit(WriteBatch batch, Durability durability,
              std::function<void(absl::Status)> done) override;
  void Sync(std::function<void(absl::Status)> done) override;
  // FAILED_PRECONDITION when called on the writer thread (from a Submit
  // callback), where waiting would deadlock.
  absl::Status Write(WriteBatch batch) override;

  absl::StatusOr<std::vector<DomainRow>> LoadDomains() override;
  absl::StatusOr<std::vector<SaveImageRow>> LoadSaveImages() override;
  absl::StatusOr<std::optional<SaveImageRow>> GetSaveImage(const std::string& name) override;
  absl::StatusOr<std::optional<OperationRow>> GetOperation(const std::string& id) override;
  absl::StatusOr<std::optional<OperationRow>> FindOperationByRequestId(
      const std::string& request_id) override;
  absl::StatusOr<std::vector<OperationRow>> LoadUnfinishedOperations() override;
  absl::StatusOr<std::vector<OperationRow>> LoadRequestIds(int64_t since_us) override;
  absl::StatusOr<Page<OperationRow>> ListOperations(const OperationCursor& after, int limit,
                                                    const std::string& target, int state) override;
  absl::StatusOr<int64_t> PruneOperations(int64_t before_us) override;
  absl::StatusOr<std::vector<EventRow>> ReadEvents(int64_t after, int limit,
                                                   const std::string& resource) override;
  absl::StatusOr<int64_t> LastEventSequence() override;
  absl::StatusOr<std::string> LastOperationId() override;
  absl::StatusOr<int64_t> PruneEvents(int64_t keep) override;
  absl::StatusOr<std::optional<std::string>> GetMeta(const std::string& key) override;

  // The settings SQLite reports for a connection, for diagnostics and tests
  // (synchronous, foreign_keys and busy_timeout are per connection, so only
  // the connection itself can tell).
  struct ConnectionSettings {
    std::string journal_mode;
    int64_t synchronous = 0;  // 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA.
    bool foreign_keys = false;
    bool query_only = false;
    int64_t busy_timeout_ms = 0;
  };
  // The writer connection's, read on the writer thread.
  absl::StatusOr<ConnectionSettings> WriterSettings();
  // A reader connection's.
  absl::StatusOr<ConnectionSettings> ReaderSettings();

 private:
  SqliteStore(std::unique_ptr<Connection> writer, const StoreOptions& options, int schema_version);
  // Runs `work` on the writer thread inside a group commit and waits.
  absl::Status RunOnWriter(absl::AnyInvocable<absl::Status(Connection&)> work);

  const int schema_version_;
  ReaderPool readers_;
  // Declared last: destroyed first, draining the queue while the rest is
  // still alive.
  GroupCommitter committer_;
};

}  // namespace xenia::store
