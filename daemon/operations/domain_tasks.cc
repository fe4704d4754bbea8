#include "daemon/operations/domain_tasks.h"

#include "absl/strings/str_cat.h"
#include "daemon/domain/adopted_entry.h"
#include "daemon/domain/spec_validation.h"
#include "daemon/operations/domain_lifecycle.h"
#include "daemon/proto_time.h"

namespace xenia {
namespace {

using xenia::v1::DomainStatus;
using xenia::v1::PowerState;

constexpr std::initializer_list<PowerState> kStartable = {xenia::v1::SHUTOFF, xenia::v1::LOST};
constexpr std::initializer_list<PowerState> kDestroyable = {
    xenia::v1::RUNNING, xenia::v1::PAUSED, xenia::v1::SHUTTING_DOWN,
    xenia::v1::CRASHED, xenia::v1::DYING,  xenia::v1::LOST};

// Checks at admission only when the queue is idle; otherwise the state the
// operation will meet is not known yet and the step checks it.
absl::Status AdmitState(TaskContext& ctx, bool queue_idle,
                        std::initializer_list<PowerState> allowed, absl::string_view must_be,
                        absl::string_view to_verb) {
  if (!queue_idle) return absl::OkStatus();
  absl::StatusOr<DomainEntry> entry = CurrentDomain(ctx);
  if (!entry.ok()) return entry.status();
  return RequireState(*entry, allowed, must_be, to_verb);
}

// The step that starts a shut-off domain; the status of the start.
absl::Status StartStep(TaskContext& ctx, bool paused) {
  ctx.ReturnDomain();
  absl::StatusOr<DomainEntry> entry = CurrentDomain(ctx);
  if (!entry.ok()) return entry.status();
  if (absl::Status s = RequireState(*entry, kStartable, "shut off", "be started"); !s.ok()) {
    return s;
  }
  return StartInHypervisor(ctx, *entry, paused);
}

class CreateDomainTask final : public OperationTask {
 public:
  CreateDomainTask(xenia::v1::DomainSpec spec, bool start)
      : spec_(std::move(spec)), start_(start) {}

  absl::Status Admit(TaskContext& ctx, bool) override {
    DomainEntry entry;
    entry.spec = spec_;
    entry.status.set_power_state(xenia::v1::SHUTOFF);
    entry.create_time = ctx.Now();
    entry.update_time = entry.create_time;
    *entry.status.mutable_state_change_time() = ToProto(entry.create_time);
    ctx.ReturnDomain();
    return ctx.InsertDomain(std::move(entry));
  }
  bool DoneAtAdmission() const override { return !start_; }

  StepResult Step(TaskContext& ctx) override {
    if (absl::Status s = StartStep(ctx, false); !s.ok()) {
      // A create that was asked to start and could not leaves nothing
      // behind, so that a retry can simply create again.
      ctx.RemoveDomain();
      return StepResult::Failed(
          absl::Status(s.code(), absl::StrCat(s.message(), "; the domain was not created")));
    }
    return StepResult::Done();
  }

 private:
  xenia::v1::DomainSpec spec_;
  bool start_;
};

class StartDomainTask final : public OperationTask {
 public:
  explicit StartDomainTask(bool paused) : paused_(paused) {}
  absl::Status Admit(TaskContext& ctx, bool idle) override {
    return AdmitState(ctx, idle, kStartable, "shut off", "be started");
  }
  StepResult Step(TaskContext& ctx) override {
    absl::Status s = StartStep(ctx, paused_);
    return s.ok() ? StepResult::Done() : StepResult::Failed(s);
  }

