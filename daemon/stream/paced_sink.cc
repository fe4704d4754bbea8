#include "daemon/stream/paced_sink.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace xenia::stream {
namespace {

// Bytes passed on at a time, so that a low rate still lets `stop` be asked
// often.
constexpr size_t kPiece = 64 << 10;

}  // namespace

PacedSink::PacedSink(ByteSink& next, int64_t bytes_per_second, std::function<absl::Status()> stop)
    : next_(next),
      bytes_per_second_(std::max<int64_t>(1, bytes_per_second)),
      stop_(std::move(stop)) {}

absl::Status PacedSink::Write(absl::string_view data) {
  if (started_ == absl::InfinitePast()) started_ = absl::Now();
  while (!data.empty()) {
    const absl::string_view piece = data.substr(0, kPiece);
    // The moment by which the bytes before this piece may have gone.
    const absl::Time due = started_ + absl::Seconds(static_cast<double>(written_) /
                                                    static_cast<double>(bytes_per_second_));
    const absl::Duration wait = due - absl::Now();
    if (wait > absl::ZeroDuration()) {
      if (stop_) {
        if (absl::Status s = stop_(); !s.ok()) return s;
      }
      absl::SleepFor(wait);
    }
    if (absl::Status s = next_.Write(piece); !s.ok()) return s;
    written_ += static_cast<int64_t>(piece.size());
    data.remove_prefix(piece.size());
  }
  return absl::OkStatus();
}

}  // namespace xenia::stream
