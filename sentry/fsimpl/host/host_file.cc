#include "sentry/fsimpl/host/host_file.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "sentry/fsimpl/host/tty_ioctl.h"
#include "sentry/fsimpl/memfs/memfs.h"
#include "sentry/kernel/task.h"

namespace bulwark::fsimpl::host {

namespace {

constexpr uint32_t kAlwaysReady = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;

// A host call's result, or its errno captured before the kernel lock is
// taken back.
template <typename F>
SysResult<size_t> HostIo(kernel::Task& t, F&& f) {
  ssize_t r = t.Unlocked([&]() -> ssize_t {
    ssize_t n;
    do n = f();
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
  });
  if (r < 0) return Err(FromInt(static_cast<int>(-r)));
  return static_cast<size_t>(r);
}

uint64_t HostStdioDev() {
  static const uint64_t dev = memfs::AllocAnonDev();
  return dev;
}

class HostFileDescription : public vfs::FileDescription {
 public:
  HostFileDescription(std::shared_ptr<HostFd> fd, int flags, vfs::Path path)
      : vfs::FileDescription(std::move(path), flags), fd_(std::move(fd)) {}

  const std::shared_ptr<HostFd>& host() const { return fd_; }

  bool Seekable() const override { return fd_->seekable(); }

  // The host's open file description, and so its offset, is shared with
  // processes outside the sandbox (a shell appending to the same log file).
  // A read or write at the description's own offset is therefore done at
  // the host's current offset, which it advances; `offset` is resynced so
  // the VFS's `offset += n` lands where the host is. pread/pwrite (any other
  // offset) stay positional.
  bool StreamAt(uint64_t off) {
    if (off != offset) return false;
    off_t cur = lseek(fd_->fd(), 0, SEEK_CUR);
    if (cur < 0) return false;
    offset = static_cast<uint64_t>(cur);
    return true;
  }

  // Sequential I/O on a seekable host file happens at the host's file
  // offset, which the description shares with the world outside and with
  // container fds that were one description before import (2>&1): `offset`
  // is set to where it happened. Positioned I/O (pread) uses `off`.
  SysResult<size_t> Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) override {
    int n = static_cast<int>(std::min<size_t>(dst.size(), IOV_MAX));
    if (fd_->seekable()) {
      if (off == offset) {
        off_t at = lseek(fd_->fd(), 0, SEEK_CUR);
        if (at >= 0) {
          size_t done = TRY(HostIo(t, [&] { return readv(fd_->fd(), dst.data(), n); }));
          offset = at;
          return done;
        }
      }
      if (off > INT64_MAX) return Err(Errno::kEINVAL);
      return HostIo(t, [&] { return preadv(fd_->fd(), dst.data(), n, static_cast<off_t>(off)); });
    }
    if (!(PollNow(fd_->fd(), POLLIN) & (POLLIN | POLLHUP | POLLERR))) return Err(Errno::kEAGAIN);
    return HostIo(t, [&] { return readv(fd_->fd(), dst.data(), n); });
  }

  SysResult<size_t> Write(kernel::Task& t, vfs::IoVecs src, uint64_t off) override {
    int n = static_cast<int>(std::min<size_t>(src.size(), IOV_MAX));
    if (fd_->seekable()) {
      bool append = flags() & O_APPEND;
      if (append || off == offset) {
        off_t at = lseek(fd_->fd(), 0, append ? SEEK_END : SEEK_CUR);
        if (at >= 0) {
          size_t done = TRY(HostIo(t, [&] { return writev(fd_->fd(), src.data(), n); }));
          offset = at;
          return done;
        }
      }
      if (off > INT64_MAX) return Err(Errno::kEINVAL);
      return HostIo(t,
                    [&] { return pwritev(fd_->fd(), src.data(), n, static_cast<off_t>(off)); });
    }
    // A ready pipe or tty may still take less than everything at once; the
    // rest blocks this task's thread (not the kernel lock) in writev.
    if (!(PollNow(fd_->fd(), POLLOUT) & (POLLOUT | POLLHUP | POLLERR))) return Err(Errno::kEAGAIN);
    return HostIo(t, [&] { return writev(fd_->fd(), src.data(), n); });
  }

  SysResult<uint64_t> Seek(kernel::Task& t, int64_t off, int whence) override {
    if (!fd_->seekable()) return Err(Errno::kESPIPE);
    off_t r = lseek(fd_->fd(), off, whence);
    if (r < 0) return Err(HostErrno());
    offset = static_cast<uint64_t>(r);
    return offset;
  }

  uint32_t Readiness(uint32_t mask) override {
    if (!fd_->queue()) return mask & kAlwaysReady;
    return PollNow(fd_->fd(), mask) & (mask | POLLHUP | POLLERR);
  }
  kernel::WaitQueue* Queue() override { return fd_->queue(); }

  SysResult<uint64_t> Ioctl(kernel::Task& t, uint32_t cmd, uint64_t arg) override {
    return HostIoctl(t, *fd_, cmd, arg);
  }

