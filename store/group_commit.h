// GroupCommitter: the store's writer thread and its queue (group commit, as
// in LevelDB).
//
// Callers Enqueue tasks. The writer thread takes every queued task, opens ONE
// transaction (BEGIN IMMEDIATE), applies each task under its own savepoint (a
// failing task is rolled back to its savepoint and keeps its own error; the
// others go on), commits once (one fsync for the whole group), and then calls
// each task's `done` with its own outcome, in submission order. When the
// transaction cannot begin or commit, every task that had succeeded gets
// that error instead. A group in which every task failed is rolled back
// rather than committed.
//
// The writer connection belongs to this class and is used only on the writer
// thread once it has started.
//
// Thread-safe: Enqueue may be called from any thread, including from a
// task's `done` (which runs on the writer thread). The destructor commits
// what is queued, stops the thread and closes the connection.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "store/sqlite_connection.h"
#include "store/store.h"

namespace xenia {
class Logger;
}  // namespace xenia

namespace xenia::store {

class GroupCommitter {
 public:
  struct Task {
    // The change: `batch`, or `custom` when it is set (the prunes, or any
    // other work that must run on the writer connection).
    WriteBatch batch;
    absl::AnyInvocable<absl::Status(Connection&)> custom;
    // Called once with the task's outcome, after the group is committed
    // with the task's durability (or failed). May be empty.
    std::function<void(absl::Status)> done;
    Durability durability = Durability::kSynced;
    // A sync barrier: no change; `done` runs once everything committed
    // before it is synced.
    bool barrier = false;
  };

  // `max_delay`: longest the writer waits for more tasks to join a group
  // once one is queued; zero commits at once. `sync_grace`: how long a
  // barrier waits for a synced commit before the writer syncs on its own.
  // `logger` may be null.
  GroupCommitter(std::unique_ptr<Connection> writer, absl::Duration max_delay,
                 absl::Duration sync_grace, Logger* logger);
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  void Enqueue(Task task);

  // Whether the caller is the writer thread (where waiting for a task would
  // deadlock).
  bool OnWriterThread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  void Run();
  // Applies and commits the changes of `group` (barriers are skipped); sets
  // `results` (sized to the group, OK beforehand) to each task's outcome.
  // True if a transaction was committed.
  bool CommitGroup(std::vector<Task>& group, std::vector<absl::Status>& results);
  // Sets synchronous=FULL or NORMAL on the writer connection if it differs.
  absl::Status SetSynced(bool synced);
  // Commits a tiny synced change so that earlier unsynced commits become
  // durable.
  absl::Status ForceSync();
  bool HasChangeOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs a cached transaction-control statement ("COMMIT", "SAVEPOINT b" ...).
  absl::Status Control(const char* sql);
  // After SQLite or a failed control statement ended the transaction on its
  // own: every task gets `error` unless it already failed by itself.
  void FailGroup(const absl::Status& error, std::vector<absl::Status>& results);
  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !queue_.empty() || stopping_;
  }

  const std::unique_ptr<Connection> writer_;
  const absl::Duration max_delay_;
  const absl::Duration sync_grace_;
  // Writer thread only: the connection's synchronous setting, and whether a
  // commit since the last synced one is not yet on disk.
  bool synced_mode_ = true;
  bool unsynced_commits_ = false;
  Logger* const logger_;

  absl::Mutex mu_;
  std::vector<Task> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Started last in the constructor, joined first in the destructor.
  std::thread thread_;
};

}  // namespace xenia::store
