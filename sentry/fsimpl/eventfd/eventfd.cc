#include "sentry/fsimpl/eventfd/eventfd.h"

#include <poll.h>

#include <cstdio>
#include <cstring>

namespace bulwark::fsimpl {

void CopyToIoVecs(vfs::IoVecs dst, const void* src, size_t len) {
  auto* p = static_cast<const uint8_t*>(src);
  for (const iovec& v : dst) {
    if (len == 0) break;
    size_t n = std::min(len, v.iov_len);
    std::memcpy(v.iov_base, p, n);
    p += n;
    len -= n;
  }
}

void CopyFromIoVecs(void* dst, vfs::IoVecs src, size_t len) {
  auto* p = static_cast<uint8_t*>(dst);
  for (const iovec& v : src) {
    if (len == 0) break;
    size_t n = std::min(len, v.iov_len);
    std::memcpy(p, v.iov_base, n);
    p += n;
    len -= n;
  }
}

SysResult<size_t> EventFdFile::Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) {
  if (vfs::TotalLength(dst) < sizeof(uint64_t)) return Err(Errno::kEINVAL);
  if (count_ == 0) return Err(Errno::kEAGAIN);
  uint64_t v = semaphore_ ? 1 : count_;
  count_ -= v;
  CopyToIoVecs(dst, &v, sizeof(v));
  queue_.Notify(POLLOUT | POLLWRNORM);
  return sizeof(v);
}

SysResult<size_t> EventFdFile::Write(kernel::Task& t, vfs::IoVecs src, uint64_t off) {
  if (vfs::TotalLength(src) < sizeof(uint64_t)) return Err(Errno::kEINVAL);
  uint64_t v;
  CopyFromIoVecs(&v, src, sizeof(v));
  if (v == UINT64_MAX) return Err(Errno::kEINVAL);
  if (kMax - count_ < v) return Err(Errno::kEAGAIN);
  count_ += v;
  // eventfd_write() wakes readers even for a write of 0.
  queue_.Notify(POLLIN | POLLRDNORM);
  return sizeof(v);
}

// eventfd_poll(): POLLERR when the counter is at its overflow value
// (reachable only through eventfd_signal() in Linux).
uint32_t EventFdFile::Readiness(uint32_t mask) {
  uint32_t ev = 0;
  if (count_ > 0) ev |= POLLIN | POLLRDNORM;
  if (count_ == UINT64_MAX) ev |= POLLERR;
  if (count_ < kMax) ev |= POLLOUT | POLLWRNORM;
  return ev & mask;
}

std::string EventFdFile::FdInfo() const {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "eventfd-count: %16llx\n",
                static_cast<unsigned long long>(count_));
  return buf;
}

}  // namespace bulwark::fsimpl
