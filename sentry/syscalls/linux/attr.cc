#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>

#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_attr.h"
#include "sentry/vfs/ops.h"
#include "sentry/vfs/permission.h"

namespace bulwark::syscalls {

namespace {

using R = vfs::SetStatRequest;

// Applies `req` to what `dirfd`/`path` names (AT_EMPTY_PATH, symlinks per
// AT_SYMLINK_NOFOLLOW) or, with a null path, to the file at dirfd.
SysResult<void> SetAttrAt(Task& t, int dirfd, const std::string* path, int flags, R req) {
  if (path == nullptr || (path->empty() && (flags & AT_EMPTY_PATH))) {
    std::shared_ptr<vfs::FileDescription> f;
    if (path == nullptr) {
      f = TRY(GetFile(t, dirfd));
    } else {
      f = TRY(EmptyPathFile(t, dirfd));
    }
    return vfs::SetAttrFile(*f, t.creds(), req);
  }
  vfs::Path p = TRY(ResolveAt(t, dirfd, *path, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : vfs::kFollow));
  return vfs::SetAttr(p, t.creds(), req);
}

R ChmodRequest(uint32_t mode) {
  R req;
  req.mask = R::kMode;
  req.mode = mode & 07777;
  return req;
}

R ChownRequest(uint32_t uid, uint32_t gid) {
  R req;
  if (uid != static_cast<uint32_t>(-1)) {
    req.mask |= R::kUid;
    req.uid = uid;
  }
  if (gid != static_cast<uint32_t>(-1)) {
    req.mask |= R::kGid;
    req.gid = gid;
  }
  return req;
}

SysResult<void> DoChmod(Task& t, int dirfd, UserCString upath, uint32_t mode) {
  std::string path = TRY(PathArg(t, upath));
  return SetAttrAt(t, dirfd, &path, 0, ChmodRequest(mode));
}

SysResult<void> DoChown(Task& t, int dirfd, UserCString upath, uint32_t uid, uint32_t gid,
                        int flags) {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return Err(Errno::kEINVAL);
  std::string path = TRY(PathArg(t, upath));
  return SetAttrAt(t, dirfd, &path, flags, ChownRequest(uid, gid));
}

// do_utimes(): `times` null means both to now. A null path with a real
// dirfd changes the file at dirfd (futimens()).
SysResult<void> DoUtimes(Task& t, int dirfd, UserCString upath, const timespec* times,
                         int flags) {
  R req;
  if (times == nullptr) {
    req.mask = R::kAtimeNow | R::kMtimeNow;
  } else {
    if (times[0].tv_nsec == UTIME_NOW) {
      req.mask |= R::kAtimeNow;
    } else if (times[0].tv_nsec != UTIME_OMIT) {
      req.mask |= R::kAtime;
      req.atime = times[0];
    }
    if (times[1].tv_nsec == UTIME_NOW) {
      req.mask |= R::kMtimeNow;
    } else if (times[1].tv_nsec != UTIME_OMIT) {
      req.mask |= R::kMtime;
      req.mtime = times[1];
    }
  }
  req.mask |= R::kCtime;
  if (upath.null() && dirfd != AT_FDCWD) {
    if (flags != 0) return Err(Errno::kEINVAL);
    return SetAttrAt(t, dirfd, nullptr, 0, req);
  }
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return Err(Errno::kEINVAL);
  std::string path = TRY(PathArg(t, upath));
  return SetAttrAt(t, dirfd, &path, flags, req);
}

// futimesat(2) and utimes(2): microseconds, normalized like Linux.
SysResult<void> DoTimevals(Task& t, int dirfd, UserCString path, UserPtr<timeval> utv) {
  if (utv.null()) return DoUtimes(t, dirfd, path, nullptr, 0);
  std::array<timeval, 2> tv;
  TRY(t.CopyInBytes(utv.addr, tv.data(), sizeof(tv)));
  std::array<timespec, 2> ts;
  for (int i = 0; i < 2; ++i) {
    if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000) return Err(Errno::kEINVAL);
    ts[i] = timespec{tv[i].tv_sec, tv[i].tv_usec * 1000};
  }
  return DoUtimes(t, dirfd, path, ts.data(), 0);
}

SysResult<void> DoAccess(Task& t, int dirfd, UserCString upath, int mode, int flags) {
  if (mode & ~(R_OK | W_OK | X_OK)) return Err(Errno::kEINVAL);
  if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return Err(Errno::kEINVAL);
  kernel::Credentials creds =
      (flags & AT_EACCESS) ? t.creds() : vfs::AccessCredentials(t.creds());
  std::string path = TRY(PathArg(t, upath));
  if (path.empty() && (flags & AT_EMPTY_PATH)) {
    std::shared_ptr<vfs::FileDescription> f = TRY(EmptyPathFile(t, dirfd));
    if (f->path().valid()) return vfs::CheckAccess(f->path(), creds, mode);
    vfs::Stat st = TRY(f->GetStat());
    return vfs::CheckPermission(st, creds, mode);
  }
  vfs::ResolveContext ctx = TRY(vfs::TaskContext(t, dirfd, path));
  ctx.creds = &creds;
  vfs::Path p =
      TRY(vfs::Resolve(ctx, path, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : vfs::kFollow));
  return vfs::CheckAccess(p, creds, mode);
}

}  // namespace

