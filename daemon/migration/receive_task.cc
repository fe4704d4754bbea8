#include "daemon/migration/receive_task.h"

#include "absl/strings/str_cat.h"
#include "daemon/operations/domain_lifecycle.h"
#include "daemon/proto_time.h"
#include "daemon/stream/image_reader.h"

namespace xenia {
namespace {

using xenia::v1::MigrationReply;

// How long the destination waits, with the guest verified and paused, for
// the source to hand it over. The source needs one synced journal write.
constexpr absl::Duration kDecisionLimit = absl::Seconds(60);

MigrationReply ReplyOf(MigrationReply::Phase phase, const std::string& domain = "") {
  MigrationReply reply;
  reply.set_phase(phase);
  reply.set_domain(domain);
  return reply;
}

// Runs the paused, verified guest: the source has handed it over.
absl::Status RunHere(TaskContext& ctx, const DomainEntry& entry, absl::string_view from) {
  hv::Hypervisor& hv = ctx.hypervisor();
  if (absl::Status s = hv.UnpauseDomain(ctx.hv_context(), RefOf(entry)); !s.ok()) {
    ctx.RequestReconcile();
    return s;
  }
  const absl::Time now = ctx.Now();
  absl::StatusOr<DomainEntry> updated = ctx.UpdateDomain([&](DomainEntry& e) {
    e.status.set_power_state(xenia::v1::RUNNING);
    e.status.clear_incoming_migration();
    *e.status.mutable_state_change_time() = ToProto(now);
    e.status.set_message(absl::StrCat("migrated from ", from));
  });
  return updated.status();
}

// Destroys the guest received here and removes the domain.
absl::Status Discard(TaskContext& ctx, const DomainEntry& entry) {
  absl::Status destroyed = ctx.hypervisor().DestroyDomain(ctx.hv_context(), RefOf(entry));
  if (!destroyed.ok() && destroyed.code() != absl::StatusCode::kNotFound) {
    ctx.RequestReconcile();
    return destroyed;
  }
  ctx.RemoveDomain();
  return absl::OkStatus();
}

class ReceiveMigrationTask final : public OperationTask {
 public:
  ReceiveMigrationTask(std::shared_ptr<IncomingMigration> call,
                       xenia::v1::MigrationMessage::Begin begin)
      : call_(std::move(call)), begin_(std::move(begin)) {}

  absl::Status Admit(TaskContext& ctx, bool) override {
    if (std::optional<DomainEntry> same = ctx.domain(); same.has_value()) {
      return absl::AlreadyExistsError(
          absl::StrCat("domain \"", same->name(), "\" (uuid ", same->uuid(),
                       ") is already defined on this host; it cannot arrive here a second time"));
    }
    DomainEntry entry;
    entry.spec = begin_.spec();
    entry.status.set_power_state(xenia::v1::SHUTOFF);
    entry.status.set_incoming_migration(begin_.operation());
    entry.status.set_message(absl::StrCat("arriving from ", begin_.source_host()));
    entry.create_time = ctx.Now();
    entry.update_time = entry.create_time;
    *entry.status.mutable_state_change_time() = ToProto(entry.create_time);
    return ctx.InsertDomain(std::move(entry));
  }

