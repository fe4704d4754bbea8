// SimHost's live save: the pre-copy algorithm of Clark et al. (NSDI 2005),
// as Xen's save code runs it with LIBXL_SUSPEND_LIVE. Round 0 sends the
// whole memory while the guest runs; each later round sends the pages the
// guest wrote during the one before (the log-dirty bitmap is the memory
// model's ForEachWrittenPage). When the dirty memory left could move within
// the downtime target at the bandwidth measured so far, after the last
// allowed round, or when it stops shrinking, the guest is paused and the last
// dirty pages and its state follow.
#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "daemon/hypervisor/sim/sim_host.h"
#include "daemon/hypervisor/sim/sim_memory_stream.h"
#include "daemon/stream/stream_writer.h"

namespace xenia::hv {
namespace {

// What the rounds have measured so far.
struct PreCopyClock {
  absl::Time started;
  absl::Time round_began;
  int64_t previous_dirty_bytes = -1;
  // Rounds in a row whose dirty memory did not shrink.
  int stalled_rounds = 0;
};

int64_t PerSecond(int64_t bytes, absl::Duration took) {
  const double seconds = absl::ToDoubleSeconds(took);
  if (seconds <= 0) return bytes > 0 ? std::numeric_limits<int64_t>::max() : 0;
  return static_cast<int64_t>(static_cast<double>(bytes) / seconds);
}

absl::Duration TimeToSend(int64_t bytes, int64_t bytes_per_second) {
  if (bytes <= 0) return absl::ZeroDuration();
  if (bytes_per_second <= 0) return absl::InfiniteDuration();
  return absl::Seconds(static_cast<double>(bytes) / static_cast<double>(bytes_per_second));
}

}  // namespace

absl::StatusOr<SaveDomainResult> SimHost::LiveSave(const OpContext& ctx,
                                                   const SaveDomainRequest& req) {
  const LiveSaveOptions& options = *req.live;
  if (req.checkpoint) {
    return absl::InvalidArgumentError("a live save cannot also be a checkpoint");
  }
  // The guest as it runs now, and how many writes it has made.
  auto snapshot = [&](SimDomainRecord* guest, int64_t* writes, bool pause) {
    return MutateDomain(&ctx, req.domain, "migrated", [&](SimDomainRecord& r, int64_t now) {
      if (r.state != RunState::kRunning) {
        return absl::FailedPreconditionError(
            absl::StrCat(DomainLabel(r), " is ", StateForMessage(r),
                         pause ? "; it stopped running during the live migration"
                               : "; only a running domain can be migrated live"));
      }
      if (!pause && r.type == xenia::v1::PV && !config_.shadow_paging) {
        return PvLiveSaveUnsupported(DomainLabel(r));
      }
      // As Xen (paging_log_dirty_enable): no global log-dirty mode, which a
      // live save needs, for a domain with passed-through devices.
      if (!pause && std::any_of(r.devices.begin(), r.devices.end(),
                                [](const SimDevice& d) { return d.kind == DeviceKind::kPci; })) {
        return absl::FailedPreconditionError(absl::StrCat(
            "Xen cannot track the memory ", DomainLabel(r),
            " writes while a PCI device is passed through to it, so it cannot be saved or "
            "migrated live: pci-detach the device first, or migrate it with --no-live"));
      }
      if (pause) {
        if (absl::Status s = PauseGuest(r, now); !s.ok()) return s;
      }
      *guest = r;
      *writes = WritesAt(r.memory, GuestNanosAt(r.timeline, now));
      return absl::OkStatus();
    });
  };

  SimDomainRecord guest;
  int64_t sent_writes = 0;
  if (absl::Status s = snapshot(&guest, &sent_writes, false); !s.ok()) return s;
  const int64_t memory_bytes = guest.memory.page_count * kSimPageSize;

  stream::StreamWriter writer(*req.sink);
  PreCopyClock clock;
  clock.started = absl::Now();
  clock.round_began = clock.started;
  SaveDomainResult result;
  bool paused = false;
  absl::Time paused_at = absl::InfinitePast();

  // Everything after the first page fails by letting the guest run on.
  auto fail = [&](absl::Status status) -> absl::Status {
    if (paused) {
      absl::Status resumed =
          MutateDomain(nullptr, req.domain, "migrated", [](SimDomainRecord& r, int64_t now) {
            return r.state == RunState::kPaused ? UnpauseGuest(r, now) : absl::OkStatus();
          });
      if (!resumed.ok()) {
        return absl::Status(
            status.code(), absl::StrCat(status.message(), "; and the guest could not be unpaused: ",
                                        resumed.message()));
      }
    }
    return status;
  };

  if (absl::Status s = writer.WriteHeader(SimStreamHeader(req.header, guest)); !s.ok()) {
    return fail(s);
  }
  // Round 0: the whole memory, as it is at its start.
  {
    int last_percent = -1;
    const int64_t total = std::max<int64_t>(1, guest.memory.page_count);
    absl::Status s = WritePages(ctx, writer, guest.memory, sent_writes, 0, [&](int64_t done) {
      const int percent = static_cast<int>(90 * done / total);
      if (percent == last_percent) return;
      last_percent = percent;
      ctx.Progress(percent, absl::StrCat("pre-copy round 0: ", done, " of ", total, " pages"));
    });
    if (!s.ok()) return fail(s);
    result.pages += guest.memory.page_count;
  }

  int32_t round = 0;
  std::string stop_reason;
  while (true) {
    SimDomainRecord now_guest;
    int64_t writes = 0;
    if (absl::Status s = snapshot(&now_guest, &writes, false); !s.ok()) return fail(s);
    const absl::Time now = absl::Now();
    PreCopyRound report;
    report.round = round;
    report.bytes_sent = writer.bytes_written();
    report.memory_bytes = memory_bytes;
    report.dirty_bytes = DirtyPageCount(now_guest.memory, sent_writes, writes) * kSimPageSize;
    report.dirty_bytes_per_second = PerSecond(report.dirty_bytes, now - clock.round_began);
    report.bandwidth_bytes_per_second = PerSecond(writer.bytes_written(), now - clock.started);
    report.expected_downtime = TimeToSend(report.dirty_bytes, report.bandwidth_bytes_per_second);
    if (options.on_round) options.on_round(report);
    ++round;

    if (report.expected_downtime <= options.max_downtime) {
      stop_reason = "downtime target met";
    } else if (round >= std::max(1, options.max_rounds)) {
      stop_reason = "max rounds";
    } else {
      clock.stalled_rounds =
          clock.previous_dirty_bytes >= 0 && report.dirty_bytes >= clock.previous_dirty_bytes
              ? clock.stalled_rounds + 1
              : 0;
      if (clock.stalled_rounds >= 2) stop_reason = "not converging";
    }
    if (!stop_reason.empty()) break;
    clock.previous_dirty_bytes = report.dirty_bytes;
    clock.round_began = now;
    ctx.Progress(90, absl::StrCat("pre-copy round ", round, ": ", report.dirty_bytes,
                                  " dirty bytes to send again"));
    absl::StatusOr<int64_t> pages = WriteDirtyPages(ctx, writer, now_guest.memory, sent_writes,
                                                    writes, static_cast<uint32_t>(round));
    if (!pages.ok()) return fail(pages.status());
    result.pages += *pages;
    sent_writes = writes;
  }

  // Stop and copy.
  int64_t final_writes = 0;
  if (absl::Status s = snapshot(&guest, &final_writes, true); !s.ok()) return fail(s);
  paused = true;
  paused_at = absl::Now();
  ctx.Progress(95, absl::StrCat("stop-and-copy (round ", round, ")"));
  absl::StatusOr<int64_t> pages = WriteDirtyPages(ctx, writer, guest.memory, sent_writes,
                                                  final_writes, static_cast<uint32_t>(round));
  if (!pages.ok()) return fail(pages.status());
  result.pages += *pages;
  if (options.on_round) {
    PreCopyRound report;
    report.round = round;
    report.stop_and_copy = true;
    report.bytes_sent = writer.bytes_written();
    report.memory_bytes = memory_bytes;
    report.bandwidth_bytes_per_second =
        PerSecond(writer.bytes_written(), absl::Now() - clock.started);
    options.on_round(report);
  }
  xenia::v1::StreamGuestState state;
  state.set_online_vcpus(guest.timeline.vcpus);
  state.set_backend_state(GuestStateOf(guest, final_writes).SerializeAsString());
  if (absl::Status s = writer.WriteGuestState(state); !s.ok()) return fail(s);
  absl::StatusOr<stream::StreamSummary> summary = writer.Finish();
  if (!summary.ok()) return fail(summary.status());

  // As after a save: shut down for suspend, for the caller to destroy once
  // the destination has the guest (or to resume if it has not).
  absl::Status suspended =
      MutateDomain(nullptr, req.domain, "migrated", [](SimDomainRecord& r, int64_t) {
        r.state = RunState::kShutdown;
        r.shutdown_reason = ShutdownReason::kSuspend;
        r.schedule.requested = ShutdownReason::kNone;
        return absl::OkStatus();
      });
  if (!suspended.ok()) return fail(suspended);
  result.bytes = summary->total_bytes;
  result.records = summary->records;
  result.digest = summary->digest;
  result.rounds = round + 1;
  result.stop_reason = stop_reason;
  result.paused_at = paused_at;
  logger_.Info("simulated domain saved live", {{"domid", guest.domid},
                                               {"name", guest.name},
                                               {"bytes", result.bytes},
                                               {"rounds", result.rounds},
                                               {"pages", result.pages},
                                               {"stop_reason", stop_reason},
                                               {"trace_id", ctx.trace_id}});
  return result;
}

}  // namespace xenia::hv
