// LibxlHypervisor's save, restore and resume: libxl_domain_suspend and
// libxl_domain_create_restore through a pipe (image_pipe.h), in xl's save
// image format (stream/xl_image.h), as `xl save` and `xl restore` do.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "daemon/hypervisor/libxl/domain_config.h"
#include "daemon/hypervisor/libxl/domain_facts.h"
#include "daemon/hypervisor/libxl/image_pipe.h"
#include "daemon/hypervisor/libxl/libxl_events.h"
#include "daemon/hypervisor/libxl/libxl_hypervisor.h"
#include "daemon/hypervisor/libxl/libxl_status.h"
#include "daemon/hypervisor/libxl/xeniad_mark.h"
#include "daemon/stream/xl_image.h"

namespace xenia::hv {
namespace {

// Owns a string libxl allocated with malloc.
struct FreeDeleter {
  void operator()(char* p) const { free(p); }
};

StopCheck StopFor(const OpContext& ctx, const Clock& clock) {
  return [&ctx, &clock] { return ctx.Cancelled() || clock.Now() >= ctx.deadline; };
}

}  // namespace

absl::StatusOr<bool> LibxlHypervisor::HostCanLogDirtyPv() {
  libxl_physinfo physinfo;
  libxl_physinfo_init(&physinfo);
  const int rc = libxl_get_physinfo(this->ctx(), &physinfo);
  const bool shadow = physinfo.cap_shadow;
  libxl_physinfo_dispose(&physinfo);
  if (rc != 0) return LibxlStatus(rc, "reading the host's physical facts");
  return shadow;
}

absl::StatusOr<xenia::v1::DomainSpec> LibxlHypervisor::SpecOfXlImage(
    const OpContext&, absl::string_view config_json) {
  ScopedDomainConfig cfg;
  const std::string json(config_json);
  if (libxl_domain_config_from_json(this->ctx(), cfg.get(), json.c_str()) != 0) {
    return absl::InvalidArgumentError(
        "the domain configuration in the xl save image is not a libxl configuration libxl reads");
  }
  absl::StatusOr<xenia::v1::DomainSpec> spec = DomainConfigToSpec(*cfg);
  if (!spec.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the domain configuration in the xl save image cannot be read: ", spec.status().message()));
  }
  return spec;
}

absl::StatusOr<SaveDomainResult> LibxlHypervisor::SaveDomain(const OpContext& ctx,
                                                             const SaveDomainRequest& req) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  if (req.sink == nullptr) return absl::InvalidArgumentError("SaveDomainRequest.sink is missing");
  absl::StatusOr<DomainFacts> facts = Lookup(req.domain);
  if (!facts.ok()) return facts.status();
  const uint32_t domid = facts->domid;
  const std::string label = DomainLabelFor(domid, facts->name);
  if (domid == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(label, " is the control domain; it cannot be saved"));
  }
  if (facts->state != RunState::kRunning && facts->state != RunState::kPaused) {
    return RequireState(*facts, RunState::kRunning, "running or paused", "saved");
  }
  if (req.live.has_value() && facts->type == xenia::v1::PV) {
    absl::StatusOr<bool> can = HostCanLogDirtyPv();
    if (!can.ok()) return can.status();
    if (!*can) return PvLiveSaveUnsupported(label);
  }

  // xl's header carries the configuration libxl would rebuild the guest
  // from (as `xl save` writes it).
  ScopedDomainConfig cfg;
  int rc = libxl_retrieve_domain_configuration(this->ctx(), domid, cfg.get(), nullptr);
  if (rc != 0) return LibxlStatus(rc, absl::StrCat("retrieving the configuration of ", label));
  cfg.get()->c_info.domid = 0;
  std::unique_ptr<char, FreeDeleter> json(libxl_domain_config_to_json(this->ctx(), cfg.get()));
  if (json == nullptr) {
    return absl::InternalError(
        absl::StrCat("libxl cannot write the configuration of ", label, " as JSON"));
  }

  // A paused PV guest cannot answer the suspend request; it runs for the
  // moment the request takes.
  const bool was_paused = facts->state == RunState::kPaused;
  if (was_paused) {
    rc = libxl_domain_unpause(this->ctx(), domid, nullptr);
    if (rc != 0) return LibxlStatus(rc, absl::StrCat("unpausing ", label, " to save it"));
  }
  auto put_back = [&](bool resume) -> absl::Status {
    if (resume) {
      const int resumed = libxl_domain_resume(this->ctx(), domid, 1, nullptr);
      if (resumed != 0) {
        logger_.Error("libxl_domain_resume failed after a save",
                      {{"domid", domid}, {"rc", resumed}, {"trace_id", ctx.trace_id}});
        return LibxlStatus(resumed, absl::StrCat("resuming ", label));
      }
    }
    if (was_paused) {
      const int paused = libxl_domain_pause(this->ctx(), domid, nullptr);
      if (paused != 0) return LibxlStatus(paused, absl::StrCat("pausing ", label, " again"));
    }
    return absl::OkStatus();
  };

  // libxl says nothing of its progress; the bytes it writes do. A live
  // save sends more than the memory (pre-copy rounds).
  const int64_t memory_bytes = facts->current_memory_kib * 1024;
  auto progress = [&ctx, &label, memory_bytes](int64_t bytes) {
    const double part = memory_bytes > 0 ? static_cast<double>(bytes) / memory_bytes : 0;
    ctx.Progress(5 + static_cast<int>(std::min(part, 1.0) * 90),
                 absl::StrFormat("libxl has written %.0f MiB of %s (memory %.0f MiB)",
                                 static_cast<double>(bytes) / (1 << 20), label,
                                 static_cast<double>(memory_bytes) / (1 << 20)));
  };
  absl::StatusOr<std::unique_ptr<PipeToSink>> pipe = PipeToSink::Start(
      *req.sink, stream::EncodeXlImageHeader(json.get()), StopFor(ctx, clock_), progress);
  if (!pipe.ok()) {
    (void)put_back(false);
    return pipe.status();
  }
  ctx.Progress(5, absl::StrCat("libxl is saving ", label));
  const absl::Time began = clock_.Now();
  const absl::Time began_wall = absl::Now();
  const int flags = req.live.has_value() ? LIBXL_SUSPEND_LIVE : 0;
  rc = libxl_domain_suspend(this->ctx(), domid, (*pipe)->write_fd(), flags, nullptr);
  absl::Status copied = (*pipe)->Finish();
  if (rc != 0 || !copied.ok()) {
    logger_.Error("saving a domain failed; it runs on",
                  {{"domid", domid},
                   {"rc", rc},
                   {"copy", copied},
                   {"bytes", (*pipe)->bytes()},
                   {"segment_digests", (*pipe)->segments().Summary()},
                   {"trace_id", ctx.trace_id}});
    // As xl does: the guest carries on where it was (if it was suspended,
    // it is resumed as though the suspend had been cancelled).
    absl::StatusOr<DomainFacts> now = Lookup(req.domain);
    const bool suspended = now.ok() && now->state == RunState::kShutdown &&
                           now->shutdown_reason == ShutdownReason::kSuspend;
    absl::Status back = put_back(suspended);
    absl::Status why = !copied.ok() ? copied : LibxlStatus(rc, absl::StrCat("saving ", label));
    if (!back.ok()) {
      return absl::Status(why.code(), absl::StrCat(why.message(), "; and then ", back.message()));
    }
    return why;
  }
  SaveDomainResult result;
  result.format = stream::ImageFormat::kXl;
  result.bytes = (*pipe)->bytes();
  result.digest = (*pipe)->digest();
  result.pages = facts->current_memory_kib / 4;
  result.stop_reason = req.live.has_value() ? "libxl's pre-copy ended" : "not live";
  // When the guest stopped running: at once without the live flag; after
  // libxl's pre-copy with it, when the guest suspended (libxl's event), or
  // at the latest now. (Not at all if it was paused before.)
  if (!was_paused) result.paused_at = began_wall;
  if (!was_paused && req.live.has_value()) {
    const absl::Time suspended = events_->SuspendedAt(domid);
    result.paused_at = suspended >= began_wall ? suspended : absl::Now();
  }
  if (req.checkpoint) {
    if (absl::Status s = put_back(true); !s.ok()) return s;
  }
  logger_.Info("domain saved", {{"domid", domid},
                                {"name", facts->name},
                                {"bytes", result.bytes},
                                {"seconds", absl::ToDoubleSeconds(clock_.Now() - began)},
                                {"checkpoint", req.checkpoint},
                                {"trace_id", ctx.trace_id}});
  if (logger_.Enabled(LogLevel::kDebug)) {
    logger_.Debug("image written", {{"domid", domid},
                                    {"digest", result.digest},
                                    {"segment_digests", (*pipe)->segments().Summary()},
                                    {"trace_id", ctx.trace_id}});
  }
  ctx.Progress(100, absl::StrCat("saved ", label));
  return result;
}

