// Hypervisor: the control interface of one host's hypervisor, shaped after
// libxl's own verbs so that the real backend stays a thin translation.
//
// Implementations: SimHypervisor (sim/, the embedded default) and, on a Xen
// dom0, the libxl backend. main() picks one; nothing else knows which runs.
//
// Each method is one small step. It takes an OpContext (deadline,
// cancellation, progress) and, where options can grow, a request struct, so
// that new options never need new methods.
//
// Status codes every method may return:
//   NOT_FOUND            the domid does not exist (or holds another domain:
//                        a DomainRef's uuid must match)
//   FAILED_PRECONDITION  the domain is in a state where the step is illegal
//                        (the message names the state)
//   RESOURCE_EXHAUSTED   not enough free host memory (the message names the
//                        numbers)
//   DEADLINE_EXCEEDED / CANCELLED  from the OpContext
//   INTERNAL / UNAVAILABLE  the hypervisor itself failed
//
// Thread-safe: any worker thread may call any method; calls on one domain are
// serialized by the caller (the operation engine).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "daemon/hypervisor/devices.h"
#include "daemon/stream/image_reader.h"
#include "xenia/v1/domain.pb.h"
#include "xenia/v1/domain_stream.pb.h"

namespace xenia::stream {
class ByteSink;
}  // namespace xenia::stream

namespace xenia::hv {

// What an operation hands every step: when to give up, whether someone asked
// to stop, and where to report progress.
struct OpContext {
  absl::Time deadline = absl::InfiniteFuture();
  // Set by the operation engine when the operation is cancelled; may be null.
  const std::atomic<bool>* cancelled = nullptr;
  // Progress of the step, 0..100, with a sentence for a person; may be empty.
  // Called on the step's thread, or on a backend's helper thread while the
  // step's thread waits inside the backend's call (never both at once).
  std::function<void(int percent, absl::string_view message)> progress;
  // Correlates log lines of one operation.
  std::string trace_id;

