#include "sentry/fsimpl/socket/byte_queue.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <vector>

namespace bulwark::fsimpl::socket {

namespace {

// Emptied full-size chunks, shared by every queue of the sentry.
struct BlockPool {
  std::mutex mu;
  std::vector<std::unique_ptr<uint8_t[]>> free;
};

BlockPool& Pool() {
  static BlockPool* pool = new BlockPool;  // never destroyed: used until exit
  return *pool;
}

// Walks an iovec array as one byte sequence.
class IovCursor {
 public:
  explicit IovCursor(vfs::IoVecs iov) : iov_(iov) {}
  // The next contiguous piece (at most `max` bytes); empty at the end.
  std::pair<uint8_t*, size_t> Next(size_t max) {
    while (i_ < iov_.size() && off_ == iov_[i_].iov_len) {
      ++i_;
      off_ = 0;
    }
    if (i_ == iov_.size()) return {nullptr, 0};
    size_t n = std::min(iov_[i_].iov_len - off_, max);
    auto* p = static_cast<uint8_t*>(iov_[i_].iov_base) + off_;
    off_ += n;
    return {p, n};
  }

 private:
  vfs::IoVecs iov_;
  size_t i_ = 0;
  size_t off_ = 0;
};

}  // namespace

size_t ByteQueue::PooledBlocks() {
  BlockPool& p = Pool();
  std::lock_guard lock(p.mu);
  return p.free.size();
}

ByteQueue::Chunk ByteQueue::NewChunk(size_t want) {
  Chunk c;
  if (want > kBlockSize / 2) {
    c.cap = kBlockSize;
    BlockPool& p = Pool();
    std::lock_guard lock(p.mu);
    if (!p.free.empty()) {
      c.data = std::move(p.free.back());
      p.free.pop_back();
      return c;
    }
  } else {
    c.cap = (want + kSmallRound - 1) / kSmallRound * kSmallRound;
  }
  // Default-initialized: every byte is written before it is read.
  c.data = std::make_unique_for_overwrite<uint8_t[]>(c.cap);
  return c;
}

void ByteQueue::Release(Chunk c) {
  if (c.cap != kBlockSize) return;
  BlockPool& p = Pool();
  std::lock_guard lock(p.mu);
  if (p.free.size() * kBlockSize < kPoolMax) p.free.push_back(std::move(c.data));
}

void ByteQueue::Push(vfs::IoVecs src, size_t n) {
  IovCursor in(src);
  size_t left = n;
  while (left > 0) {
    if (chunks_.empty() || chunks_.back().len == chunks_.back().cap)
      chunks_.push_back(NewChunk(left));
    Chunk& c = chunks_.back();
    size_t room = std::min(c.cap - c.len, left);
    while (room > 0) {
      auto [p, k] = in.Next(room);
      if (k == 0) {
        // src is shorter than n (a caller bug): keep what it had.
        if (c.len == 0) {
          Release(std::move(c));
          chunks_.pop_back();
        }
        return;
      }
      std::memcpy(c.data.get() + c.len, p, k);
      c.len += k;
      bytes_ += k;
      left -= k;
      room -= k;
    }
  }
}

size_t ByteQueue::Pop(vfs::IoVecs dst, size_t skip, bool peek) {
  IovCursor out(dst);
  size_t copied = 0;
  size_t ci = 0;
  size_t coff = head_ + skip;
  // Find the chunk holding byte `skip`.
  while (ci < chunks_.size() && coff >= chunks_[ci].len) {
    coff -= chunks_[ci].len;
    ++ci;
  }
  while (ci < chunks_.size()) {
    const Chunk& c = chunks_[ci];
    auto [p, k] = out.Next(c.len - coff);
    if (k == 0) break;
    std::memcpy(p, c.data.get() + coff, k);
    copied += k;
    coff += k;
    if (coff == c.len) {
      ++ci;
      coff = 0;
    }
  }
  if (!peek) {
    head_ += copied;
    bytes_ -= copied;
    // Only the last chunk can have free room, so a consumed front chunk is
    // either full or the last one.
    while (!chunks_.empty() && head_ >= chunks_.front().len) {
      head_ -= chunks_.front().len;
      PopFront();
    }
    if (bytes_ == 0) Clear();
  }
  return copied;
}

void ByteQueue::PopFront() {
  Release(std::move(chunks_.front()));
  chunks_.pop_front();
}

void ByteQueue::Clear() {
  while (!chunks_.empty()) PopFront();
  head_ = 0;
  bytes_ = 0;
}

}  // namespace bulwark::fsimpl::socket
