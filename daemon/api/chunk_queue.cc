#include "daemon/api/chunk_queue.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace xenia {

void ChunkQueue::Push(std::string chunk) {
  if (chunk.empty()) return;
  queued_ += chunk.size();
  chunks_.push_back(std::move(chunk));
}

size_t ChunkQueue::Pop(char* buffer, size_t max) {
  if (chunks_.empty()) return 0;
  const std::string& front = chunks_.front();
  const size_t n = std::min(max, front.size() - front_offset_);
  std::memcpy(buffer, front.data() + front_offset_, n);
  front_offset_ += n;
  queued_ -= n;
  if (front_offset_ == front.size()) {
    chunks_.pop_front();
    front_offset_ = 0;
  }
  return n;
}

}  // namespace xenia
