// Open file descriptions (struct file in Linux).
#pragma once

#include <fcntl.h>
#include <poll.h>

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "sentry/vfs/mount.h"
#include "sentry/vfs/types.h"

namespace bulwark::kernel {
class Task;
class WaitQueue;
}  // namespace bulwark::kernel

namespace bulwark::vfs {

// An open file description, shared by dup'd fds and across fork. Guarded by
// the kernel lock.
//
// Blocking: Read/Write on a file that would block return EAGAIN; the syscall
// layer then waits on Queue() for Readiness() unless O_NONBLOCK is set.
class FileDescription : public std::enable_shared_from_this<FileDescription> {
 public:
  // `path` may be empty for anonymous files (pipes, sockets).
  FileDescription(Path path, int flags) : path_(std::move(path)), flags_(flags) {}
  virtual ~FileDescription() = default;
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

  // Name for /proc/<pid>/fd when path() is empty, e.g. "pipe:[12]".
  virtual std::string AnonName() const { return "anon_inode:[unknown]"; }

  // Directory snapshot used by getdents: offset indexes into it.
  std::vector<DirEntry> dir_snapshot;
  bool dir_snapshot_valid = false;

 private:
  Path path_;
  int flags_;
};

}  // namespace bulwark::vfs