  StepResult Step(TaskContext& ctx) override {
    ctx.ReturnDomain();
    absl::StatusOr<DomainEntry> entry = CurrentDomain(ctx);
    if (!entry.ok()) return StepResult::Failed(entry.status());
    const std::string from = begin_.source_host();
    const std::string not_here = absl::StrCat("domain \"", entry->name(), "\" did not arrive from ",
                                              from, " (nothing was kept here): ");
    absl::Status received = Receive(ctx, *entry);
    if (!received.ok()) {
      ctx.RemoveDomain();
      return StepResult::Failed(Prefixed(received, not_here));
    }
    absl::StatusOr<DomainEntry> arrived = CurrentDomain(ctx);
    if (!arrived.ok()) return StepResult::Failed(arrived.status());

    // Verified: wait for the source's decision.
    ctx.SetProgress(99, absl::StrCat("verified; waiting for ", from, " to hand it over"));
    absl::StatusOr<IncomingMigration::Decision> decision = call_->AwaitDecision(kDecisionLimit);
    if (!decision.ok()) {
      return StepResult::Failed(Prefixed(
          decision.status(),
          absl::StrCat("domain \"", arrived->name(), "\" arrived from ", from,
                       " and was verified, but the hand-over did not come; the guest waits "
                       "here, paused, for the source's decision: ")));
    }
    if (!decision->commit) {
      absl::Status discarded = Discard(ctx, *arrived);
      call_->Reply(ReplyOf(MigrationReply::DISCARDED));
      return StepResult::Failed(absl::AbortedError(absl::StrCat(
          "the source ", from, " gave up (", decision->abort.message(), "); the copy of \"",
          arrived->name(), "\" received here was discarded",
          discarded.ok() ? ""
                         : absl::StrCat(", though destroying it failed: ", discarded.message()))));
    }
    if (decision->digest != digest_) {
      // Never run: held paused, marked, until the source (which runs its
      // own copy again on this answer) tells this host to discard it.
      const std::string why =
          absl::StrCat("the source handed \"", arrived->name(), "\" over with digest ",
                       decision->digest, " but the stream verified here has ", digest_);
      absl::StatusOr<DomainEntry> refused = ctx.UpdateDomain([&](DomainEntry& e) {
        e.status.clear_incoming_migration();
        e.status.set_refused_migration(begin_.operation());
        e.status.set_message(
            absl::StrCat(why, "; held paused and never run here: the source keeps the guest"));
      });
      absl::Status recorded = refused.ok() ? ctx.RecordDurably() : refused.status();
      return StepResult::Failed(absl::DataLossError(absl::StrCat(
          why, recorded.ok() ? "; it is held here, paused, and will not be run"
                             : absl::StrCat("; and marking it failed: ", recorded.message()))));
    }
    if (absl::Status s = RunHere(ctx, *arrived, from); !s.ok()) {
      return StepResult::Failed(Prefixed(s, absl::StrCat("domain \"", arrived->name(),
                                                         "\" was handed over but could not be "
                                                         "unpaused here: ")));
    }
    call_->Reply(ReplyOf(MigrationReply::RUNNING, ctx.names().Domain(arrived->name())));
    return StepResult::Done();
  }

 private:
  // Everything up to VERIFIED.
  absl::Status Receive(TaskContext& ctx, const DomainEntry& entry) {
    hv::Hypervisor& hv = ctx.hypervisor();
    absl::StatusOr<hv::HostFacts> host = hv.DescribeHost(ctx.hv_context());
    if (!host.ok()) return host.status();
    const int64_t free_mib = host->free_memory_kib / 1024;
    if (free_mib < entry.spec.memory_mib()) {
      return absl::ResourceExhaustedError(absl::StrCat("this host has ", free_mib,
                                                       " MiB of memory free and the domain needs ",
                                                       entry.spec.memory_mib(), " MiB"));
    }
    call_->Reply(ReplyOf(MigrationReply::PREPARED));
    ctx.SetProgress(0, absl::StrCat("receiving from ", begin_.source_host()));

    stream::ImageReader image(*call_,
                              absl::StrCat("the migration stream from ", begin_.source_host()));
    if (absl::Status s = image.ReadHead(); !s.ok()) return s;
    const xenia::v1::StreamHeader& header = image.head().header;
    if (image.format() != hv.image_format()) {
      return absl::InvalidArgumentError(
          absl::StrCat(image.name(), " is ", stream::ImageFormatName(image.format()),
                       ", which this host's backend does not restore"));
    }
    // xl's image says nothing of its purpose; the domain's identity suffices.
    const bool migration = image.format() == stream::ImageFormat::kXl ||
                           header.purpose() == xenia::v1::StreamHeader::MIGRATION;
    if (header.domain_uuid() != entry.uuid() || !migration) {
      return absl::InvalidArgumentError(
          absl::StrCat("the stream is not the migration of ", entry.name(), " (uuid ", entry.uuid(),
                       "): it holds ", header.domain_name(), " (uuid ", header.domain_uuid(), ")"));
    }
    hv::RestoreDomainRequest request;
    request.spec = &entry.spec;
    request.image = &image;
    request.start_paused = true;
    request.made_by_xeniad = true;
    absl::StatusOr<hv::RestoredDomain> restored = hv.RestoreDomain(ctx.hv_context(), request);
    if (!restored.ok()) return restored.status();
    digest_ = restored->digest;
    const absl::Time now = ctx.Now();
    absl::StatusOr<DomainEntry> updated = ctx.UpdateDomain([&](DomainEntry& e) {
      e.status.set_power_state(xenia::v1::PAUSED);
      ApplyFacts(restored->facts, now, &e.status);
      *e.status.mutable_start_time() = ToProto(now);
      *e.status.mutable_state_change_time() = ToProto(now);
      e.status.set_message(
          absl::StrCat("arrived from ", begin_.source_host(), "; waiting for the hand-over"));
    });
    absl::Status recorded = updated.ok() ? ctx.RecordDurably() : updated.status();
    if (!recorded.ok()) {
      (void)hv.DestroyDomain(ctx.hv_context(), RefOf(entry));
      return recorded;
    }
    call_->Reply(ReplyOf(MigrationReply::VERIFIED));
    return absl::OkStatus();
  }

