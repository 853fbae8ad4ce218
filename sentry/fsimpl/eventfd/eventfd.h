// eventfd(2): a 64-bit counter file.
#pragma once

#include <cstdint>

#include "sentry/kernel/wait_queue.h"
#include "sentry/vfs/file.h"

namespace bulwark::fsimpl {

// Copies `len` bytes from `src` into the scatter list `dst` (which must
// hold at least `len` bytes), and the reverse. Shared by the anonymous
// files that transfer fixed-size records.
void CopyToIoVecs(vfs::IoVecs dst, const void* src, size_t len);
void CopyFromIoVecs(void* dst, vfs::IoVecs src, size_t len);

// Guarded by the kernel lock.
class EventFdFile : public vfs::FileDescription {
 public:
  static constexpr uint64_t kMax = 0xfffffffffffffffe;

  // `flags`: O_NONBLOCK from EFD_NONBLOCK; `semaphore`: EFD_SEMAPHORE.
  EventFdFile(uint64_t initial, int flags, bool semaphore)
      : vfs::FileDescription(vfs::Path{}, O_RDWR | flags), count_(initial), semaphore_(semaphore) {}

  bool Seekable() const override { return false; }
  // 8 bytes: the counter (then 0), or 1 in semaphore mode (then count-1);
  // EAGAIN at 0; EINVAL for buffers under 8 bytes.
  SysResult<size_t> Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) override;
  // Adds an 8-byte value: EINVAL for 0xffffffffffffffff or short buffers;
  // EAGAIN if the counter would pass kMax.
  SysResult<size_t> Write(kernel::Task& t, vfs::IoVecs src, uint64_t off) override;
  SysResult<uint64_t> Seek(kernel::Task& t, int64_t off, int whence) override {
    return Err(Errno::kESPIPE);
  }
  uint32_t Readiness(uint32_t mask) override;
  kernel::WaitQueue* Queue() override { return &queue_; }
  std::string AnonName() const override { return "anon_inode:[eventfd]"; }

  uint64_t count() const { return count_; }
  // For /proc/<pid>/fdinfo: "eventfd-count: ..." lines.
  std::string FdInfo() const;

 private:
  uint64_t count_;
  bool semaphore_;
  kernel::WaitQueue queue_;
};

}  // namespace bulwark::fsimpl