SysResult<void> sys_chmod(Task& t, UserCString path, uint32_t mode) {
  return DoChmod(t, AT_FDCWD, path, mode);
}

SysResult<void> sys_fchmod(Task& t, GuestFd fd, uint32_t mode) {
  return SetAttrAt(t, fd.value, nullptr, 0, ChmodRequest(mode));
}

SysResult<void> sys_fchmodat(Task& t, GuestFd dirfd, UserCString path, uint32_t mode) {
  return DoChmod(t, dirfd.value, path, mode);
}

SysResult<void> sys_chown(Task& t, UserCString path, uint32_t uid, uint32_t gid) {
  return DoChown(t, AT_FDCWD, path, uid, gid, 0);
}

SysResult<void> sys_fchown(Task& t, GuestFd fd, uint32_t uid, uint32_t gid) {
  return SetAttrAt(t, fd.value, nullptr, 0, ChownRequest(uid, gid));
}

SysResult<void> sys_lchown(Task& t, UserCString path, uint32_t uid, uint32_t gid) {
  return DoChown(t, AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

SysResult<void> sys_fchownat(Task& t, GuestFd dirfd, UserCString path, uint32_t uid,
                             uint32_t gid, int flags) {
  return DoChown(t, dirfd.value, path, uid, gid, flags);
}

SysResult<void> sys_utime(Task& t, UserCString path, UserPtr<struct utimbuf> utimes) {
  if (utimes.null()) return DoUtimes(t, AT_FDCWD, path, nullptr, 0);
  struct utimbuf b = TRY(t.CopyIn(utimes));
  timespec ts[2] = {{b.actime, 0}, {b.modtime, 0}};
  return DoUtimes(t, AT_FDCWD, path, ts, 0);
}

SysResult<void> sys_utimes(Task& t, UserCString path, UserPtr<timeval> times) {
  return DoTimevals(t, AT_FDCWD, path, times);
}

SysResult<void> sys_futimesat(Task& t, GuestFd dirfd, UserCString path, UserPtr<timeval> times) {
  return DoTimevals(t, dirfd.value, path, times);
}

SysResult<void> sys_utimensat(Task& t, GuestFd dirfd, UserCString path, UserPtr<timespec> times,
                              int flags) {
  if (times.null()) return DoUtimes(t, dirfd.value, path, nullptr, flags);
  std::array<timespec, 2> ts;
  TRY(t.CopyInBytes(times.addr, ts.data(), sizeof(ts)));
  for (const timespec& x : ts) {
    bool special = x.tv_nsec == UTIME_NOW || x.tv_nsec == UTIME_OMIT;
    if (!special && (x.tv_nsec < 0 || x.tv_nsec > 999999999)) return Err(Errno::kEINVAL);
  }
  // Nothing to do: Linux does not even look at the path.
  if (ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT) return {};
  return DoUtimes(t, dirfd.value, path, ts.data(), flags);
}

SysResult<void> sys_truncate(Task& t, UserCString upath, int64_t length) {
  if (length < 0) return Err(Errno::kEINVAL);
  std::string path = TRY(PathArg(t, upath));
  vfs::Path p = TRY(ResolveAt(t, AT_FDCWD, path, vfs::kFollow));
  return vfs::Truncate(p, t.creds(), length);
}

SysResult<void> sys_ftruncate(Task& t, GuestFd fd, int64_t length) {
  if (length < 0) return Err(Errno::kEINVAL);
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, fd.value));
  return vfs::TruncateFile(*f, t.creds(), length);
}

SysResult<uint32_t> sys_umask(Task& t, uint32_t mask) {
  uint32_t old = t.fs().umask;
  t.fs().umask = mask & 0777;
  return old;
}

SysResult<void> sys_access(Task& t, UserCString path, int mode) {
  return DoAccess(t, AT_FDCWD, path, mode, 0);
}

SysResult<void> sys_faccessat(Task& t, GuestFd dirfd, UserCString path, int mode) {
  return DoAccess(t, dirfd.value, path, mode, 0);
}

SysResult<void> sys_faccessat2(Task& t, GuestFd dirfd, UserCString path, int mode, int flags) {
  return DoAccess(t, dirfd.value, path, mode, flags);
}

}  // namespace bulwark::syscalls
