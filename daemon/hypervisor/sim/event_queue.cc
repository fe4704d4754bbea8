#include "daemon/hypervisor/sim/event_queue.h"

#include <utility>

namespace xenia::hv {

void EventQueue::SetHandler(DomainEventHandler* handler) {
  absl::MutexLock lock(&mu_);
  handler_ = handler;
}

void EventQueue::Push(DomainEvent event) {
  absl::MutexLock lock(&mu_);
  if (handler_ == nullptr) return;
  queue_.push_back(std::move(event));
}

void EventQueue::Deliver() {
  while (true) {
    // Someone else delivers: they re-check the queue after they stop, so
    // events pushed now are not stranded.
    if (!delivery_mu_.TryLock()) return;
    while (true) {
      DomainEvent event;
      DomainEventHandler* handler;
      {
        absl::MutexLock lock(&mu_);
        if (queue_.empty()) break;
        event = std::move(queue_.front());
        queue_.pop_front();
        handler = handler_;
      }
      if (handler != nullptr) handler->OnDomainEvent(event);
    }
    delivery_mu_.Unlock();
    absl::MutexLock lock(&mu_);
    if (queue_.empty()) return;
  }
}

}  // namespace xenia::hv
