#include "daemon/operations/operation_engine.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "common/thread_name.h"
#include "daemon/domain/domain_proto.h"
#include "daemon/operations/operation_engine_internal.h"
#include "daemon/operations/reconcile_task.h"
#include "daemon/proto_time.h"

namespace xenia {
namespace {

using xenia::v1::Operation;

void RunAll(std::vector<std::function<void()>>& after) {
  for (auto& fn : after) fn();
  after.clear();
}

}  // namespace

OperationEngine::OperationEngine(OperationEngineOptions options, Journal& journal,
                                 store::Store& store, DomainRegistry& registry,
                                 hv::Hypervisor& hypervisor, const ResourceNames& names,
                                 const Clock& clock, Logger& logger)
    : options_(options),
      journal_(journal),
      store_(store),
      registry_(registry),
      hypervisor_(hypervisor),
      names_(names),
      clock_(clock),
      logger_(logger) {}

OperationEngine::~OperationEngine() { Stop(); }

std::string OperationEngine::NewOperationId() {
  // Ids grow with time (microseconds since the epoch, times 16), and always
  // past the last one issued or stored, so that they stay unique even if the
  // clock steps back; new operations then land at the end of the store's
  // index of ids instead of on a random page of it.
  uint64_t now = static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixMicros(clock_.Now())));
  last_operation_id_ = std::max(last_operation_id_ + 1, now * 16);
  return absl::StrFormat("%016x", last_operation_id_);
}

absl::Status OperationEngine::LoadHistory() {
  absl::StatusOr<std::string> last_id = store_.LastOperationId();
  if (!last_id.ok()) return last_id.status();
  uint64_t last_value = 0;
  // Ids are 16 hex digits; anything else cannot collide with a new one.
  if (last_id->size() == 16 && absl::SimpleHexAtoi(*last_id, &last_value)) {
    absl::MutexLock lock(&mu_);
    last_operation_id_ = std::max(last_operation_id_, last_value);
  }
  absl::Time since = clock_.Now() - options_.request_id_retention;
  absl::StatusOr<std::vector<store::OperationRow>> rows =
      store_.LoadRequestIds(absl::ToUnixMicros(since));
  if (!rows.ok()) return rows.status();
  absl::MutexLock lock(&mu_);
  for (const store::OperationRow& row : *rows) {
    request_ids_[row.request_id] = {row.id, absl::FromUnixMicros(row.create_time_us)};
  }
  return absl::OkStatus();
}

void OperationEngine::Start() {
  absl::MutexLock lock(&mu_);
  if (started_) return;
  started_ = true;
  for (int i = 0; i < options_.workers; ++i) {
    workers_.emplace_back([this] {
      SetThreadName("xeniad-worker");
      WorkerLoop();
    });
  }
  timer_thread_ = std::thread([this] {
    SetThreadName("xeniad-timer");
    TimerLoop();
  });
}

void OperationEngine::ReleaseWaiters() {
  std::vector<std::function<void()>> after;
  {
    absl::MutexLock lock(&mu_);
    waiters_released_ = true;
    for (auto& [handle, entry] : waiters_) {
      timers_.erase(entry.second);
      auto it = ops_.find(entry.first.op_id);
      if (it == ops_.end()) continue;
      std::erase(it->second->waiters, handle);
      Operation snapshot = it->second->record.operation;
      after.push_back([done = std::move(entry.first.done), snapshot] { done(snapshot); });
    }
    waiters_.clear();
  }
  RunAll(after);
}

void OperationEngine::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && !started_) return;
    stopping_ = true;
    work_cv_.SignalAll();
    timer_cv_.SignalAll();
  }
  ReleaseWaiters();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
  if (timer_thread_.joinable()) timer_thread_.join();
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* inflight) { return *inflight == 0; }, &inflight_journal_));
  started_ = false;
}

void OperationEngine::JournalSubmit(JournalChange change, store::Durability durability,
                                    std::function<void(absl::Status)> done) {
  // Every journalled step of an operation (queued, waiting, ended) is an
  // event, after the domain events of the same change.
  for (const JournalledOperation& op : change.operations) {
    change.events.push_back(OperationEvent(op.operation));
  }
  {
    absl::MutexLock lock(&mu_);
    ++inflight_journal_;
  }
  journal_.Submit(std::move(change), clock_.Now(), durability,
                  [this, done = std::move(done)](absl::Status s) {
                    done(std::move(s));
                    absl::MutexLock lock(&mu_);
                    --inflight_journal_;
                  });
}

