#include "cli/fd_io.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

namespace xenia::cli {
namespace {

absl::Status ErrnoStatus(int error) {
  const char* reason = strerror(error);
  if (error == ENOSPC || error == EDQUOT || error == EFBIG) {
    return absl::ResourceExhaustedError(reason);
  }
  return absl::DataLossError(reason);
}

// Blocks SIGPIPE in this thread while alive, so that a write to a pipe
// without a reader fails with EPIPE; the SIGPIPE such a write leaves pending
// is taken before the old mask comes back, so it is never delivered.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~ScopedSigpipeBlock() {
    if (sigismember(&old_, SIGPIPE) == 1) return;  // blocked before: not ours
    if (broken_) {
      const timespec zero{};
      while (sigtimedwait(&pipe_, nullptr, &zero) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

  void NoteBrokenPipe() { broken_ = true; }

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool broken_ = false;
};

}  // namespace

absl::Status WriteAll(int fd, absl::string_view data) {
  ScopedSigpipeBlock block;
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      if (error == EPIPE) block.NoteBrokenPipe();
      return ErrnoStatus(error);
    }
    if (n == 0) return absl::DataLossError("the write made no progress");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> ReadFull(int fd, char* buf, size_t size) {
  size_t have = 0;
  while (have < size) {
    const ssize_t n = read(fd, buf + have, size - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno);
    }
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  return have;
}

}  // namespace xenia::cli