  bool Cancelled() const { return cancelled != nullptr && cancelled->load(); }
  void Progress(int percent, absl::string_view message) const {
    if (progress) progress(percent, message);
  }
};

// Names one domain in the hypervisor: its domid, checked against its uuid so a
// recycled domid can never hit the wrong guest.
struct DomainRef {
  uint32_t domid = 0;
  std::string uuid;
};

// Xen's view of a domain's run state (libxl_dominfo's flags).
enum class RunState {
  kRunning,   // running or blocked: scheduled normally
  kPaused,    // paused by the toolstack
  kShutdown,  // the guest has shut down (see shutdown_reason); awaits destroy
  kDying,     // being torn down
};

enum class ShutdownReason {
  kNone,
  kPoweroff,
  kReboot,
  kSuspend,
  kCrash,
  kWatchdog,
  kSoftReset,
};

absl::string_view RunStateName(RunState state);
absl::string_view ShutdownReasonName(ShutdownReason reason);

// The refusal of a live save (or live migration) of the PV guest `label`
// (e.g. "domain 3 (\"web\")") on a host whose Xen cannot log a PV guest's
// dirty memory (HostFacts::pv_log_dirty): FAILED_PRECONDITION, naming the
// reason and --no-live. Both backends and the migration's up-front check
// say the same.
absl::Status PvLiveSaveUnsupported(absl::string_view label);

// The live facts of one domain.
struct DomainFacts {
  uint32_t domid = 0;
  std::string uuid;
  std::string name;
  RunState state = RunState::kRunning;
  // Set when state is kShutdown.
  ShutdownReason shutdown_reason = ShutdownReason::kNone;
  // A shutdown or reboot request is pending: the guest has been asked and
  // has not acted yet (kNone if none).
  ShutdownReason requested_shutdown = ShutdownReason::kNone;
  int64_t current_memory_kib = 0;
  // The balloon target the guest is asked to reach (xl mem-set).
  int64_t target_memory_kib = 0;
  int64_t max_memory_kib = 0;
  int32_t online_vcpus = 0;
  int32_t max_vcpus = 0;
  // vCPU time consumed since the domain was created.
  int64_t cpu_time_ns = 0;
  xenia::v1::DomainType type = xenia::v1::DOMAIN_TYPE_UNSPECIFIED;
};

// The host's facts.
struct HostFacts {
  // "sim" or "libxl".
  std::string backend;
  // "Xen 4.17.5", or a description of the simulator.
  std::string version;
  int64_t total_memory_kib = 0;
  int64_t free_memory_kib = 0;
  int64_t dom0_memory_kib = 0;
  int32_t cpus = 0;
  // Whether Xen can track the memory a PV guest writes (log-dirty through
  // shadow paging), which a live save or migration of a PV guest needs.
  // Debian's Xen is built without shadow paging.
  bool pv_log_dirty = true;
};

struct CreateDomainRequest {
  // The full, validated definition. Borrowed for the duration of the call.
  const xenia::v1::DomainSpec* spec = nullptr;
  // Leave the domain paused after building it (xl create -p).
  bool start_paused = false;
  // Mark the domain in the hypervisor as made by xeniad (MadeByXeniad reads
  // the mark back), so that a xeniad that lost its record of the domain can
  // tell it from one made beside it with xl.
  bool made_by_xeniad = false;
};

struct ShutdownDomainRequest {
  DomainRef domain;
  // kPoweroff or kReboot.
  ShutdownReason reason = ShutdownReason::kPoweroff;
};

// Where a live save stands after a pre-copy round (for progress reports).
struct PreCopyRound {
  // The round just finished (0: the whole memory) and whether the guest is
  // now paused for the final copy.
  int32_t round = 0;
  bool stop_and_copy = false;
  int64_t bytes_sent = 0;
  int64_t memory_bytes = 0;
  // Memory dirtied since the round began, not yet sent again.
  int64_t dirty_bytes = 0;
  int64_t dirty_bytes_per_second = 0;
  int64_t bandwidth_bytes_per_second = 0;
  // dirty_bytes at the measured bandwidth.
  absl::Duration expected_downtime;
};

// A live save (the source side of a live migration, libxl's
// LIBXL_SUSPEND_LIVE): memory is copied in rounds while the guest runs, each
// round sending what the guest dirtied during the last; the guest is paused
// only for the final round. Pre-copy stops when the dirty memory left could
// move within max_downtime at the bandwidth measured, after max_rounds
// rounds, or when the dirty memory stops shrinking.
struct LiveSaveOptions {
  int32_t max_rounds = 30;
  absl::Duration max_downtime = absl::Milliseconds(300);
  // Called after each round on the saving thread; may be empty.
  std::function<void(const PreCopyRound&)> on_round;
};

// Writes a domain's memory and CPU state, as libxl_domain_suspend does, in
// the backend's image format (Hypervisor::image_format): a Xenia domain
// stream (docs/design/domain-stream-format.md) or xl's save image.
struct SaveDomainRequest {
  DomainRef domain;
  // What the caller knows of the domain (purpose, name, uuid, spec, source
  // host); the backend adds its memory geometry and its own name.
  xenia::v1::StreamHeader header;
  // Where the stream goes. Borrowed for the duration of the call.
  stream::ByteSink* sink = nullptr;
  // Leave the domain as it was (running or paused) once it is written: a
  // checkpoint. Otherwise it is left shut down with reason kSuspend, for the
  // caller to destroy once the stream is safe.
  bool checkpoint = false;
  // Set for a live save; the domain must be running. Otherwise the domain is
  // paused first and its memory written once.
  std::optional<LiveSaveOptions> live;
};

struct SaveDomainResult {
  stream::ImageFormat format = stream::ImageFormat::kXenia;
  // Bytes written and their digest ("xxh3-128:" and 32 hex digits); for a
  // Xenia stream, what its END record says, with its record count.
  int64_t bytes = 0;
  int64_t records = 0;
  std::string digest;
  // Pages written (a page sent twice counts twice).
  int64_t pages = 0;
  // Memory rounds, the stop-and-copy included: 1 for a save.
  int32_t rounds = 1;
  // Why pre-copy stopped (a live save), or "not live".
  std::string stop_reason;
  // When the guest was paused for the (final) copy, on absl::Now()'s clock:
  // a migration's downtime starts here. InfinitePast if it was paused
  // already.
  absl::Time paused_at = absl::InfinitePast();
};

// Builds a domain from an image whose head the caller has read
// (libxl_domain_create_restore). Nothing is left behind unless the whole
// image was verified: a domain that fails to restore is destroyed.
struct RestoreDomainRequest {
  // The definition to build it from (the image's, or the caller's); its
  // uuid must be the image's. Borrowed.
  const xenia::v1::DomainSpec* spec = nullptr;
  // The image, positioned after its head, in the backend's own format
  // (INVALID_ARGUMENT otherwise). Borrowed.
  stream::ImageReader* image = nullptr;
  // The digest of the whole image as it was recorded when it was saved
  // ("xxh3-128:..."), checked by a backend whose format carries none of its
  // own (xl's); empty when unknown (an image xl wrote).
  std::string expected_digest;
  // Leave the domain paused once restored.
  bool start_paused = false;
  bool made_by_xeniad = false;
};

struct RestoredDomain {
  DomainFacts facts;
  // The digest of the image as read ("xxh3-128:..."): a Xenia stream's as
  // its END record gives it (and checked against its records), an xl
  // image's computed over all its bytes; what a migration's hand-over
  // compares with the digest the source wrote.
  std::string digest;
};

// Something happened to a domain on its own (not as the direct result of a
// call): it shut down, crashed, died, or its state changed. The handler
// learns *that* a domain needs attention; it reads the facts itself.
struct DomainEvent {
  enum class Kind {
    kShutdown,  // entered RunState::kShutdown; reason says why
    kDeath,     // the domain no longer exists
  };
  Kind kind = Kind::kShutdown;
  uint32_t domid = 0;
  std::string uuid;
  ShutdownReason reason = ShutdownReason::kNone;
};

// Receives DomainEvents. Called on the backend's event thread, or on the
// thread of a caller whose call found the event due (never while that caller
// holds a lock of the backend); must return quickly and must not call back
// into the Hypervisor.
class DomainEventHandler {
 public:
  virtual ~DomainEventHandler() = default;
  virtual void OnDomainEvent(const DomainEvent& event) = 0;
};

class Hypervisor {
 public:
  virtual ~Hypervisor() = default;

