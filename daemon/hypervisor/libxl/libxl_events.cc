#include "daemon/hypervisor/libxl/libxl_events.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/thread_name.h"
#include "daemon/hypervisor/libxl/domain_facts.h"
#include "daemon/hypervisor/libxl/libxl_status.h"

namespace xenia::hv {
namespace {

// poll() slots for libxl's descriptors to start with; grown on demand.
constexpr int kInitialFds = 16;
// After libxl_osevent_beforepoll fails (which it only does when the host is
// badly broken), try again after this long rather than spin.
constexpr int kRetryAfterFailureMs = 1000;

timeval Now() {
  timeval now{};
  gettimeofday(&now, nullptr);
  return now;
}

}  // namespace

absl::StatusOr<std::unique_ptr<LibxlEvents>> LibxlEvents::Start(libxl_ctx* ctx, Logger& logger) {
  const int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) {
    return absl::InternalError(absl::StrCat("cannot create the libxl event thread's eventfd: ",
                                            std::generic_category().message(errno)));
  }
  std::unique_ptr<LibxlEvents> events(new LibxlEvents(ctx, logger, wake_fd));
  libxl_event_register_callbacks(ctx, &events->hooks_, events.get());
  events->thread_ = std::thread([e = events.get()] {
    SetThreadName("xeniad-libxl");
    e->Run();
  });
  return events;
}

LibxlEvents::LibxlEvents(libxl_ctx* ctx, Logger& logger, int wake_fd)
    : ctx_(ctx), logger_(logger), wake_fd_(wake_fd) {
  std::memset(&hooks_, 0, sizeof(hooks_));
  hooks_.event_occurs_mask = (uint64_t{1} << LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN) |
                             (uint64_t{1} << LIBXL_EVENT_TYPE_DOMAIN_DEATH);
  hooks_.event_occurs = &LibxlEvents::OnEvent;
  hooks_.disaster = &LibxlEvents::OnDisaster;
}

LibxlEvents::~LibxlEvents() {
  stopping_.store(true);
  Wake();
  if (thread_.joinable()) thread_.join();
  {
    absl::MutexLock lock(&watches_mu_);
    for (auto& [domid, watch] : watches_) libxl_evdisable_domain_death(ctx_, watch.evgen);
    watches_.clear();
  }
  // With no watch left, nothing can produce our events any more; libxl must
  // not keep a pointer to hooks_ past this object.
  libxl_event_register_callbacks(ctx_, nullptr, nullptr);
  close(wake_fd_);
}

void LibxlEvents::SetHandler(DomainEventHandler* handler) {
  absl::MutexLock lock(&queue_mu_);
  handler_ = handler;
}

void LibxlEvents::Arm(uint32_t domid, absl::string_view uuid) {
  if (domid == 0 || stopping_.load()) return;
  {
    absl::MutexLock lock(&watches_mu_);
    auto it = watches_.find(domid);
    if (it != watches_.end()) {
      if (it->second.uuid == uuid) return;
      // The domid now holds another domain: the old one is gone.
      libxl_evdisable_domain_death(ctx_, it->second.evgen);
      watches_.erase(it);
    }
    DeathWatch watch;
    watch.serial = next_serial_++;
    watch.uuid = std::string(uuid);
    const int rc = libxl_evenable_domain_death(ctx_, domid, watch.serial, &watch.evgen);
    if (rc != 0) {
      logger_.Warn("cannot watch a domain for its shutdown and death",
                   {{"domid", domid}, {"rc", rc}, {"error", LibxlErrorName(rc)}});
      return;
    }
    watches_.emplace(domid, std::move(watch));
  }
  // The first watch registers libxl's xenstore watch descriptor; the thread
  // must poll it from now on.
  Wake();
}

void LibxlEvents::ExpectDeath(uint32_t domid) {
  absl::MutexLock lock(&watches_mu_);
  if (auto it = watches_.find(domid); it != watches_.end()) it->second.death_expected = true;
}

void LibxlEvents::UnexpectDeath(uint32_t domid) {
  absl::MutexLock lock(&watches_mu_);
  if (auto it = watches_.find(domid); it != watches_.end()) it->second.death_expected = false;
}

size_t LibxlEvents::ArmedCount() {
  absl::MutexLock lock(&watches_mu_);
  return watches_.size();
}

void LibxlEvents::Wake() {
  const uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the thread wakes anyway.
  if (write(wake_fd_, &one, sizeof(one)) < 0 && errno != EAGAIN) {
    logger_.Error("cannot wake the libxl event thread",
                  {{"error", std::generic_category().message(errno)}});
  }
}

void LibxlEvents::DrainWake() {
  uint64_t count = 0;
  while (read(wake_fd_, &count, sizeof(count)) > 0) {
  }
}

