#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/sysmacros.h>

#include <cstddef>
#include <cstring>

#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_dir.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/ops.h"
#include "sentry/vfs/permission.h"

namespace bulwark::syscalls {

namespace {

SysResult<void> DoMkdir(Task& t, int dirfd, UserCString upath, uint32_t mode) {
  std::string path = TRY(PathArg(t, upath));
  vfs::ResolveContext ctx = TRY(vfs::TaskContext(t, dirfd, path));
  return vfs::Mkdir(ctx, path, mode);
}

// new_decode_dev(): the 32-bit dev_t of mknod(2).
uint64_t DecodeDev(uint32_t dev) {
  unsigned maj = (dev & 0xfff00) >> 8;
  unsigned min = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  return makedev(maj, min);
}

SysResult<void> DoMknod(Task& t, int dirfd, UserCString upath, uint32_t mode, uint32_t dev) {
  std::string path = TRY(PathArg(t, upath));
  vfs::ResolveContext ctx = TRY(vfs::TaskContext(t, dirfd, path));
  return vfs::Mknod(ctx, path, mode, DecodeDev(dev));
}

// The directory listing of `f` from its offset on, as a snapshot taken
// when reading starts at offset 0: "." and "..", then the entries.
SysResult<const std::vector<vfs::DirEntry>*> Snapshot(Task& t, vfs::FileDescription& f) {
  if (!f.dir_snapshot_valid || f.offset == 0) {
    std::vector<vfs::DirEntry> entries = TRY(f.ReadDir(t));
    const vfs::Path& p = f.path();
    uint64_t self = TRY(p.ino().GetStat()).ino;
    // ".." as the filesystem sees it: the root is its own parent.
    uint64_t parent = self;
    if (p.dentry->parent()) parent = TRY(p.dentry->parent()->ino().GetStat()).ino;
    std::vector<vfs::DirEntry> all;
    all.reserve(entries.size() + 2);
    all.push_back(vfs::DirEntry{self, DT_DIR, "."});
    all.push_back(vfs::DirEntry{parent, DT_DIR, ".."});
    for (auto& e : entries) all.push_back(std::move(e));
    f.dir_snapshot = std::move(all);
    f.dir_snapshot_valid = true;
  }
  return &f.dir_snapshot;
}

// Serializes entries from f.offset into at most `count` bytes with
// `emit(entry, next_offset, out)` returning the record (or empty if it does
// not fit); EINVAL if not even one fits.
template <typename Emit>
SysResult<size_t> GetDents(Task& t, int fd, UserPtr<uint8_t> dirp, unsigned count, Emit emit) {
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, fd));
  if (!f->path().valid() || !f->path().ino().IsDir()) return Err(Errno::kENOTDIR);
  const std::vector<vfs::DirEntry>* entries = TRY(Snapshot(t, *f));
  std::string out;
  uint64_t index = f->offset;
  while (index < entries->size()) {
    size_t before = out.size();
    if (!emit((*entries)[index], index + 1, count - before, out)) break;
    ++index;
  }
  if (out.empty() && index < entries->size()) return Err(Errno::kEINVAL);
  TRY(t.CopyOutBytes(dirp.addr, out.data(), out.size()));
  f->offset = index;
  vfs::NotifyFile(*f, IN_ACCESS);  // iterate_dir()
  return out.size();
}

size_t Align8(size_t n) { return (n + 7) & ~size_t{7}; }

// struct linux_dirent64.
bool EmitDirent64(const vfs::DirEntry& e, uint64_t next, size_t room, std::string& out) {
  constexpr size_t kNameOff = 19;  // d_ino 8, d_off 8, d_reclen 2, d_type 1
  size_t reclen = Align8(kNameOff + e.name.size() + 1);
  if (reclen > room) return false;
  size_t at = out.size();
  out.resize(at + reclen, '\0');
  char* rec = out.data() + at;
  uint64_t ino = e.ino;
  int64_t off = static_cast<int64_t>(next);
  auto len = static_cast<uint16_t>(reclen);
  memcpy(rec, &ino, 8);
  memcpy(rec + 8, &off, 8);
  memcpy(rec + 16, &len, 2);
  rec[18] = static_cast<char>(e.type);
  memcpy(rec + kNameOff, e.name.data(), e.name.size());
  return true;
}