xenia::v1::Event OperationEngine::OperationEvent(const Operation& op) {
  xenia::v1::Event event;
  event.set_type(xenia::v1::Event::OPERATION_CHANGED);
  event.set_resource(op.target());
  event.set_operation(op.name());
  event.set_operation_state(op.state());
  event.set_progress_percent(op.progress_percent());
  std::string method = op.method().substr(op.method().rfind('/') + 1);
  std::string message =
      absl::StrCat(method, " ", absl::AsciiStrToLower(Operation::State_Name(op.state())));
  if (op.has_error() && !op.error().message().empty()) {
    absl::StrAppend(&message, ": ", op.error().message());
  } else if (!op.progress_message().empty()) {
    absl::StrAppend(&message, ": ", op.progress_message());
  }
  event.set_message(std::move(message));
  return event;
}

// ---------------------------------------------------------------- admission

void OperationEngine::Submit(OperationRequest request, OperationCallback done) {
  std::vector<std::function<void()>> after;
  {
    absl::MutexLock lock(&mu_);
    SubmitLocked(std::move(request), std::move(done), &after);
  }
  RunAll(after);
}

void OperationEngine::SubmitLocked(OperationRequest request, OperationCallback done,
                                   std::vector<std::function<void()>>* after) {
  auto refuse = [&](absl::Status status) {
    after->push_back([done = std::move(done), status] { done(status); });
  };
  if (stopping_) {
    refuse(absl::UnavailableError("xeniad is shutting down; retry against the restarted daemon"));
    return;
  }

  // A repeat of a request_id returns the first operation.
  if (!request.request_id.empty()) {
    auto known = request_ids_.find(request.request_id);
    if (known != request_ids_.end()) {
      const std::string& first_id = known->second.first;
      auto in_memory = ops_.find(first_id);
      if (in_memory != ops_.end()) {
        Op* first = in_memory->second.get();
        if (first->record.operation.method() != request.method ||
            first->record.request != request.request) {
          refuse(absl::InvalidArgumentError(absl::StrCat(
              "request_id \"", request.request_id, "\" was already used for a different request (",
              first->record.operation.method(), " on ", first->record.operation.target(), ")")));
        } else if (first->durable && (!first->ending || first->finished)) {
          Operation snapshot = first->record.operation;
          after->push_back([done = std::move(done), snapshot] { done(snapshot); });
        } else {
          first->on_journalled.push_back(std::move(done));
        }
        return;
      }
      // Older than memory: the store answers.
      std::string id = first_id;
      struct Repeat {
        std::string request_id, method, request;
      };
      Repeat repeat{request.request_id, request.method, std::move(request.request)};
      after->push_back([this, id, request = std::move(repeat), done = std::move(done)] {
        absl::StatusOr<std::optional<store::OperationRow>> row = store_.GetOperation(id);
        if (!row.ok()) return done(row.status());
        if (!row->has_value()) {
          return done(absl::InternalError(absl::StrCat("request_id \"", request.request_id,
                                                       "\" refers to operation ", id,
                                                       ", which is no longer stored")));
        }
        if ((*row)->method != request.method || (*row)->request != request.request) {
          return done(absl::InvalidArgumentError(absl::StrCat(
              "request_id \"", request.request_id, "\" was already used for a different request (",
              (*row)->method, " on ", (*row)->target, ")")));
        }
        Operation op;
        if (!op.ParseFromString((*row)->body)) {
          return done(absl::DataLossError(absl::StrCat("stored operation ", id, " is unreadable")));
        }
        done(op);
      });
      return;
    }
  }

  if (request.domain_uuid.empty()) {
    std::optional<DomainEntry> entry = registry_.GetByName(request.domain_name);
    if (!entry.has_value()) {
      refuse(absl::NotFoundError(absl::StrCat("domain \"", request.domain_name, "\" not found")));
      return;
    }
    request.domain_uuid = entry->uuid();
  }

  DomainQueue& queue = queues_[request.domain_uuid];
  if (static_cast<int>(queue.ops.size()) >= options_.max_queue_per_domain) {
    refuse(absl::ResourceExhaustedError(absl::StrCat(
        request.target, " already has ", queue.ops.size(), " operations queued (the limit is ",
        options_.max_queue_per_domain, "); wait for them to finish and retry")));
    if (queue.ops.empty()) queues_.erase(request.domain_uuid);
    return;
  }
  bool idle = queue.ops.empty();

  auto op = std::make_unique<Op>();
  op->id = NewOperationId();
  op->domain_uuid = request.domain_uuid;
  op->task = std::move(request.task);
  op->is_reconcile = request.method == ReconcileTask::kMethod;
  op->hv_context.cancelled = &op->cancelled;
  op->hv_context.trace_id = op->id;
  Op* raw = op.get();
  op->hv_context.progress = [this, raw](int percent, absl::string_view message) {
    ReportProgress(raw, percent, message);
  };
  Operation& resource = op->record.operation;
  resource.set_name(names_.Operation(op->id));
  resource.set_method(request.method);
  resource.set_target(request.target);
  resource.set_request_id(request.request_id);
  resource.set_principal(request.principal);
  resource.set_state(Operation::PENDING);
  resource.set_cancellable(true);
  *resource.mutable_create_time() = ToProto(clock_.Now());
  resource.set_progress_message(idle ? "queued" : "waiting for earlier operations on the domain");
  op->record.request = std::move(request.request);

  StepContext ctx(*this, *op, std::nullopt, true);
  if (absl::Status admitted = op->task->Admit(ctx, idle); !admitted.ok()) {
    ctx.Undo();
    if (queue.ops.empty()) queues_.erase(raw->domain_uuid);
    refuse(std::move(admitted));
    return;
  }
  if (op->task->DoneAtAdmission()) {
    absl::Time now = clock_.Now();
    resource.set_state(Operation::DONE);
    resource.set_done(true);
    resource.set_progress_percent(100);
    resource.set_progress_message("done");
    *resource.mutable_start_time() = ToProto(now);
    *resource.mutable_end_time() = ToProto(now);
    if (ctx.return_domain()) {
      if (std::optional<DomainEntry> entry = ctx.domain(); entry.has_value()) {
        *resource.mutable_domain() = ToDomainProto(*entry, names_);
      }
    }
  }
  raw->on_journalled.insert(raw->on_journalled.begin(), std::move(done));
  queue.ops.push_back(raw);
  if (!resource.request_id().empty()) {
    request_ids_[resource.request_id()] = {raw->id, clock_.Now()};
  }
  ops_[raw->id] = std::move(op);

  JournalChange change = ctx.TakeChange();
  change.operations.push_back(raw->record);
  // The context's undo log must outlive this call: keep it with the
  // callback.
  auto undo = std::make_shared<StepContext>(std::move(ctx));
  // An operation that is complete is acknowledged, so it is synced. One that
  // still has to run only needs to be on record (in the log, surviving the
  // daemon's death) before it touches the hypervisor; the reply waits for
  // the sync that follows (usually the operation's own final record).
  store::Durability durability =
      raw->record.operation.done() ? store::Durability::kSynced : store::Durability::kWritten;
  after->push_back([this, raw, durability, change = std::move(change), undo]() mutable {
    JournalSubmit(std::move(change), durability, [this, raw, undo](absl::Status status) {
      if (!status.ok()) undo->Undo();
      OnAdmissionJournalled(raw, std::move(status));
    });
  });
}

