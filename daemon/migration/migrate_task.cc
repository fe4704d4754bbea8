#include "daemon/migration/migrate_task.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "daemon/migration/destination_link.h"
#include "daemon/operations/device_tasks.h"
#include "daemon/operations/domain_lifecycle.h"
#include "daemon/proto_time.h"
#include "daemon/stream/paced_sink.h"
#include "daemon/stream/stream_format.h"
#include "daemon/version.h"

namespace xenia {
namespace {

using xenia::v1::MigrationProgress;

// How long the source keeps trying to deliver its decision to a destination
// it lost during the hand-over.
constexpr absl::Duration kDeliveryPatience = absl::Seconds(30);

// "812.0 MiB".
std::string Mib(int64_t bytes) {
  return absl::StrFormat("%.1f MiB", static_cast<double>(bytes) / (1 << 20));
}

std::string ProgressLine(const hv::PreCopyRound& round) {
  if (round.stop_and_copy) {
    return absl::StrCat("stop-and-copy (round ", round.round, "): ", Mib(round.bytes_sent),
                        " sent of ", Mib(round.memory_bytes), " memory");
  }
  return absl::StrCat(
      "pre-copy round ", round.round, ": ", Mib(round.bytes_sent), " sent of ",
      Mib(round.memory_bytes), " memory, dirtying ", Mib(round.dirty_bytes_per_second),
      "/s, expected downtime ",
      absl::FormatDuration(absl::Trunc(round.expected_downtime, absl::Microseconds(100))));
}

class MigrateDomainTask final : public OperationTask {
 public:
  explicit MigrateDomainTask(MigrateOptions options) : options_(std::move(options)) {}

  absl::Status Admit(TaskContext& ctx, bool idle) override {
    if (options_.peer_token.empty()) {
      return absl::FailedPreconditionError(
          "this xeniad has no peer_token_file: the daemons of a fleet must share a peer token "
          "to migrate domains between them (see config/xeniad.example.yaml)");
    }
    if (!idle) return absl::OkStatus();
    absl::StatusOr<DomainEntry> entry = CurrentDomain(ctx);
    if (!entry.ok()) return entry.status();
    if (absl::Status s = CheckState(*entry); !s.ok()) return s;
    return CheckHostCanSave(ctx, *entry);
  }

  absl::Status CanCancel() const override {
    if (handing_over_) {
      return absl::FailedPreconditionError(
          "the migration is handing the domain over to the destination; it can no longer be "
          "cancelled");
    }
    return absl::OkStatus();
  }

