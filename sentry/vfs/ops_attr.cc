#include <linux/capability.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstring>

#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/ops.h"
#include "sentry/vfs/permission.h"

namespace bulwark::vfs {

namespace {

using R = SetStatRequest;

// should_remove_suid() for a regular file being truncated: setuid always,
// setgid when group-executable, unless the caller has CAP_FSETID.
void KillPrivsOnTruncate(const Stat& st, const kernel::Credentials& creds, R& req) {
  if (!S_ISREG(st.mode) || creds.HasCap(CAP_FSETID)) return;
  uint32_t mode = (req.mask & R::kMode) ? req.mode : (st.mode & 07777);
  uint32_t killed = mode & ~S_ISUID;
  if ((killed & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP)) killed &= ~S_ISGID;
  if (killed != mode) {
    req.mask |= R::kMode;
    req.mode = killed;
  }
}

// chown_ok() and chgrp_ok().
bool MayChown(const Stat& st, const kernel::Credentials& creds, uint32_t uid) {
  if (creds.fsuid == st.uid && uid == st.uid) return true;
  return creds.HasCap(CAP_CHOWN);
}
bool MayChgrp(const Stat& st, const kernel::Credentials& creds, uint32_t gid) {
  if (creds.fsuid == st.uid && (gid == st.gid || creds.InGroup(gid))) return true;
  return creds.HasCap(CAP_CHOWN);
}

}  // namespace

SysResult<SetStatRequest> CheckSetAttr(const Stat& st, const Mount* mount,
                                       const kernel::Credentials& creds, SetStatRequest req) {
  if (mount != nullptr && mount->ReadOnly()) return Err(Errno::kEROFS);
  bool owner = OwnerOrCapable(st, creds);
  // may_setattr(): times == NULL (or both UTIME_NOW) is allowed to anyone
  // who may write the file.
  bool touch = (req.mask & R::kAtimeNow) && (req.mask & R::kMtimeNow) &&
               !(req.mask & (R::kAtime | R::kMtime));
  if (touch && !owner) TRY(CheckPermission(st, creds, kMayWrite));

  if ((req.mask & R::kUid) && !MayChown(st, creds, req.uid)) return Err(Errno::kEPERM);
  if ((req.mask & R::kGid) && !MayChgrp(st, creds, req.gid)) return Err(Errno::kEPERM);
  if (req.mask & R::kMode) {
    if (!owner) return Err(Errno::kEPERM);
    uint32_t gid = (req.mask & R::kGid) ? req.gid : st.gid;
    if (!creds.InGroup(gid) && !creds.HasCap(CAP_FSETID)) req.mode &= ~S_ISGID;
  }
  if ((req.mask & (R::kAtime | R::kMtime)) && !owner) return Err(Errno::kEPERM);

  // chown_common(): changing the owner of a non-directory drops setuid, and
  // setgid when group-executable, whoever does it.
  if ((req.mask & (R::kUid | R::kGid)) && !S_ISDIR(st.mode)) {
    uint32_t mode = (req.mask & R::kMode) ? req.mode : (st.mode & 07777);
    uint32_t killed = mode & ~S_ISUID;
    if ((killed & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP)) killed &= ~S_ISGID;
    if (killed != mode) {
      req.mask |= R::kMode;
      req.mode = killed;
    }
  }
  if (req.mask & R::kSize) KillPrivsOnTruncate(st, creds, req);
  return req;
}

SysResult<void> SetAttr(const Path& p, const kernel::Credentials& creds, SetStatRequest req) {
  Stat st = TRY(p.ino().GetStat());
  req = TRY(CheckSetAttr(st, p.mount.get(), creds, req));
  TRY(p.ino().SetStat(req));
  NotifyPath(p, SetStatEvents(req));
  return {};
}

SysResult<void> SetAttrFile(FileDescription& f, const kernel::Credentials& creds,
                            SetStatRequest req) {
  Stat st = TRY(f.GetStat());
  req = TRY(CheckSetAttr(st, f.path().mount.get(), creds, req));
  TRY(f.SetStat(req));
  NotifyFile(f, SetStatEvents(req));
  return {};
}

// vfs_truncate()
SysResult<void> Truncate(const Path& p, const kernel::Credentials& creds, int64_t length) {
  if (length < 0) return Err(Errno::kEINVAL);
  Stat st = TRY(p.ino().GetStat());
  if (S_ISDIR(st.mode)) return Err(Errno::kEISDIR);
  if (!S_ISREG(st.mode)) return Err(Errno::kEINVAL);
  if (p.mount->ReadOnly()) return Err(Errno::kEROFS);
  TRY(CheckPermission(st, creds, kMayWrite));
  if (p.ino().WriteDenied()) return Err(Errno::kETXTBSY);  // vfs_truncate(): get_write_access()
  R req;
  req.mask = R::kSize;
  req.size = static_cast<uint64_t>(length);
  KillPrivsOnTruncate(st, creds, req);
  TRY(p.ino().SetStat(req));
  NotifyPath(p, SetStatEvents(req));
  return {};
}

// do_sys_ftruncate()
SysResult<void> TruncateFile(FileDescription& f, const kernel::Credentials& creds,
                             int64_t length) {
  if (length < 0) return Err(Errno::kEINVAL);
  Stat st = TRY(f.GetStat());
  if (!S_ISREG(st.mode) || !f.Writable()) return Err(Errno::kEINVAL);
  R req;
  req.mask = R::kSize | R::kMtimeNow;
  req.size = static_cast<uint64_t>(length);
  KillPrivsOnTruncate(st, creds, req);
  TRY(f.SetStat(req));
  NotifyFile(f, SetStatEvents(req));
  return {};
}

kernel::Credentials AccessCredentials(const kernel::Credentials& creds) {
  kernel::Credentials c = creds;
  c.fsuid = c.ruid;
  c.fsgid = c.rgid;
  c.cap_effective = c.ruid == 0 ? c.cap_permitted : 0;
  return c;
}

// do_faccessat()
SysResult<void> CheckAccess(const Path& p, const kernel::Credentials& creds, int mode) {
  mode &= R_OK | W_OK | X_OK;
  if (mode == 0) return {};
  Stat st = TRY(p.ino().GetStat());
  if ((mode & X_OK) && S_ISREG(st.mode) && (p.mount->flags() & MS_NOEXEC))
    return Err(Errno::kEACCES);
  TRY(CheckPermission(st, creds, mode));
  uint32_t type = st.mode & S_IFMT;
  bool special = type == S_IFCHR || type == S_IFBLK || type == S_IFIFO || type == S_IFSOCK;
  if ((mode & W_OK) && !special && p.mount->ReadOnly()) return Err(Errno::kEROFS);
  return {};
}

namespace {

constexpr long kStValid = 0x20;  // ST_VALID: f_flags is meaningful (statfs(2))

uint64_t FsMagic(const std::string& type) {
  static const struct {
    const char* name;
    uint64_t magic;
  } kMagics[] = {
      {"tmpfs", TMPFS_MAGIC},   {"devtmpfs", TMPFS_MAGIC},   {"proc", PROC_SUPER_MAGIC},
      {"sysfs", SYSFS_MAGIC},   {"devpts", DEVPTS_SUPER_MAGIC}, {"mqueue", 0x19800202},
      {"overlay", OVERLAYFS_SUPER_MAGIC}, {"cgroup2", CGROUP2_SUPER_MAGIC},
      {"cgroup", CGROUP_SUPER_MAGIC},
  };
  for (const auto& m : kMagics)
    if (type == m.name) return m.magic;
  return TMPFS_MAGIC;
}

}  // namespace

// Filesystems do not report usage through vfs::Inode yet: sizes are
// synthesized (a large, mostly free filesystem) so that free-space checks
// pass; the syscall layer refines them where it knows better.
SysResult<struct statfs> StatFs(const Path& p) {
  Stat st = TRY(p.ino().GetStat());
  struct statfs sf;
  memset(&sf, 0, sizeof(sf));
  sf.f_type = static_cast<__fsword_t>(FsMagic(p.mount->fs_type()));
  sf.f_bsize = 4096;
  sf.f_frsize = 4096;
  sf.f_blocks = uint64_t{1} << 25;
  sf.f_bfree = sf.f_bavail = sf.f_blocks;
  sf.f_files = uint64_t{1} << 20;
  sf.f_ffree = sf.f_files;
  int fsid[2] = {static_cast<int>(st.dev & 0xffffffff), static_cast<int>(st.dev >> 32)};
  memcpy(&sf.f_fsid, fsid, sizeof(fsid));
  sf.f_namelen = 255;
  int mf = p.mount->flags();
  long flags = kStValid;
  if (mf & MS_RDONLY) flags |= ST_RDONLY;
  if (mf & MS_NOSUID) flags |= ST_NOSUID;
  if (mf & MS_NODEV) flags |= ST_NODEV;
  if (mf & MS_NOEXEC) flags |= ST_NOEXEC;
  if (mf & MS_SYNCHRONOUS) flags |= ST_SYNCHRONOUS;
  if (mf & MS_NOATIME) flags |= ST_NOATIME;
  if (mf & MS_NODIRATIME) flags |= ST_NODIRATIME;
  if (!(mf & (MS_NOATIME | MS_STRICTATIME))) flags |= ST_RELATIME;
  sf.f_flags = flags;
  return sf;
}

}  // namespace bulwark::vfs
