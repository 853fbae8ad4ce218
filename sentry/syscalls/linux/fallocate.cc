// fallocate(2), posix_fadvise(2) and readahead(2).
#include <fcntl.h>
#include <linux/falloc.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>

#include "sentry/fsimpl/memfs/shmem.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_fallocate.h"

namespace bulwark::syscalls {

namespace {

constexpr int kSupported = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_NO_HIDE_STALE |
                           FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_ZERO_RANGE |
                           FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE;

// inode_newsize_ok()'s RLIMIT_FSIZE check: SIGXFSZ and EFBIG past it.
SysResult<void> CheckFsize(Task& t, uint64_t new_size) {
  uint64_t limit = t.tg().rlimits[RLIMIT_FSIZE].cur;
  if (limit == RLIM_INFINITY || new_size <= limit) return {};
  siginfo_t info{};
  info.si_signo = SIGXFSZ;
  info.si_code = SI_USER;
  info.si_pid = t.tgid();
  info.si_uid = t.creds().ruid;
  t.SendSignal(info);
  return Err(Errno::kEFBIG);
}

}  // namespace

SysResult<uint64_t> FsizeLimitedCount(Task& t, vfs::FileDescription& f, uint64_t pos,
                                      uint64_t count) {
  uint64_t limit = t.tg().rlimits[RLIMIT_FSIZE].cur;
  if (limit == RLIM_INFINITY || count == 0) return count;
  vfs::Stat st = TRY(f.GetStat());
  if (!S_ISREG(st.mode)) return count;
  if (pos >= limit) {
    TRY(CheckFsize(t, pos + 1));  // sends SIGXFSZ, fails with EFBIG
  }
  return std::min(count, limit - pos);
}

// vfs_fallocate(), in its order of checks. Only memfs (tmpfs) files
// support it, with shmem's modes: allocate (0), KEEP_SIZE and
// PUNCH_HOLE|KEEP_SIZE; ZERO_RANGE and the others are EOPNOTSUPP there as
// on Linux tmpfs. Gofer files are EOPNOTSUPP too: the gofer protocol has
// no fallocate yet (glibc's posix_fallocate then writes zeros itself).
SysResult<void> sys_fallocate(Task& t, GuestFd fd, int mode, int64_t offset, int64_t len) {
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, fd.value));
  if (offset < 0 || len <= 0) return Err(Errno::kEINVAL);
  if (mode & ~kSupported) return Err(Errno::kEOPNOTSUPP);
  if ((mode & FALLOC_FL_PUNCH_HOLE) && (mode & FALLOC_FL_ZERO_RANGE)) return Err(Errno::kEOPNOTSUPP);
  if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
    return Err(Errno::kEOPNOTSUPP);
  if ((mode & FALLOC_FL_COLLAPSE_RANGE) && (mode & ~FALLOC_FL_COLLAPSE_RANGE))
    return Err(Errno::kEINVAL);
  if ((mode & FALLOC_FL_INSERT_RANGE) && (mode & ~FALLOC_FL_INSERT_RANGE))
    return Err(Errno::kEINVAL);
  if ((mode & FALLOC_FL_UNSHARE_RANGE) &&
      (mode & ~(FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_KEEP_SIZE)))
    return Err(Errno::kEINVAL);
  if (!f->Writable()) return Err(Errno::kEBADF);
  vfs::Stat st = TRY(f->GetStat());
  if (S_ISFIFO(st.mode) || S_ISSOCK(st.mode)) return Err(Errno::kESPIPE);
  if (S_ISDIR(st.mode)) return Err(Errno::kEISDIR);
  if (!S_ISREG(st.mode) && !S_ISBLK(st.mode)) return Err(Errno::kENODEV);
  uint64_t end;
  if (__builtin_add_overflow(static_cast<uint64_t>(offset), static_cast<uint64_t>(len), &end) ||
      end > static_cast<uint64_t>(INT64_MAX))
    return Err(Errno::kEFBIG);
  if (!fsimpl::memfs::IsMemFile(*f)) return Err(Errno::kEOPNOTSUPP);
  if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)) return Err(Errno::kEOPNOTSUPP);
  if (!(mode & FALLOC_FL_KEEP_SIZE) && end > st.size) TRY(CheckFsize(t, end));
  return fsimpl::memfs::Fallocate(t, *f, mode, static_cast<uint64_t>(offset),
                                  static_cast<uint64_t>(len));
}

// generic_fadvise(): advice is a hint with no effect here (no page cache).
SysResult<void> sys_fadvise64(Task& t, GuestFd fd, int64_t offset, int64_t len, int advice) {
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, fd.value));
  vfs::Stat st = TRY(f->GetStat());
  if (S_ISFIFO(st.mode)) return Err(Errno::kESPIPE);
  if (!f->Seekable()) return Err(Errno::kESPIPE);
  if (len < 0) return Err(Errno::kEINVAL);
  switch (advice) {
    case POSIX_FADV_NORMAL: case POSIX_FADV_RANDOM: case POSIX_FADV_SEQUENTIAL:
    case POSIX_FADV_WILLNEED: case POSIX_FADV_DONTNEED: case POSIX_FADV_NOREUSE:
      return {};
    default:
      return Err(Errno::kEINVAL);
  }
}

// ksys_readahead(): a hint; EBADF unless readable, EINVAL unless a regular
// file (the only files with a page cache that could be filled).
SysResult<void> sys_readahead(Task& t, GuestFd fd, int64_t offset, size_t count) {
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, fd.value));
  if (!f->Readable()) return Err(Errno::kEBADF);
  vfs::Stat st = TRY(f->GetStat());
  if (!S_ISREG(st.mode)) return Err(Errno::kEINVAL);
  if (offset < 0) return Err(Errno::kEINVAL);
  return {};
}

}  // namespace bulwark::syscalls
