// ChunkQueue: bytes that arrive in chunks (the messages of a streaming call)
// and are read out in whatever sizes the reader asks for, without copying
// them into one buffer first. What a streaming call buffers between gRPC's
// reads and its operation's worker.
//
// Thread-compatible: the owner's lock guards it.
#pragma once

#include <cstddef>
#include <deque>
#include <string>

namespace xenia {

class ChunkQueue {
 public:
  void Push(std::string chunk);
  // Moves up to `max` bytes into `buffer`; returns how many (0 if empty).
  size_t Pop(char* buffer, size_t max);
  // Bytes queued.
  size_t size() const { return queued_; }
  bool empty() const { return queued_ == 0; }

 private:
  std::deque<std::string> chunks_;
  size_t front_offset_ = 0;
  size_t queued_ = 0;
};

}  // namespace xenia
