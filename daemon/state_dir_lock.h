// StateDirLock: makes sure one xeniad at a time uses a state directory. Holds
// an exclusive flock on <state_dir>/xeniad.lock (which also records the
// holder's pid) for the life of the object; the kernel drops it when the
// process dies, however it dies.
//
// Thread-safe: immutable after Acquire.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace xenia {

class StateDirLock {
 public:
  // Creates the directory (mode 0700) if missing and takes the lock.
  // FAILED_PRECONDITION naming the directory and the holder's pid if another
  // process holds it.
  static absl::StatusOr<std::unique_ptr<StateDirLock>> Acquire(const std::string& state_dir);
  ~StateDirLock();

 private:
  explicit StateDirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace xenia
