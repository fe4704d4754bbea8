#include "store/group_commit.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logger.h"
#include "common/thread_name.h"
#include "store/mutations.h"

namespace xenia::store {

GroupCommitter::GroupCommitter(std::unique_ptr<Connection> writer, absl::Duration max_delay,
                               absl::Duration sync_grace, Logger* logger)
    : writer_(std::move(writer)), max_delay_(max_delay), sync_grace_(sync_grace), logger_(logger) {
  thread_ = std::thread([this] {
    SetThreadName("xeniad-store");
    Run();
  });
}

GroupCommitter::~GroupCommitter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void GroupCommitter::Enqueue(Task task) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(task));
}

bool GroupCommitter::HasChangeOrStopping() const {
  if (stopping_) return true;
  for (const Task& task : queue_) {
    if (!task.barrier) return true;
  }
  return false;
}

void GroupCommitter::Run() {
  // Swapped with the queue each round, so both keep their capacity.
  std::vector<Task> group;
  std::vector<absl::Status> results;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &GroupCommitter::HasWorkOrStopping));
      if (queue_.empty()) return;  // Stopping, and everything is committed.
      if (unsynced_commits_ && !HasChangeOrStopping()) {
        // Only sync barriers: a change arriving soon would be synced anyway
        // (it is an operation's final record, usually), so give it a moment
        // before paying for a sync of our own.
        mu_.AwaitWithTimeout(absl::Condition(this, &GroupCommitter::HasChangeOrStopping),
                             sync_grace_);
      } else if (max_delay_ > absl::ZeroDuration() && !stopping_) {
        // Let more tasks join; a stop request ends the wait early.
        mu_.AwaitWithTimeout(absl::Condition(&stopping_), max_delay_);
      }
      group.swap(queue_);
    }
    bool changes = false;
    bool sync = false;
    for (const Task& task : group) {
      if (task.barrier) {
        sync = true;
      } else {
        changes = true;
        if (task.durability == Durability::kSynced) sync = true;
      }
    }
    results.assign(group.size(), absl::OkStatus());
    if (changes) {
      absl::Status mode = SetSynced(sync);
      if (!mode.ok()) {
        FailGroup(mode, results);
      } else if (CommitGroup(group, results)) {
        unsynced_commits_ = !sync;
      }
    }
    if (sync && unsynced_commits_) {
      // Barriers with nothing of their own to commit, after unsynced commits.
      absl::Status synced = ForceSync();
      if (synced.ok()) unsynced_commits_ = false;
      for (size_t i = 0; i < group.size(); ++i) {
        if (group[i].barrier) results[i] = synced;
      }
    }
    for (size_t i = 0; i < group.size(); ++i) {
      if (group[i].done) group[i].done(std::move(results[i]));
    }
    group.clear();
  }
}

absl::Status GroupCommitter::SetSynced(bool synced) {
  if (synced == synced_mode_) return absl::OkStatus();
  absl::Status set = Control(synced ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  if (set.ok()) synced_mode_ = synced;
  return set;
}

absl::Status GroupCommitter::ForceSync() {
  absl::Status s = SetSynced(true);
  if (!writer_->autocommit()) Control("ROLLBACK").IgnoreError();
  if (s.ok()) s = Control("BEGIN IMMEDIATE");
  if (s.ok()) {
    s = Control(
        "INSERT INTO meta(key, value) VALUES('store.last_sync', randomblob(8)) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    absl::Status end = s.ok() ? Control("COMMIT") : Control("ROLLBACK");
    if (s.ok()) s = end;
  }
  if (!s.ok() && logger_ != nullptr) {
    logger_->Error("store sync failed", {{"path", writer_->path()}, {"error", s}});
  }
  return s;
}

absl::Status GroupCommitter::Control(const char* sql) {
  absl::StatusOr<ScopedStatement> statement = writer_->Prepare(sql);
  if (!statement.ok()) return statement.status();
  return (*statement)->Run();
}

void GroupCommitter::FailGroup(const absl::Status& error, std::vector<absl::Status>& results) {
  for (absl::Status& result : results) {
    if (result.ok()) result = error;
  }
}

bool GroupCommitter::CommitGroup(std::vector<Task>& group, std::vector<absl::Status>& results) {
  // A transaction left open by an earlier failure to roll back would make
  // every later BEGIN fail.
  if (!writer_->autocommit()) Control("ROLLBACK").IgnoreError();
  absl::Status begin = Control("BEGIN IMMEDIATE");
  if (!begin.ok()) {
    FailGroup(
        absl::Status(begin.code(), absl::StrCat("cannot begin a transaction: ", begin.message())),
        results);
    if (logger_ != nullptr) {
      logger_->Error("store write failed", {{"path", writer_->path()}, {"error", begin}});
    }
    return false;
  }
  size_t change_count = 0;
  for (const Task& task : group) change_count += task.barrier ? 0 : 1;
  // A lone task needs no savepoint: rolling back the transaction undoes it.
  const bool savepoints = change_count > 1;
  size_t succeeded = 0;
  for (size_t i = 0; i < group.size(); ++i) {
    Task& task = group[i];
    if (task.barrier) continue;
    absl::Status status = savepoints ? Control("SAVEPOINT batch") : absl::OkStatus();
    if (status.ok()) {
      status = task.custom ? task.custom(*writer_) : ApplyBatch(*writer_, task.batch);
    }
    if (status.ok()) {
      if (savepoints) status = Control("RELEASE batch");
      if (status.ok()) {
        ++succeeded;
        continue;
      }
    }
    results[i] = status;
    if (writer_->autocommit()) {
      // SQLite rolled the whole transaction back by itself (disk full, I/O
      // error): the tasks applied before this one are gone too, and the rest
      // are not applied.
      FailGroup(absl::Status(status.code(),
                             absl::StrCat("the transaction was rolled back: ", status.message())),
                results);
      if (logger_ != nullptr) {
        logger_->Error("store write failed", {{"path", writer_->path()}, {"error", status}});
      }
      return false;
    }
    if (savepoints) {
      absl::Status undone = Control("ROLLBACK TO batch");
      if (undone.ok()) undone = Control("RELEASE batch");
      if (!undone.ok()) {
        if (!writer_->autocommit()) Control("ROLLBACK").IgnoreError();
        FailGroup(undone, results);
        return false;
      }
    }
  }
  if (succeeded == 0) {
    // Nothing to keep: skip the commit and its fsync.
    Control("ROLLBACK").IgnoreError();
    return false;
  }
  absl::Status commit = Control("COMMIT");
  if (!commit.ok()) {
    if (!writer_->autocommit()) Control("ROLLBACK").IgnoreError();
    FailGroup(absl::Status(commit.code(), absl::StrCat("commit failed: ", commit.message())),
              results);
    if (logger_ != nullptr) {
      logger_->Error("store commit failed",
                     {{"path", writer_->path()}, {"batches", group.size()}, {"error", commit}});
    }
    return false;
  }
  return true;
}

}  // namespace xenia::store
