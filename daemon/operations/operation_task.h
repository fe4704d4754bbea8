// OperationTask: the work of one operation, run by the OperationEngine in
// steps; and TaskContext, what a step may touch.
//
// A task is admitted on the thread that submitted it (checks, and effects
// that must be journalled with the operation, such as a new domain's
// definition), then stepped on a worker thread until it is done, has failed,
// or parks waiting for its domain to change. A parked task holds no thread.
//
// Thread-safety: a task is used by one thread at a time (the engine
// serializes a domain's operations); it need not lock anything itself.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/logger.h"
#include "daemon/domain/domain_registry.h"
#include "daemon/hypervisor/hypervisor.h"
#include "daemon/resource_names.h"
#include "xenia/v1/event.pb.h"
#include "xenia/v1/migration_report.pb.h"
#include "xenia/v1/save_image.pb.h"

namespace xenia {

// What a step asks the engine to do next.
struct StepResult {
  enum class Kind { kDone, kFailed, kWait };
  Kind kind = Kind::kDone;
  absl::Status error;
  absl::Time wake_at;

  static StepResult Done() { return {}; }
  static StepResult Failed(absl::Status error) { return {Kind::kFailed, std::move(error), {}}; }
  // Park until the hypervisor reports an event about this domain, the
  // operation is cancelled, or `until` passes; then step again.
  static StepResult WaitForDomain(absl::Time until) { return {Kind::kWait, {}, until}; }
};

// The engine's services to a running task. Changes made through it are
// journalled together with the operation at the end of the step (or, during
// admission, with the operation's first record), and undone if that journal
// write fails during admission.
class TaskContext {
 public:
  virtual ~TaskContext() = default;

  // The domain the operation's queue belongs to.
  virtual const std::string& domain_uuid() const = 0;
  // The operation's resource name ("hosts/{host}/operations/{id}").
  virtual const std::string& operation_name() const = 0;
  // Its current entry, or nullopt if it is not (or no longer) defined.
  virtual std::optional<DomainEntry> domain() const = 0;
  // Defines a new domain (registry + store). ALREADY_EXISTS if taken.
  virtual absl::Status InsertDomain(DomainEntry entry) = 0;
  // Changes the domain; a change of power_state publishes an event.
  virtual absl::StatusOr<DomainEntry> UpdateDomain(
      const std::function<void(DomainEntry&)>& mutate) = 0;
  // Removes the domain's definition.
  virtual void RemoveDomain() = 0;
  virtual void AddEvent(xenia::v1::Event event) = 0;

  virtual hv::Hypervisor& hypervisor() = 0;
  // For hypervisor calls: the operation's cancellation flag and progress.
  virtual const hv::OpContext& hv_context() const = 0;
  virtual void SetProgress(int percent, absl::string_view message) = 0;
  // The operation's result is the domain as it is when the operation ends.
  virtual void ReturnDomain() = 0;
  // Records a save image taken from this operation's domain (journalled with
  // the step) and makes it the operation's result.
  virtual void PutSaveImage(const xenia::v1::SaveImage& image) = 0;
  // Makes a save image that is not kept on this host (it was streamed to the
  // caller) the operation's result, without recording it.
  virtual void ReturnSaveImage(const xenia::v1::SaveImage& image) = 0;
  // A MigrateDomain operation's figures: while it runs (kept with the
  // operation's progress), and as its result.
  virtual void SetMigrationProgress(const xenia::v1::MigrationProgress& progress) = 0;
  virtual void ReturnMigration(const xenia::v1::MigrationResult& result) = 0;
  // Journals the operation as it now is, with the changes this step has
  // made so far, and waits until that is synced to disk: a decision that a
  // restart must find (a migration's hand-over) is durable once this
  // returns OK. The changes can no longer be undone.
  virtual absl::Status RecordDurably() = 0;
  // A recorded save image by its resource name; nullopt if there is none.
  virtual absl::StatusOr<std::optional<xenia::v1::SaveImage>> GetSaveImage(
      const std::string& name) = 0;
  // Once this operation ends, look at the domain again (an event or fact
  // this task saw is someone else's business, e.g. a crash during a pause).
  virtual void RequestReconcile() = 0;

  // Why the task was woken from its last WaitForDomain: an event about the
  // domain, or neither (the wait timed out or was cancelled).
  virtual const std::optional<hv::DomainEvent>& wake_event() const = 0;
  virtual bool cancelled() const = 0;
  virtual bool first_step() const = 0;

  virtual absl::Time Now() const = 0;
  virtual Logger& logger() = 0;
  virtual const ResourceNames& names() const = 0;
};

class OperationTask {
 public:
  virtual ~OperationTask() = default;

  // On the submitting thread, before anything is journalled. `queue_idle`
  // says no earlier operation of the domain is pending, so the domain's
  // current state is the one this operation will start from: check
  // preconditions then, so that an illegal request is refused at once with
  // its status code. Returning an error refuses the request.
  virtual absl::Status Admit(TaskContext& ctx, bool queue_idle) = 0;

  // After a successful Admit: the work is complete without a worker step
  // (e.g. defining a domain touches only the store).
  virtual bool DoneAtAdmission() const { return false; }

  // One step, on a worker thread.
  virtual StepResult Step(TaskContext& ctx) = 0;

  // OK if CancelOperation may stop the operation now; otherwise
  // FAILED_PRECONDITION saying why not.
  virtual absl::Status CanCancel() const {
    return absl::FailedPreconditionError("this operation cannot be cancelled once it has started");
  }
};

}  // namespace xenia
