#include "daemon/hypervisor/libxl/image_pipe.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "daemon/stream/fast_xxhash.h"

namespace xenia::hv {
namespace {

constexpr size_t kChunk = 1 << 20;
// How often a copy waiting on the pipe asks whether it should stop.
constexpr int kPollMs = 200;
// How often a save's copy reports the bytes it has taken.
constexpr int64_t kProgressBytes = int64_t{16} << 20;

absl::StatusOr<std::pair<int, int>> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("creating a pipe for libxl: ", strerror(errno)));
  }
  // A larger pipe means fewer wake-ups; the default (64 KiB) is fine too.
  (void)fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
  return std::make_pair(fds[0], fds[1]);
}

std::string DigestOf(XXH3_state_s* hash) {
  const XXH128_hash_t d = XXH3_128bits_digest(hash);
  return absl::StrFormat("xxh3-128:%016x%016x", d.high64, d.low64);
}

// Waits until `fd` is ready for `events` or `stop` says to give up.
bool WaitReady(int fd, short events, const StopCheck& stop) {
  while (true) {
    if (stop && stop()) return false;
    pollfd p{fd, events, 0};
    const int rc = poll(&p, 1, kPollMs);
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR) return true;  // let the read or write report it
  }
}

}  // namespace

// ---------------------------------------------------------------- SegmentDigests

SegmentDigests::SegmentDigests() : hash_(XXH3_createState()) { XXH3_64bits_reset(hash_); }

SegmentDigests::~SegmentDigests() { XXH3_freeState(hash_); }

void SegmentDigests::Update(const char* data, size_t n) {
  while (n > 0) {
    const size_t take = static_cast<size_t>(std::min<int64_t>(kSegmentBytes - fill_, n));
    XXH3_64bits_update(hash_, data, take);
    fill_ += static_cast<int64_t>(take);
    data += take;
    n -= take;
    if (fill_ == kSegmentBytes) {
      done_.push_back(absl::StrFormat("%016x", XXH3_64bits_digest(hash_)));
      XXH3_64bits_reset(hash_);
      fill_ = 0;
    }
  }
}

std::string SegmentDigests::Summary() const {
  std::string out = absl::StrJoin(done_, " ");
  if (fill_ > 0) {
    absl::StrAppend(&out, out.empty() ? "" : " ",
                    absl::StrFormat("%016x", XXH3_64bits_digest(hash_)));
  }
  return out;
}

// ---------------------------------------------------------------- PipeToSink

absl::StatusOr<std::unique_ptr<PipeToSink>> PipeToSink::Start(stream::ByteSink& sink,
                                                              std::string prefix, StopCheck stop,
                                                              ByteProgress progress) {
  absl::StatusOr<std::pair<int, int>> fds = MakePipe();
  if (!fds.ok()) return fds.status();
  std::unique_ptr<PipeToSink> pipe(
      new PipeToSink(sink, fds->first, fds->second, std::move(stop), std::move(progress)));
  pipe->thread_ = std::thread(
      [p = pipe.get(), prefix = std::move(prefix)]() mutable { p->Copy(std::move(prefix)); });
  return pipe;
}

PipeToSink::PipeToSink(stream::ByteSink& sink, int read_fd, int write_fd, StopCheck stop,
                       ByteProgress progress)
    : sink_(sink),
      read_fd_(read_fd),
      write_fd_(write_fd),
      stop_(std::move(stop)),
      progress_(std::move(progress)),
      hash_(XXH3_createState()) {
  XXH3_128bits_reset(hash_);
}

PipeToSink::~PipeToSink() {
  if (thread_.joinable()) (void)Finish();
  XXH3_freeState(hash_);
}