  virtual absl::StatusOr<HostFacts> DescribeHost(const OpContext& ctx) = 0;

  // The format of the images this backend saves and restores.
  virtual stream::ImageFormat image_format() const = 0;

  // The definition of the domain an xl save image holds (its configuration
  // as libxl JSON), as a spec. INVALID_ARGUMENT if it cannot be read, or
  // where the backend does not restore xl images (the simulator).
  virtual absl::StatusOr<xenia::v1::DomainSpec> SpecOfXlImage(const OpContext& ctx,
                                                              absl::string_view config_json) = 0;

  // Every domain the hypervisor has, dom0 included, in domid order.
  virtual absl::StatusOr<std::vector<DomainFacts>> ListDomains(const OpContext& ctx) = 0;

  virtual absl::StatusOr<DomainFacts> DescribeDomain(const OpContext& ctx,
                                                     const DomainRef& domain) = 0;

  // Builds and (unless start_paused) unpauses a domain from its spec.
  // RESOURCE_EXHAUSTED if its memory does not fit in free host memory;
  // ALREADY_EXISTS if a domain with the same name or uuid exists.
  virtual absl::StatusOr<DomainFacts> CreateDomain(const OpContext& ctx,
                                                   const CreateDomainRequest& req) = 0;

  // Tears the domain down at once, whatever its state. Returns when the
  // domain no longer exists.
  virtual absl::Status DestroyDomain(const OpContext& ctx, const DomainRef& domain) = 0;

  // Asks the guest to power off or reboot, and returns without waiting: the
  // guest acts in its own time (a kShutdown event follows) or never.
  // FAILED_PRECONDITION unless the domain is running.
  virtual absl::Status ShutdownDomain(const OpContext& ctx, const ShutdownDomainRequest& req) = 0;

  // FAILED_PRECONDITION unless running / paused respectively.
  virtual absl::Status PauseDomain(const OpContext& ctx, const DomainRef& domain) = 0;
  virtual absl::Status UnpauseDomain(const OpContext& ctx, const DomainRef& domain) = 0;

