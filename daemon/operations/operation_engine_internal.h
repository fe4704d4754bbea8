// Private parts of OperationEngine shared by its .cc files. Not for use
// outside daemon/operations/.
#pragma once

#include <optional>
#include <vector>

#include "daemon/operations/operation_engine.h"

namespace xenia {

struct OperationEngine::Op {
  std::string id;
  std::string domain_uuid;
  // The live resource and the request it came from.
  JournalledOperation record;
  std::unique_ptr<OperationTask> task;
  std::atomic<bool> cancelled{false};
  hv::OpContext hv_context;
  // The first record is written (the operation may run).
  bool journalled = false;
  // ... and synced to disk (the operation may be acknowledged).
  bool durable = false;
  // The terminal record is durable.
  bool finished = false;
  // A worker is running a step.
  bool stepping = false;
  // The final record has been submitted and is not yet on disk.
  bool ending = false;
  bool started = false;
  bool is_reconcile = false;
  // When the operation's progress last went to the journal (or its first
  // step began).
  absl::Time last_progress_event;
  // Replies waiting for the first record to be synced: the request's own and
  // duplicates (same request_id).
  std::vector<OperationCallback> on_journalled;
  std::vector<uint64_t> waiters;
  // Parked in WaitForDomain.
  bool parked = false;
  std::optional<TimerMap::iterator> wake_timer;
  std::optional<hv::DomainEvent> wake_event;
  std::optional<hv::DomainEvent> event_during_step;
  bool cancel_during_step = false;
  bool reconcile_after = false;
};

struct OperationEngine::DomainQueue {
  // Front is the operation that holds the domain.
  std::deque<Op*> ops;
};

// TaskContext for one admission or step of an operation. Collects the
// changes to journal with the operation and how to undo them.
class OperationEngine::StepContext final : public TaskContext {
 public:
  StepContext(OperationEngine& engine, Op& op, std::optional<hv::DomainEvent> wake_event,
              bool first_step);

  const std::string& domain_uuid() const override { return op_.domain_uuid; }
  const std::string& operation_name() const override { return op_.record.operation.name(); }
  std::optional<DomainEntry> domain() const override;
  absl::Status InsertDomain(DomainEntry entry) override;
  absl::StatusOr<DomainEntry> UpdateDomain(
      const std::function<void(DomainEntry&)>& mutate) override;
  void RemoveDomain() override;
  void AddEvent(xenia::v1::Event event) override;
  hv::Hypervisor& hypervisor() override { return engine_.hypervisor_; }
  const hv::OpContext& hv_context() const override { return op_.hv_context; }
  void SetProgress(int percent, absl::string_view message) override;
  void ReturnDomain() override { return_domain_ = true; }
  void PutSaveImage(const xenia::v1::SaveImage& image) override;
  void ReturnSaveImage(const xenia::v1::SaveImage& image) override { result_image_ = image; }
  absl::StatusOr<std::optional<xenia::v1::SaveImage>> GetSaveImage(
      const std::string& name) override;
  void SetMigrationProgress(const xenia::v1::MigrationProgress& progress) override;
  void ReturnMigration(const xenia::v1::MigrationResult& result) override {
    result_migration_ = result;
  }
  absl::Status RecordDurably() override;
  void RequestReconcile() override { reconcile_ = true; }
  const std::optional<hv::DomainEvent>& wake_event() const override { return wake_event_; }
  bool cancelled() const override { return op_.cancelled.load(); }
  bool first_step() const override { return first_step_; }
  // Whole microseconds: domain times are stored so, and must read the same
  // after a restart.
  absl::Time Now() const override {
    return absl::FromUnixMicros(absl::ToUnixMicros(engine_.clock_.Now()));
  }
  Logger& logger() override { return engine_.logger_; }
  const ResourceNames& names() const override { return engine_.names_; }

  JournalChange TakeChange() { return std::move(change_); }
  // Reverts the registry changes made through this context.
  void Undo();
  bool return_domain() const { return return_domain_; }
  const std::optional<xenia::v1::SaveImage>& result_image() const { return result_image_; }
  const std::optional<xenia::v1::MigrationResult>& result_migration() const {
    return result_migration_;
  }
  bool reconcile() const { return reconcile_; }

 private:
  void PutLatest(const DomainEntry& entry);

  OperationEngine& engine_;
  Op& op_;
  std::optional<hv::DomainEvent> wake_event_;
  bool first_step_;
  JournalChange change_;
  std::vector<std::function<void()>> undo_;
  bool return_domain_ = false;
  std::optional<xenia::v1::SaveImage> result_image_;
  std::optional<xenia::v1::MigrationResult> result_migration_;
  bool reconcile_ = false;
};

}  // namespace xenia
