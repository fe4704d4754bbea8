#include "daemon/operations/resource_tasks.h"

#include <functional>

#include "absl/strings/str_cat.h"
#include "daemon/operations/domain_lifecycle.h"
#include "daemon/proto_time.h"

namespace xenia {
namespace {

using xenia::v1::PowerState;

constexpr std::initializer_list<PowerState> kLive = {xenia::v1::RUNNING, xenia::v1::PAUSED};
// How often mem-set looks at the balloon while it moves.
constexpr absl::Duration kBalloonPoll = absl::Milliseconds(100);

absl::Status AdmitLive(TaskContext& ctx, bool idle, absl::string_view to_verb) {
  if (!idle) return absl::OkStatus();
  absl::StatusOr<DomainEntry> entry = CurrentDomain(ctx);
  if (!entry.ok()) return entry.status();
  return RequireState(*entry, kLive, "running or paused", to_verb);
}

// The domain, checked to be live, for a step.
absl::StatusOr<DomainEntry> LiveDomain(TaskContext& ctx, absl::string_view to_verb) {
  ctx.ReturnDomain();
  absl::StatusOr<DomainEntry> entry = CurrentDomain(ctx);
  if (!entry.ok()) return entry.status();
  if (absl::Status s = RequireState(*entry, kLive, "running or paused", to_verb); !s.ok()) {
    return s;
  }
  return entry;
}

// Reads the domain's facts into its status; the facts (or the error).
absl::StatusOr<hv::DomainFacts> Refresh(TaskContext& ctx, const DomainEntry& entry,
                                        const std::function<void(DomainEntry&)>& also = {}) {
  absl::StatusOr<hv::DomainFacts> facts =
      ctx.hypervisor().DescribeDomain(hv::OpContext{}, RefOf(entry));
  const absl::Time now = ctx.Now();
  absl::StatusOr<DomainEntry> updated = ctx.UpdateDomain([&](DomainEntry& e) {
    if (facts.ok()) ApplyFacts(*facts, now, &e.status);
    if (also) also(e);
  });
  if (!updated.ok()) return updated.status();
  return facts;
}

// One hypervisor call, then the facts into the status.
class OneCallTask final : public OperationTask {
 public:
  using Call =
      std::function<absl::Status(hv::Hypervisor&, const hv::OpContext&, const hv::DomainRef&)>;
  OneCallTask(std::string to_verb, Call call, std::function<void(DomainEntry&)> record)
      : to_verb_(std::move(to_verb)), call_(std::move(call)), record_(std::move(record)) {}

  absl::Status Admit(TaskContext& ctx, bool idle) override {
    return AdmitLive(ctx, idle, to_verb_);
  }

  StepResult Step(TaskContext& ctx) override {
    absl::StatusOr<DomainEntry> entry = LiveDomain(ctx, to_verb_);
    if (!entry.ok()) return StepResult::Failed(entry.status());
    if (absl::Status s = call_(ctx.hypervisor(), ctx.hv_context(), RefOf(*entry)); !s.ok()) {
      if (s.code() == absl::StatusCode::kNotFound) ctx.RequestReconcile();
      return StepResult::Failed(s);
    }
    absl::StatusOr<hv::DomainFacts> facts = Refresh(ctx, *entry, record_);
    if (!facts.ok() && facts.status().code() != absl::StatusCode::kNotFound) {
      return StepResult::Failed(facts.status());
    }
    return StepResult::Done();
  }

 private:
  const std::string to_verb_;
  const Call call_;
  const std::function<void(DomainEntry&)> record_;
};

class SetMemoryTask final : public OperationTask {
 public:
  explicit SetMemoryTask(int64_t target_mib) : target_mib_(target_mib) {}

  absl::Status Admit(TaskContext& ctx, bool idle) override {
    return AdmitLive(ctx, idle, "given a memory target");
  }
  absl::Status CanCancel() const override { return absl::OkStatus(); }

  StepResult Step(TaskContext& ctx) override {
    absl::StatusOr<DomainEntry> entry = LiveDomain(ctx, "given a memory target");
    if (!entry.ok()) return StepResult::Failed(entry.status());
    return ctx.first_step() ? SetTarget(ctx, *entry) : Watch(ctx, *entry);
  }