void PipeToSink::Copy(std::string prefix) {
  auto fail = [this](absl::Status why) {
    status_ = std::move(why);
    // libxl's writes now fail (EPIPE) instead of blocking on a full pipe.
    close(read_fd_);
  };
  XXH3_128bits_update(hash_, prefix.data(), prefix.size());
  segments_.Update(prefix.data(), prefix.size());
  if (absl::Status s = sink_.Write(prefix); !s.ok()) return fail(s);
  bytes_ += static_cast<int64_t>(prefix.size());
  std::vector<char> buffer(kChunk);
  int64_t reported = 0;
  while (true) {
    if (progress_ && bytes_ - reported >= kProgressBytes) {
      reported = bytes_;
      progress_(reported);
    }
    if (!WaitReady(read_fd_, POLLIN, stop_)) {
      return fail(absl::CancelledError("stopped while libxl was writing the image"));
    }
    const ssize_t n = read(read_fd_, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(absl::InternalError(absl::StrCat("reading libxl's stream: ", strerror(errno))));
    }
    if (n == 0) break;  // libxl is done and the write end is closed
    const absl::string_view data(buffer.data(), static_cast<size_t>(n));
    XXH3_128bits_update(hash_, data.data(), data.size());
    segments_.Update(data.data(), data.size());
    if (absl::Status s = sink_.Write(data); !s.ok()) return fail(s);
    bytes_ += n;
  }
  if (absl::Status s = sink_.Flush(); !s.ok()) return fail(s);
  close(read_fd_);
}

absl::Status PipeToSink::Finish() {
  if (write_fd_ >= 0) {
    close(write_fd_);
    write_fd_ = -1;
  }
  if (thread_.joinable()) thread_.join();
  return status_;
}

std::string PipeToSink::digest() const { return DigestOf(hash_); }

// ---------------------------------------------------------------- SourceToPipe

absl::StatusOr<std::unique_ptr<SourceToPipe>> SourceToPipe::Start(stream::ByteSource& source,
                                                                  absl::string_view hashed_prefix,
                                                                  StopCheck stop) {
  absl::StatusOr<std::pair<int, int>> fds = MakePipe();
  if (!fds.ok()) return fds.status();
  std::unique_ptr<SourceToPipe> pipe(
      new SourceToPipe(source, fds->first, fds->second, std::move(stop)));
  XXH3_128bits_update(pipe->hash_, hashed_prefix.data(), hashed_prefix.size());
  pipe->segments_.Update(hashed_prefix.data(), hashed_prefix.size());
  pipe->bytes_ = static_cast<int64_t>(hashed_prefix.size());
  pipe->thread_ = std::thread([p = pipe.get()] { p->Copy(); });
  return pipe;
}

SourceToPipe::SourceToPipe(stream::ByteSource& source, int read_fd, int write_fd, StopCheck stop)
    : source_(source),
      read_fd_(read_fd),
      write_fd_(write_fd),
      stop_(std::move(stop)),
      hash_(XXH3_createState()) {
  XXH3_128bits_reset(hash_);
}

SourceToPipe::~SourceToPipe() {
  if (thread_.joinable()) (void)Finish(false);
  XXH3_freeState(hash_);
}

void SourceToPipe::Copy() {
  std::vector<char> buffer(kChunk);
  bool libxl_reading = true;
  while (!abandoned_.load()) {
    if (stop_ && stop_()) {
      status_ = absl::CancelledError("stopped while libxl was reading the image");
      break;
    }
    absl::StatusOr<size_t> n = source_.Read(buffer.data(), buffer.size());
    if (!n.ok()) {
      status_ = n.status();
      break;
    }
    if (*n == 0) break;
    XXH3_128bits_update(hash_, buffer.data(), *n);
    segments_.Update(buffer.data(), *n);
    bytes_ += static_cast<int64_t>(*n);
    size_t done = 0;
    while (libxl_reading && done < *n) {
      const bool ready =
          WaitReady(write_fd_, POLLOUT, [this] { return finishing_.load() || (stop_ && stop_()); });
      if (finishing_.load()) {
        libxl_reading = false;  // libxl has returned; what is left only counts
        break;
      }
      if (!ready) break;  // stopped: the loop above reports it
      const ssize_t w = write(write_fd_, buffer.data() + done, *n - done);
      if (w < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        libxl_reading = false;  // EPIPE: libxl has stopped reading
        break;
      }
      done += static_cast<size_t>(w);
    }
  }
  // libxl sees the end of the stream.
  close(write_fd_);
}

absl::Status SourceToPipe::Finish(bool read_rest) {
  if (!read_rest) abandoned_ = true;
  finishing_ = true;
  if (read_fd_ >= 0) {
    close(read_fd_);
    read_fd_ = -1;
  }
  if (thread_.joinable()) thread_.join();
  return status_;
}

std::string SourceToPipe::digest() const { return DigestOf(hash_); }

}  // namespace xenia::hv