  StepResult Step(TaskContext& ctx) override {
    started_ = absl::Now();
    absl::StatusOr<DomainEntry> entry = CurrentDomain(ctx);
    if (!entry.ok()) return StepResult::Failed(entry.status());
    if (absl::Status s = CheckState(*entry); !s.ok()) return StepResult::Failed(s);
    // Found out before anything moves (xl migrate finds it halfway).
    if (absl::Status s = CheckHostCanSave(ctx, *entry); !s.ok()) return StepResult::Failed(s);
    const std::string name = entry->name();
    const std::string not_migrated =
        absl::StrCat("domain \"", name, "\" was not migrated to ", options_.destination);

    progress_.set_destination(options_.destination);
    progress_.set_phase(MigrationProgress::PREPARING);
    progress_.set_memory_bytes(int64_t{entry->spec.memory_mib()} << 20);
    ctx.SetMigrationProgress(progress_);
    ctx.SetProgress(0, absl::StrCat("connecting to ", options_.destination));

    // The destination builds the guest with the devices it has now,
    // hot-plugged ones too.
    absl::StatusOr<xenia::v1::DomainSpec> running = RunningSpec(ctx, *entry);
    if (!running.ok()) return StepResult::Failed(running.status());
    xenia::v1::MigrationMessage::Begin begin;
    begin.set_operation(ctx.operation_name());
    begin.set_source_host(ctx.names().host_id());
    *begin.mutable_spec() = *running;
    begin.set_live(options_.live);
    if (ctx.hypervisor().image_format() == stream::ImageFormat::kXl) {
      begin.set_format(xenia::v1::SaveImage::XL);
    } else {
      begin.set_format(xenia::v1::SaveImage::XENIA_STREAM);
      begin.set_format_version(static_cast<int32_t>(stream::kFormatVersion));
    }
    DestinationOptions link_options;
    link_options.address = options_.destination;
    link_options.peer_token = options_.peer_token;
    link_options.cancelled = ctx.hv_context().cancelled;
    link_options.logger = &ctx.logger();
    absl::StatusOr<std::unique_ptr<DestinationLink>> link =
        DestinationLink::Open(link_options, begin);
    if (!link.ok()) {
      return StepResult::Failed(
          Prefixed(link.status(), absl::StrCat(not_migrated, " (it runs on here): ")));
    }

    // The stream.
    progress_.set_phase(options_.live ? MigrationProgress::PRE_COPY
                                      : MigrationProgress::STOP_AND_COPY);
    ctx.SetMigrationProgress(progress_);
    std::optional<stream::PacedSink> paced;
    stream::ByteSink* sink = link->get();
    if (options_.max_bytes_per_second > 0) {
      paced.emplace(**link, options_.max_bytes_per_second);
      sink = &*paced;
    }
    hv::SaveDomainRequest request;
    request.domain = RefOf(*entry);
    request.header.set_purpose(xenia::v1::StreamHeader::MIGRATION);
    request.header.set_domain_name(name);
    request.header.set_domain_uuid(entry->uuid());
    *request.header.mutable_spec() = *running;
    request.header.set_source_host(ctx.names().host_id());
    request.header.set_source_version(kXeniaVersion);
    *request.header.mutable_create_time() = ToProto(ctx.Now());
    request.sink = sink;
    if (options_.live) {
      hv::LiveSaveOptions live;
      live.max_rounds = options_.max_rounds;
      live.max_downtime = options_.max_downtime;
      live.on_round = [&](const hv::PreCopyRound& round) { OnRound(ctx, round); };
      request.live = live;
    }
    hv::Hypervisor& hv = ctx.hypervisor();
    // The backend's own progress (pages of the first round) also moves the
    // bytes sent.
    hv::OpContext save_ctx = ctx.hv_context();
    save_ctx.progress = [&](int percent, absl::string_view message) {
      progress_.set_bytes_sent((*link)->bytes_sent());
      ctx.SetMigrationProgress(progress_);
      ctx.SetProgress(percent, message);
    };
    absl::StatusOr<hv::SaveDomainResult> saved = hv.SaveDomain(save_ctx, request);
    if (!saved.ok()) {
      (*link)->Abort(saved.status());
      if (saved.status().code() == absl::StatusCode::kNotFound) ctx.RequestReconcile();
      return StepResult::Failed(
          Prefixed(saved.status(), absl::StrCat(not_migrated, " (it runs on here as before): ")));
    }
    progress_.set_bytes_sent(saved->bytes);
    ctx.SetMigrationProgress(progress_);
    ctx.SetProgress(97, "waiting for the destination to verify the stream");
    if (absl::Status verified = (*link)->AwaitVerified(); !verified.ok()) {
      // The destination may have verified the stream and lost the call
      // before its answer came: tell it the guest stays here.
      (void)DeliverDecision(options_.destination, options_.peer_token, ctx.operation_name(), false,
                            absl::ZeroDuration());
      return StepResult::Failed(
          Prefixed(verified, absl::StrCat(not_migrated, " (", Resume(ctx, *entry), "): ")));
    }

    // The hand-over: decided here, durably, before the destination hears of it.
    handing_over_ = true;
    progress_.set_phase(MigrationProgress::HANDING_OVER);
    ctx.SetMigrationProgress(progress_);
    ctx.SetProgress(98, absl::StrCat("handing over to ", options_.destination));
    absl::StatusOr<DomainEntry> marked = ctx.UpdateDomain([&](DomainEntry& e) {
      e.status.set_handed_over_to(options_.destination);
      e.status.set_message(absl::StrCat("handing over to ", options_.destination));
    });
    absl::Status recorded = marked.ok() ? ctx.RecordDurably() : marked.status();
    if (!recorded.ok()) {
      (*link)->Abort(recorded);
      return StepResult::Failed(
          Prefixed(recorded, absl::StrCat(not_migrated, " (", Resume(ctx, *entry),
                                          ") because the hand-over could not be recorded: ")));
    }
    absl::StatusOr<std::string> there = (*link)->Commit(saved->digest);
    if (!there.ok() && there.status().code() == absl::StatusCode::kDataLoss) {
      // The destination verified other bytes than this host wrote, and
      // holds its copy paused, never to run it: the guest stays here.
      return StepResult::Failed(TakeBack(ctx, *entry, there.status()));
    }
    std::string confirmation;
    if (!there.ok()) {
      // Handed over: the guest is the destination's now, whatever it says.
      const absl::Status lost = there.status();
      there = DeliverDecision(options_.destination, options_.peer_token, ctx.operation_name(), true,
                              kDeliveryPatience);
      if (!there.ok() || there->empty()) {
        confirmation = absl::StrCat(
            "; the destination did not confirm that it runs the guest (", lost.message(), "; then ",
            there.ok() ? "it had no copy waiting" : there.status().message(),
            "): if it holds it paused, unpause it there (xenia unpause ", name, ")");
      }
    }
    const absl::Time running_there = absl::Now();

    // This host's copy goes, and with it the record.
    ctx.SetProgress(99, "destroying this host's copy");
    absl::Status destroyed = hv.DestroyDomain(ctx.hv_context(), RefOf(*entry));
    if (!destroyed.ok() && destroyed.code() != absl::StatusCode::kNotFound) {
      ctx.RequestReconcile();
      confirmation += absl::StrCat("; this host's suspended copy could not be destroyed: ",
                                   destroyed.message());
    }
    ctx.RemoveDomain();
    if (!confirmation.empty()) {
      return StepResult::Failed(absl::UnavailableError(
          absl::StrCat("domain \"", name, "\" was handed over to ", options_.destination,
                       " and removed here", confirmation)));
    }

    xenia::v1::MigrationResult result;
    result.set_destination(options_.destination);
    result.set_destination_domain(*there);
    result.set_live(options_.live);
    *result.mutable_total_time() = ToProto(running_there - started_);
    result.set_bytes_sent(saved->bytes);
    result.set_pages_sent(saved->pages);
    result.set_rounds(saved->rounds);
    if (saved->paused_at != absl::InfinitePast()) {
      *result.mutable_downtime() = ToProto(running_there - saved->paused_at);
    }
    result.set_stop_reason(saved->stop_reason);
    result.set_digest(saved->digest);
    ctx.ReturnMigration(result);
    ctx.SetProgress(100, absl::StrCat("running on ", options_.destination));
    return StepResult::Done();
  }