void OperationEngine::OnAdmissionJournalled(Op* op, absl::Status status) {
  std::vector<std::function<void()>> after;
  {
    absl::MutexLock lock(&mu_);
    std::vector<OperationCallback> callbacks = std::move(op->on_journalled);
    op->on_journalled.clear();
    if (!status.ok()) {
      logger_.Error("could not journal an operation; it was not run",
                    {{"operation", op->id},
                     {"method", op->record.operation.method()},
                     {"target", op->record.operation.target()},
                     {"error", status}});
      absl::Status refused = absl::UnavailableError(
          absl::StrCat("could not record the operation in the state store: ", status.message()));
      for (auto& cb : callbacks) after.push_back([cb = std::move(cb), refused] { cb(refused); });
      DomainQueue& queue = queues_[op->domain_uuid];
      std::erase(queue.ops, op);
      if (!op->record.operation.request_id().empty()) {
        request_ids_.erase(op->record.operation.request_id());
      }
      std::string uuid = op->domain_uuid;
      ops_.erase(op->id);
      if (queue.ops.empty()) {
        queues_.erase(uuid);
      } else {
        ScheduleFrontLocked(uuid);
      }
    } else {
      op->journalled = true;
      if (op->record.operation.done()) {
        op->durable = true;
        Operation snapshot = op->record.operation;
        for (auto& cb : callbacks)
          after.push_back([cb = std::move(cb), snapshot] { cb(snapshot); });
        FinishLocked(op, &after);
      } else {
        op->on_journalled = std::move(callbacks);
        // The sync is queued before the operation can run, so it is answered
        // no later than the operation's own final (synced) record.
        ++inflight_journal_;
        std::string id = op->id;
        journal_.Sync([this, id](absl::Status synced) {
          OnAdmissionSynced(id, std::move(synced));
          absl::MutexLock done_lock(&mu_);
          --inflight_journal_;
        });
        ScheduleFrontLocked(op->domain_uuid);
      }
    }
  }
  RunAll(after);
}