  // Sets the balloon target of a running or paused guest (xl mem-set) and
  // returns at once: the guest moves toward it in its own time, and
  // DomainFacts.current_memory_kib shows where it stands. FAILED_PRECONDITION
  // above the domain's maximum or for a domain that does not run;
  // RESOURCE_EXHAUSTED where the host cannot supply the rise.
  virtual absl::Status SetMemoryTarget(const OpContext& ctx, const DomainRef& domain,
                                       int64_t target_kib) = 0;
  // Sets the most memory the guest may balloon up to (xl mem-max);
  // FAILED_PRECONDITION below its current target.
  virtual absl::Status SetMaxMemory(const OpContext& ctx, const DomainRef& domain,
                                    int64_t max_kib) = 0;
  // Brings vCPUs online or offline so that `vcpus` are online (xl
  // vcpu-set); FAILED_PRECONDITION outside 1..max_vcpus.
  virtual absl::Status SetOnlineVcpus(const OpContext& ctx, const DomainRef& domain,
                                      int32_t vcpus) = 0;

  // The devices of a domain (xl block-list, network-list, pci-list), disks
  // first, then interfaces, then PCI devices, each in devid order.
  virtual absl::StatusOr<std::vector<DeviceFacts>> ListDevices(const OpContext& ctx,
                                                               const DomainRef& domain) = 0;
  // Hot-plugs a device into a running or paused domain and returns it as
  // attached (its devid; an interface's MAC). FAILED_PRECONDITION for a
  // domain that does not run, a device the guest's type cannot take, a PCI
  // device that is not assignable or is in use; ALREADY_EXISTS for a vdev,
  // MAC or BDF the domain already has; INVALID_ARGUMENT for a device the
  // backend cannot read.
  virtual absl::StatusOr<DeviceFacts> AttachDevice(const OpContext& ctx, const DomainRef& domain,
                                                   const AttachDeviceRequest& req) = 0;
  // See DetachDeviceRequest. NOT_FOUND (naming the device) for a device the
  // domain does not have.
  virtual absl::Status DetachDevice(const OpContext& ctx, const DomainRef& domain,
                                    const DetachDeviceRequest& req) = 0;
  // The host's PCI devices that can be passed through, in BDF order.
  virtual absl::StatusOr<std::vector<AssignablePci>> ListAssignablePci(const OpContext& ctx) = 0;

  // The definition of a domain as the hypervisor holds it: what adopting a
  // domain created beside xeniad (e.g. with xl) starts from. Fields the
  // backend cannot recover are left unset. NOT_FOUND as for the other calls.
  virtual absl::StatusOr<xenia::v1::DomainSpec> RetrieveDomainSpec(const OpContext& ctx,
                                                                   const DomainRef& domain) = 0;

  // Whether the domain carries the mark of CreateDomainRequest.made_by_xeniad.
  // NOT_FOUND as for the other calls.
  virtual absl::StatusOr<bool> MadeByXeniad(const OpContext& ctx, const DomainRef& domain) = 0;

  // Writes the domain's state to req.sink. The domain must be running or
  // paused (FAILED_PRECONDITION otherwise). On any failure (the sink's,
  // cancellation, the deadline) the domain is left as it was before.
  // UNIMPLEMENTED where the backend cannot save.
  virtual absl::StatusOr<SaveDomainResult> SaveDomain(const OpContext& ctx,
                                                      const SaveDomainRequest& req) = 0;

  // Lets a domain that a save left shut down for suspend run again, as if
  // the save had not happened (libxl_domain_resume with suspend_cancel).
  // FAILED_PRECONDITION unless it is shut down for suspend.
  virtual absl::Status ResumeDomain(const OpContext& ctx, const DomainRef& domain) = 0;

  // Builds a domain from a stream. ALREADY_EXISTS / RESOURCE_EXHAUSTED as
  // for CreateDomain; the stream's errors as StreamReader gives them
  // (DATA_LOSS for a damaged one) or DATA_LOSS when its memory fails
  // verification; INVALID_ARGUMENT when it was written by another backend.
  // The image is read to its end.
  virtual absl::StatusOr<RestoredDomain> RestoreDomain(const OpContext& ctx,
                                                       const RestoreDomainRequest& req) = 0;

  // Registers the one handler for DomainEvents (not owned; must outlive the
  // Hypervisor). Events that happened before the call (e.g. while the daemon
  // was down) are not replayed: the caller reconciles with ListDomains.
  virtual void Watch(DomainEventHandler* handler) = 0;
};

}  // namespace xenia::hv
