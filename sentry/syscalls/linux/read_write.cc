#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>

#include "sentry/kernel/wait_queue.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/io_util.h"
#include "sentry/syscalls/linux/socket_util.h"
#include "sentry/syscalls/linux/sys_fallocate.h"
#include "sentry/syscalls/linux/sys_read_write.h"
#include "sentry/vfs/fsnotify.h"

namespace bulwark::syscalls {

namespace {

// MAX_RW_COUNT: transfers are capped at INT_MAX rounded down to a page.
// Application iovec array → validated list (import_iovec()).
SysResult<std::vector<iovec>> CopyInIovecs(Task& t, UserPtr<iovec> uiov, int iovcnt) {
  if (iovcnt < 0 || static_cast<size_t>(iovcnt) > kUioMaxIov) return Err(Errno::kEINVAL);
  return ImportIovecs(t, uiov.addr, static_cast<size_t>(iovcnt));
}

bool IsDir(const vfs::FileDescription& f) { return f.path().valid() && f.path().ino().IsDir(); }

SysResult<std::shared_ptr<vfs::FileDescription>> FileFor(Task& t, int fd, bool write) {
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, fd));
  if (write ? !f->Writable() : !f->Readable()) return Err(Errno::kEBADF);
  if (!write && IsDir(*f)) return Err(Errno::kEISDIR);
  return f;
}

SysResult<size_t> Simple(Task& t, int fd, UserPtr<uint8_t> buf, size_t count, bool write,
                         std::optional<int64_t> pos) {
  if (pos && *pos < 0) return Err(Errno::kEINVAL);
  std::shared_ptr<vfs::FileDescription> f = TRY(FileFor(t, fd, write));
  if (pos && !f->Seekable()) return Err(Errno::kESPIPE);
  std::vector<iovec> iov{iovec{reinterpret_cast<void*>(buf.addr), std::min(count, kMaxRwCount)}};
  std::optional<uint64_t> at;
  if (pos) at = static_cast<uint64_t>(*pos);
  return FileIo(t, *f, iov, write, at);
}

// readv/writev/preadv/pwritev/preadv2/pwritev2. `pos` -1 with preadv2
// means the file offset.
SysResult<size_t> Vectored(Task& t, int fd, UserPtr<iovec> uiov, int iovcnt, bool write,
                           std::optional<int64_t> pos, int rwf) {
  if (pos && *pos < -1) return Err(Errno::kEINVAL);
  std::shared_ptr<vfs::FileDescription> file = TRY(GetFile(t, fd));
  // RWF_HIPRI and the sync flags are satisfied already: nothing here is
  // cached on the way to the filesystem. RWF_NOWAIT makes this call
  // non-blocking; RWF_APPEND appends.
  constexpr int kKnown = RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND;
  if (rwf & ~kKnown) return Err(Errno::kEOPNOTSUPP);
  std::vector<iovec> iov = TRY(CopyInIovecs(t, uiov, iovcnt));
  if (write ? !file->Writable() : !file->Readable()) return Err(Errno::kEBADF);
  if (!write && IsDir(*file)) return Err(Errno::kEISDIR);
  std::optional<uint64_t> at;
  if (pos && *pos != -1) {
    if (!file->Seekable()) return Err(Errno::kESPIPE);
    at = static_cast<uint64_t>(*pos);
  }
  return FileIo(t, *file, iov, write, at, (rwf & RWF_NOWAIT) != 0,
                write && (rwf & RWF_APPEND));
}

}  // namespace

SysResult<size_t> FileIo(Task& t, vfs::FileDescription& f, const std::vector<iovec>& user_iov,
                         bool write, std::optional<uint64_t> pos, bool nonblock, bool append) {
  nonblock = nonblock || (f.flags() & O_NONBLOCK);
  append = append || (write && (f.flags() & O_APPEND));
  size_t total = vfs::TotalLength(user_iov);
  size_t done = 0;
  // A socket's SO_RCVTIMEO/SO_SNDTIMEO bounds the call's waiting, from its
  // first wait on.
  std::optional<timespec> deadline;
  bool waited = false;
  for (;;) {
    // Translated afresh after every wait: the address space may have
    // changed while the kernel lock was released.
    auto iov = TranslateUserIov(t, user_iov, done, !write);
    if (!iov) return done > 0 ? SysResult<size_t>(done) : Err(iov.error());
    uint64_t off;
    if (append && f.Seekable() && !pos) {
      off = TRY(f.GetStat()).size;
    } else {
      off = pos ? *pos + done : f.offset;
    }
    if (write) {
      // RLIMIT_FSIZE (see sys_fallocate.h): EFBIG only if nothing was written.
      auto allowed = FsizeLimitedCount(t, f, off, vfs::TotalLength(*iov));
      if (!allowed) return done > 0 ? SysResult<size_t>(done) : Err(allowed.error());
      for (size_t i = 0, left = *allowed; i < iov->size(); ++i) {
        (*iov)[i].iov_len = std::min((*iov)[i].iov_len, left);
        left -= (*iov)[i].iov_len;
      }
    }
    uint64_t before = f.offset;
    auto r = write ? f.Write(t, *iov, off) : f.Read(t, *iov, off);
    if (r) {
      // A file whose offset lives elsewhere (a host fd shared with the
      // outside) may move `offset` to where the I/O really happened.
      if (!pos && f.Seekable()) f.offset = (f.offset != before ? f.offset : off) + *r;
      done += *r;
      if (*r > 0) vfs::NotifyFile(f, write ? IN_MODIFY : IN_ACCESS);
      if (!write || nonblock || *r == 0 || done >= total || f.Queue() == nullptr) return done;
      continue;
    }
    if (r.error() != Errno::kEAGAIN || nonblock || f.Queue() == nullptr)
      return done > 0 ? SysResult<size_t>(done) : Err(r.error());
    if (!waited) {
      waited = true;
      if (const timeval* tv = f.IoTimeout(write)) deadline = sock::DeadlineOf(*tv);
    }
    auto w = WaitFileReady(t, f, write ? (POLLOUT | POLLWRNORM) : (POLLIN | POLLRDNORM), deadline);
    if (!w) return done > 0 ? SysResult<size_t>(done) : Err(w.error());
  }
}