void OperationEngine::OnAdmissionSynced(const std::string& id, absl::Status status) {
  std::vector<OperationCallback> callbacks;
  Operation snapshot;
  {
    absl::MutexLock lock(&mu_);
    auto it = ops_.find(id);
    if (it == ops_.end()) return;
    Op* op = it->second.get();
    op->durable = status.ok();
    if (status.ok() && op->ending && !op->finished) {
      // Its end is being recorded right now (usually in the very group that
      // answered this sync): reply with the end once it is on record.
      return;
    }
    callbacks = std::move(op->on_journalled);
    op->on_journalled.clear();
    snapshot = op->record.operation;
  }
  if (!status.ok()) {
    logger_.Error("could not sync the journal", {{"operation", id}, {"error", status}});
    absl::Status failed = absl::UnavailableError(
        absl::StrCat("the operation was recorded but the state store could not sync it to disk: ",
                     status.message()));
    for (auto& cb : callbacks) cb(failed);
    return;
  }
  // The reply carries the operation as it is now: a quick one is done already.
  for (auto& cb : callbacks) cb(snapshot);
}

// ------------------------------------------------------------------ running

void OperationEngine::ReportProgress(Op* op, int percent, absl::string_view message) {
  JournalChange change;
  {
    absl::MutexLock lock(&mu_);
    Operation& resource = op->record.operation;
    if (resource.progress_percent() == percent && resource.progress_message() == message) return;
    resource.set_progress_percent(percent);
    resource.set_progress_message(std::string(message));
    // Watchers hear of the progress of a long step, at most once an
    // interval: a quick operation is told by its journalled steps alone.
    const absl::Time now = clock_.Now();
    if (stopping_ || !op->stepping || op->ending ||
        now - op->last_progress_event < options_.progress_event_interval) {
      return;
    }
    op->last_progress_event = now;
    change.operations.push_back(op->record);
  }
  // Written, not synced: progress is acknowledged to no one.
  JournalSubmit(std::move(change), store::Durability::kWritten, [](absl::Status) {});
}

void OperationEngine::ReportMigrationProgress(Op* op,
                                              const xenia::v1::MigrationProgress& progress) {
  absl::MutexLock lock(&mu_);
  *op->record.operation.mutable_migration_progress() = progress;
}

absl::Status OperationEngine::RecordOperationNow(Op* op, JournalChange change) {
  {
    absl::MutexLock lock(&mu_);
    change.operations.push_back(op->record);
  }
  absl::Notification written;
  absl::Status result;
  JournalSubmit(std::move(change), store::Durability::kSynced,
                [&written, &result](absl::Status status) {
                  result = std::move(status);
                  written.Notify();
                });
  written.WaitForNotification();
  return result;
}

void OperationEngine::ScheduleFrontLocked(const std::string& domain_uuid) {
  auto it = queues_.find(domain_uuid);
  if (it == queues_.end() || it->second.ops.empty()) return;
  Op* front = it->second.ops.front();
  if (!front->journalled || front->stepping || front->parked || front->finished ||
      front->record.operation.done()) {
    return;
  }
  MakeReadyLocked(front);
}

void OperationEngine::MakeReadyLocked(Op* op) {
  op->stepping = true;
  ready_.push_back(op);
  work_cv_.Signal();
}

void OperationEngine::WorkerLoop() {
  while (true) {
    Op* op = nullptr;
    {
      absl::MutexLock lock(&mu_);
      while (ready_.empty() && !stopping_) work_cv_.Wait(&mu_);
      if (stopping_ && ready_.empty()) return;
      op = ready_.front();
      ready_.pop_front();
      ++running_steps_;
    }
    RunStep(op);
  }
}

