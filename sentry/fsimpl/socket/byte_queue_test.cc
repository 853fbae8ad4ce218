#include "sentry/fsimpl/socket/byte_queue.h"

#include <sys/uio.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace bulwark::fsimpl::socket {
namespace {

std::string Pattern(size_t n, size_t seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  return s;
}

void Push(ByteQueue& q, const std::string& s) {
  iovec v{const_cast<char*>(s.data()), s.size()};
  q.Push(vfs::IoVecs(&v, 1), s.size());
}

std::string Pop(ByteQueue& q, size_t n, size_t skip = 0, bool peek = false) {
  std::string out(n, '\0');
  iovec v{out.data(), n};
  out.resize(q.Pop(vfs::IoVecs(&v, 1), skip, peek));
  return out;
}

TEST(ByteQueueTest, SmallPushesShareAChunkAndComeOutInOrder) {
  ByteQueue q;
  Push(q, "hello ");
  Push(q, "world");
  EXPECT_EQ(q.size(), 11u);
  EXPECT_EQ(q.chunk_count(), 1u);  // the second push filled the first chunk's room
  EXPECT_EQ(Pop(q, 3), "hel");
  EXPECT_EQ(Pop(q, 100), "lo world");
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.chunk_count(), 0u);  // nothing is held once drained
}

TEST(ByteQueueTest, BulkDataUsesFullBlocksAndRecyclesThem) {
  ByteQueue q;
  std::string big = Pattern(4 * ByteQueue::kBlockSize + 100, 1);
  Push(q, big);
  EXPECT_EQ(q.size(), big.size());
  // Four full blocks and a small tail chunk.
  EXPECT_EQ(q.chunk_count(), 5u);
  size_t pooled_before = ByteQueue::PooledBlocks();
  EXPECT_EQ(Pop(q, big.size()), big);
  EXPECT_EQ(ByteQueue::PooledBlocks(), pooled_before + 4);
  // The next bulk push takes its blocks from the pool.
  Push(q, Pattern(2 * ByteQueue::kBlockSize, 2));
  EXPECT_EQ(ByteQueue::PooledBlocks(), pooled_before + 2);
  q.Clear();
  EXPECT_EQ(ByteQueue::PooledBlocks(), pooled_before + 4);
}

TEST(ByteQueueTest, PoolIsBounded) {
  std::vector<ByteQueue> queues(3);
  std::string big = Pattern(ByteQueue::kPoolMax, 3);
  for (ByteQueue& q : queues) Push(q, big);
  for (ByteQueue& q : queues) q.Clear();
  EXPECT_EQ(ByteQueue::PooledBlocks(), ByteQueue::kPoolMax / ByteQueue::kBlockSize);
}

TEST(ByteQueueTest, PartialPopsAcrossChunkBoundaries) {
  ByteQueue q;
  std::string data = Pattern(3 * ByteQueue::kBlockSize + 12345, 4);
  Push(q, data.substr(0, 70000));
  Push(q, data.substr(70000));
  std::string got;
  size_t step = 1;
  while (!q.empty()) {
    got += Pop(q, step);
    step = step * 3 + 1;  // odd sizes straddle chunk ends
  }
  EXPECT_EQ(got, data);
}

TEST(ByteQueueTest, PeekWithSkipLeavesTheQueueAlone) {
  ByteQueue q;
  std::string data = Pattern(ByteQueue::kBlockSize + 5000, 5);
  Push(q, data);
  EXPECT_EQ(Pop(q, 10, ByteQueue::kBlockSize - 5, /*peek=*/true),
            data.substr(ByteQueue::kBlockSize - 5, 10));
  EXPECT_EQ(Pop(q, 10, data.size() - 3, /*peek=*/true), data.substr(data.size() - 3));
  EXPECT_EQ(Pop(q, 10, data.size(), /*peek=*/true), "");
  EXPECT_EQ(q.size(), data.size());
  EXPECT_EQ(Pop(q, data.size()), data);
}

TEST(ByteQueueTest, GathersAndScattersIovecs) {
  ByteQueue q;
  std::string a = "abc", b = "", c = "defgh";
  iovec in[3] = {{a.data(), a.size()}, {b.data(), 0}, {c.data(), c.size()}};
  q.Push(vfs::IoVecs(in, 3), 6);  // only the first 6 bytes
  EXPECT_EQ(q.size(), 6u);
  char x[2], y[10];
  iovec out[2] = {{x, sizeof x}, {y, sizeof y}};
  ASSERT_EQ(q.Pop(vfs::IoVecs(out, 2), 0, false), 6u);
  EXPECT_EQ(std::string(x, 2), "ab");
  EXPECT_EQ(std::string(y, 4), "cdef");
}

TEST(ByteQueueTest, InterleavedPushAndPopKeepsOrder) {
  ByteQueue q;
  std::string all, got;
  for (size_t i = 0; i < 40; ++i) {
    std::string s = Pattern(1 + (i * 9973) % (3 * ByteQueue::kBlockSize), i);
    all += s;
    Push(q, s);
    got += Pop(q, (i * 7919) % (2 * ByteQueue::kBlockSize));
  }
  got += Pop(q, q.size());
  EXPECT_EQ(got, all);
  EXPECT_EQ(q.chunk_count(), 0u);
}

}  // namespace
}  // namespace bulwark::fsimpl::socket
