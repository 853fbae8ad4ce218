#include "sentry/fsimpl/pipe.h"

#include <poll.h>

#include <algorithm>
#include <cstring>

namespace bulwark::fsimpl {

Pipe::Pipe(size_t capacity) : capacity_(capacity) {}

SysResult<size_t> Pipe::Read(vfs::IoVecs dst) {
  size_t want = vfs::TotalLength(dst);
  if (want == 0) return 0;
  if (size_ == 0) {
    if (writers_ == 0) return 0;
    return Err(Errno::kEAGAIN);
  }
  size_t done = 0;
  for (const iovec& v : dst) {
    size_t off = 0;
    while (off < v.iov_len && size_ > 0) {
      size_t chunk = std::min({v.iov_len - off, size_, capacity_ - head_});
      memcpy(static_cast<uint8_t*>(v.iov_base) + off, buf_.data() + head_, chunk);
      head_ = (head_ + chunk) % capacity_;
      size_ -= chunk;
      off += chunk;
      done += chunk;
    }
    if (size_ == 0) break;
  }
  if (size_ == 0) head_ = 0;
  stat_.atime = vfs::Now();
  queue_.Notify(POLLOUT | POLLWRNORM);
  return done;
}

size_t Pipe::Peek(void* dst, size_t len) const {
  size_t n = std::min(len, size_);
  size_t first = std::min(n, capacity_ - head_);
  if (n == 0) return 0;
  memcpy(dst, buf_.data() + head_, first);
  memcpy(static_cast<uint8_t*>(dst) + first, buf_.data(), n - first);
  return n;
}

SysResult<size_t> Pipe::Write(vfs::IoVecs src) {
  size_t want = vfs::TotalLength(src);
  if (want == 0) return 0;  // even without readers, as pipe_write() does
  if (readers_ == 0) return Err(Errno::kEPIPE);
  size_t room = capacity_ - size_;
  if (room == 0 || (want <= kPipeBuf && room < want)) return Err(Errno::kEAGAIN);
  if (buf_.size() != capacity_) buf_.resize(capacity_);
  size_t done = 0;
  for (const iovec& v : src) {
    size_t off = 0;
    while (off < v.iov_len && size_ < capacity_) {
      size_t tail = (head_ + size_) % capacity_;
      size_t contiguous = tail >= head_ ? capacity_ - tail : head_ - tail;
      size_t chunk = std::min({v.iov_len - off, capacity_ - size_, contiguous});
      memcpy(buf_.data() + tail, static_cast<const uint8_t*>(v.iov_base) + off, chunk);
      size_ += chunk;
      off += chunk;
      done += chunk;
    }
    if (size_ == capacity_) break;
  }
  stat_.mtime = stat_.ctime = vfs::Now();
  queue_.Notify(POLLIN | POLLRDNORM);
  return done;
}

void Pipe::Resize(size_t capacity) {
  std::vector<uint8_t> buf;
  if (size_ > 0) {
    buf.resize(capacity);
    for (size_t i = 0; i < size_; ++i) buf[i] = buf_[(head_ + i) % capacity_];
  }
  buf_ = std::move(buf);
  head_ = 0;
  capacity_ = capacity;
}

// pipe_set_size() and round_pipe_size().
SysResult<size_t> Pipe::SetCapacity(uint64_t requested, bool privileged) {
  if (requested > (uint64_t{1} << 31)) return Err(Errno::kEINVAL);
  size_t size = 4096;
  while (size < requested) size <<= 1;
  if (size > capacity_ && size > kPipeMaxSize && !privileged) return Err(Errno::kEPERM);
  if (size_ > size) return Err(Errno::kEBUSY);
  Resize(size);
  // More room may let blocked writers continue.
  queue_.Notify(POLLOUT | POLLWRNORM);
  return size;
}

uint32_t Pipe::ReadEvents(uint64_t seen_writers) const {
  uint32_t ev = 0;
  if (size_ > 0) ev |= POLLIN | POLLRDNORM;
  if (writers_ == 0 && seen_writers != writer_opens_) ev |= POLLHUP;
  return ev;
}

uint32_t Pipe::WriteEvents() const {
  uint32_t ev = 0;
  if (capacity_ - size_ >= std::min(kPipeBuf, capacity_)) ev |= POLLOUT | POLLWRNORM;
  if (readers_ == 0) ev |= POLLERR;
  return ev;
}

void Pipe::AddEnds(bool reader, bool writer) {
  if (reader) {
    ++readers_;
    ++reader_opens_;
  }
  if (writer) {
    ++writers_;
    ++writer_opens_;
  }
  // Wakes FIFO opens waiting for a partner (OpenFifo waits for any event).
  if (reader || writer) queue_.Notify(0);
}

void Pipe::RemoveEnds(bool reader, bool writer) {
  uint32_t ev = 0;
  if (reader && --readers_ == 0) ev |= POLLERR | POLLOUT | POLLWRNORM;
  if (writer && --writers_ == 0) ev |= POLLHUP | POLLIN | POLLRDNORM;
  if (ev) queue_.Notify(ev);
}

}  // namespace bulwark::fsimpl
