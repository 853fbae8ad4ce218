#include <linux/capability.h>

#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/ops.h"
#include "sentry/vfs/ops_internal.h"
#include "sentry/vfs/permission.h"

namespace bulwark::vfs {

using internal::CredsOf;

SysResult<void> Mkdir(const ResolveContext& ctx, std::string_view path, uint32_t mode) {
  ParentAndName pn = TRY(internal::PrepareCreate(ctx, path, true));
  std::shared_ptr<Inode> inode =
      TRY(pn.parent.ino().Mkdir(pn.name, mode & 01777 & ~ctx.umask, CredsOf(ctx)));
  NotifyCreate(*pn.parent.dentry, pn.name, *inode);
  pn.parent.dentry->AddChild(pn.name, std::move(inode));
  return {};
}

SysResult<void> Mknod(const ResolveContext& ctx, std::string_view path, uint32_t mode,
                      uint64_t rdev) {
  // may_mknod()
  uint32_t type = mode & S_IFMT;
  switch (type) {
    case 0:
      type = S_IFREG;
      break;
    case S_IFREG:
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO:
    case S_IFSOCK:
      break;
    case S_IFDIR:
      return Err(Errno::kEPERM);
    default:
      return Err(Errno::kEINVAL);
  }
  ParentAndName pn = TRY(internal::PrepareCreate(ctx, path, false));
  const kernel::Credentials& creds = CredsOf(ctx);
  uint32_t perm = mode & 07777 & ~ctx.umask;
  std::shared_ptr<Inode> inode;
  if (type == S_IFREG) {
    inode = TRY(pn.parent.ino().Create(pn.name, perm, creds));
  } else {
    if ((type == S_IFCHR || type == S_IFBLK) && !creds.HasCap(CAP_MKNOD))
      return Err(Errno::kEPERM);
    if (type != S_IFCHR && type != S_IFBLK) rdev = 0;
    inode = TRY(pn.parent.ino().Mknod(pn.name, type | perm, rdev, creds));
  }
  NotifyCreate(*pn.parent.dentry, pn.name, *inode);
  pn.parent.dentry->AddChild(pn.name, std::move(inode));
  return {};
}

SysResult<void> Symlink(std::string_view target, const ResolveContext& ctx,
                        std::string_view path) {
  if (target.empty()) return Err(Errno::kENOENT);
  ParentAndName pn = TRY(internal::PrepareCreate(ctx, path, false));
  std::shared_ptr<Inode> inode = TRY(pn.parent.ino().Symlink(pn.name, target, CredsOf(ctx)));
  NotifyCreate(*pn.parent.dentry, pn.name, *inode);
  pn.parent.dentry->AddChild(pn.name, std::move(inode));
  return {};
}

namespace {

// may_linkat() with fs.protected_hardlinks=1 (the default of most
// distributions): without owning the file or CAP_FOWNER, only regular files
// that are not setuid, not setgid-executable, and readable and writable by
// the caller may be linked.
SysResult<void> MayLink(const Stat& st, const kernel::Credentials& creds) {
  if (OwnerOrCapable(st, creds)) return {};
  bool safe = S_ISREG(st.mode) && !(st.mode & S_ISUID) &&
              (st.mode & (S_ISGID | S_IXGRP)) != (S_ISGID | S_IXGRP) &&
              CheckPermission(st, creds, kMayRead | kMayWrite).has_value();
  return safe ? SysResult<void>{} : Err(Errno::kEPERM);
}

}  // namespace

SysResult<void> Link(const Path& target, const ResolveContext& ctx, std::string_view path) {
  ParentAndName pn = TRY(internal::PrepareCreate(ctx, path, false, /*skip_may_create=*/true));
  if (target.mount != pn.parent.mount) return Err(Errno::kEXDEV);
  const kernel::Credentials& creds = CredsOf(ctx);
  Stat st = TRY(target.ino().GetStat());
  TRY(MayLink(st, creds));
  // vfs_link()
  TRY(internal::MayCreate(ctx, pn.parent));
  if (target.ino().IsDir()) return Err(Errno::kEPERM);
  // A file whose last name is gone (nlink 0) is ENOENT, which the
  // filesystem decides: memfs allows O_TMPFILE files (I_LINKABLE).
  TRY(pn.parent.ino().Link(pn.name, target.dentry->inode()));
  pn.parent.dentry->AddChild(pn.name, target.dentry->inode());
  NotifyLink(*pn.parent.dentry, pn.name, target.ino());
  return {};
}

SysResult<void> Unlink(const ResolveContext& ctx, std::string_view path) {
  ParentAndName pn = TRY(ResolveParent(ctx, path, 0));
  if (pn.type != LastType::kNormal) return Err(Errno::kEISDIR);
  if (pn.parent.mount->ReadOnly()) return Err(Errno::kEROFS);
  std::shared_ptr<Dentry> victim = TRY(internal::LookupHere(pn.parent, pn.name));
  if (pn.trailing_slash) return Err(victim->ino().IsDir() ? Errno::kEISDIR : Errno::kENOTDIR);
  TRY(internal::MayDelete(ctx, pn.parent, *victim, false));
  if (internal::IsMountpoint(ctx, Path{pn.parent.mount, victim})) return Err(Errno::kEBUSY);
  TRY(pn.parent.ino().Unlink(pn.name));
  pn.parent.dentry->RemoveChild(pn.name);
  NotifyRemove(*pn.parent.dentry, pn.name, *victim, false);
  return {};
}

SysResult<void> Rmdir(const ResolveContext& ctx, std::string_view path) {
  ParentAndName pn = TRY(ResolveParent(ctx, path, 0));
  switch (pn.type) {
    case LastType::kDotDot: return Err(Errno::kENOTEMPTY);
    case LastType::kDot: return Err(Errno::kEINVAL);
    case LastType::kRoot: return Err(Errno::kEBUSY);
    case LastType::kNormal: break;
  }
  if (pn.parent.mount->ReadOnly()) return Err(Errno::kEROFS);
  std::shared_ptr<Dentry> victim = TRY(internal::LookupHere(pn.parent, pn.name));
  TRY(internal::MayDelete(ctx, pn.parent, *victim, true));
  if (internal::IsMountpoint(ctx, Path{pn.parent.mount, victim})) return Err(Errno::kEBUSY);
  TRY(pn.parent.ino().Rmdir(pn.name));
  pn.parent.dentry->RemoveChild(pn.name);
  NotifyRemove(*pn.parent.dentry, pn.name, *victim, true);
  return {};
}

SysResult<std::string> Readlink(const Path& link, kernel::Task* task) {
  if (!link.ino().IsSymlink()) return Err(Errno::kEINVAL);
  if (task != nullptr) return link.ino().ReadlinkAs(*task);
  return link.ino().Readlink();
}

}  // namespace bulwark::vfs
