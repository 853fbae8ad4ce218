// pidfd: a file that refers to a process (or, with PIDFD_THREAD, a thread)
// (pidfd_open(2)).
#pragma once

#include <sys/types.h>

#include <memory>

#include "sentry/kernel/thread_group.h"
#include "sentry/vfs/file.h"

namespace bulwark::kernel {

// Guarded by the kernel lock. Holds the thread group (like Linux's struct
// pid) so that it can still report the exit after the process was reaped.
class PidFdFile : public vfs::FileDescription {
 public:
  // `tid`: the thread for a PIDFD_THREAD pidfd, else 0. `flags`: O_NONBLOCK
  // from PIDFD_NONBLOCK.
  PidFdFile(std::shared_ptr<ThreadGroup> tg, pid_t tid, int flags)
      : vfs::FileDescription(vfs::Path{}, O_RDWR | flags), tg_(std::move(tg)), tid_(tid) {}

  const std::shared_ptr<ThreadGroup>& tg() const { return tg_; }
  pid_t pid() const { return tid_ ? tid_ : tg_->tgid; }
  bool thread() const { return tid_ != 0; }
  // The thread (PIDFD_THREAD) or any live thread of the process; null once
  // it has exited.
  Task* LiveTask() const;
  // The process (every thread) or the thread has exited.
  bool Exited() const { return LiveTask() == nullptr; }

  bool Seekable() const override { return false; }
  // POLLIN once the process (thread) has exited, as pidfd_poll().
  uint32_t Readiness(uint32_t mask) override;
  // Every thread exit notifies it.
  WaitQueue* Queue() override { return &tg_->thread_exited; }
  std::string AnonName() const override { return "anon_inode:[pidfd]"; }

 private:
  std::shared_ptr<ThreadGroup> tg_;
  pid_t tid_;
};

}  // namespace bulwark::kernel