 private:
  StepResult SetTarget(TaskContext& ctx, const DomainEntry& entry) {
    if (absl::Status s =
            ctx.hypervisor().SetMemoryTarget(ctx.hv_context(), RefOf(entry), target_mib_ * 1024);
        !s.ok()) {
      if (s.code() == absl::StatusCode::kNotFound) ctx.RequestReconcile();
      return StepResult::Failed(s);
    }
    const int64_t target = target_mib_;
    absl::StatusOr<hv::DomainFacts> facts = Refresh(ctx, entry, [target](DomainEntry& e) {
      e.status.set_target_memory_mib(static_cast<int32_t>(target));
    });
    if (!facts.ok()) return StepResult::Failed(facts.status());
    if (entry.status.power_state() == xenia::v1::PAUSED) {
      ctx.SetProgress(100,
                      absl::StrCat("target ", target_mib_,
                                   " MiB set; the guest is paused and balloons when unpaused"));
      return StepResult::Done();
    }
    last_kib_ = facts->current_memory_kib;
    last_move_ = ctx.Now();
    return Reached(*facts) ? Finish(ctx, *facts) : Wait(ctx, *facts);
  }

  StepResult Watch(TaskContext& ctx, const DomainEntry& entry) {
    const int64_t target = target_mib_;
    absl::StatusOr<hv::DomainFacts> facts = Refresh(ctx, entry, [target](DomainEntry& e) {
      e.status.set_target_memory_mib(static_cast<int32_t>(target));
    });
    if (!facts.ok()) return StepResult::Failed(facts.status());
    if (Reached(*facts)) return Finish(ctx, *facts);
    if (ctx.cancelled()) {
      return StepResult::Failed(absl::CancelledError(
          absl::StrCat("cancelled at ", facts->current_memory_kib / 1024, " MiB; the target of ",
                       target_mib_, " MiB stays set and the guest keeps ballooning toward it")));
    }
    if (facts->current_memory_kib != last_kib_) {
      last_kib_ = facts->current_memory_kib;
      last_move_ = ctx.Now();
    } else if (ctx.Now() - last_move_ >= kBalloonStallLimit) {
      return StepResult::Failed(absl::FailedPreconditionError(
          absl::StrCat("guest \"", entry.name(), "\" stopped ballooning at ",
                       facts->current_memory_kib / 1024, " MiB, short of the ", target_mib_,
                       " MiB target (no progress for ", absl::FormatDuration(kBalloonStallLimit),
                       "; it gives back no more); the target stays set")));
    }
    return Wait(ctx, *facts);
  }

  bool Reached(const hv::DomainFacts& facts) const {
    return facts.current_memory_kib == target_mib_ * 1024;
  }

  StepResult Wait(TaskContext& ctx, const hv::DomainFacts& facts) {
    const int64_t from = first_kib_ < 0 ? (first_kib_ = facts.current_memory_kib) : first_kib_;
    const int64_t span = std::abs(target_mib_ * 1024 - from);
    const int64_t done = std::abs(facts.current_memory_kib - from);
    const int percent = span == 0 ? 0 : static_cast<int>(std::min<int64_t>(99, done * 100 / span));
    ctx.SetProgress(percent, absl::StrCat("ballooning: ", facts.current_memory_kib / 1024,
                                          " MiB of a ", target_mib_, " MiB target"));
    return StepResult::WaitForDomain(ctx.Now() + kBalloonPoll);
  }

  StepResult Finish(TaskContext& ctx, const hv::DomainFacts& facts) {
    ctx.SetProgress(100, absl::StrCat("memory at ", facts.current_memory_kib / 1024, " MiB"));
    return StepResult::Done();
  }

  const int64_t target_mib_;
  int64_t first_kib_ = -1;
  int64_t last_kib_ = 0;
  absl::Time last_move_;
};

}  // namespace

std::unique_ptr<OperationTask> MakeSetMemoryTask(int64_t target_mib) {
  return std::make_unique<SetMemoryTask>(target_mib);
}

std::unique_ptr<OperationTask> MakeSetMaxMemoryTask(int64_t max_mib) {
  return std::make_unique<OneCallTask>(
      "given a maximum memory",
      [max_mib](hv::Hypervisor& hv, const hv::OpContext& ctx, const hv::DomainRef& ref) {
        return hv.SetMaxMemory(ctx, ref, max_mib * 1024);
      },
      [max_mib](DomainEntry& e) { e.status.set_max_memory_mib(static_cast<int32_t>(max_mib)); });
}

std::unique_ptr<OperationTask> MakeSetVcpusTask(int32_t vcpus) {
  return std::make_unique<OneCallTask>(
      "given vCPUs",
      [vcpus](hv::Hypervisor& hv, const hv::OpContext& ctx, const hv::DomainRef& ref) {
        return hv.SetOnlineVcpus(ctx, ref, vcpus);
      },
      std::function<void(DomainEntry&)>());
}

}  // namespace xenia