 private:
  bool paused_;
};

class DestroyDomainTask final : public OperationTask {
 public:
  absl::Status Admit(TaskContext& ctx, bool idle) override {
    return AdmitState(ctx, idle, kDestroyable, "running, paused or crashed", "be destroyed");
  }
  StepResult Step(TaskContext& ctx) override {
    ctx.ReturnDomain();
    absl::StatusOr<DomainEntry> entry = CurrentDomain(ctx);
    if (!entry.ok()) return StepResult::Failed(entry.status());
    if (absl::Status s =
            RequireState(*entry, kDestroyable, "running, paused or crashed", "be destroyed");
        !s.ok()) {
      return StepResult::Failed(s);
    }
    ctx.SetProgress(50, "destroying the domain");
    if (absl::Status s = DestroyInHypervisor(ctx, *entry, DomainStatus::DESTROYED, ""); !s.ok()) {
      return StepResult::Failed(s);
    }
    return StepResult::Done();
  }
};

// Pause and unpause: one hypervisor call between two states.
class PauseTask final : public OperationTask {
 public:
  explicit PauseTask(bool pause) : pause_(pause) {}
  absl::Status Admit(TaskContext& ctx, bool idle) override {
    return AdmitState(ctx, idle, {from()}, pause_ ? "running" : "paused",
                      pause_ ? "be paused" : "be unpaused");
  }
  StepResult Step(TaskContext& ctx) override {
    ctx.ReturnDomain();
    absl::StatusOr<DomainEntry> entry = CurrentDomain(ctx);
    if (!entry.ok()) return StepResult::Failed(entry.status());
    if (absl::Status s = RequireState(*entry, {from()}, pause_ ? "running" : "paused",
                                      pause_ ? "be paused" : "be unpaused");
        !s.ok()) {
      return StepResult::Failed(s);
    }
    hv::Hypervisor& hv = ctx.hypervisor();
    absl::Status s = pause_ ? hv.PauseDomain(ctx.hv_context(), RefOf(*entry))
                            : hv.UnpauseDomain(ctx.hv_context(), RefOf(*entry));
    if (!s.ok()) {
      if (s.code() == absl::StatusCode::kNotFound) ctx.RequestReconcile();
      return StepResult::Failed(s);
    }
    absl::StatusOr<hv::DomainFacts> facts = hv.DescribeDomain(ctx.hv_context(), RefOf(*entry));
    absl::Time now = ctx.Now();
    absl::StatusOr<DomainEntry> updated = ctx.UpdateDomain([&](DomainEntry& e) {
      e.status.set_power_state(pause_ ? xenia::v1::PAUSED : xenia::v1::RUNNING);
      *e.status.mutable_state_change_time() = ToProto(now);
      if (facts.ok()) ApplyFacts(*facts, now, &e.status);
    });
    if (!updated.ok()) return StepResult::Failed(updated.status());
    return StepResult::Done();
  }

 private:
  PowerState from() const { return pause_ ? xenia::v1::RUNNING : xenia::v1::PAUSED; }
  bool pause_;
};

class DeleteDomainTask final : public OperationTask {
 public:
  explicit DeleteDomainTask(std::string etag) : etag_(std::move(etag)) {}

  absl::Status Admit(TaskContext& ctx, bool idle) override {
    if (!idle) return absl::OkStatus();
    if (absl::Status s = Check(ctx); !s.ok()) return s;
    ctx.RemoveDomain();
    done_at_admission_ = true;
    return absl::OkStatus();
  }
  bool DoneAtAdmission() const override { return done_at_admission_; }
  StepResult Step(TaskContext& ctx) override {
    if (absl::Status s = Check(ctx); !s.ok()) return StepResult::Failed(s);
    ctx.RemoveDomain();
    return StepResult::Done();
  }

 private:
  absl::Status Check(TaskContext& ctx) {
    absl::StatusOr<DomainEntry> entry = CurrentDomain(ctx);
    if (!entry.ok()) return entry.status();
    if (!etag_.empty() && etag_ != absl::StrCat(entry->generation)) {
      return absl::AbortedError(absl::StrCat("domain \"", entry->name(), "\" changed (etag ",
                                             entry->generation, ", request had ", etag_,
                                             "); read it again"));
    }
    // A suspended domain's definition may go; its image stays (and can
    // bring it back: RestoreDomain defines the domain again from it).
    return RequireState(*entry, {xenia::v1::SHUTOFF, xenia::v1::LOST, xenia::v1::SUSPENDED},
                        "shut off", "be deleted");
  }
  std::string etag_;
  bool done_at_admission_ = false;
};

class ShutdownDomainTask final : public OperationTask {
 public:
  ShutdownDomainTask(bool reboot, absl::Duration timeout, bool force)
      : reboot_(reboot), timeout_(timeout), force_(force) {}

  absl::Status Admit(TaskContext& ctx, bool idle) override {
    return AdmitState(ctx, idle, {xenia::v1::RUNNING}, "running", verb());
  }

  absl::Status CanCancel() const override { return absl::OkStatus(); }

  StepResult Step(TaskContext& ctx) override {
    ctx.ReturnDomain();
    absl::StatusOr<DomainEntry> entry = CurrentDomain(ctx);
    if (!entry.ok()) return StepResult::Failed(entry.status());
    if (ctx.first_step()) return Ask(ctx, *entry);
    return Check(ctx, *entry);
  }

 private:
  std::string verb() const { return reboot_ ? "be rebooted" : "be shut down"; }

