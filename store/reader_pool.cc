#include "store/reader_pool.h"

#include <utility>

namespace xenia::store {

ReaderPool::Lease::~Lease() {
  if (connection_ != nullptr) pool_->Return(std::move(connection_));
}

ReaderPool::ReaderPool(std::string path, int busy_timeout_ms, int max_connections)
    : path_(std::move(path)),
      busy_timeout_ms_(busy_timeout_ms),
      max_connections_(max_connections < 1 ? 1 : max_connections) {}

ReaderPool::~ReaderPool() {
  absl::MutexLock lock(&mu_);
  idle_.clear();
}

absl::StatusOr<ReaderPool::Lease> ReaderPool::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &ReaderPool::CanAcquire));
    if (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(connection));
    }
    ++open_;  // Reserves the slot while opening outside the lock.
  }
  absl::StatusOr<std::unique_ptr<Connection>> opened =
      Connection::Open(path_, Connection::Role::kReader, busy_timeout_ms_);
  if (!opened.ok()) {
    absl::MutexLock lock(&mu_);
    --open_;
    return opened.status();
  }
  return Lease(this, *std::move(opened));
}

void ReaderPool::Return(std::unique_ptr<Connection> connection) {
  absl::MutexLock lock(&mu_);
  idle_.push_back(std::move(connection));
}

}  // namespace xenia::store
