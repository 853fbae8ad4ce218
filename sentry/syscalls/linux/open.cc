#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/openat2.h>

#include <cstring>

#include "sentry/fsimpl/memfs/shmem.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_open.h"
#include "sentry/vfs/locks.h"
#include "sentry/vfs/ops.h"
#include "sentry/vfs/permission.h"

namespace bulwark::syscalls {

namespace {

// Kernel values that glibc hides on x86-64 (its O_LARGEFILE is 0).
constexpr int kOLargeFile = 0100000;
constexpr int kOTmpfileOnly = O_TMPFILE & ~O_DIRECTORY;  // __O_TMPFILE
// VALID_OPEN_FLAGS in include/linux/fcntl.h.
constexpr int kValidOpenFlags = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND |
                                O_NONBLOCK | O_DSYNC | O_SYNC | O_ASYNC | O_DIRECT | kOLargeFile |
                                O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH |
                                kOTmpfileOnly;
constexpr size_t kOpenHowSizeVer0 = 24;  // OPEN_HOW_SIZE_VER0
constexpr int kOPathFlags = O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;
constexpr uint64_t kValidResolveFlags = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS |
                                        RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT |
                                        RESOLVE_CACHED;

// build_open_flags() checks shared by open, openat and openat2.
SysResult<void> CheckOpenFlags(int flags) {
  // Linux 6.4 and later reject O_CREAT|O_DIRECTORY (open(2), EINVAL).
  if ((flags & O_CREAT) && (flags & O_DIRECTORY) && !(flags & O_PATH)) return Err(Errno::kEINVAL);
  if (flags & kOTmpfileOnly) {
    if ((flags & (kOTmpfileOnly | O_DIRECTORY | O_CREAT)) != O_TMPFILE) return Err(Errno::kEINVAL);
    if ((flags & O_ACCMODE) == O_RDONLY) return Err(Errno::kEINVAL);
  }
  return {};
}

SysResult<int> DoOpen(Task& t, int dirfd, UserCString upath, int flags, uint32_t mode,
                      uint64_t resolve) {
  flags |= kOLargeFile;  // force_o_largefile() on 64-bit
  TRY(CheckOpenFlags(flags));
  if (!(flags & (O_CREAT | kOTmpfileOnly))) mode = 0;
  std::string path = TRY(PathArg(t, upath));
  TRY(CheckFdAvailable(t));
  vfs::ResolveContext ctx = TRY(vfs::TaskContext(t, dirfd, path));
  unsigned rf = 0;
  if (resolve & RESOLVE_NO_XDEV) rf |= vfs::kNoXdev;
  if (resolve & RESOLVE_NO_MAGICLINKS) rf |= vfs::kNoMagicLinks;
  if (resolve & RESOLVE_NO_SYMLINKS) rf |= vfs::kNoSymlinks;
  if (resolve & RESOLVE_CACHED) rf |= vfs::kCachedOnly;
  if (resolve & RESOLVE_BENEATH) rf |= vfs::kBeneath;
  if (resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) {
    // Scoped walks: dirfd is the root; an absolute path starts there too
    // (IN_ROOT) or fails (BENEATH).
    if (dirfd == AT_FDCWD || (!path.empty() && path[0] == '/')) {
      vfs::ResolveContext rel = TRY(vfs::TaskContext(t, dirfd, "."));
      ctx.start = rel.start;
    }
    ctx.root = ctx.start;
  }
  std::shared_ptr<vfs::FileDescription> file;
  if (flags & kOTmpfileOnly) {
    // do_tmpfile(): the path names a directory in which an unnamed file is
    // made; only memfs (tmpfs, the overlay's upper layer) supports it, the
    // gofer's bind mounts are EOPNOTSUPP.
    vfs::Path dir = TRY(vfs::Resolve(ctx, path, vfs::kFollow | rf));
    if (!dir.ino().IsDir()) return Err(Errno::kENOTDIR);
    if (dir.mount->ReadOnly()) return Err(Errno::kEROFS);
    vfs::Stat st = TRY(dir.ino().GetStat());
    TRY(vfs::CheckPermission(st, t.creds(), vfs::kMayWrite | vfs::kMayExec));
    file = TRY(fsimpl::memfs::OpenTmpfile(t, dir, mode & ~t.fs().umask, flags));
  } else {
    file = TRY(vfs::OpenAt(ctx, path, flags, mode, rf));
  }
  return t.fds().Install(std::move(file), flags & O_CLOEXEC, FdLimit(t));
}

}  // namespace

SysResult<int> sys_open(Task& t, UserCString path, int flags, uint32_t mode) {
  return DoOpen(t, AT_FDCWD, path, flags & kValidOpenFlags, mode & 07777, 0);
}

SysResult<int> sys_openat(Task& t, GuestFd dirfd, UserCString path, int flags, uint32_t mode) {
  return DoOpen(t, dirfd.value, path, flags & kValidOpenFlags, mode & 07777, 0);
}

SysResult<int> sys_creat(Task& t, UserCString path, uint32_t mode) {
  return DoOpen(t, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode & 07777, 0);
}

// build_open_how() and the stricter checks of openat2(2).
SysResult<int> sys_openat2(Task& t, GuestFd dirfd, UserCString path, UserPtr<open_how> uhow,
                           size_t size) {
  if (size < kOpenHowSizeVer0) return Err(Errno::kEINVAL);
  if (size > 4096) return Err(Errno::kE2BIG);
  open_how how = TRY(t.CopyIn(uhow));
  // copy_struct_from_user(): a larger struct from a newer ABI is fine when
  // the fields we do not know are zero.
  if (size > sizeof(open_how)) {
    std::string rest(size - sizeof(open_how), '\0');
    TRY(t.CopyInBytes(uhow.addr + sizeof(open_how), rest.data(), rest.size()));
    if (rest.find_first_not_of('\0') != std::string::npos) return Err(Errno::kE2BIG);
  }
  if (how.flags & ~static_cast<uint64_t>(static_cast<uint32_t>(kValidOpenFlags)))
    return Err(Errno::kEINVAL);
  if (how.resolve & ~kValidResolveFlags) return Err(Errno::kEINVAL);
  auto flags = static_cast<int>(how.flags);
  if (flags & (O_CREAT | kOTmpfileOnly)) {
    if (how.mode & ~uint64_t{07777}) return Err(Errno::kEINVAL);
  } else if (how.mode != 0) {
    return Err(Errno::kEINVAL);
  }
  if ((flags & O_PATH) && (flags & ~kOPathFlags)) return Err(Errno::kEINVAL);
  if ((how.resolve & RESOLVE_BENEATH) && (how.resolve & RESOLVE_IN_ROOT))
    return Err(Errno::kEINVAL);
  if ((how.resolve & RESOLVE_CACHED) && (flags & (O_TRUNC | O_CREAT | kOTmpfileOnly)))
    return Err(Errno::kEAGAIN);
  return DoOpen(t, dirfd.value, path, flags, static_cast<uint32_t>(how.mode), how.resolve);
}

SysResult<void> sys_close(Task& t, GuestFd fd) {
  TRY(t.fds().Remove(fd.value));  // the file is dropped here
  vfs::ReleaseDeadOfdLocks();
  return {};
}

SysResult<void> sys_close_range(Task& t, unsigned first, unsigned last, unsigned flags) {
  if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) return Err(Errno::kEINVAL);
  if (first > last) return Err(Errno::kEINVAL);
  if ((flags & CLOSE_RANGE_UNSHARE) && t.fds_.use_count() > 1) t.fds_ = t.fds_->Fork();
  t.fds().CloseRange(first, last, flags & CLOSE_RANGE_CLOEXEC);
  return {};
}

}  // namespace bulwark::syscalls
