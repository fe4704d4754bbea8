// OperationEngine: turns requests into journalled operations and runs them.
//
// One queue per domain, served in arrival order, one operation at a time;
// different domains proceed in parallel on a fixed pool of workers. An
// operation is journalled (PENDING) before any worker touches the hypervisor
// and journalled again when it ends; parked operations (waiting for a guest)
// hold no thread. Requests carrying a request_id are idempotent: a repeat
// returns the first operation, even while it is still running.
//
// Hypervisor events reach the engine as "this domain needs attention": they
// wake the domain's parked operation, or queue a reconciliation that applies
// the domain's lifecycle policy.
//
// Thread-safe: every public method may be called from any thread. Callbacks
// run on the submitting thread, the store's writer thread or the engine's
// timer thread, never under the engine's lock.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/logger.h"
#include "daemon/domain/domain_registry.h"
#include "daemon/hypervisor/hypervisor.h"
#include "daemon/operations/journal.h"
#include "daemon/operations/operation_task.h"
#include "daemon/resource_names.h"
#include "store/store.h"
#include "xenia/v1/operation.pb.h"

namespace xenia {

struct OperationEngineOptions {
  int workers = 8;
  // Operations one domain may have queued (pending or running); past it a
  // request is refused with RESOURCE_EXHAUSTED.
  int max_queue_per_domain = 64;
  // How long a finished operation stays in memory, and how many at most
  // (older ones are read from the store).
  absl::Duration keep_finished = absl::Seconds(30);
  size_t max_finished_in_memory = 1000;
  // How long request_ids are remembered (at least 24 hours).
  absl::Duration request_id_retention = absl::Hours(25);
  // A running step's progress is journalled (and so becomes an
  // OPERATION_CHANGED event) at most this often, and not in its first
  // interval.
  absl::Duration progress_event_interval = absl::Milliseconds(250);
};

// A request to run an operation.
struct OperationRequest {
  // The API method, e.g. "StartDomain".
  std::string method;
  // The resource acted on, e.g. "hosts/h1/domains/web1".
  std::string target;
  // The queue: the domain's uuid. When empty, `domain_name` is looked up
  // (after the request_id check, so that a repeat of a request that deleted
  // its domain still returns the first operation).
  std::string domain_uuid;
  std::string domain_name;
  std::string request_id;
  // The request minus its request_id, serialized deterministically.
  std::string request;
  std::string principal;
  std::unique_ptr<OperationTask> task;
};

class OperationEngine final : public hv::DomainEventHandler {
 public:
  using OperationCallback = std::function<void(absl::StatusOr<xenia::v1::Operation>)>;

  // Everything is borrowed and must outlive the engine.
  OperationEngine(OperationEngineOptions options, Journal& journal, store::Store& store,
                  DomainRegistry& registry, hv::Hypervisor& hypervisor, const ResourceNames& names,
                  const Clock& clock, Logger& logger);
  ~OperationEngine() override;

  // Rebuilds the request_id index and the last operation id from the store.
  // Call before Start().
  absl::Status LoadHistory();
  // Starts the workers and the timer thread.
  void Start();
  // Answers every outstanding Wait now, and every later one at once, with
  // the operation as it is (so that a server shutting down is not held up by
  // waiting clients, nor by one whose call arrives during the stop).
  void ReleaseWaiters();
  // Stops taking work, completes outstanding waits, lets running steps finish
  // and waits for journal writes in flight. Parked operations stay journalled
  // as running; the next start reconciles them.
  void Stop();

  // Admits and journals an operation; `done` gets the operation as journalled
  // (or the reason it was refused).
  void Submit(OperationRequest request, OperationCallback done);

  // Queues a reconciliation of the domain (an internal operation that looks
  // at the hypervisor's facts and applies the lifecycle policy), unless one
  // is already waiting in the domain's queue.
  // `action` overrides the domain's policy (see ReconcileTask).
  void RequestReconcile(const std::string& domain_uuid, const std::string& reason,
                        std::optional<xenia::v1::LifecycleAction> action = std::nullopt);

  // The operation if it is held in memory (pending, running, or recently
  // finished); the store holds the rest.
  std::optional<xenia::v1::Operation> Peek(const std::string& id);
  // The operation by id; NOT_FOUND if unknown.
  absl::StatusOr<xenia::v1::Operation> Get(const std::string& id);
  // Calls `done` once the operation is done or at `deadline`, with the
  // operation as it then is. Returns a handle for CancelWait, or 0 if `done`
  // was already called.
  uint64_t Wait(const std::string& id, absl::Time deadline, OperationCallback done);
  // Forgets a wait; true if it was still pending (its callback will not run).
  bool CancelWait(uint64_t handle);
  // Cancels a pending operation, or asks a running one to stop if its task
  // allows it now. FAILED_PRECONDITION saying why otherwise. A repeat of
  // `request_id` with the same `request` (its fingerprint) returns the
  // operation again; with another request, INVALID_ARGUMENT.
  void Cancel(const std::string& id, const std::string& request_id, const std::string& request,
              OperationCallback done);