  StepResult Ask(TaskContext& ctx, const DomainEntry& entry) {
    if (absl::Status s = RequireState(entry, {xenia::v1::RUNNING}, "running", verb()); !s.ok()) {
      return StepResult::Failed(s);
    }
    hv::ShutdownDomainRequest request;
    request.domain = RefOf(entry);
    request.reason = reboot_ ? hv::ShutdownReason::kReboot : hv::ShutdownReason::kPoweroff;
    if (absl::Status s = ctx.hypervisor().ShutdownDomain(ctx.hv_context(), request); !s.ok()) {
      if (s.code() == absl::StatusCode::kNotFound) ctx.RequestReconcile();
      return StepResult::Failed(s);
    }
    deadline_ = ctx.Now() + timeout_;
    absl::Time now = ctx.Now();
    absl::StatusOr<DomainEntry> updated = ctx.UpdateDomain([&](DomainEntry& e) {
      e.status.set_power_state(xenia::v1::SHUTTING_DOWN);
      *e.status.mutable_state_change_time() = ToProto(now);
      e.status.set_message(reboot_ ? "asked to reboot" : "asked to shut down");
    });
    if (!updated.ok()) return StepResult::Failed(updated.status());
    ctx.SetProgress(20, absl::StrCat("waiting for the guest to ", reboot_ ? "reboot" : "shut down",
                                     " (up to ", absl::FormatDuration(timeout_), ")"));
    return StepResult::WaitForDomain(deadline_);
  }

  StepResult Check(TaskContext& ctx, const DomainEntry& entry) {
    // A read, so it must not fail because the operation is being cancelled:
    // the answer decides how the cancellation ends.
    absl::StatusOr<hv::DomainFacts> facts =
        ctx.hypervisor().DescribeDomain(hv::OpContext{}, RefOf(entry));
    if (!facts.ok() && facts.status().code() != absl::StatusCode::kNotFound) {
      Restore(ctx, absl::StrCat("could not read the guest's state: ", facts.status().message()));
      return StepResult::Failed(facts.status());
    }
    bool gone = !facts.ok();
    bool down = gone || facts->state == hv::RunState::kShutdown;
    hv::ShutdownReason reason = gone ? hv::ShutdownReason::kPoweroff : facts->shutdown_reason;

    if (down && (reason == hv::ShutdownReason::kCrash || reason == hv::ShutdownReason::kWatchdog)) {
      // The guest died rather than complying: its on_crash policy decides.
      ctx.RequestReconcile();
      return StepResult::Failed(absl::AbortedError(
          absl::StrCat("guest \"", entry.name(), "\" crashed while ",
                       reboot_ ? "rebooting" : "shutting down", "; its on_crash policy applies")));
    }
    if (down) return Finish(ctx, entry, reason, "");

    if (ctx.cancelled()) {
      Restore(ctx, "the shutdown request was cancelled; the guest may still act on it");
      return StepResult::Failed(absl::CancelledError(
          absl::StrCat("cancelled; the guest was already asked to ",
                       reboot_ ? "reboot" : "shut down", " and may still do so")));
    }
    if (ctx.Now() < deadline_) return StepResult::WaitForDomain(deadline_);
    if (force_) {
      return Finish(ctx, entry, hv::ShutdownReason::kNone,
                    absl::StrCat("the guest did not ", reboot_ ? "reboot" : "shut down", " within ",
                                 absl::FormatDuration(timeout_), "; it was destroyed"));
    }
    Restore(ctx, absl::StrCat("did not ", reboot_ ? "reboot" : "shut down", " within ",
                              absl::FormatDuration(timeout_)));
    return StepResult::Failed(absl::DeadlineExceededError(absl::StrCat(
        "guest \"", entry.name(), "\" did not ", reboot_ ? "reboot" : "shut down", " within ",
        absl::FormatDuration(timeout_), "; it is still running (use force to destroy it)")));
  }

  // The guest is down (or is to be forced down): destroy the remains and, for
  // a reboot, build it again.
  StepResult Finish(TaskContext& ctx, const DomainEntry& entry, hv::ShutdownReason reason,
                    absl::string_view note) {
    ctx.SetProgress(80, note.empty() ? "cleaning up" : note);
    DomainStatus::ShutdownReason api_reason =
        reason == hv::ShutdownReason::kNone ? DomainStatus::DESTROYED : ToApiReason(reason);
    if (absl::Status s = DestroyInHypervisor(ctx, entry, api_reason, note); !s.ok()) {
      return StepResult::Failed(s);
    }
    if (reboot_) {
      absl::StatusOr<DomainEntry> halted = CurrentDomain(ctx);
      if (!halted.ok()) return StepResult::Failed(halted.status());
      if (absl::Status s = StartInHypervisor(ctx, *halted, false); !s.ok()) {
        return StepResult::Failed(s);
      }
    }
    if (!note.empty()) ctx.SetProgress(100, note);
    return StepResult::Done();
  }

