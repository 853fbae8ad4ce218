// signalfd(2): reading dequeues the reader's pending signals in a mask.
#pragma once

#include <sys/signalfd.h>

#include <memory>

#include "sentry/kernel/signals.h"
#include "sentry/vfs/file.h"

namespace bulwark::kernel {
class ThreadGroup;
}

namespace bulwark::fsimpl {

// The signalfd_siginfo record for `info` (fs/signalfd.c,
// signalfd_copyinfo(): which fields are copied depends on the layout).
signalfd_siginfo ToSignalfdSiginfo(const siginfo_t& info);

// Guarded by the kernel lock.
//
// Reads dequeue from the reading task (its thread then its process), as in
// Linux. Readiness and Queue() have no reading task and use the process
// that created the file; Linux uses the polling task, which differs only
// when the fd is polled from another process (after fork or SCM_RIGHTS).
// Waking needs the signal senders to notify ThreadGroup::signalfd_waiters.
class SignalFdFile : public vfs::FileDescription {
 public:
  SignalFdFile(std::shared_ptr<kernel::ThreadGroup> tg, kernel::SigSet mask, int flags);

  kernel::SigSet mask() const { return mask_; }
  // SIGKILL and SIGSTOP are silently dropped from the mask.
  void set_mask(kernel::SigSet mask);

  bool Seekable() const override { return false; }
  // As many signalfd_siginfo records as fit and are pending; EAGAIN if
  // none; EINVAL for buffers under one record.
  SysResult<size_t> Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) override;
  SysResult<uint64_t> Seek(kernel::Task& t, int64_t off, int whence) override {
    return Err(Errno::kESPIPE);
  }
  uint32_t Readiness(uint32_t mask) override;
  kernel::WaitQueue* Queue() override;
  std::string AnonName() const override { return "anon_inode:[signalfd]"; }

 private:
  std::weak_ptr<kernel::ThreadGroup> tg_;
  kernel::SigSet mask_;
};

}  // namespace bulwark::fsimpl
