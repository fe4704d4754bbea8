#include "daemon/operations/save_restore_tasks.h"

#include <functional>

#include "absl/strings/str_cat.h"
#include "daemon/images/image_ids.h"
#include "daemon/operations/device_tasks.h"
#include "daemon/operations/domain_lifecycle.h"
#include "daemon/proto_time.h"
#include "daemon/stream/image_reader.h"
#include "daemon/stream/stream_format.h"
#include "daemon/version.h"

namespace xenia {
namespace {

using xenia::v1::PowerState;

constexpr std::initializer_list<PowerState> kSavable = {xenia::v1::RUNNING, xenia::v1::PAUSED};
constexpr std::initializer_list<PowerState> kRestorableFromImage = {xenia::v1::SHUTOFF,
                                                                    xenia::v1::SUSPENDED};

// Saves a domain into a staged image in the image directory, or (with a
// caller sink) into the stream of a SaveDomainToStream call.
class SaveDomainTask final : public OperationTask {
 public:
  SaveDomainTask(images::ImageDirectory* images, std::string path,
                 std::shared_ptr<CallerImageSink> caller, bool checkpoint)
      : images_(images),
        path_(std::move(path)),
        caller_(std::move(caller)),
        checkpoint_(checkpoint) {}

  absl::Status Admit(TaskContext& ctx, bool idle) override {
    if (!idle) return absl::OkStatus();
    absl::StatusOr<DomainEntry> entry = CurrentDomain(ctx);
    if (!entry.ok()) return entry.status();
    return RequireState(*entry, kSavable, "running or paused", "be saved");
  }

  StepResult Step(TaskContext& ctx) override {
    absl::StatusOr<DomainEntry> entry = CurrentDomain(ctx);
    if (!entry.ok()) return StepResult::Failed(entry.status());
    if (absl::Status s = RequireState(*entry, kSavable, "running or paused", "be saved"); !s.ok()) {
      return StepResult::Failed(s);
    }
    std::string path = path_;
    std::unique_ptr<images::StagedImage> staged;
    stream::ByteSink* sink = caller_.get();
    if (caller_ == nullptr) {
      if (path.empty()) {
        absl::StatusOr<std::string> name = images::DefaultImageName(entry->name(), ctx.Now());
        if (!name.ok()) return StepResult::Failed(name.status());
        path = *std::move(name);
      }
      absl::StatusOr<std::unique_ptr<images::StagedImage>> created = images_->Create(path, false);
      if (!created.ok()) return StepResult::Failed(created.status());
      staged = *std::move(created);
      sink = &staged->sink();
    }
    const std::string where = caller_ == nullptr ? path : "the caller's stream";

    // The image carries the devices the guest has now, hot-plugged ones too.
    absl::StatusOr<xenia::v1::DomainSpec> running = RunningSpec(ctx, *entry);
    if (!running.ok()) return StepResult::Failed(running.status());
    hv::SaveDomainRequest request;
    request.domain = RefOf(*entry);
    request.header.set_purpose(xenia::v1::StreamHeader::SAVE);
    request.header.set_domain_name(entry->name());
    request.header.set_domain_uuid(entry->uuid());
    *request.header.mutable_spec() = *running;
    request.header.set_source_host(ctx.names().host_id());
    request.header.set_source_version(kXeniaVersion);
    *request.header.mutable_create_time() = ToProto(ctx.Now());
    request.sink = sink;
    request.checkpoint = checkpoint_;
    ctx.SetProgress(0, absl::StrCat("saving to ", where));
    hv::Hypervisor& hv = ctx.hypervisor();
    absl::StatusOr<hv::SaveDomainResult> saved = hv.SaveDomain(ctx.hv_context(), request);
    if (!saved.ok()) {
      if (saved.status().code() == absl::StatusCode::kNotFound) ctx.RequestReconcile();
      // (A caller that went away fails the sink's writes: that is the reason.)
      return StepResult::Failed(
          Prefixed(saved.status(),
                   absl::StrCat("domain \"", entry->name(), "\" was not saved (it is as it was",
                                caller_ == nullptr ? "; no image was kept" : "", "): ")));
    }
    absl::Status kept = staged != nullptr ? staged->Commit() : caller_->Drain();
    if (!kept.ok()) {
      return StepResult::Failed(
          Unsave(ctx, *entry, kept, staged != nullptr ? "kept" : "delivered"));
    }

    xenia::v1::SaveImage image;
    image.set_domain(ctx.names().Domain(entry->name()));
    *image.mutable_spec() = *running;
    image.set_size_bytes(saved->bytes);
    if (saved->format == stream::ImageFormat::kXenia) {
      image.set_format(xenia::v1::SaveImage::XENIA_STREAM);
      image.set_format_version(static_cast<int32_t>(stream::kFormatVersion));
    } else {
      image.set_format(xenia::v1::SaveImage::XL);
    }
    image.set_digest(saved->digest);
    image.set_checkpoint(checkpoint_);
    image.set_source_host(ctx.names().host_id());
    *image.mutable_create_time() = request.header.create_time();
    if (staged != nullptr) {
      image.set_name(ctx.names().SaveImage(images::ImageIdForPath(path)));
      image.set_path(path);
      ctx.PutSaveImage(image);
    } else {
      ctx.ReturnSaveImage(image);
    }
    if (checkpoint_) return StepResult::Done();

    ctx.SetProgress(100, "destroying the suspended guest");
    absl::Status destroyed = hv.DestroyDomain(ctx.hv_context(), RefOf(*entry));
    if (!destroyed.ok() && destroyed.code() != absl::StatusCode::kNotFound) {
      return StepResult::Failed(
          Prefixed(destroyed, absl::StrCat("domain \"", entry->name(), "\" was saved to ", where,
                                           " but its suspended guest could not be destroyed: ")));
    }
    const absl::Time now = ctx.Now();
    absl::StatusOr<DomainEntry> updated = ctx.UpdateDomain([&](DomainEntry& e) {
      xenia::v1::DomainStatus& status = e.status;
      status.set_power_state(xenia::v1::SUSPENDED);
      status.clear_domid();
      status.clear_devices();
      status.set_current_memory_mib(0);
      status.set_online_vcpus(0);
      status.clear_start_time();
      status.set_last_shutdown_reason(xenia::v1::DomainStatus::SUSPEND);
      *status.mutable_state_change_time() = ToProto(now);
      if (staged != nullptr) {
        status.set_save_image(image.name());
        status.set_message(absl::StrCat("saved to ", path));
      } else {
        status.clear_save_image();
        status.set_message(
            "saved to the caller's stream (not kept on this host): restore it with "
            "xenia restore - < IMAGE");
      }
    });
    if (!updated.ok()) return StepResult::Failed(updated.status());
    return StepResult::Done();
  }