 private:
  absl::Status CheckState(const DomainEntry& entry) const {
    if (options_.live) {
      return RequireState(entry, {xenia::v1::RUNNING}, "running", "be migrated live");
    }
    return RequireState(entry, {xenia::v1::RUNNING, xenia::v1::PAUSED}, "running or paused",
                        "be migrated");
  }

  // A live migration of a PV guest needs Xen to log its dirty memory.
  absl::Status CheckHostCanSave(TaskContext& ctx, const DomainEntry& entry) const {
    if (!options_.live || entry.spec.type() != xenia::v1::PV) return absl::OkStatus();
    absl::StatusOr<hv::HostFacts> host = ctx.hypervisor().DescribeHost(ctx.hv_context());
    if (!host.ok()) return host.status();
    if (host->pv_log_dirty) return absl::OkStatus();
    return hv::PvLiveSaveUnsupported(absl::StrCat("domain \"", entry.name(), "\""));
  }

  void OnRound(TaskContext& ctx, const hv::PreCopyRound& round) {
    progress_.set_phase(round.stop_and_copy ? MigrationProgress::STOP_AND_COPY
                                            : MigrationProgress::PRE_COPY);
    progress_.set_round(round.round);
    progress_.set_bytes_sent(round.bytes_sent);
    progress_.set_memory_bytes(round.memory_bytes);
    progress_.set_dirty_bytes(round.dirty_bytes);
    progress_.set_dirty_bytes_per_second(round.dirty_bytes_per_second);
    progress_.set_bandwidth_bytes_per_second(round.bandwidth_bytes_per_second);
    *progress_.mutable_expected_downtime() = ToProto(round.expected_downtime);
    ctx.SetMigrationProgress(progress_);
    ctx.SetProgress(round.stop_and_copy ? 95 : 90, ProgressLine(round));
  }

