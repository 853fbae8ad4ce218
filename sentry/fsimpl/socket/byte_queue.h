// ByteQueue: the bytes queued in one direction of a stream connection (the
// receive queue of a loopback TCP socket).
//
// Bytes live in chunks. A push first fills the free room of the last chunk,
// then appends chunks sized for what is left: full-size chunks (kBlockSize)
// for bulk data, smaller ones (rounded up to kSmallRound) for the tail of a
// push, so that a connection holding a few unread bytes does not pin a whole
// block. Full-size chunks that are emptied go to a sentry-wide pool (at most
// kPoolMax bytes) and are reused by the next push of any queue.
//
// Why: a bulk transfer pushes and pops megabytes per second; allocating a
// fresh buffer per write(2) made glibc map, fault in (zeroed) and unmap
// every 256 KiB write's pages, which cost more than the copies themselves.
// Chunks are allocated uninitialized (never zeroed) and recycled.
//
// Not thread-safe: callers serialize (the kernel lock). The pool has its
// own lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>

#include "sentry/vfs/types.h"

namespace bulwark::fsimpl::socket {

class ByteQueue {
 public:
  static constexpr size_t kBlockSize = 64 * 1024;
  static constexpr size_t kSmallRound = 512;
  static constexpr size_t kPoolMax = 4 << 20;

  ByteQueue() = default;
  ByteQueue(const ByteQueue&) = delete;
  ByteQueue& operator=(const ByteQueue&) = delete;
  ~ByteQueue() { Clear(); }

  size_t size() const { return bytes_; }
  bool empty() const { return bytes_ == 0; }
  // Appends the first `n` bytes of `src` (n <= TotalLength(src)).
  void Push(vfs::IoVecs src, size_t n);
  // Copies up to TotalLength(dst) bytes starting `skip` bytes in; removes
  // them unless `peek` (skip must be 0 then). Returns the bytes copied.
  size_t Pop(vfs::IoVecs dst, size_t skip, bool peek);
  void Clear();

  // Test hooks: chunks held by this queue, and full-size chunks in the pool.
  size_t chunk_count() const { return chunks_.size(); }
  static size_t PooledBlocks();

 private:
  struct Chunk {
    std::unique_ptr<uint8_t[]> data;
    size_t cap = 0;
    size_t len = 0;  // bytes written; the first chunk's live bytes start at head_
  };
  static Chunk NewChunk(size_t want);
  static void Release(Chunk c);
  void PopFront();

  std::deque<Chunk> chunks_;
  size_t head_ = 0;  // bytes of chunks_.front() already read
  size_t bytes_ = 0;
};

}  // namespace bulwark::fsimpl::socket
