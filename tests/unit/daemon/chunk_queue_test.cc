// ChunkQueue: chunks in, any sizes out, in order, nothing lost.
#include "daemon/api/chunk_queue.h"

#include <string>

#include "gtest/gtest.h"

namespace xenia {
namespace {

TEST(ChunkQueueTest, ReadsOutInAnySizesInOrder) {
  ChunkQueue q;
  EXPECT_TRUE(q.empty());
  char buf[16];
  EXPECT_EQ(q.Pop(buf, sizeof(buf)), 0u);
  q.Push("hello ");
  q.Push("");
  q.Push("wor");
  q.Push("ld");
  EXPECT_EQ(q.size(), 11u);
  std::string out;
  for (size_t want : {4, 1, 16, 16, 16}) {
    const size_t n = q.Pop(buf, want);
    out.append(buf, n);
  }
  EXPECT_EQ(out, "hello world");
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.size(), 0u);
}

TEST(ChunkQueueTest, APopNeverCrossesAChunk) {
  ChunkQueue q;
  q.Push("abc");
  q.Push("def");
  char buf[8];
  EXPECT_EQ(q.Pop(buf, 8), 3u);
  EXPECT_EQ(std::string(buf, 3), "abc");
  EXPECT_EQ(q.size(), 3u);
}

}  // namespace
}  // namespace xenia