 private:
  // The image could not be kept or delivered: let the guest run on as
  // before and say so.
  absl::Status Unsave(TaskContext& ctx, const DomainEntry& entry, const absl::Status& why,
                      absl::string_view verb) {
    std::string outcome = "it runs on as before";
    if (!checkpoint_) {
      hv::Hypervisor& hv = ctx.hypervisor();
      absl::Status resumed = hv.ResumeDomain(ctx.hv_context(), RefOf(entry));
      if (resumed.ok() && entry.status.power_state() == xenia::v1::PAUSED) {
        resumed = hv.PauseDomain(ctx.hv_context(), RefOf(entry));
        outcome = "it is paused as before";
      }
      if (!resumed.ok()) {
        ctx.RequestReconcile();
        outcome = absl::StrCat("and it could not be resumed: ", resumed.message());
      }
    }
    return Prefixed(
        why, absl::StrCat("domain \"", entry.name(), "\" was not saved: the image could not be ",
                          verb, " (", outcome, "): "));
  }

  images::ImageDirectory* images_;
  std::string path_;
  std::shared_ptr<CallerImageSink> caller_;
  bool checkpoint_;
};

// Where a restore reads its image from: a file in the image directory, or
// the stream of a RestoreDomainFromStream call.
struct ImageOrigin {
  // For messages: "\"web1.xsave\"" or "the caller's stream".
  std::string description;
  // What the stream reader calls it: "image \"web1.xsave\"", "the image
  // from the caller's stream".
  std::string reader_name;
  std::function<absl::StatusOr<std::unique_ptr<stream::ByteSource>>()> open;
};

ImageOrigin FileOrigin(images::ImageDirectory& images, const std::string& path) {
  return {absl::StrCat("\"", path, "\""), absl::StrCat("image \"", path, "\""),
          [&images, path]() -> absl::StatusOr<std::unique_ptr<stream::ByteSource>> {
            absl::StatusOr<std::unique_ptr<stream::FileSource>> file = images.OpenForRead(path);
            if (!file.ok()) return file.status();
            return std::unique_ptr<stream::ByteSource>(*std::move(file));
          }};
}

// Reads through to a source shared with the call that feeds it.
class SharedSource final : public stream::ByteSource {
 public:
  explicit SharedSource(std::shared_ptr<stream::ByteSource> source) : source_(std::move(source)) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t max) override {
    return source_->Read(buffer, max);
  }