absl::StatusOr<RestoredDomain> LibxlHypervisor::RestoreDomain(const OpContext& ctx,
                                                              const RestoreDomainRequest& req) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  if (req.spec == nullptr || req.image == nullptr) {
    return absl::InvalidArgumentError("RestoreDomainRequest needs a spec and an image");
  }
  stream::ImageReader& image = *req.image;
  if (image.format() != stream::ImageFormat::kXl) {
    return absl::InvalidArgumentError(absl::StrCat(
        image.name(), " is ", stream::ImageFormatName(image.format()),
        " (written by the simulated hypervisor); this Xen host restores xl save images"));
  }
  const xenia::v1::DomainSpec& spec = *req.spec;
  const std::string label = absl::StrCat("domain \"", spec.name(), "\"");
  const std::string& json = image.xl_header().config_json;
  ScopedDomainConfig cfg;
  if (libxl_domain_config_from_json(this->ctx(), cfg.get(), json.c_str()) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("the domain configuration in ", image.name(),
                                                   " is not a libxl configuration"));
  }
  libxl_domain_config* config = cfg.get();
  // Restored under the name the domain has now.
  free(config->c_info.name);
  config->c_info.name = strdup(spec.name().c_str());
  if (config->c_info.name == nullptr) abort();
  if (!libxl_domid_valid_guest(config->c_info.domid)) config->c_info.domid = INVALID_DOMID;
  libxl_uuid spec_uuid;
  if (libxl_uuid_from_string(&spec_uuid, spec.uuid().c_str()) != 0 ||
      libxl_uuid_compare(&spec_uuid, &config->c_info.uuid) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("the spec's uuid ", spec.uuid(), " is not the one in ", image.name()));
  }
  if (req.made_by_xeniad) AddXeniadMark(config);

  if (!AcquireCreateSlot(ctx.deadline)) {
    return absl::DeadlineExceededError(
        absl::StrCat("the deadline passed while another domain was being built, before ", label,
                     " could be restored; nothing was built"));
  }
  absl::Status admitted = Admit(spec, config);
  if (!admitted.ok()) {
    ReleaseCreateSlot();
    return admitted;
  }
  absl::StatusOr<std::unique_ptr<SourceToPipe>> pipe =
      SourceToPipe::Start(image.rest(), stream::EncodeXlImageHeader(json), StopFor(ctx, clock_));
  if (!pipe.ok()) {
    ReleaseCreateSlot();
    return pipe.status();
  }
  ctx.Progress(5, absl::StrCat("libxl is restoring ", label));
  libxl_domain_restore_params params;
  libxl_domain_restore_params_init(&params);
  const absl::Time began = clock_.Now();
  params.checkpointed_stream = LIBXL_CHECKPOINTED_STREAM_NONE;
  params.stream_version = 2;
  uint32_t domid = INVALID_DOMID;
  // Synchronous; libxl leaves the domain paused, or destroys what it built.
  const int rc = libxl_domain_create_restore(this->ctx(), config, &domid, (*pipe)->read_fd(), -1,
                                             &params, nullptr, nullptr);
  libxl_domain_restore_params_dispose(&params);
  // The rest of the image is read too, so that its digest covers every byte.
  absl::Status copied = (*pipe)->Finish(rc == 0);
  ReleaseCreateSlot();
  absl::Status status;
  if (!copied.ok()) {
    status = copied;
  } else if (rc != 0) {
    status = LibxlStatus(rc, absl::StrCat("restoring ", label, " from ", image.name()));
  } else if (!req.expected_digest.empty() && (*pipe)->digest() != req.expected_digest) {
    status = absl::DataLossError(absl::StrCat(image.name(), " is corrupted: its bytes have digest ",
                                              (*pipe)->digest(), " but it was saved with ",
                                              req.expected_digest));
  }
  if (!status.ok()) {
    logger_.Error("restoring a domain failed", {{"domain", spec.name()},
                                                {"rc", rc},
                                                {"why", status},
                                                {"bytes", (*pipe)->bytes()},
                                                {"segment_digests", (*pipe)->segments().Summary()},
                                                {"trace_id", ctx.trace_id}});
    DestroyLeftover(domid, spec.uuid());
    return status;
  }

  RememberType(domid, spec.uuid(), DomainTypeFromLibxl(config->c_info.type));
  events_->Arm(domid, spec.uuid());
  if (!req.start_paused) {
    const int unpaused = libxl_domain_unpause(this->ctx(), domid, nullptr);
    if (unpaused != 0) {
      DestroyLeftover(domid, spec.uuid());
      return LibxlStatus(unpaused, absl::StrCat("starting ", label, " after restoring it"));
    }
  }
  logger_.Info("domain restored", {{"domid", domid},
                                   {"name", spec.name()},
                                   {"bytes", (*pipe)->bytes()},
                                   {"seconds", absl::ToDoubleSeconds(clock_.Now() - began)},
                                   {"paused", req.start_paused},
                                   {"trace_id", ctx.trace_id}});
  if (logger_.Enabled(LogLevel::kDebug)) {
    logger_.Debug("image read", {{"domid", domid},
                                 {"digest", (*pipe)->digest()},
                                 {"segment_digests", (*pipe)->segments().Summary()},
                                 {"trace_id", ctx.trace_id}});
  }
  ctx.Progress(100, absl::StrCat("restored ", label));
  absl::StatusOr<DomainFacts> facts = Lookup(DomainRef{domid, spec.uuid()});
  if (!facts.ok()) return facts.status();
  return RestoredDomain{*std::move(facts), (*pipe)->digest()};
}

absl::Status LibxlHypervisor::ResumeDomain(const OpContext& ctx, const DomainRef& domain) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  absl::StatusOr<DomainFacts> facts = Lookup(domain);
  if (!facts.ok()) return facts.status();
  const std::string label = DomainLabelFor(facts->domid, facts->name);
  if (facts->state != RunState::kShutdown || facts->shutdown_reason != ShutdownReason::kSuspend) {
    return absl::FailedPreconditionError(
        absl::StrCat(label, " is not suspended; only a suspended domain can be resumed"));
  }
  const int rc = libxl_domain_resume(this->ctx(), facts->domid, 1, nullptr);
  if (rc != 0) return LibxlStatus(rc, absl::StrCat("resuming ", label));
  return absl::OkStatus();
}

}  // namespace xenia::hv
