#include "daemon/stream/file_bytes.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace xenia::stream {
namespace {

// Pieces smaller than this are gathered; the buffer is flushed when full.
constexpr size_t kGatherLimit = 64 * 1024;
constexpr size_t kBufferSize = 1024 * 1024;

absl::Status IoError(const char* what, const std::string& name, int error) {
  absl::StatusCode code = error == ENOSPC || error == EDQUOT ? absl::StatusCode::kResourceExhausted
                                                             : absl::StatusCode::kUnavailable;
  return absl::Status(code, absl::StrCat("cannot ", what, " ", name, ": ", std::strerror(error)));
}

}  // namespace

FileSink::FileSink(int fd, std::string name, bool owns_fd)
    : fd_(fd), name_(std::move(name)), owns_fd_(owns_fd) {
  buffer_.reserve(kBufferSize);
}

FileSink::~FileSink() {
  if (owns_fd_ && fd_ >= 0) close(fd_);
}

absl::Status FileSink::Write(absl::string_view data) {
  if (data.size() >= kGatherLimit) {
    if (absl::Status flushed = Flush(); !flushed.ok()) return flushed;
    return WriteAll(data);
  }
  if (buffer_.size() + data.size() > kBufferSize) {
    if (absl::Status flushed = Flush(); !flushed.ok()) return flushed;
  }
  buffer_.append(data.data(), data.size());
  return absl::OkStatus();
}

absl::Status FileSink::Flush() {
  if (buffer_.empty()) return absl::OkStatus();
  absl::Status written = WriteAll(buffer_);
  buffer_.clear();
  return written;
}

absl::Status FileSink::Sync() {
  if (absl::Status flushed = Flush(); !flushed.ok()) return flushed;
  if (fdatasync(fd_) != 0) return IoError("sync", name_, errno);
  return absl::OkStatus();
}

absl::Status FileSink::WriteAll(absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("write to", name_, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

FileSource::FileSource(int fd, std::string name, bool owns_fd)
    : fd_(fd), name_(std::move(name)), owns_fd_(owns_fd) {
  (void)posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
}

FileSource::~FileSource() {
  if (owns_fd_ && fd_ >= 0) close(fd_);
}

absl::StatusOr<size_t> FileSource::Read(char* buffer, size_t max) {
  // A stream is read once, front to back, while its reader checks what it
  // has: keep the disk busy ahead of it (the kernel's own read-ahead is a
  // few hundred KiB, gone in a fraction of a millisecond at disk speed).
  // Pipes refuse the advice; no matter.
  constexpr int64_t kAhead = int64_t{16} << 20;
  if (offset_ + kAhead / 2 >= advised_to_) {
    (void)posix_fadvise(fd_, advised_to_, kAhead, POSIX_FADV_WILLNEED);
    advised_to_ += kAhead;
  }
  for (;;) {
    ssize_t n = read(fd_, buffer, max);
    if (n >= 0) {
      offset_ += n;
      return static_cast<size_t>(n);
    }
    if (errno != EINTR) return IoError("read", name_, errno);
  }
}

}  // namespace xenia::stream
