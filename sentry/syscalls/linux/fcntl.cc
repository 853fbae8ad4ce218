#include <fcntl.h>
#include <linux/capability.h>
#include <sys/file.h>

#include "sentry/fsimpl/memfs/shmem.h"
#include "sentry/fsimpl/pipe.h"
#include "sentry/syscalls/linux/fcntl_async.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_fcntl.h"
#include "sentry/vfs/locks.h"
#include "sentry/vfs/permission.h"

namespace bulwark::syscalls {

namespace {

// check_fcntl_cmd(): the commands an O_PATH descriptor allows.
bool AllowedOnPath(int cmd) {
  return cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC || cmd == F_GETFD || cmd == F_SETFD ||
         cmd == F_GETFL;
}

SysResult<int64_t> DupFd(Task& t, std::shared_ptr<vfs::FileDescription> f, uint64_t min,
                         bool cloexec) {
  if (min >= FdLimit(t)) return Err(Errno::kEINVAL);
  return TRY(t.fds().Install(std::move(f), cloexec, FdLimit(t), static_cast<int>(min)));
}

SysResult<int64_t> SetFl(Task& t, vfs::FileDescription& f, int fd, int flags) {
  // Only the owner (or CAP_FOWNER) may stop atime updates.
  if ((flags & O_NOATIME) && !(f.flags() & O_NOATIME)) {
    vfs::Stat st = TRY(f.GetStat());
    if (!vfs::OwnerOrCapable(st, t.creds())) return Err(Errno::kEPERM);
  }
  int old = f.flags();
  f.SetStatusFlags(flags);
  if ((old ^ f.flags()) & O_ASYNC) UpdateAsync(t, f, fd);
  return 0;
}

SysResult<fsimpl::PipeFile*> PipeOf(vfs::FileDescription& f) {
  auto* p = dynamic_cast<fsimpl::PipeFile*>(&f);
  if (p == nullptr) return Err(Errno::kEBADF);
  return p;
}

// flock_to_posix_lock(): the byte range of `fl`, inclusive.
SysResult<std::pair<uint64_t, uint64_t>> LockRange(vfs::FileDescription& f,
                                                   const struct flock& fl) {
  int64_t base;
  switch (fl.l_whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = static_cast<int64_t>(f.offset); break;
    case SEEK_END: base = static_cast<int64_t>(TRY(f.GetStat()).size); break;
    default: return Err(Errno::kEINVAL);
  }
  int64_t start;
  if (__builtin_add_overflow(base, fl.l_start, &start)) return Err(Errno::kEOVERFLOW);
  if (start < 0) return Err(Errno::kEINVAL);
  if (fl.l_len > 0) {
    if (fl.l_len - 1 > INT64_MAX - start) return Err(Errno::kEOVERFLOW);
    return std::pair<uint64_t, uint64_t>(start, start + fl.l_len - 1);
  }
  if (fl.l_len == 0) return std::pair<uint64_t, uint64_t>(start, vfs::kLockToEof);
  if (start + fl.l_len < 0) return Err(Errno::kEINVAL);
  return std::pair<uint64_t, uint64_t>(start + fl.l_len, start - 1);
}

// F_GETLK, F_SETLK, F_SETLKW and their F_OFD_ forms.
SysResult<int64_t> RecordLock(Task& t, const std::shared_ptr<vfs::FileDescription>& f, int cmd,
                              UserPtr<struct flock> uarg) {
  struct flock fl = TRY(t.CopyIn(uarg));
  bool ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
  bool get = cmd == F_GETLK || cmd == F_OFD_GETLK;
  bool wait = cmd == F_SETLKW || cmd == F_OFD_SETLKW;
  if (ofd && fl.l_pid != 0) return Err(Errno::kEINVAL);
  if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK && (get || fl.l_type != F_UNLCK))
    return Err(Errno::kEINVAL);
  auto [start, end] = TRY(LockRange(*f, fl));
  vfs::LockKey key = TRY(vfs::LockKeyOf(*f));
  vfs::FileLock lock;
  lock.start = start;
  lock.end = end;
  lock.type = fl.l_type;
  lock.ofd = ofd;
  lock.owner = ofd ? static_cast<const void*>(f.get()) : static_cast<const void*>(t.fds_.get());
  lock.pid = ofd ? -1 : t.tgid();
  if (ofd) lock.ofd_file = f;
  vfs::LockTable& table = vfs::Locks();

  if (get) {
    if (auto c = table.Test(key, lock)) {
      fl.l_type = static_cast<short>(c->type);
      fl.l_whence = SEEK_SET;
      fl.l_start = static_cast<off_t>(c->start);
      fl.l_len = c->end == vfs::kLockToEof ? 0 : static_cast<off_t>(c->end - c->start + 1);
      fl.l_pid = c->ofd ? -1 : c->pid;
    } else {
      fl.l_type = F_UNLCK;
    }
    TRY(t.CopyOut(uarg, fl));
    return 0;
  }
  if ((fl.l_type == F_RDLCK && !f->Readable()) || (fl.l_type == F_WRLCK && !f->Writable()))
    return Err(Errno::kEBADF);
  for (;;) {
    const void* blocker = nullptr;
    auto r = table.Set(key, lock, &blocker);
    if (r) return 0;
    if (r.error() != Errno::kEAGAIN || !wait) return Err(r.error());
    // Deadlocks are detected between POSIX lock owners only, as in Linux.
    if (!ofd) {
      if (table.WouldDeadlock(lock.owner, blocker)) return Err(Errno::kEDEADLK);
      table.SetWaiting(lock.owner, blocker);
    }
    table.queue().Add(&t);
    auto b = t.Block(nullptr);
    table.queue().Remove(&t);
    if (!ofd) table.ClearWaiting(lock.owner);
    if (!b) return Err(b.error());
  }
}

}  // namespace