  // The destination refused the hand-over for good (`why`): the record is
  // this host's again, its copy runs on, and the destination is told to
  // discard its own. Returns the operation's error.
  absl::Status TakeBack(TaskContext& ctx, const DomainEntry& entry, const absl::Status& why) {
    const std::string name = entry.name();
    absl::StatusOr<DomainEntry> back = ctx.UpdateDomain([&](DomainEntry& e) {
      e.status.clear_handed_over_to();
      e.status.set_message(absl::StrCat("not migrated: ", why.message()));
    });
    absl::Status recorded = back.ok() ? ctx.RecordDurably() : back.status();
    if (!recorded.ok()) {
      // Still recorded as handed over: a restart destroys this copy, and the
      // destination keeps its own paused.
      return absl::DataLossError(absl::StrCat(
          "domain \"", name, "\" was not migrated to ", options_.destination, ": ", why.message(),
          "; and taking it back failed (", recorded.message(),
          "), so its copy here stays suspended and the destination holds its own paused"));
    }
    handing_over_ = false;
    const std::string here = Resume(ctx, entry);
    absl::StatusOr<std::string> discarded = DeliverDecision(
        options_.destination, options_.peer_token, ctx.operation_name(), false, kDeliveryPatience);
    return absl::DataLossError(absl::StrCat(
        "domain \"", name, "\" was not migrated to ", options_.destination, " (", here,
        "): ", why.message(),
        discarded.ok() ? "; the destination discarded its copy"
                       : absl::StrCat("; the destination's copy, held paused there, could not be "
                                      "discarded: ",
                                      discarded.status().message())));
  }

  // The stream did not make it: the guest this host suspended for it runs
  // on (or stays paused, if it was). Returns what became of it.
  std::string Resume(TaskContext& ctx, const DomainEntry& entry) {
    hv::Hypervisor& hv = ctx.hypervisor();
    absl::Status resumed = hv.ResumeDomain(ctx.hv_context(), RefOf(entry));
    if (resumed.ok() && entry.status.power_state() == xenia::v1::PAUSED) {
      resumed = hv.PauseDomain(ctx.hv_context(), RefOf(entry));
      if (resumed.ok()) return "it is paused here as before";
    }
    if (!resumed.ok()) {
      ctx.RequestReconcile();
      return absl::StrCat("and it could not be resumed here: ", resumed.message());
    }
    return "it runs on here as before";
  }

  const MigrateOptions options_;
  MigrationProgress progress_;
  absl::Time started_;
  bool handing_over_ = false;
};

}  // namespace

std::unique_ptr<OperationTask> MakeMigrateDomainTask(MigrateOptions options) {
  return std::make_unique<MigrateDomainTask>(std::move(options));
}

}  // namespace xenia
