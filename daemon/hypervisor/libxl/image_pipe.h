// ImagePipes: carry an image between libxl, which reads and writes save
// streams through a file descriptor (and hands it to its save helper
// process), and xeniad's ByteSinks and ByteSources (an image file, a
// client's stream, the migration channel). Each is a pipe and a thread that
// copies between the pipe and the sink or source, counting the bytes and
// hashing them (XXH3-128, the digest xeniad records for an image).
//
// A copy that must stop (the operation was cancelled, or the sink failed)
// closes its end of the pipe, so that libxl's own I/O fails at once and the
// libxl call returns rather than waiting on a pipe nobody serves.
//
// Thread-safety: the libxl call runs on the caller's thread; the copy runs
// on the object's own. Start, the fd accessors and Finish are for the
// caller's thread only.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/stream/byte_stream.h"

struct XXH3_state_s;

namespace xenia::hv {

// The digests of an image's consecutive 4 MiB segments (counted from its
// first byte, xl's header included), 16 hex digits each: when a migration's
// two ends disagree on the whole image's digest, comparing these in both
// logs says where the bytes differ.
class SegmentDigests {
 public:
  static constexpr int64_t kSegmentBytes = int64_t{4} << 20;
  SegmentDigests();
  ~SegmentDigests();
  SegmentDigests(const SegmentDigests&) = delete;
  SegmentDigests& operator=(const SegmentDigests&) = delete;

  void Update(const char* data, size_t n);
  // The digests so far, the last (partial) segment's included; space-separated.
  std::string Summary() const;

 private:
  XXH3_state_s* hash_;
  int64_t fill_ = 0;
  std::vector<std::string> done_;
};

// Whether the copy should stop (cancellation, a deadline); polled a few
// times a second.
using StopCheck = std::function<bool()>;
// Told the bytes copied so far, every few MiB, on the copy's thread (while
// the caller's thread waits in libxl); may be empty.
using ByteProgress = std::function<void(int64_t bytes)>;

// libxl writes (libxl_domain_suspend); the copy takes the bytes to `sink`.
class PipeToSink {
 public:
  // Writes `prefix` (xl's header) to the sink first. `sink` is borrowed.
  static absl::StatusOr<std::unique_ptr<PipeToSink>> Start(stream::ByteSink& sink,
                                                           std::string prefix, StopCheck stop,
                                                           ByteProgress progress = nullptr);
  ~PipeToSink();
  PipeToSink(const PipeToSink&) = delete;
  PipeToSink& operator=(const PipeToSink&) = delete;

  // The end to give libxl; it stays ours to close (Finish does).
  int write_fd() const { return write_fd_; }
  // After libxl has returned: closes the write end, lets the copy take
  // what is left, and flushes the sink. The sink's error, CANCELLED if the
  // copy was stopped, or OK.
  absl::Status Finish();
  int64_t bytes() const { return bytes_.load(); }
  // "xxh3-128:" and 32 hex digits, after Finish.
  std::string digest() const;
  const SegmentDigests& segments() const { return segments_; }

 private:
  PipeToSink(stream::ByteSink& sink, int read_fd, int write_fd, StopCheck stop,
             ByteProgress progress);
  void Copy(std::string prefix);

  stream::ByteSink& sink_;
  const int read_fd_;
  int write_fd_;
  StopCheck stop_;
  ByteProgress progress_;
  XXH3_state_s* hash_;
  SegmentDigests segments_;  // the copy's, read after the join
  std::atomic<int64_t> bytes_{0};
  absl::Status status_;  // written by the copy, read after the join
  std::thread thread_;
};

// libxl reads (libxl_domain_create_restore); the copy feeds it from
// `source`.
class SourceToPipe {
 public:
  // `source` is borrowed, positioned where libxl's stream begins;
  // `hashed_prefix` (xl's header, which the caller read) counts in the
  // digest and the byte count but is not given to libxl.
  static absl::StatusOr<std::unique_ptr<SourceToPipe>> Start(stream::ByteSource& source,
                                                             absl::string_view hashed_prefix,
                                                             StopCheck stop);
  ~SourceToPipe();
  SourceToPipe(const SourceToPipe&) = delete;
  SourceToPipe& operator=(const SourceToPipe&) = delete;

  int read_fd() const { return read_fd_; }
  // After libxl has returned: closes the read end and, with `read_rest`,
  // lets the copy read the source to its end (so that the digest covers
  // every byte); without, stops it. The source's error, CANCELLED if the
  // copy was stopped, or OK.
  absl::Status Finish(bool read_rest);
  int64_t bytes() const { return bytes_.load(); }
  std::string digest() const;
  const SegmentDigests& segments() const { return segments_; }

 private:
  SourceToPipe(stream::ByteSource& source, int read_fd, int write_fd, StopCheck stop);
  void Copy();

  stream::ByteSource& source_;
  int read_fd_;
  const int write_fd_;
  StopCheck stop_;
  XXH3_state_s* hash_;
  SegmentDigests segments_;  // the copy's, read after the join
  std::atomic<int64_t> bytes_{0};
  std::atomic<bool> finishing_{false};
  std::atomic<bool> abandoned_{false};
  absl::Status status_;
  std::thread thread_;
};

}  // namespace xenia::hv
