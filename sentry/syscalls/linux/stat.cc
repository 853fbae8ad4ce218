#include <fcntl.h>
#include <linux/magic.h>
#include <sys/sysmacros.h>

#include <cstring>

#include "sentry/fsimpl/memfs/memfs.h"
#include "sentry/fsimpl/pipe.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_stat.h"
#include "sentry/vfs/ops.h"

namespace bulwark::syscalls {

namespace {

static_assert(sizeof(struct stat) == 144);
static_assert(sizeof(struct statx) == 256);
static_assert(sizeof(struct statfs) == 120);

constexpr unsigned kStatxReserved = 0x80000000u;  // STATX__RESERVED
constexpr uint64_t kAnonInodeFsMagic = 0x09041934;

struct stat ToLinuxStat(const vfs::Stat& s) {
  struct stat out;
  memset(&out, 0, sizeof(out));
  out.st_dev = s.dev;
  out.st_ino = s.ino;
  out.st_nlink = s.nlink;
  out.st_mode = s.mode;
  out.st_uid = s.uid;
  out.st_gid = s.gid;
  out.st_rdev = s.rdev;
  out.st_size = static_cast<off_t>(s.size);
  out.st_blksize = s.blksize;
  out.st_blocks = static_cast<blkcnt_t>(s.blocks);
  out.st_atim = s.atime;
  out.st_mtim = s.mtime;
  out.st_ctim = s.ctime;
  return out;
}

statx_timestamp ToStatxTime(const timespec& ts) {
  statx_timestamp t{};
  t.tv_sec = ts.tv_sec;
  t.tv_nsec = static_cast<uint32_t>(ts.tv_nsec);
  return t;
}

// The file an *at stat call names: AT_EMPTY_PATH with "" means dirfd.
SysResult<std::shared_ptr<vfs::FileDescription>> StatTarget(Task& t, int dirfd,
                                                            const std::string& path, int flags) {
  if (path.empty() && (flags & AT_EMPTY_PATH)) return EmptyPathFile(t, dirfd);
  unsigned rf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : vfs::kFollow;
  vfs::Path p = TRY(ResolveAt(t, dirfd, path, rf));
  return std::make_shared<vfs::FileDescription>(std::move(p), O_PATH);
}

SysResult<void> DoStat(Task& t, int dirfd, UserCString upath, UserPtr<struct stat> buf,
                       int flags) {
  std::string path = TRY(PathArg(t, upath));
  auto f = TRY(StatTarget(t, dirfd, path, flags));
  vfs::Stat st = TRY(f->GetStat());
  return t.CopyOut(buf, ToLinuxStat(st));
}

// statfs of a filesystem; memfs instances report their real usage.
SysResult<struct statfs> FsStats(vfs::FileDescription& f) {
  if (!f.path().valid()) {
    struct statfs sf;
    memset(&sf, 0, sizeof(sf));
    sf.f_type = dynamic_cast<fsimpl::PipeFile*>(&f) ? PIPEFS_MAGIC : kAnonInodeFsMagic;
    sf.f_bsize = sf.f_frsize = 4096;
    sf.f_namelen = 255;
    return sf;
  }
  const vfs::Path& p = f.path();
  struct statfs sf = TRY(vfs::StatFs(p));
  if (auto usage = fsimpl::memfs::UsageOf(p.mount->root()->ino())) {
    uint64_t used = (usage->bytes_used + 4095) / 4096;
    if (usage->size_limit != 0) sf.f_blocks = usage->size_limit / 4096;
    sf.f_bfree = sf.f_bavail = sf.f_blocks > used ? sf.f_blocks - used : 0;
    if (usage->inode_limit != 0) sf.f_files = usage->inode_limit;
    sf.f_ffree = sf.f_files > usage->inodes_used ? sf.f_files - usage->inodes_used : 0;
  }
  return sf;
}

}  // namespace

SysResult<void> sys_stat(Task& t, UserCString path, UserPtr<struct stat> buf) {
  return DoStat(t, AT_FDCWD, path, buf, 0);
}

SysResult<void> sys_lstat(Task& t, UserCString path, UserPtr<struct stat> buf) {
  return DoStat(t, AT_FDCWD, path, buf, AT_SYMLINK_NOFOLLOW);
}

SysResult<void> sys_fstat(Task& t, GuestFd fd, UserPtr<struct stat> buf) {
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, fd.value, /*allow_path=*/true));
  vfs::Stat st = TRY(f->GetStat());
  return t.CopyOut(buf, ToLinuxStat(st));
}

