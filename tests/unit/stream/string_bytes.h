// StringSink and StringSource: a ByteSink that keeps what it is given in a
// string, and a ByteSource that hands a string out in pieces of a given size,
// as a pipe would. For tests of streams.
//
// Thread-safety: one thread at a time.
#pragma once

#include <algorithm>
#include <string>

#include "daemon/stream/byte_stream.h"

namespace xenia::stream::testing {

class StringSink : public ByteSink {
 public:
  absl::Status Write(absl::string_view data) override {
    bytes.append(data.data(), data.size());
    return absl::OkStatus();
  }
  absl::Status Flush() override { return absl::OkStatus(); }
  std::string bytes;
};

class StringSource : public ByteSource {
 public:
  StringSource(std::string bytes, size_t chunk) : bytes_(std::move(bytes)), chunk_(chunk) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t max) override {
    size_t n = std::min({max, chunk_, bytes_.size() - pos_});
    bytes_.copy(buffer, n, pos_);
    pos_ += n;
    return n;
  }

 private:
  std::string bytes_;
  size_t chunk_;
  size_t pos_ = 0;
};

}  // namespace xenia::stream::testing