  SysResult<vfs::Stat> GetStat() override {
    if (path().valid()) return vfs::FileDescription::GetStat();
    struct stat st;
    if (fstat(fd_->fd(), &st) < 0) return Err(HostErrno());
    vfs::Stat out;
    out.dev = HostStdioDev();
    out.ino = st.st_ino;
    out.mode = st.st_mode;
    out.nlink = st.st_nlink;
    out.uid = st.st_uid;
    out.gid = st.st_gid;
    out.rdev = st.st_rdev;
    out.size = S_ISREG(st.st_mode) ? st.st_size : 0;
    out.blksize = st.st_blksize;
    out.blocks = S_ISREG(st.st_mode) ? st.st_blocks : 0;
    out.atime = st.st_atim;
    out.mtime = st.st_mtim;
    out.ctime = st.st_ctim;
    return out;
  }

  SysResult<void> SetStat(const vfs::SetStatRequest& req) override {
    // The host file belongs to the world outside: its attributes stay.
    return Err(Errno::kEPERM);
  }

  std::string AnonName() const override { return HostFileName(fd_->host_stat()); }

 private:
  std::shared_ptr<HostFd> fd_;
};

// One TtyState per host terminal device. Guarded by the kernel lock.
std::map<dev_t, std::weak_ptr<TtyState>>* TtyStates() {
  static auto* states = new std::map<dev_t, std::weak_ptr<TtyState>>();
  return states;
}

std::shared_ptr<TtyState> TtyStateFor(dev_t rdev) {
  auto* states = TtyStates();
  std::erase_if(*states, [](const auto& e) { return e.second.expired(); });
  auto& w = (*states)[rdev];
  auto s = w.lock();
  if (!s) {
    s = std::make_shared<TtyState>(/*lenient=*/true);
    s->device = rdev;
    w = s;
  }
  return s;
}

}  // namespace

SysResult<std::shared_ptr<HostFd>> HostFd::Import(UniqueFd fd,
                                                  std::shared_ptr<Notifier> notifier) {
  std::shared_ptr<HostFd> h(new HostFd());
  if (fstat(fd.get(), &h->st_) < 0) return Err(HostErrno());
  h->fd_ = std::move(fd);
  KernelTermios tio;
  h->is_tty_ = S_ISCHR(h->st_.st_mode) && ioctl(h->fd_.get(), TCGETS, &tio) == 0;
  if (h->is_tty_) h->tty_ = TtyStateFor(h->st_.st_rdev);
  h->notifier_ = std::move(notifier);
  if (h->notifier_) h->notify_id_ = TRY(h->notifier_->Register(h->fd_.get(), &h->queue_));
  return h;
}

HostFd::~HostFd() {
  if (notify_id_) notifier_->Unregister(fd_.get(), notify_id_);
}

std::shared_ptr<vfs::FileDescription> NewHostFileDescription(std::shared_ptr<HostFd> fd,
                                                             int flags, vfs::Path path) {
  bool seekable = fd->seekable();
  int host_fd = fd->fd();
  auto d = std::make_shared<HostFileDescription>(std::move(fd), flags, std::move(path));
  if (seekable) {
    off_t pos = lseek(host_fd, 0, SEEK_CUR);
    if (pos > 0) d->offset = pos;
  }
  return d;
}

SysResult<std::shared_ptr<vfs::FileDescription>> ImportHostFile(
    UniqueFd fd, std::shared_ptr<Notifier> notifier) {
  int fl = fcntl(fd.get(), F_GETFL);
  if (fl < 0) return Err(HostErrno());
  std::shared_ptr<HostFd> h = TRY(HostFd::Import(std::move(fd), std::move(notifier)));
  return NewHostFileDescription(std::move(h), fl & (O_ACCMODE | O_APPEND | O_NONBLOCK));
}

std::shared_ptr<HostFd> HostFdOf(const vfs::FileDescription& file) {
  auto* h = dynamic_cast<const HostFileDescription*>(&file);
  return h ? h->host() : nullptr;
}

void SetControllingTty(HostFd& fd, pid_t sid, pid_t pgid) {
  if (fd.tty()) tty::SetControllingTty(*fd.tty(), sid, pgid);
}

std::string HostFileName(const struct stat& st) {
  std::string ino = std::to_string(st.st_ino);
  switch (st.st_mode & S_IFMT) {
    case S_IFIFO: return "pipe:[" + ino + "]";
    case S_IFSOCK: return "socket:[" + ino + "]";
    case S_IFCHR: {
      unsigned ma = major(st.st_rdev), mi = minor(st.st_rdev);
      // devices.txt: 136-143 are the Unix98 pty slaves.
      if (ma >= 136 && ma <= 143) return "/dev/pts/" + std::to_string((ma - 136) * 256 + mi);
      if (ma == 1 && mi == 3) return "/dev/null";
      if (ma == 5 && mi == 0) return "/dev/tty";
      if (ma == 5 && mi == 1) return "/dev/console";
      if (ma == 4 && mi < 64) return "/dev/tty" + std::to_string(mi);
      return "/dev/char/" + std::to_string(ma) + ":" + std::to_string(mi);
    }
    default: return "host:[" + ino + "]";
  }
}

}  // namespace bulwark::fsimpl::host