SysResult<int> sys_dup(Task& t, GuestFd fd) {
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, fd.value, /*allow_path=*/true));
  return t.fds().Install(std::move(f), false, FdLimit(t));
}

SysResult<int> sys_dup2(Task& t, GuestFd oldfd, GuestFd newfd) {
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, oldfd.value, /*allow_path=*/true));
  if (oldfd.value == newfd.value) return newfd.value;
  TRY(t.fds().InstallAt(newfd.value, std::move(f), false, FdLimit(t)));
  return newfd.value;
}

// ksys_dup3(): EINVAL and the fd limit come before the old fd is looked at.
SysResult<int> sys_dup3(Task& t, GuestFd oldfd, GuestFd newfd, int flags) {
  if (flags & ~O_CLOEXEC) return Err(Errno::kEINVAL);
  if (oldfd.value == newfd.value) return Err(Errno::kEINVAL);
  if (newfd.value < 0 || static_cast<uint64_t>(newfd.value) >= FdLimit(t))
    return Err(Errno::kEBADF);
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, oldfd.value, /*allow_path=*/true));
  TRY(t.fds().InstallAt(newfd.value, std::move(f), flags & O_CLOEXEC, FdLimit(t)));
  return newfd.value;
}

SysResult<int64_t> sys_fcntl(Task& t, GuestFd fd, int cmd, uint64_t arg) {
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, fd.value, /*allow_path=*/true));
  if ((f->flags() & O_PATH) && !AllowedOnPath(cmd)) return Err(Errno::kEBADF);
  switch (cmd) {
    case F_DUPFD:
      return DupFd(t, std::move(f), arg, false);
    case F_DUPFD_CLOEXEC:
      return DupFd(t, std::move(f), arg, true);
    case F_GETFD:
      return t.fds().GetEntry(fd.value)->cloexec ? FD_CLOEXEC : 0;
    case F_SETFD:
      TRY(t.fds().SetCloexec(fd.value, (arg & FD_CLOEXEC) != 0));
      return 0;
    case F_GETFL:
      return f->flags();
    case F_SETFL:
      return SetFl(t, *f, fd.value, static_cast<int>(arg));
    case F_GETPIPE_SZ: {
      fsimpl::PipeFile* p = TRY(PipeOf(*f));
      return static_cast<int64_t>(p->pipe()->capacity());
    }
    case F_SETPIPE_SZ: {
      fsimpl::PipeFile* p = TRY(PipeOf(*f));
      // The argument is an unsigned int (pipe_fcntl()).
      size_t size = TRY(p->pipe()->SetCapacity(static_cast<uint32_t>(arg),
                                               t.creds().HasCap(CAP_SYS_RESOURCE)));
      return static_cast<int64_t>(size);
    }
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
      return RecordLock(t, f, cmd, UserPtr<struct flock>{arg});
    case F_GETLEASE:
      // There are no leases in the sandbox.
      return F_UNLCK;
    case F_ADD_SEALS:  // memfd and tmpfs files (memfs/shmem.h)
      TRY(fsimpl::memfs::AddSeals(*f, static_cast<int>(arg)));
      return 0;
    case F_GET_SEALS:
      return TRY(fsimpl::memfs::GetSeals(*f));
    case F_GETOWN:
    case F_SETOWN:
    case F_GETOWN_EX:
    case F_SETOWN_EX:
    case F_GETSIG:
    case F_SETSIG:
      return FcntlOwner(t, *f, cmd, arg);
    case F_NOTIFY:
      return FcntlNotify(t, *f, fd.value, arg);
    default:
      // Leases (other than F_GETLEASE) and write hints are not supported.
      return Err(Errno::kEINVAL);
  }
}

// flock(2): whole-file locks of the open file description. A conversion
// that has to wait drops the old lock first, as Linux does.
SysResult<void> sys_flock(Task& t, GuestFd fd, int op) {
  int type;
  switch (op & ~LOCK_NB) {
    case LOCK_SH: type = F_RDLCK; break;
    case LOCK_EX: type = F_WRLCK; break;
    case LOCK_UN: type = F_UNLCK; break;
    default: return Err(Errno::kEINVAL);
  }
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, fd.value));
  vfs::LockKey key = TRY(vfs::LockKeyOf(*f));
  vfs::FileLock lock;
  lock.start = 0;
  lock.end = vfs::kLockToEof;
  lock.type = type;
  lock.owner = f.get();
  lock.pid = -1;
  lock.ofd = lock.flock = true;
  lock.ofd_file = f;
  vfs::LockTable& table = vfs::Locks();
  bool dropped = false;
  for (;;) {
    auto r = table.Set(key, lock);
    if (r || r.error() != Errno::kEAGAIN) return r;
    if (!dropped) {
      vfs::FileLock unlock = lock;
      unlock.type = F_UNLCK;
      TRY(table.Set(key, unlock));
      dropped = true;
    }
    if (op & LOCK_NB) return Err(Errno::kEAGAIN);
    table.queue().Add(&t);
    auto b = t.Block(nullptr);
    table.queue().Remove(&t);
    if (!b) return Err(b.error());
  }
}

}  // namespace bulwark::syscalls