 private:
  std::shared_ptr<stream::ByteSource> source_;
};

ImageOrigin CallerOrigin(std::shared_ptr<stream::ByteSource> source) {
  return {"the caller's stream", "the image from the caller's stream",
          [source]() -> absl::StatusOr<std::unique_ptr<stream::ByteSource>> {
            return std::make_unique<SharedSource>(source);
          }};
}

// The definition an image holds: a Xenia stream's header carries it; an xl
// image's libxl configuration is the backend's to read.
absl::StatusOr<xenia::v1::DomainSpec> SpecOfImage(TaskContext& ctx, const stream::ImageHead& head) {
  if (head.format == stream::ImageFormat::kXenia) return head.header.spec();
  absl::StatusOr<xenia::v1::DomainSpec> spec =
      ctx.hypervisor().SpecOfXlImage(ctx.hv_context(), head.xl_config_json);
  if (!spec.ok()) return spec.status();
  spec->set_name(head.header.domain_name());
  spec->set_uuid(head.header.domain_uuid());
  return spec;
}

// Reads the image `origin` gives and builds `entry`'s domain from it.
// `expected_digest` is the image's as recorded when it was saved, if known.
absl::Status RestoreFrom(TaskContext& ctx, const ImageOrigin& origin, bool paused,
                         const DomainEntry& entry, const std::string& expected_digest = "") {
  ctx.SetProgress(0, absl::StrCat("reading ", origin.description));
  absl::StatusOr<std::unique_ptr<stream::ByteSource>> source = origin.open();
  if (!source.ok()) return source.status();
  stream::ImageReader image(**source, origin.reader_name);
  if (absl::Status s = image.ReadHead(); !s.ok()) return s;
  const xenia::v1::StreamHeader& header = image.head().header;
  if (header.domain_uuid() != entry.uuid()) {
    return absl::FailedPreconditionError(absl::StrCat(
        origin.reader_name, " holds domain \"", header.domain_name(), "\" (uuid ",
        header.domain_uuid(), "), not \"", entry.name(), "\" (uuid ", entry.uuid(), ")"));
  }
  // The guest comes back as it was saved, under the name it has now.
  absl::StatusOr<xenia::v1::DomainSpec> spec = SpecOfImage(ctx, image.head());
  if (!spec.ok()) return spec.status();
  spec->set_name(entry.name());
  hv::RestoreDomainRequest request;
  request.spec = &*spec;
  request.image = &image;
  request.expected_digest = expected_digest;
  request.start_paused = paused;
  request.made_by_xeniad = true;
  absl::StatusOr<hv::RestoredDomain> restored =
      ctx.hypervisor().RestoreDomain(ctx.hv_context(), request);
  if (!restored.ok()) {
    return Prefixed(restored.status(),
                    absl::StrCat("domain \"", entry.name(), "\" was not restored from ",
                                 origin.description, " (nothing was left running): "));
  }
  const absl::Time now = ctx.Now();
  absl::StatusOr<DomainEntry> updated = ctx.UpdateDomain([&](DomainEntry& e) {
    xenia::v1::DomainStatus& status = e.status;
    status.set_power_state(paused ? xenia::v1::PAUSED : xenia::v1::RUNNING);
    ApplyFacts(restored->facts, now, &status);
    *status.mutable_start_time() = ToProto(now);
    *status.mutable_state_change_time() = ToProto(now);
    status.clear_save_image();
    status.set_message(absl::StrCat("restored from ", origin.description));
  });
  return updated.status();
}

class RestoreSuspendedTask final : public OperationTask {
 public:
  RestoreSuspendedTask(images::ImageDirectory& images, bool paused)
      : images_(images), paused_(paused) {}

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
    absl::StatusOr<std::optional<xenia::v1::SaveImage>> image =
        ctx.GetSaveImage(entry->status.save_image());
    if (!image.ok()) return StepResult::Failed(image.status());
    if (!image->has_value()) {
      return StepResult::Failed(absl::FailedPreconditionError(
          absl::StrCat("domain \"", entry->name(), "\" is suspended in ",
                       entry->status.save_image(), ", which is not on record")));
    }
    absl::Status s = RestoreFrom(ctx, FileOrigin(images_, (*image)->path()), paused_, *entry,
                                 (*image)->digest());
    return s.ok() ? StepResult::Done() : StepResult::Failed(s);
  }