  // The name of the operation that currently holds the domain, or "".
  std::string ActiveOperation(const std::string& domain_uuid);

  void OnDomainEvent(const hv::DomainEvent& event) override;

 private:
  struct Op;
  struct DomainQueue;
  class StepContext;
  struct Waiter {
    std::string op_id;
    OperationCallback done;
  };
  using TimerMap = std::multimap<absl::Time, std::pair<uint64_t, std::string>>;

  void WorkerLoop();
  void TimerLoop();
  void RunStep(Op* op);
  void SubmitLocked(OperationRequest request, OperationCallback done,
                    std::vector<std::function<void()>>* after) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RequestReconcileLocked(const std::string& domain_uuid, const std::string& reason,
                              std::optional<xenia::v1::LifecycleAction> action,
                              std::vector<std::function<void()>>* after)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records a step's progress; journals it now and then (see
  // progress_event_interval). Not under mu_.
  void ReportProgress(Op* op, int percent, absl::string_view message) ABSL_LOCKS_EXCLUDED(mu_);
  void ReportMigrationProgress(Op* op, const xenia::v1::MigrationProgress& progress)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Journals `change` with the operation as it is now, synced, and waits.
  absl::Status RecordOperationNow(Op* op, JournalChange change) ABSL_LOCKS_EXCLUDED(mu_);
  void OnAdmissionJournalled(Op* op, absl::Status status);
  void OnAdmissionSynced(const std::string& id, absl::Status status);
  void OnParkJournalled(Op* op, absl::Time wake_at);
  void OnStepJournalled(Op* op, JournalledOperation ending, absl::Status status);
  void FinishLocked(Op* op, std::vector<std::function<void()>>* after)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ScheduleFrontLocked(const std::string& domain_uuid) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MakeReadyLocked(Op* op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ForgetOldLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The OPERATION_CHANGED event of a journalled step of `op`.
  static xenia::v1::Event OperationEvent(const xenia::v1::Operation& op);
  void JournalSubmit(JournalChange change, store::Durability durability,
                     std::function<void(absl::Status)> done);
  absl::StatusOr<xenia::v1::Operation> LoadFromStore(const std::string& id);
  std::string NewOperationId() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static std::string CancelRequestKey(const std::string& request_id);

  const OperationEngineOptions options_;
  Journal& journal_;
  store::Store& store_;
  DomainRegistry& registry_;
  hv::Hypervisor& hypervisor_;
  const ResourceNames& names_;
  const Clock& clock_;
  Logger& logger_;

  absl::Mutex mu_;
  absl::CondVar work_cv_;
  absl::CondVar timer_cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // ReleaseWaiters ran: later waits answer at once (a stop is under way).
  bool waiters_released_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<std::string, std::unique_ptr<Op>> ops_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, DomainQueue> queues_ ABSL_GUARDED_BY(mu_);
  // request_id -> (operation id, create time).
  absl::flat_hash_map<std::string, std::pair<std::string, absl::Time>> request_ids_
      ABSL_GUARDED_BY(mu_);
  // Cancel request_id -> operation id and request fingerprint (also kept in
  // the store's meta table).
  absl::flat_hash_map<std::string, std::string> cancel_requests_ ABSL_GUARDED_BY(mu_);
  std::deque<Op*> ready_ ABSL_GUARDED_BY(mu_);
  // Finished operations in the order they finished, for forgetting.
  std::deque<std::pair<absl::Time, std::string>> finished_ ABSL_GUARDED_BY(mu_);
  // Wake-ups of parked operations (handle 0) and wait deadlines (handle > 0).
  TimerMap timers_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, std::pair<Waiter, TimerMap::iterator>> waiters_
      ABSL_GUARDED_BY(mu_);
  uint64_t next_waiter_ ABSL_GUARDED_BY(mu_) = 1;
  // The numeric value of the last operation id issued or stored.
  uint64_t last_operation_id_ ABSL_GUARDED_BY(mu_) = 0;
  int inflight_journal_ ABSL_GUARDED_BY(mu_) = 0;
  int running_steps_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::thread> workers_;
  std::thread timer_thread_;
};

}  // namespace xenia
