// Open file descriptions (struct file in Linux).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/time.h>

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "sentry/kernel/wait_queue.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/mount.h"
#include "sentry/vfs/types.h"

namespace bulwark::kernel {
class Task;
}  // namespace bulwark::kernel

namespace bulwark::vfs {

// Who gets SIGIO for O_ASYNC and dnotify (fcntl(2) F_SETOWN, F_SETOWN_EX,
// F_SETSIG). pid 0: nobody.
struct FileOwner {
  int type = F_OWNER_PID;  // F_OWNER_TID, F_OWNER_PID or F_OWNER_PGRP
  pid_t pid = 0;
  int signum = 0;  // 0: plain SIGIO; else this signal with si_fd and si_band
};

// An open file description, shared by dup'd fds and across fork. Guarded by
// the kernel lock.
//
// Blocking: Read/Write on a file that would block return EAGAIN; the syscall
// layer then waits on Queue() for Readiness() unless O_NONBLOCK is set.
class FileDescription : public std::enable_shared_from_this<FileDescription> {
 public:
  // `path` may be empty for anonymous files (pipes, sockets).
  FileDescription(Path path, int flags) : path_(std::move(path)), flags_(flags) {}
  // Reports IN_CLOSE_WRITE or IN_CLOSE_NOWRITE (vfs/fsnotify.h).
  virtual ~FileDescription();
  FileDescription(const FileDescription&) = delete;
  FileDescription& operator=(const FileDescription&) = delete;

  const Path& path() const { return path_; }
  // Access mode and status flags (O_APPEND, O_NONBLOCK, ...), as F_GETFL.
  int flags() const { return flags_; }
  // F_SETFL: only O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT, O_NOATIME change.
  void SetStatusFlags(int flags);
  bool Readable() const { return (flags_ & O_ACCMODE) != O_WRONLY && !(flags_ & O_PATH); }
  bool Writable() const { return (flags_ & O_ACCMODE) != O_RDONLY && !(flags_ & O_PATH); }

  uint64_t offset = 0;

  // False for pipes, sockets, ttys: offsets are ignored and lseek fails
  // with ESPIPE.
  virtual bool Seekable() const { return true; }
  // Reads into `dst` at `off` (ignored when !Seekable()). Returns bytes read;
  // 0 at end of file.
  virtual SysResult<size_t> Read(kernel::Task& t, IoVecs dst, uint64_t off) {
    return Err(Errno::kEINVAL);
  }
  virtual SysResult<size_t> Write(kernel::Task& t, IoVecs src, uint64_t off) {
    return Err(Errno::kEINVAL);
  }
  // lseek(2). The default handles SEEK_SET/CUR/END (using GetStat().size),
  // SEEK_DATA and SEEK_HOLE (whole file is data).
  virtual SysResult<uint64_t> Seek(kernel::Task& t, int64_t off, int whence);
  // Directory listing for getdents; the default lists path().dentry's inode.
  virtual SysResult<std::vector<DirEntry>> ReadDir(kernel::Task& t);
  virtual SysResult<uint64_t> Ioctl(kernel::Task& t, uint32_t cmd, uint64_t arg) {
    return Err(Errno::kENOTTY);
  }
  // Default: the inode's attributes.
  virtual SysResult<Stat> GetStat();
  virtual SysResult<void> SetStat(const SetStatRequest& req);
  // fsync/fdatasync.
  virtual SysResult<void> Sync() { return {}; }

  // Poll events (POLLIN, POLLOUT, ...) currently true, limited to `mask`.
  virtual uint32_t Readiness(uint32_t mask) { return mask & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM); }
  // Where waiters for readiness changes queue; nullptr if always ready.
  virtual kernel::WaitQueue* Queue() { return nullptr; }
  // A socket's SO_RCVTIMEO (`write` false) or SO_SNDTIMEO: how long
  // read(2)/write(2) on it block (sock_read_iter()/sock_write_iter() go
  // through the socket's own timeout); nullptr for other files.
  virtual const timeval* IoTimeout(bool write) const { return nullptr; }

  // Name for /proc/<pid>/fd when path() is empty, e.g. "pipe:[12]".
  virtual std::string AnonName() const { return "anon_inode:[unknown]"; }

  // F_SETOWN & co. (owned by the fcntl syscalls).
  FileOwner owner;
  // While O_ASYNC is set on a file with a Queue(): the waiter that sends
  // the owner SIGIO (syscalls/linux/fcntl_async.cc).
  std::unique_ptr<kernel::WaitQueue::Entry> async_waiter;
  // The F_NOTIFY (dnotify) registration of a directory description
  // (syscalls/linux/dnotify.cc).
  std::unique_ptr<NotifyMark> dnotify;

  // Directory snapshot used by getdents: offset indexes into it.
  std::vector<DirEntry> dir_snapshot;
  bool dir_snapshot_valid = false;

  // The inode whose write access (Inode::GetWriteAccess) the open took;
  // the destructor gives it back. Set by vfs::OpenPrepared.
  std::shared_ptr<Inode> write_access;

 private:
  Path path_;
  int flags_;
};

}  // namespace bulwark::vfs