 private:
  static absl::Status Check(const DomainEntry& entry) {
    if (absl::Status s = RequireState(entry, {xenia::v1::SUSPENDED}, "suspended (saved)",
                                      "be restored from its image");
        !s.ok()) {
      return s;
    }
    if (entry.status.save_image().empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("domain \"", entry.name(), "\" is suspended but names no save image"));
    }
    return absl::OkStatus();
  }

  images::ImageDirectory& images_;
  bool paused_;
};

class RestoreImageTask final : public OperationTask {
 public:
  RestoreImageTask(ImageOrigin origin, stream::ImageHead head, bool paused)
      : origin_(std::move(origin)), head_(std::move(head)), paused_(paused) {}

  absl::Status Admit(TaskContext& ctx, bool idle) override {
    if (!ctx.domain().has_value()) {
      // Not defined here: define it from the image, as it was saved.
      absl::StatusOr<xenia::v1::DomainSpec> spec = SpecOfImage(ctx, head_);
      if (!spec.ok()) return spec.status();
      DomainEntry entry;
      entry.spec = *std::move(spec);
      entry.spec.set_name(head_.header.domain_name());
      entry.spec.set_uuid(head_.header.domain_uuid());
      entry.status.set_power_state(xenia::v1::SHUTOFF);
      entry.create_time = ctx.Now();
      entry.update_time = entry.create_time;
      *entry.status.mutable_state_change_time() = ToProto(entry.create_time);
      defined_here_ = true;
      return ctx.InsertDomain(std::move(entry));
    }
    if (!idle) return absl::OkStatus();
    return RequireState(*ctx.domain(), kRestorableFromImage, "shut off or suspended",
                        "be restored from an image");
  }

  StepResult Step(TaskContext& ctx) override {
    ctx.ReturnDomain();
    absl::StatusOr<DomainEntry> entry = CurrentDomain(ctx);
    if (!entry.ok()) return StepResult::Failed(entry.status());
    absl::Status s = RequireState(*entry, kRestorableFromImage, "shut off or suspended",
                                  "be restored from an image");
    if (s.ok()) s = RestoreFrom(ctx, origin_, paused_, *entry);
    if (s.ok()) return StepResult::Done();
    if (defined_here_) {
      // Leave nothing behind, so that a retry starts from the same place.
      ctx.RemoveDomain();
      return StepResult::Failed(absl::Status(
          s.code(), absl::StrCat(s.message(), "; the domain it defined was removed again")));
    }
    return StepResult::Failed(s);
  }

 private:
  ImageOrigin origin_;
  stream::ImageHead head_;
  bool paused_;
  bool defined_here_ = false;
};

}  // namespace

std::unique_ptr<OperationTask> MakeSaveDomainTask(images::ImageDirectory& images, std::string path,
                                                  bool checkpoint) {
  return std::make_unique<SaveDomainTask>(&images, std::move(path), nullptr, checkpoint);
}

std::unique_ptr<OperationTask> MakeSaveToCallerTask(std::shared_ptr<CallerImageSink> sink,
                                                    bool checkpoint) {
  return std::make_unique<SaveDomainTask>(nullptr, "", std::move(sink), checkpoint);
}

std::unique_ptr<OperationTask> MakeRestoreSuspendedTask(images::ImageDirectory& images,
                                                        bool paused) {
  return std::make_unique<RestoreSuspendedTask>(images, paused);
}

std::unique_ptr<OperationTask> MakeRestoreImageTask(images::ImageDirectory& images,
                                                    std::string path, stream::ImageHead head,
                                                    bool paused) {
  return std::make_unique<RestoreImageTask>(FileOrigin(images, path), std::move(head), paused);
}

std::unique_ptr<OperationTask> MakeRestoreFromCallerTask(std::shared_ptr<stream::ByteSource> source,
                                                         stream::ImageHead head, bool paused) {
  return std::make_unique<RestoreImageTask>(CallerOrigin(std::move(source)), std::move(head),
                                            paused);
}

}  // namespace xenia