  void Restore(TaskContext& ctx, absl::string_view message) {
    absl::Time now = ctx.Now();
    (void)ctx.UpdateDomain([&](DomainEntry& e) {
      if (e.status.power_state() == xenia::v1::SHUTTING_DOWN) {
        e.status.set_power_state(xenia::v1::RUNNING);
        *e.status.mutable_state_change_time() = ToProto(now);
      }
      e.status.set_message(std::string(message));
    });
  }

  bool reboot_;
  absl::Duration timeout_;
  bool force_;
  absl::Time deadline_;
};

class AdoptDomainTask final : public OperationTask {
 public:
  explicit AdoptDomainTask(std::string name) : name_(std::move(name)) {}

  absl::Status Admit(TaskContext& ctx, bool) override {
    if (ctx.domain().has_value()) {
      return absl::AlreadyExistsError(
          absl::StrCat("domain \"", name_, "\" is already managed by xeniad"));
    }
    return absl::OkStatus();
  }

  StepResult Step(TaskContext& ctx) override {
    ctx.ReturnDomain();
    // The queue is the domain's uuid; its domid is whatever the hypervisor
    // now has under that uuid.
    absl::StatusOr<std::vector<hv::DomainFacts>> live =
        ctx.hypervisor().ListDomains(ctx.hv_context());
    if (!live.ok()) return StepResult::Failed(live.status());
    const hv::DomainFacts* facts = nullptr;
    for (const hv::DomainFacts& f : *live) {
      if (f.uuid == ctx.domain_uuid()) facts = &f;
    }
    if (facts == nullptr) {
      return StepResult::Failed(absl::NotFoundError(
          absl::StrCat("domain \"", name_, "\" is no longer in the hypervisor")));
    }
    hv::DomainRef ref{facts->domid, facts->uuid};
    absl::StatusOr<xenia::v1::DomainSpec> spec =
        ctx.hypervisor().RetrieveDomainSpec(ctx.hv_context(), ref);
    if (!spec.ok()) return StepResult::Failed(spec.status());
    absl::StatusOr<DomainEntry> entry =
        AdoptedEntry(*facts, *std::move(spec), ctx.Now(),
                     "adopted: created beside xeniad and taken under management");
    if (!entry.ok()) return StepResult::Failed(entry.status());
    // Going down: the reconciliation that follows applies its policy.
    if (entry->status.power_state() == xenia::v1::SHUTTING_DOWN) ctx.RequestReconcile();
    xenia::v1::Event adopted = AdoptedEvent(ctx.names(), *entry, facts->domid, "");
    if (absl::Status s = ctx.InsertDomain(*std::move(entry)); !s.ok()) {
      return StepResult::Failed(s);
    }
    ctx.AddEvent(std::move(adopted));
    return StepResult::Done();
  }

 private:
  std::string name_;
};

}  // namespace

std::unique_ptr<OperationTask> MakeAdoptDomainTask(std::string name) {
  return std::make_unique<AdoptDomainTask>(std::move(name));
}

std::unique_ptr<OperationTask> MakeCreateDomainTask(xenia::v1::DomainSpec spec, bool start) {
  return std::make_unique<CreateDomainTask>(std::move(spec), start);
}
std::unique_ptr<OperationTask> MakeStartDomainTask(bool paused) {
  return std::make_unique<StartDomainTask>(paused);
}
std::unique_ptr<OperationTask> MakeDestroyDomainTask() {
  return std::make_unique<DestroyDomainTask>();
}
std::unique_ptr<OperationTask> MakePauseDomainTask() { return std::make_unique<PauseTask>(true); }
std::unique_ptr<OperationTask> MakeUnpauseDomainTask() {
  return std::make_unique<PauseTask>(false);
}
std::unique_ptr<OperationTask> MakeDeleteDomainTask(std::string etag) {
  return std::make_unique<DeleteDomainTask>(std::move(etag));
}
std::unique_ptr<OperationTask> MakeShutdownDomainTask(bool reboot, absl::Duration timeout,
                                                      bool force) {
  return std::make_unique<ShutdownDomainTask>(reboot, timeout, force);
}

}  // namespace xenia