void OperationEngine::RunStep(Op* op) {
  std::optional<hv::DomainEvent> wake_event;
  bool first = false;
  {
    absl::MutexLock lock(&mu_);
    wake_event = std::move(op->wake_event);
    op->wake_event.reset();
    first = !op->started;
    Operation& resource = op->record.operation;
    if (first) {
      op->started = true;
      resource.set_state(Operation::RUNNING);
      resource.set_progress_message("running");
      *resource.mutable_start_time() = ToProto(clock_.Now());
      op->last_progress_event = clock_.Now();
    }
    resource.set_cancellable(op->task->CanCancel().ok());
  }
  StepContext ctx(*this, *op, std::move(wake_event), first);
  StepResult result = first && op->cancelled.load()
                          ? StepResult::Failed(absl::CancelledError("cancelled before it started"))
                          : op->task->Step(ctx);

  JournalChange change;
  JournalledOperation ending;
  {
    absl::MutexLock lock(&mu_);
    --running_steps_;
    if (ctx.reconcile()) op->reconcile_after = true;
    if (result.kind != StepResult::Kind::kWait) {
      // The live resource shows the end only once it is on disk
      // (OnStepJournalled); until then readers see the operation running.
      ending = op->record;
      Operation& resource = ending.operation;
      *resource.mutable_end_time() = ToProto(clock_.Now());
      resource.set_done(true);
      resource.set_cancellable(false);
      if (result.kind == StepResult::Kind::kDone) {
        resource.set_state(Operation::DONE);
        resource.set_progress_percent(100);
        if (resource.progress_message().empty() || resource.progress_message() == "running") {
          resource.set_progress_message("done");
        }
        if (ctx.result_image().has_value()) {
          *resource.mutable_save_image() = *ctx.result_image();
        } else if (ctx.result_migration().has_value()) {
          *resource.mutable_migration() = *ctx.result_migration();
        } else if (ctx.return_domain()) {
          if (std::optional<DomainEntry> entry = ctx.domain(); entry.has_value()) {
            *resource.mutable_domain() = ToDomainProto(*entry, names_);
          }
        }
      } else {
        bool cancelled = result.error.code() == absl::StatusCode::kCancelled;
        resource.set_state(cancelled ? Operation::CANCELLED : Operation::FAILED);
        resource.mutable_error()->set_code(static_cast<int>(result.error.code()));
        resource.mutable_error()->set_message(std::string(result.error.message()));
        resource.set_progress_message(cancelled ? "cancelled" : "failed");
      }
      if (op->event_during_step.has_value()) op->reconcile_after = true;
      op->ending = true;
      change = ctx.TakeChange();
      change.operations.push_back(ending);
    } else {
      op->wake_event.reset();
      change = ctx.TakeChange();
      change.operations.push_back(op->record);
    }
  }
  StepResult::Kind kind = result.kind;
  absl::Time wake_at = result.wake_at;
  // The end of an operation is acknowledged to waiters: synced. A park only
  // records progress.
  store::Durability durability =
      kind == StepResult::Kind::kWait ? store::Durability::kWritten : store::Durability::kSynced;
  JournalSubmit(std::move(change), durability,
                [this, op, kind, wake_at, ending = std::move(ending)](absl::Status status) mutable {
                  if (kind == StepResult::Kind::kWait) {
                    OnParkJournalled(op, wake_at);
                    return;
                  }
                  OnStepJournalled(op, std::move(ending), std::move(status));
                });
}

void OperationEngine::OnParkJournalled(Op* op, absl::Time wake_at) {
  absl::MutexLock lock(&mu_);
  op->stepping = false;
  if (stopping_) return;  // stays journalled as running
  if (op->event_during_step.has_value() || op->cancel_during_step) {
    op->wake_event = std::move(op->event_during_step);
    op->event_during_step.reset();
    op->cancel_during_step = false;
    MakeReadyLocked(op);
    return;
  }
  op->parked = true;
  op->wake_timer = timers_.emplace(wake_at, std::make_pair(uint64_t{0}, op->id));
  timer_cv_.Signal();
}

void OperationEngine::OnStepJournalled(Op* op, JournalledOperation ending, absl::Status status) {
  std::vector<std::function<void()>> after;
  {
    absl::MutexLock lock(&mu_);
    op->stepping = false;
    if (!status.ok()) {
      // The hypervisor did what it did; the record of it is what failed. Say
      // so rather than pretend the operation's own outcome.
      logger_.Error("could not journal the end of an operation",
                    {{"operation", op->id}, {"error", status}});
      Operation& resource = ending.operation;
      resource.set_state(Operation::FAILED);
      resource.mutable_error()->set_code(static_cast<int>(absl::StatusCode::kUnavailable));
      resource.mutable_error()->set_message(absl::StrCat(
          "the operation ran but its outcome could not be recorded in the state store: ",
          status.message(), "; the domain will be reconciled"));
      resource.clear_domain();
      op->reconcile_after = true;
    }
    op->record = std::move(ending);
    const Operation& resource = op->record.operation;
    if (resource.state() == Operation::DONE) {
      if (logger_.Enabled(LogLevel::kDebug)) {
        logger_.Debug(
            "operation done",
            {{"operation", op->id}, {"method", resource.method()}, {"target", resource.target()}});
      }
    } else {
      logger_.Info("operation failed", {{"operation", op->id},
                                        {"method", resource.method()},
                                        {"target", resource.target()},
                                        {"error", resource.error().message()}});
    }
    FinishLocked(op, &after);
  }
  RunAll(after);
}

