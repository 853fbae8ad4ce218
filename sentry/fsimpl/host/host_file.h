// Files backed by an inherited host fd: the container's stdio.
//
// The host fd is shared with the world outside the sandbox, so its flags are
// never changed (no O_NONBLOCK): readiness is checked with a zero-timeout
// poll before each read or write, EAGAIN tells the syscall layer to wait on
// Queue(), and the Notifier wakes that queue.
#pragma once

#include <sys/stat.h>

#include <memory>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "sentry/fsimpl/host/notifier.h"
#include "sentry/fsimpl/tty/job_control.h"
#include "sentry/kernel/wait_queue.h"
#include "sentry/vfs/file.h"

namespace bulwark::fsimpl::host {

// Job-control state of one host terminal, shared by every HostFd importing
// it (stdio, /dev/tty): the session and foreground process group are
// sandbox concepts (pids of the sandbox), termios and window size stay on
// the host tty. Lenient (see tty::JobControl). Guarded by the kernel lock.
using TtyState = tty::JobControl;

// One imported host fd, shared by the descriptions opened on it.
// Guarded by the kernel lock; created and destroyed with it held.
class HostFd {
 public:
  // Takes ownership of `fd`.
  static SysResult<std::shared_ptr<HostFd>> Import(UniqueFd fd,
                                                   std::shared_ptr<Notifier> notifier);
  ~HostFd();
  HostFd(const HostFd&) = delete;
  HostFd& operator=(const HostFd&) = delete;

  int fd() const { return fd_.get(); }
  // From fstat at import.
  const struct stat& host_stat() const { return st_; }
  bool seekable() const { return S_ISREG(st_.st_mode) || S_ISBLK(st_.st_mode); }
  bool is_tty() const { return is_tty_; }
  // Woken by the notifier; nullptr when the fd cannot be polled.
  kernel::WaitQueue* queue() { return notify_id_ ? &queue_ : nullptr; }
  // Non-null iff is_tty(): the terminal's job-control state, one per host
  // tty device (by st_rdev) for as long as any HostFd imports it.
  const std::shared_ptr<TtyState>& tty() const { return tty_; }

 private:
  HostFd() = default;
  UniqueFd fd_;
  struct stat st_{};
  bool is_tty_ = false;
  std::shared_ptr<TtyState> tty_;
  std::shared_ptr<Notifier> notifier_;
  uint64_t notify_id_ = 0;
  kernel::WaitQueue queue_;
};

// A description over `fd` with open(2) flags `flags` (access mode and
// status flags). `path` may be empty (stdio); when set (e.g. /dev/tty) stat
// reports the node at `path`. A seekable fd starts at its host offset.
std::shared_ptr<vfs::FileDescription> NewHostFileDescription(std::shared_ptr<HostFd> fd,
                                                             int flags, vfs::Path path = {});

// Imports host fd `fd` (e.g. 0, 1, 2 of the sentry) as an open description,
// taking ownership; the access mode comes from the host's F_GETFL.
SysResult<std::shared_ptr<vfs::FileDescription>> ImportHostFile(
    UniqueFd fd, std::shared_ptr<Notifier> notifier);

// The HostFd behind a host description, or nullptr (for reopening through
// /proc/<pid>/fd/N and /dev/tty).
std::shared_ptr<HostFd> HostFdOf(const vfs::FileDescription& file);

// Makes `fd` (a tty) the controlling terminal of session `sid` with
// foreground group `pgid` (TIOCSCTTY by a session leader, as at the start
// of a process.terminal process). Precondition: kernel lock held.
void SetControllingTty(HostFd& fd, pid_t sid, pid_t pgid);

// "pipe:[ino]", "socket:[ino]", "/dev/pts/N", ... as /proc/<pid>/fd shows
// a host file. Pure, for tests.
std::string HostFileName(const struct stat& st);

}  // namespace bulwark::fsimpl::host