// struct linux_dirent: d_type is the record's last byte.
bool EmitDirent(const vfs::DirEntry& e, uint64_t next, size_t room, std::string& out) {
  constexpr size_t kNameOff = 18;  // d_ino 8, d_off 8, d_reclen 2
  size_t reclen = Align8(kNameOff + e.name.size() + 2);
  if (reclen > room) return false;
  size_t at = out.size();
  out.resize(at + reclen, '\0');
  char* rec = out.data() + at;
  uint64_t ino = e.ino;
  uint64_t off = next;
  auto len = static_cast<uint16_t>(reclen);
  memcpy(rec, &ino, 8);
  memcpy(rec + 8, &off, 8);
  memcpy(rec + 16, &len, 2);
  memcpy(rec + kNameOff, e.name.data(), e.name.size());
  rec[reclen - 1] = static_cast<char>(e.type);
  return true;
}

// Search permission on a directory becoming the cwd or root.
SysResult<void> MayChdir(Task& t, const vfs::Path& p) {
  if (!p.ino().IsDir()) return Err(Errno::kENOTDIR);
  vfs::Stat st = TRY(p.ino().GetStat());
  return vfs::CheckPermission(st, t.creds(), vfs::kMayExec);
}

}  // namespace

SysResult<void> sys_mkdir(Task& t, UserCString path, uint32_t mode) {
  return DoMkdir(t, AT_FDCWD, path, mode);
}

SysResult<void> sys_mkdirat(Task& t, GuestFd dirfd, UserCString path, uint32_t mode) {
  return DoMkdir(t, dirfd.value, path, mode);
}

SysResult<void> sys_rmdir(Task& t, UserCString upath) {
  std::string path = TRY(PathArg(t, upath));
  vfs::ResolveContext ctx = TRY(vfs::TaskContext(t, AT_FDCWD, path));
  return vfs::Rmdir(ctx, path);
}

SysResult<void> sys_mknod(Task& t, UserCString path, uint32_t mode, uint32_t dev) {
  return DoMknod(t, AT_FDCWD, path, mode, dev);
}

SysResult<void> sys_mknodat(Task& t, GuestFd dirfd, UserCString path, uint32_t mode,
                            uint32_t dev) {
  return DoMknod(t, dirfd.value, path, mode, dev);
}

SysResult<size_t> sys_getdents(Task& t, GuestFd fd, UserPtr<uint8_t> dirp, unsigned count) {
  return GetDents(t, fd.value, dirp, count, EmitDirent);
}

SysResult<size_t> sys_getdents64(Task& t, GuestFd fd, UserPtr<uint8_t> dirp, unsigned count) {
  return GetDents(t, fd.value, dirp, count, EmitDirent64);
}

// getcwd(2): ENOENT once the cwd was removed; "(unreachable)" prefix for
// a cwd outside the root.
SysResult<size_t> sys_getcwd(Task& t, UserPtr<char> buf, size_t size) {
  const vfs::Path& cwd = t.fs().cwd;
  if (cwd.dentry->dead()) return Err(Errno::kENOENT);
  std::string s = t.kernel().mounts().PathString(cwd, t.fs().root);
  if (s.size() + 1 > size) return Err(Errno::kERANGE);
  TRY(t.CopyOutBytes(buf.addr, s.c_str(), s.size() + 1));
  return s.size() + 1;
}

SysResult<void> sys_chdir(Task& t, UserCString upath) {
  std::string path = TRY(PathArg(t, upath));
  vfs::Path p = TRY(ResolveAt(t, AT_FDCWD, path, vfs::kFollow | vfs::kDirectory));
  TRY(MayChdir(t, p));
  t.fs().cwd = std::move(p);
  return {};
}

SysResult<void> sys_fchdir(Task& t, GuestFd fd) {
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, fd.value, /*allow_path=*/true));
  if (!f->path().valid()) return Err(Errno::kENOTDIR);
  TRY(MayChdir(t, f->path()));
  t.fs().cwd = f->path();
  return {};
}

SysResult<void> sys_chroot(Task& t, UserCString upath) {
  std::string path = TRY(PathArg(t, upath));
  vfs::Path p = TRY(ResolveAt(t, AT_FDCWD, path, vfs::kFollow | vfs::kDirectory));
  TRY(MayChdir(t, p));
  if (!t.creds().HasCap(CAP_SYS_CHROOT)) return Err(Errno::kEPERM);
  t.fs().root = std::move(p);
  return {};
}

}  // namespace bulwark::syscalls