void OperationEngine::FinishLocked(Op* op, std::vector<std::function<void()>>* after) {
  op->finished = true;
  op->event_during_step.reset();
  Operation snapshot = op->record.operation;
  if (op->durable) {
    // Replies that waited for the end (see OnAdmissionSynced).
    for (auto& cb : op->on_journalled) {
      after->push_back([cb = std::move(cb), snapshot] { cb(snapshot); });
    }
    op->on_journalled.clear();
  }
  for (uint64_t handle : op->waiters) {
    auto it = waiters_.find(handle);
    if (it == waiters_.end()) continue;
    timers_.erase(it->second.second);
    after->push_back([done = std::move(it->second.first.done), snapshot] { done(snapshot); });
    waiters_.erase(it);
  }
  op->waiters.clear();
  op->task.reset();
  finished_.emplace_back(clock_.Now(), op->id);

  std::string uuid = op->domain_uuid;
  auto queue_it = queues_.find(uuid);
  if (queue_it != queues_.end()) {
    std::erase(queue_it->second.ops, op);
    if (queue_it->second.ops.empty()) {
      queues_.erase(queue_it);
    } else {
      ScheduleFrontLocked(uuid);
    }
  }
  if (op->reconcile_after && !stopping_) {
    op->reconcile_after = false;
    RequestReconcileLocked(uuid, "an event arrived during " + op->record.operation.method(),
                           std::nullopt, after);
  }
  ForgetOldLocked();
}

void OperationEngine::ForgetOldLocked() {
  absl::Time horizon = clock_.Now() - options_.keep_finished;
  for (size_t looked = 0, n = finished_.size();
       looked < n && !finished_.empty() &&
       (finished_.front().first < horizon || finished_.size() > options_.max_finished_in_memory);
       ++looked) {
    auto it = ops_.find(finished_.front().second);
    if (it != ops_.end() && !it->second->on_journalled.empty()) {
      // Its reply still waits for the sync: keep it a little longer.
      finished_.emplace_back(clock_.Now(), it->first);
    } else if (it != ops_.end() && it->second->finished && it->second->waiters.empty()) {
      ops_.erase(it);
    }
    finished_.pop_front();
  }
  absl::Time id_horizon = clock_.Now() - options_.request_id_retention;
  // Request ids are few compared to operations; prune them when finished
  // operations are pruned.
  if (request_ids_.size() > 4096) {
    absl::erase_if(request_ids_, [&](const auto& kv) { return kv.second.second < id_horizon; });
  }
}

// ------------------------------------------------------------ reconciliation

void OperationEngine::RequestReconcile(const std::string& domain_uuid, const std::string& reason,
                                       std::optional<xenia::v1::LifecycleAction> action) {
  std::vector<std::function<void()>> after;
  {
    absl::MutexLock lock(&mu_);
    RequestReconcileLocked(domain_uuid, reason, action, &after);
  }
  RunAll(after);
}

void OperationEngine::RequestReconcileLocked(const std::string& domain_uuid,
                                             const std::string& reason,
                                             std::optional<xenia::v1::LifecycleAction> action,
                                             std::vector<std::function<void()>>* after) {
  if (stopping_) return;
  std::optional<DomainEntry> entry = registry_.GetByUuid(domain_uuid);
  if (!entry.has_value()) return;  // not managed
  auto it = queues_.find(domain_uuid);
  if (it != queues_.end()) {
    for (Op* queued : it->second.ops) {
      if (queued->is_reconcile && !queued->started) return;  // one is enough
    }
  }
  OperationRequest request;
  request.method = ReconcileTask::kMethod;
  request.target = names_.Domain(entry->name());
  request.domain_uuid = domain_uuid;
  request.principal = "xeniad";
  request.task = std::make_unique<ReconcileTask>(reason, action);
  logger_.Debug("reconciling domain", {{"domain", entry->name()}, {"reason", reason}});
  SubmitLocked(
      std::move(request),
      [this, reason](absl::StatusOr<Operation> op) {
        if (!op.ok()) {
          logger_.Warn("could not queue a reconciliation",
                       {{"reason", reason}, {"error", op.status()}});
        }
      },
      after);
}