  std::shared_ptr<IncomingMigration> call_;
  const xenia::v1::MigrationMessage::Begin begin_;
  std::string digest_;
};

class ResolveMigrationTask final : public OperationTask {
 public:
  ResolveMigrationTask(std::shared_ptr<IncomingMigration> call,
                       xenia::v1::MigrationMessage::Resolve resolve)
      : call_(std::move(call)), resolve_(std::move(resolve)) {}

  absl::Status Admit(TaskContext& ctx, bool idle) override {
    if (!idle) return absl::OkStatus();
    absl::StatusOr<DomainEntry> entry = CurrentDomain(ctx);
    if (!entry.ok()) return entry.status();
    return Check(*entry);
  }

  StepResult Step(TaskContext& ctx) override {
    ctx.ReturnDomain();
    absl::StatusOr<DomainEntry> entry = CurrentDomain(ctx);
    if (!entry.ok()) return StepResult::Failed(entry.status());
    if (absl::Status s = Check(*entry); !s.ok()) return StepResult::Failed(s);
    if (!resolve_.commit()) {
      if (absl::Status s = Discard(ctx, *entry); !s.ok()) return StepResult::Failed(s);
      call_->Reply(ReplyOf(MigrationReply::DISCARDED));
      return StepResult::Done();
    }
    if (absl::Status s = RunHere(ctx, *entry, "the source, which handed it over late"); !s.ok()) {
      return StepResult::Failed(s);
    }
    call_->Reply(ReplyOf(MigrationReply::RUNNING, ctx.names().Domain(entry->name())));
    return StepResult::Done();
  }

 private:
  absl::Status Check(const DomainEntry& entry) const {
    if (!resolve_.operation().empty() && entry.status.refused_migration() == resolve_.operation()) {
      if (!resolve_.commit()) return absl::OkStatus();
      return absl::FailedPreconditionError(absl::StrCat(
          "domain \"", entry.name(), "\" arrived by ", resolve_.operation(),
          " with a stream whose digest did not match the source's; it is held paused here "
          "and is never run by a hand-over"));
    }
    if (entry.status.incoming_migration() != resolve_.operation()) {
      return absl::NotFoundError(
          absl::StrCat("no domain here waits for the hand-over of ", resolve_.operation()));
    }
    return RequireState(entry, {xenia::v1::PAUSED}, "paused (waiting for the hand-over)",
                        "be handed over");
  }

  std::shared_ptr<IncomingMigration> call_;
  const xenia::v1::MigrationMessage::Resolve resolve_;
};

}  // namespace

std::unique_ptr<OperationTask> MakeReceiveMigrationTask(std::shared_ptr<IncomingMigration> call,
                                                        xenia::v1::MigrationMessage::Begin begin) {
  return std::make_unique<ReceiveMigrationTask>(std::move(call), std::move(begin));
}

std::unique_ptr<OperationTask> MakeResolveMigrationTask(
    std::shared_ptr<IncomingMigration> call, xenia::v1::MigrationMessage::Resolve resolve) {
  return std::make_unique<ResolveMigrationTask>(std::move(call), std::move(resolve));
}

}  // namespace xenia