SysResult<size_t> sys_read(Task& t, GuestFd fd, UserPtr<uint8_t> buf, size_t count) {
  return Simple(t, fd.value, buf, count, false, std::nullopt);
}

SysResult<size_t> sys_write(Task& t, GuestFd fd, UserPtr<uint8_t> buf, size_t count) {
  return Simple(t, fd.value, buf, count, true, std::nullopt);
}

SysResult<size_t> sys_pread64(Task& t, GuestFd fd, UserPtr<uint8_t> buf, size_t count,
                              int64_t pos) {
  return Simple(t, fd.value, buf, count, false, pos);
}

SysResult<size_t> sys_pwrite64(Task& t, GuestFd fd, UserPtr<uint8_t> buf, size_t count,
                               int64_t pos) {
  return Simple(t, fd.value, buf, count, true, pos);
}

SysResult<size_t> sys_readv(Task& t, GuestFd fd, UserPtr<iovec> iov, int iovcnt) {
  return Vectored(t, fd.value, iov, iovcnt, false, std::nullopt, 0);
}

SysResult<size_t> sys_writev(Task& t, GuestFd fd, UserPtr<iovec> iov, int iovcnt) {
  return Vectored(t, fd.value, iov, iovcnt, true, std::nullopt, 0);
}

// On 64-bit the offset is pos_l alone (pos_from_hilo()).
SysResult<size_t> sys_preadv(Task& t, GuestFd fd, UserPtr<iovec> iov, int iovcnt, int64_t pos_l,
                             int64_t pos_h) {
  if (pos_l < 0) return Err(Errno::kEINVAL);
  return Vectored(t, fd.value, iov, iovcnt, false, pos_l, 0);
}

SysResult<size_t> sys_pwritev(Task& t, GuestFd fd, UserPtr<iovec> iov, int iovcnt,
                              int64_t pos_l, int64_t pos_h) {
  if (pos_l < 0) return Err(Errno::kEINVAL);
  return Vectored(t, fd.value, iov, iovcnt, true, pos_l, 0);
}

SysResult<size_t> sys_preadv2(Task& t, GuestFd fd, UserPtr<iovec> iov, int iovcnt,
                              int64_t pos_l, int64_t pos_h, int flags) {
  return Vectored(t, fd.value, iov, iovcnt, false, pos_l, flags);
}

SysResult<size_t> sys_pwritev2(Task& t, GuestFd fd, UserPtr<iovec> iov, int iovcnt,
                               int64_t pos_l, int64_t pos_h, int flags) {
  return Vectored(t, fd.value, iov, iovcnt, true, pos_l, flags);
}

SysResult<uint64_t> sys_lseek(Task& t, GuestFd fd, int64_t offset, unsigned whence) {
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, fd.value));
  if (whence > SEEK_HOLE) return Err(Errno::kEINVAL);
  if (!f->Seekable()) return Err(Errno::kESPIPE);
  return f->Seek(t, offset, static_cast<int>(whence));
}

// Nothing in the sandbox buffers writes on the way to the host, so there
// is nothing to flush.
SysResult<void> sys_sync(Task& t) { return {}; }

SysResult<void> sys_syncfs(Task& t, GuestFd fd) {
  TRY(GetFile(t, fd.value));
  return {};
}

SysResult<void> sys_fsync(Task& t, GuestFd fd) {
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, fd.value));
  return f->Sync();
}

SysResult<void> sys_fdatasync(Task& t, GuestFd fd) {
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, fd.value));
  return f->Sync();
}

}  // namespace bulwark::syscalls