void OperationEngine::OnDomainEvent(const hv::DomainEvent& event) {
  std::vector<std::function<void()>> after;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    auto it = queues_.find(event.uuid);
    if (it != queues_.end() && !it->second.ops.empty()) {
      Op* front = it->second.ops.front();
      if (front->parked) {
        front->parked = false;
        if (front->wake_timer.has_value()) timers_.erase(*front->wake_timer);
        front->wake_timer.reset();
        front->wake_event = event;
        MakeReadyLocked(front);
        return;
      }
      if (front->stepping) {
        front->event_during_step = event;
        return;
      }
    }
    RequestReconcileLocked(event.uuid, absl::StrCat("hypervisor event for domid ", event.domid),
                           std::nullopt, &after);
  }
  RunAll(after);
}

// -------------------------------------------------------- reading and waiting

absl::StatusOr<Operation> OperationEngine::LoadFromStore(const std::string& id) {
  absl::StatusOr<std::optional<store::OperationRow>> row = store_.GetOperation(id);
  if (!row.ok()) return row.status();
  if (!row->has_value()) {
    return absl::NotFoundError(absl::StrCat("operation \"", id, "\" not found"));
  }
  Operation op;
  if (!op.ParseFromString((*row)->body)) {
    return absl::DataLossError(absl::StrCat("stored operation \"", id, "\" is unreadable"));
  }
  return op;
}

std::optional<Operation> OperationEngine::Peek(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = ops_.find(id);
  if (it == ops_.end()) return std::nullopt;
  return it->second->record.operation;
}

absl::StatusOr<Operation> OperationEngine::Get(const std::string& id) {
  {
    absl::MutexLock lock(&mu_);
    auto it = ops_.find(id);
    if (it != ops_.end()) return it->second->record.operation;
  }
  return LoadFromStore(id);
}

uint64_t OperationEngine::Wait(const std::string& id, absl::Time deadline, OperationCallback done) {
  std::optional<Operation> snapshot;
  {
    absl::MutexLock lock(&mu_);
    auto it = ops_.find(id);
    if (it != ops_.end()) {
      Op* op = it->second.get();
      if (!op->finished && !stopping_ && !waiters_released_ && deadline > clock_.Now()) {
        uint64_t handle = next_waiter_++;
        auto timer = timers_.emplace(deadline, std::make_pair(handle, id));
        waiters_.emplace(handle, std::make_pair(Waiter{id, std::move(done)}, timer));
        op->waiters.push_back(handle);
        timer_cv_.Signal();
        return handle;
      }
      snapshot = op->record.operation;
    }
  }
  if (snapshot.has_value()) {
    done(*std::move(snapshot));
  } else {
    done(LoadFromStore(id));
  }
  return 0;
}

bool OperationEngine::CancelWait(uint64_t handle) {
  absl::MutexLock lock(&mu_);
  auto it = waiters_.find(handle);
  if (it == waiters_.end()) return false;
  timers_.erase(it->second.second);
  auto op = ops_.find(it->second.first.op_id);
  if (op != ops_.end()) std::erase(op->second->waiters, handle);
  waiters_.erase(it);
  return true;
}

void OperationEngine::TimerLoop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    absl::Time now = clock_.Now();
    std::vector<std::function<void()>> after;
    while (!timers_.empty() && timers_.begin()->first <= now) {
      auto [handle, op_id] = timers_.begin()->second;
      timers_.erase(timers_.begin());
      auto op_it = ops_.find(op_id);
      if (handle == 0) {
        if (op_it == ops_.end() || !op_it->second->parked) continue;
        Op* op = op_it->second.get();
        op->parked = false;
        op->wake_timer.reset();
        MakeReadyLocked(op);
      } else {
        auto w = waiters_.find(handle);
        if (w == waiters_.end()) continue;
        OperationCallback done = std::move(w->second.first.done);
        waiters_.erase(w);
        if (op_it == ops_.end()) continue;
        std::erase(op_it->second->waiters, handle);
        Operation snapshot = op_it->second->record.operation;
        after.push_back([done = std::move(done), snapshot] { done(snapshot); });
      }
    }
    if (!after.empty()) {
      mu_.Unlock();
      RunAll(after);
      mu_.Lock();
      continue;
    }
    absl::Time next = timers_.empty() ? absl::InfiniteFuture() : timers_.begin()->first;
    timer_cv_.WaitWithDeadline(&mu_, next);
  }
}

