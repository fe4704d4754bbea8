#include "store/group_commit.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logger.h"
#include "store/mutations.h"

namespace xenia::store {

GroupCommitter::GroupCommitter(std::unique_ptr<Connection> writer, absl::Duration max_delay,
                               Logger* logger)
    : writer_(std::move(writer)), max_delay_(max_delay), logger_(logger) {
  thread_ = std::thread([this] { Run(); });
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

void GroupCommitter::Run() {
  // Swapped with the queue each round, so both keep their capacity.
  std::vector<Task> group;
  std::vector<absl::Status> results;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &GroupCommitter::HasWorkOrStopping));
      if (queue_.empty()) return;  // Stopping, and everything is committed.
      if (max_delay_ > absl::ZeroDuration() && !stopping_) {
        // Let more tasks join; a stop request ends the wait early.
        mu_.AwaitWithTimeout(absl::Condition(&stopping_), max_delay_);
      }
      group.swap(queue_);
    }
    CommitGroup(group, results);
    for (size_t i = 0; i < group.size(); ++i) {
      if (group[i].done) group[i].done(std::move(results[i]));
    }
    group.clear();
  }
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

void GroupCommitter::CommitGroup(std::vector<Task>& group, std::vector<absl::Status>& results) {
  results.assign(group.size(), absl::OkStatus());
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
    return;
  }
  // A lone task needs no savepoint: rolling back the transaction undoes it.
  const bool savepoints = group.size() > 1;
  size_t succeeded = 0;
  for (size_t i = 0; i < group.size(); ++i) {
    Task& task = group[i];
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
      return;
    }
    if (savepoints) {
      absl::Status undone = Control("ROLLBACK TO batch");
      if (undone.ok()) undone = Control("RELEASE batch");
      if (!undone.ok()) {
        if (!writer_->autocommit()) Control("ROLLBACK").IgnoreError();
        FailGroup(undone, results);
        return;
      }
    }
  }
  if (succeeded == 0) {
    // Nothing to keep: skip the commit and its fsync.
    Control("ROLLBACK").IgnoreError();
    return;
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
  }
}

}  // namespace xenia::store
