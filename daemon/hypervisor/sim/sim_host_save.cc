// SimHost's SaveDomain and RestoreDomain: a guest's memory and state into a
// domain stream and back, verified page by page.
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/uuid.h"
#include "daemon/hypervisor/sim/sim_host.h"
#include "daemon/hypervisor/sim/sim_memory_stream.h"
#include "daemon/stream/stream_reader.h"
#include "daemon/stream/stream_writer.h"

namespace xenia::hv {
namespace {

// Progress as a percentage of the pages, reported at most every whole
// percent.
class PageProgress {
 public:
  PageProgress(const OpContext& ctx, int64_t total, std::string verb)
      : ctx_(ctx), total_(std::max<int64_t>(1, total)), verb_(std::move(verb)) {}
  void Report(int64_t done) {
    const int percent = static_cast<int>(100 * done / total_);
    if (percent == last_) return;
    last_ = percent;
    ctx_.Progress(percent, absl::StrCat(verb_, " memory: ", done, " of ", total_, " pages"));
  }

 private:
  const OpContext& ctx_;
  const int64_t total_;
  const std::string verb_;
  int last_ = -1;
};

absl::StatusOr<SaveDomainResult> WriteStream(const OpContext& ctx, const SaveDomainRequest& req,
                                             const SimDomainRecord& guest) {
  stream::StreamWriter writer(*req.sink);
  if (absl::Status s = writer.WriteHeader(SimStreamHeader(req.header, guest)); !s.ok()) return s;
  // The guest is paused: its write count stands still while it is saved.
  const int64_t writes = WritesAt(guest.memory, guest.timeline.guest_ns);
  PageProgress progress(ctx, guest.memory.page_count, "saving");
  if (absl::Status s = WritePages(ctx, writer, guest.memory, writes, 0,
                                  [&](int64_t done) { progress.Report(done); });
      !s.ok()) {
    return s;
  }
  xenia::v1::StreamGuestState state;
  state.set_online_vcpus(guest.timeline.vcpus);
  state.set_backend_state(GuestStateOf(guest, writes).SerializeAsString());
  if (absl::Status s = writer.WriteGuestState(state); !s.ok()) return s;
  absl::StatusOr<stream::StreamSummary> summary = writer.Finish();
  if (!summary.ok()) return summary.status();
  SaveDomainResult result;
  result.bytes = summary->total_bytes;
  result.records = summary->records;
  result.digest = summary->digest;
  result.pages = guest.memory.page_count;
  result.rounds = 1;
  result.stop_reason = "not live";
  return result;
}

}  // namespace

absl::StatusOr<SaveDomainResult> SimHost::SaveDomain(const OpContext& ctx,
                                                     const SaveDomainRequest& req) {
  if (req.sink == nullptr) return absl::InvalidArgumentError("SaveDomainRequest.sink is missing");
  if (req.live.has_value()) return LiveSave(ctx, req);
  // Pause the guest (if it runs) and take its record as it then is.
  SimDomainRecord guest;
  bool was_running = false;
  absl::Time paused_at = absl::InfinitePast();
  absl::Status paused =
      MutateDomain(&ctx, req.domain, "saved", [&](SimDomainRecord& r, int64_t now) {
        if (r.state != RunState::kRunning && r.state != RunState::kPaused) {
          return absl::FailedPreconditionError(
              absl::StrCat(DomainLabel(r), " is ", StateForMessage(r),
                           "; only a running or paused domain can be saved"));
        }
        was_running = r.state == RunState::kRunning;
        if (was_running) {
          if (absl::Status s = PauseGuest(r, now); !s.ok()) return s;
          paused_at = absl::Now();
        }
        guest = r;
        return absl::OkStatus();
      });
  if (!paused.ok()) return paused;

  absl::StatusOr<SaveDomainResult> result = WriteStream(ctx, req, guest);

  // A checkpoint, or a save that failed, leaves the guest as it was; a save
  // leaves it shut down for suspend, as Xen does, for the caller to destroy.
  const bool keep = req.checkpoint || !result.ok();
  absl::Status after =
      MutateDomain(nullptr, req.domain, "saved", [&](SimDomainRecord& r, int64_t now) {
        if (keep) return was_running ? UnpauseGuest(r, now) : absl::OkStatus();
        r.state = RunState::kShutdown;
        r.shutdown_reason = ShutdownReason::kSuspend;
        r.schedule.requested = ShutdownReason::kNone;
        return absl::OkStatus();
      });
  if (!result.ok()) return result;
  if (!after.ok()) return after;
  result->paused_at = paused_at;
  logger_.Info("simulated domain saved", {{"domid", guest.domid},
                                          {"name", guest.name},
                                          {"bytes", result->bytes},
                                          {"checkpoint", req.checkpoint},
                                          {"trace_id", ctx.trace_id}});
  return result;
}

absl::Status SimHost::ResumeDomain(const OpContext& ctx, const DomainRef& ref) {
  return MutateDomain(&ctx, ref, "resumed", [](SimDomainRecord& r, int64_t now) {
    if (r.state != RunState::kShutdown || r.shutdown_reason != ShutdownReason::kSuspend) {
      return absl::FailedPreconditionError(
          absl::StrCat(DomainLabel(r), " is ", StateForMessage(r),
                       "; only a domain suspended by a save can be resumed"));
    }
    r.state = RunState::kPaused;
    r.shutdown_reason = ShutdownReason::kNone;
    return UnpauseGuest(r, now);
  });
}

absl::StatusOr<RestoredDomain> SimHost::RestoreDomain(const OpContext& ctx,
                                                      const RestoreDomainRequest& req) {
  if (req.spec == nullptr || req.image == nullptr) {
    return absl::InvalidArgumentError("RestoreDomainRequest needs a spec and an image");
  }
  if (req.image->format() != stream::ImageFormat::kXenia) {
    return absl::InvalidArgumentError(
        absl::StrCat(req.image->name(), " is ", stream::ImageFormatName(req.image->format()),
                     "; this host runs the simulator, which restores only Xenia domain streams"));
  }
  const xenia::v1::StreamHeader& header = req.image->head().header;
  if (header.backend() != kSimStreamBackend) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the image was written by the \"", header.backend(),
        "\" backend; this host runs the simulator, which restores only its own images"));
  }
  CreateDomainRequest create;
  create.spec = req.spec;
  create.start_paused = req.start_paused;
  create.made_by_xeniad = req.made_by_xeniad;
  absl::StatusOr<SimDomainRecord> built = RecordFromSpec(create);
  if (!built.ok()) return built.status();
  SimDomainRecord record = *std::move(built);
  if (record.uuid != NormalizeUuid(header.domain_uuid())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the spec's uuid ", record.uuid, " is not the image's (", header.domain_uuid(), ")"));
  }
  record.made_by_xeniad = req.made_by_xeniad;
  InitMemory(record, config_.dirty_bytes_per_second, config_.working_set_pages);
  if (header.page_size() != kSimPageSize || header.page_count() != record.memory.page_count) {
    return absl::InvalidArgumentError(
        absl::StrCat("the image holds ", header.page_count(), " pages of ", header.page_size(),
                     " bytes but the domain has ", record.memory.page_count, " pages of ",
                     kSimPageSize, " bytes (", record.memory_mib, " MiB)"));
  }

  if (absl::Status admitted = Reserve(record); !admitted.ok()) return admitted;

  // Everything from here on fails by destroying the half-built domain.
  auto abandon = [&](absl::Status status) {
    absl::MutexLock lock(&mu_);
    AbandonLocked(record.domid);
    return status;
  };
  PageReceiver receiver(record.memory);
  PageProgress progress(ctx, record.memory.page_count, "restoring");
  std::optional<xenia::v1::StreamGuestState> state;
  xenia::v1::SimulatedGuestState guest;
  while (true) {
    if (ctx.Cancelled()) {
      return abandon(absl::CancelledError("cancelled while restoring; nothing was left behind"));
    }
    absl::StatusOr<stream::StreamRecord> next = req.image->stream().Next();
    if (!next.ok()) return abandon(next.status());
    if (next->type == stream::RecordType::kEnd) break;
    if (next->type == stream::RecordType::kPages) {
      if (absl::Status s = receiver.Accept(next->first_page, next->pages); !s.ok()) {
        return abandon(absl::DataLossError(
            absl::StrCat("record #", next->index, " (at byte ", next->offset, "): ", s.message())));
      }
      progress.Report(std::min(receiver.pages_received(), record.memory.page_count));
    } else if (next->type == stream::RecordType::kGuestState) {
      state = next->state;
      if (!guest.ParseFromString(state->backend_state())) {
        return abandon(
            absl::DataLossError(absl::StrCat("record #", next->index, " (at byte ", next->offset,
                                             "): the simulated guest's state does not parse")));
      }
    }
  }
  if (!state.has_value()) {
    return abandon(absl::DataLossError("the stream ended without the guest's state"));
  }
  if (absl::Status s = ApplyGuestState(guest, state->online_vcpus(), record); !s.ok()) {
    return abandon(s);
  }
  if (absl::Status s = receiver.Verify(guest); !s.ok()) return abandon(s);
  if (!req.image->stream().summary().has_value()) {
    return abandon(absl::InternalError("the stream's end was read without its summary"));
  }

  RestoredDomain restored;
  restored.digest = req.image->stream().summary()->digest;
  DomainFacts& facts = restored.facts;
  {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<DomainFacts> committed = CommitLocked(record, req.start_paused);
    if (!committed.ok()) return committed.status();
    facts = *std::move(committed);
  }
  logger_.Info("simulated domain restored", {{"domid", facts.domid},
                                             {"name", facts.name},
                                             {"pages", receiver.pages_received()},
                                             {"paused", req.start_paused},
                                             {"trace_id", ctx.trace_id}});
  return restored;
}

}  // namespace xenia::hv