void OperationEngine::Cancel(const std::string& id, const std::string& request_id,
                             const std::string& request, OperationCallback done) {
  // A repeat of a cancel request returns the operation again, as the first
  // did, instead of "already ended".
  if (!request_id.empty()) {
    std::optional<std::string> first;
    {
      absl::MutexLock lock(&mu_);
      auto known = cancel_requests_.find(request_id);
      if (known != cancel_requests_.end()) first = known->second;
    }
    if (!first.has_value()) {
      absl::StatusOr<std::optional<std::string>> stored =
          store_.GetMeta(CancelRequestKey(request_id));
      if (!stored.ok()) return done(stored.status());
      first = *std::move(stored);
    }
    if (first.has_value()) {
      if (*first != absl::StrCat(id, std::string(1, '\0'), request)) {
        return done(absl::InvalidArgumentError(absl::StrCat(
            "request_id \"", request_id, "\" was already used for a different request")));
      }
      return done(Get(id));
    }
  }
  std::string remembered = absl::StrCat(id, std::string(1, '\0'), request);
  std::vector<std::function<void()>> after;
  {
    absl::MutexLock lock(&mu_);
    auto it = ops_.find(id);
    if (it == ops_.end()) {
      after.push_back([this, id, done] {
        absl::StatusOr<Operation> op = LoadFromStore(id);
        if (!op.ok()) return done(op.status());
        done(absl::FailedPreconditionError(absl::StrCat("operation ", id, " has already ended")));
      });
    } else {
      Op* op = it->second.get();
      Operation& resource = op->record.operation;
      auto remember = [&](JournalChange* change) {
        if (request_id.empty()) return;
        cancel_requests_[request_id] = remembered;
        change->meta.emplace_back(CancelRequestKey(request_id), remembered);
      };
      if (op->finished || op->ending || resource.done()) {
        after.push_back([done, id] {
          done(absl::FailedPreconditionError(absl::StrCat("operation ", id, " has already ended")));
        });
      } else if (!op->started && op->journalled && !op->stepping) {
        // Not started: drop it from the queue and record the cancellation.
        op->cancelled = true;
        JournalledOperation ending = op->record;
        Operation& end = ending.operation;
        end.set_state(Operation::CANCELLED);
        end.set_done(true);
        end.set_cancellable(false);
        end.set_progress_message("cancelled before it started");
        end.mutable_error()->set_code(static_cast<int>(absl::StatusCode::kCancelled));
        end.mutable_error()->set_message("cancelled before it started");
        *end.mutable_end_time() = ToProto(clock_.Now());
        JournalChange change;
        change.operations.push_back(ending);
        remember(&change);
        op->stepping = true;  // keeps it from being scheduled meanwhile
        op->ending = true;
        after.push_back([this, op, change = std::move(change), ending = std::move(ending),
                         done]() mutable {
          Operation snapshot = ending.operation;
          JournalSubmit(
              std::move(change), store::Durability::kSynced,
              [this, op, done, snapshot, ending = std::move(ending)](absl::Status status) mutable {
                OnStepJournalled(op, std::move(ending), status);
                if (status.ok()) {
                  done(snapshot);
                } else {
                  done(status);
                }
              });
        });
      } else if (absl::Status can = op->task ? op->task->CanCancel() : absl::OkStatus();
                 !can.ok()) {
        after.push_back([done, can] { done(can); });
      } else {
        op->cancelled = true;
        if (op->parked) {
          op->parked = false;
          if (op->wake_timer.has_value()) timers_.erase(*op->wake_timer);
          op->wake_timer.reset();
          MakeReadyLocked(op);
        } else if (op->stepping) {
          op->cancel_during_step = true;
        }
        Operation snapshot = resource;
        JournalChange change;
        remember(&change);
        if (change.empty()) {
          after.push_back([done, snapshot] { done(snapshot); });
        } else {
          after.push_back([this, change = std::move(change), done, snapshot]() mutable {
            JournalSubmit(std::move(change), store::Durability::kSynced,
                          [done, snapshot](absl::Status status) {
                            if (status.ok()) {
                              done(snapshot);
                            } else {
                              done(status);
                            }
                          });
          });
        }
      }
    }
  }
  RunAll(after);
}

std::string OperationEngine::CancelRequestKey(const std::string& request_id) {
  return absl::StrCat("cancel_request/", request_id);
}

std::string OperationEngine::ActiveOperation(const std::string& domain_uuid) {
  absl::MutexLock lock(&mu_);
  auto it = queues_.find(domain_uuid);
  if (it == queues_.end() || it->second.ops.empty()) return "";
  return it->second.ops.front()->record.operation.name();
}

}  // namespace xenia