SysResult<void> sys_newfstatat(Task& t, GuestFd dirfd, UserCString path,
                               UserPtr<struct stat> buf, int flags) {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH)) return Err(Errno::kEINVAL);
  return DoStat(t, dirfd.value, path, buf, flags);
}

SysResult<void> sys_statx(Task& t, GuestFd dirfd, UserCString upath, int flags, unsigned mask,
                          UserPtr<struct statx> buf) {
  if (mask & kStatxReserved) return Err(Errno::kEINVAL);
  if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE) return Err(Errno::kEINVAL);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE))
    return Err(Errno::kEINVAL);
  // Linux 6.11 and later accept a NULL path with AT_EMPTY_PATH.
  std::string path;
  if (!upath.null() || !(flags & AT_EMPTY_PATH)) path = TRY(PathArg(t, upath));
  auto f = TRY(StatTarget(t, dirfd.value, path, flags));
  vfs::Stat st = TRY(f->GetStat());

  struct statx sx;
  memset(&sx, 0, sizeof(sx));
  // Every basic field is filled whatever `mask` asked for, as Linux does.
  sx.stx_mask = STATX_BASIC_STATS | STATX_MNT_ID;
  if (st.btime.tv_sec != 0 || st.btime.tv_nsec != 0) sx.stx_mask |= STATX_BTIME;
  sx.stx_blksize = st.blksize;
  sx.stx_nlink = st.nlink;
  sx.stx_uid = st.uid;
  sx.stx_gid = st.gid;
  sx.stx_mode = static_cast<uint16_t>(st.mode);
  sx.stx_ino = st.ino;
  sx.stx_size = st.size;
  sx.stx_blocks = st.blocks;
  sx.stx_attributes_mask = STATX_ATTR_MOUNT_ROOT;
  const vfs::Path& p = f->path();
  if (p.valid()) {
    if (p.dentry == p.mount->root()) sx.stx_attributes |= STATX_ATTR_MOUNT_ROOT;
    sx.stx_mnt_id = p.mount->id();
  }
  sx.stx_atime = ToStatxTime(st.atime);
  sx.stx_btime = ToStatxTime(st.btime);
  sx.stx_ctime = ToStatxTime(st.ctime);
  sx.stx_mtime = ToStatxTime(st.mtime);
  sx.stx_rdev_major = major(st.rdev);
  sx.stx_rdev_minor = minor(st.rdev);
  sx.stx_dev_major = major(st.dev);
  sx.stx_dev_minor = minor(st.dev);
  return t.CopyOut(buf, sx);
}

SysResult<void> sys_statfs(Task& t, UserCString upath, UserPtr<struct statfs> buf) {
  std::string path = TRY(PathArg(t, upath));
  vfs::Path p = TRY(ResolveAt(t, AT_FDCWD, path, vfs::kFollow));
  vfs::FileDescription f(std::move(p), O_PATH);
  struct statfs sf = TRY(FsStats(f));
  return t.CopyOut(buf, sf);
}

SysResult<void> sys_fstatfs(Task& t, GuestFd fd, UserPtr<struct statfs> buf) {
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, fd.value, /*allow_path=*/true));
  struct statfs sf = TRY(FsStats(*f));
  return t.CopyOut(buf, sf);
}

}  // namespace bulwark::syscalls
