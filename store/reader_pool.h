// ReaderPool: the store's read connections, lent to one caller at a time.
//
// Why a pool of connections rather than one shared handle: in WAL mode every
// connection reads its own consistent snapshot without taking the write lock,
// so reads never wait behind the writer's transaction or its fsync, and
// separate connections let readers on different threads run in parallel
// (one shared FULLMUTEX handle would serialize them). A connection itself is
// not thread-safe, so a caller holds one for the length of one query.
//
// Connections are opened on demand, up to `max_connections`; past that a
// caller waits for one to come back. Reads are short and CPU-bound (the hot
// pages sit in each connection's cache), so a few connections per core are
// plenty. Idle connections stay open with their prepared statements.
//
// Thread-safe: any thread may Acquire. Every Lease must be returned (by
// destroying it) before the pool is destroyed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "store/sqlite_connection.h"

namespace xenia::store {

class ReaderPool {
 public:
  // A connection on loan; goes back to the pool when destroyed. Movable.
  class Lease {
   public:
    Lease(ReaderPool* pool, std::unique_ptr<Connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();

    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }

   private:
    ReaderPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  ReaderPool(std::string path, int busy_timeout_ms, int max_connections);
  ~ReaderPool();
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  // An idle connection, a new one, or (at the maximum) the next one returned.
  absl::StatusOr<Lease> Acquire();

 private:
  void Return(std::unique_ptr<Connection> connection);
  bool CanAcquire() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !idle_.empty() || open_ < max_connections_;
  }

  const std::string path_;
  const int busy_timeout_ms_;
  const int max_connections_;

  absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  // Connections in existence, idle or lent (or being opened).
  int open_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace xenia::store