// Runs on whichever thread libxl happens to process the event on, after
// libxl has dropped its own lock: queue and wake, nothing more.
void LibxlEvents::OnEvent(void* user, libxl_event* event) {
  auto* self = static_cast<LibxlEvents*>(user);
  Raw raw{event->type, event->domid, event->for_user,
          event->type == LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN
              ? static_cast<int>(event->u.domain_shutdown.shutdown_reason)
              : 0};
  {
    absl::MutexLock lock(&self->queue_mu_);
    self->queue_.push_back(raw);
    if (raw.type == LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN &&
        raw.shutdown_reason == LIBXL_SHUTDOWN_REASON_SUSPEND) {
      self->suspended_at_[raw.domid] = absl::Now();
    }
  }
  // The event is ours to free (libxl_event.h).
  libxl_event_free(self->ctx_, event);
  self->Wake();
}

// libxl may call no libxl function from here: log only.
absl::Time LibxlEvents::SuspendedAt(uint32_t domid) {
  absl::MutexLock lock(&queue_mu_);
  auto it = suspended_at_.find(domid);
  return it == suspended_at_.end() ? absl::InfinitePast() : it->second;
}

void LibxlEvents::OnDisaster(void* user, libxl_event_type type, const char* msg, int errnoval) {
  auto* self = static_cast<LibxlEvents*>(user);
  self->logger_.Error(
      "libxl lost events: domain shutdowns and deaths may go unreported until the next "
      "reconciliation",
      {{"event_type", static_cast<int>(type)},
       {"what", msg != nullptr ? msg : ""},
       {"error", errnoval > 0 ? std::generic_category().message(errnoval) : std::string()}});
}

void LibxlEvents::Run() {
  logger_.Debug("libxl event thread started");
  // fds[0] is our eventfd; libxl's descriptors follow.
  std::vector<pollfd> fds(kInitialFds + 1);
  while (!stopping_.load()) {
    int nfds = static_cast<int>(fds.size()) - 1;
    int timeout_ms = -1;
    const int rc = libxl_osevent_beforepoll(ctx_, &nfds, fds.data() + 1, &timeout_ms, Now());
    if (rc == ERROR_BUFFERFULL) {
      fds.resize(static_cast<size_t>(nfds) + 1);
      continue;
    }
    if (rc != 0) {
      logger_.Error("libxl_osevent_beforepoll failed", {{"rc", rc}, {"error", LibxlErrorName(rc)}});
      nfds = 0;
      timeout_ms = kRetryAfterFailureMs;
    }
    fds[0] = pollfd{wake_fd_, POLLIN, 0};
    if (poll(fds.data(), static_cast<nfds_t>(nfds) + 1, timeout_ms) < 0 && errno != EINTR) {
      logger_.Error("poll failed in the libxl event thread",
                    {{"error", std::generic_category().message(errno)}});
    }
    // Also after a failed poll: afterpoll then only runs the due timeouts.
    if (rc == 0) libxl_osevent_afterpoll(ctx_, nfds, fds.data() + 1, Now());
    if ((fds[0].revents & POLLIN) != 0) DrainWake();
    DeliverQueued();
  }
  logger_.Debug("libxl event thread stopped");
}

void LibxlEvents::DeliverQueued() {
  std::deque<Raw> batch;
  DomainEventHandler* handler = nullptr;
  {
    absl::MutexLock lock(&queue_mu_);
    batch.swap(queue_);
    handler = handler_;
  }
  for (const Raw& raw : batch) {
    std::string uuid;
    bool expected = false;
    {
      absl::MutexLock lock(&watches_mu_);
      auto it = watches_.find(raw.domid);
      if (it == watches_.end() || it->second.serial != raw.serial) {
        // From a watch already replaced or disarmed: about a domain gone.
        continue;
      }
      uuid = it->second.uuid;
      if (raw.type == LIBXL_EVENT_TYPE_DOMAIN_DEATH) {
        expected = it->second.death_expected;
        libxl_evdisable_domain_death(ctx_, it->second.evgen);
        watches_.erase(it);
      }
    }
    libxl_event event;
    libxl_event_init(&event);
    event.type = raw.type;
    event.domid = raw.domid;
    event.u.domain_shutdown.shutdown_reason = static_cast<uint8_t>(raw.shutdown_reason);
    std::optional<DomainEvent> translated = DomainEventFromLibxl(event, uuid);
    if (!translated.has_value() || expected) continue;
    logger_.Info(translated->kind == DomainEvent::Kind::kDeath ? "domain died" : "domain shut down",
                 {{"domid", translated->domid},
                  {"uuid", translated->uuid},
                  {"reason", ShutdownReasonName(translated->reason)}});
    if (handler != nullptr) handler->OnDomainEvent(*translated);
  }
}

}  // namespace xenia::hv
