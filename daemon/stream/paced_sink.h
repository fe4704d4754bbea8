// PacedSink: passes bytes on to another ByteSink no faster than a set rate
// (a migration's bandwidth limit), sleeping the writing thread as needed.
// The pace is kept over the whole stream: a burst after a slow stretch may
// catch up to the average, never above it.
//
// Thread-safety: one thread at a time, as ByteSink.
#pragma once

#include <cstdint>
#include <functional>

#include "absl/time/time.h"
#include "daemon/stream/byte_stream.h"

namespace xenia::stream {

class PacedSink final : public ByteSink {
 public:
  // `bytes_per_second` > 0. `stop` (may be empty) is asked between pieces
  // whether to give up waiting; a write then fails with what it returns.
  PacedSink(ByteSink& next, int64_t bytes_per_second, std::function<absl::Status()> stop = nullptr);

  absl::Status Write(absl::string_view data) override;
  absl::Status Flush() override { return next_.Flush(); }

 private:
  ByteSink& next_;
  const int64_t bytes_per_second_;
  const std::function<absl::Status()> stop_;
  absl::Time started_ = absl::InfinitePast();
  int64_t written_ = 0;
};

}  // namespace xenia::stream
