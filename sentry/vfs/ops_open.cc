#include <fcntl.h>
#include <sys/mount.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/ops.h"
#include "sentry/vfs/ops_internal.h"
#include "sentry/vfs/permission.h"

namespace bulwark::vfs {

namespace {

using internal::CredsOf;

constexpr int kOTmpfileOnly = O_TMPFILE & ~O_DIRECTORY;  // __O_TMPFILE

// ACC_MODE(): O_RDONLY reads, O_WRONLY writes, O_RDWR and 3 both.
int AccessMode(int flags) {
  switch (flags & O_ACCMODE) {
    case O_RDONLY: return kMayRead;
    case O_WRONLY: return kMayWrite;
    default: return kMayRead | kMayWrite;
  }
}

// may_open() and the read-only-mount checks of do_open()/do_dentry_open().
SysResult<void> MayOpen(const ResolveContext& ctx, const Path& p, int acc, int flags) {
  Stat st = TRY(p.ino().GetStat());
  const Mount& mnt = *p.mount;
  switch (st.mode & S_IFMT) {
    case S_IFLNK:
      return Err(Errno::kELOOP);
    case S_IFDIR:
      if (acc & kMayWrite) return Err(Errno::kEISDIR);
      if (acc & kMayExec) return Err(Errno::kEACCES);
      break;
    case S_IFCHR:
    case S_IFBLK:
      if (mnt.flags() & MS_NODEV) return Err(Errno::kEACCES);
      break;
    case S_IFIFO:
    case S_IFSOCK:
      acc &= ~kMayExec;
      break;
    case S_IFREG:
      if ((acc & kMayExec) && (mnt.flags() & MS_NOEXEC)) return Err(Errno::kEACCES);
      if ((flags & O_TRUNC) && mnt.ReadOnly()) return Err(Errno::kEROFS);
      break;
    default:
      break;
  }
  if (ctx.creds != nullptr) TRY(CheckPermission(st, *ctx.creds, acc));
  // Device nodes, FIFOs and sockets stay writable on a read-only mount.
  uint32_t type = st.mode & S_IFMT;
  if ((acc & kMayWrite) && mnt.ReadOnly() && (type == S_IFREG || type == S_IFDIR))
    return Err(Errno::kEROFS);
  if ((flags & O_NOATIME) && !OwnerOrCapable(st, CredsOf(ctx))) return Err(Errno::kEPERM);
  // Sockets cannot be opened (sock_no_open()).
  if (type == S_IFSOCK) return Err(Errno::kENXIO);
  return {};
}

// Truncation by O_TRUNC (handle_truncate()): also drops setuid/setgid for
// callers without CAP_FSETID.
SysResult<void> TruncateOnOpen(const ResolveContext& ctx, const Path& p) {
  Stat st = TRY(p.ino().GetStat());
  SetStatRequest req;
  req.mask = SetStatRequest::kSize | SetStatRequest::kMtimeNow;
  req.size = 0;
  req = TRY(CheckSetAttr(st, nullptr, CredsOf(ctx), req));
  TRY(p.ino().SetStat(req));
  NotifyPath(p, SetStatEvents(req));
  return {};
}

SysResult<PreparedOpen> Prepare(const ResolveContext& ctx, std::string_view path, int flags,
                                uint32_t mode, unsigned resolve_flags, int acc) {
  PreparedOpen out;
  unsigned rf = resolve_flags;
  if (!(flags & O_NOFOLLOW)) rf |= kFollow;
  if (flags & O_DIRECTORY) rf |= kDirectory;

  if (flags & O_CREAT) {
    CreateTarget ct = TRY(ResolveForCreate(ctx, path, rf & ~kDirectory));
    if (!ct.existing.valid()) {
      const Path& parent = ct.where.parent;
      // lookup_open(): EROFS, then may_o_create().
      if (parent.mount->ReadOnly()) return Err(Errno::kEROFS);
      TRY(internal::MayCreate(ctx, parent));
      uint32_t perm = mode & 07777 & ~ctx.umask;
      std::shared_ptr<Inode> inode =
          TRY(parent.ino().Create(ct.where.name, perm, CredsOf(ctx)));
      out.path = Path{parent.mount, parent.dentry->AddChild(ct.where.name, std::move(inode))};
      out.created = true;
      NotifyCreate(*parent.dentry, ct.where.name, out.path.ino());
    } else {
      if (flags & O_EXCL) return Err(Errno::kEEXIST);
      if (ct.existing.ino().IsDir()) return Err(Errno::kEISDIR);
      out.path = std::move(ct.existing);
    }
  } else {
    out.path = TRY(Resolve(ctx, path, rf));
  }

  if (!(flags & O_PATH) && !out.created) {
    TRY(MayOpen(ctx, out.path, acc, flags));
    // A running executable cannot be opened for writing (ETXTBSY), checked
    // before O_TRUNC truncates it (handle_truncate()/get_write_access()).
    if ((acc & kMayWrite) && out.path.ino().IsRegular() && out.path.ino().WriteDenied())
      return Err(Errno::kETXTBSY);
    if ((flags & O_TRUNC) && out.path.ino().IsRegular()) TRY(TruncateOnOpen(ctx, out.path));
  }
  out.flags = flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
  return out;
}

}  // namespace

SysResult<PreparedOpen> PrepareOpen(const ResolveContext& ctx, std::string_view path, int flags,
                                    uint32_t mode, unsigned resolve_flags) {
  if (flags & kOTmpfileOnly) return Err(Errno::kEOPNOTSUPP);
  int acc;
  if (flags & O_PATH) {
    flags &= O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;
    acc = 0;
  } else {
    // Linux 6.4 and later reject the combination, whose older behaviour
    // was never consistent (open(2), "EINVAL").
    if ((flags & O_CREAT) && (flags & O_DIRECTORY)) return Err(Errno::kEINVAL);
    acc = AccessMode(flags);
    if (flags & O_TRUNC) acc |= kMayWrite;
    if ((flags & O_CREAT) && (flags & O_EXCL)) flags |= O_NOFOLLOW;
  }
  return Prepare(ctx, path, flags, mode, resolve_flags, acc);
}

SysResult<std::shared_ptr<FileDescription>> OpenPrepared(kernel::Task& t, const PreparedOpen& p) {
  if (p.flags & O_PATH) return std::make_shared<FileDescription>(p.path, p.flags);
  bool write = (p.flags & O_ACCMODE) != O_RDONLY && p.path.ino().IsRegular();
  if (write && !p.path.ino().GetWriteAccess()) return Err(Errno::kETXTBSY);
  auto opened = p.path.ino().Open(t, p.path, p.flags);
  if (!opened) {
    if (write) p.path.ino().PutWriteAccess();
    return Err(opened.error());
  }
  std::shared_ptr<FileDescription> f = std::move(*opened);
  if (write) f->write_access = p.path.ino().shared_from_this();
  NotifyFile(*f, IN_OPEN);
  return f;
}

SysResult<std::shared_ptr<FileDescription>> OpenAt(const ResolveContext& ctx,
                                                   std::string_view path, int flags,
                                                   uint32_t mode, unsigned resolve_flags) {
  PreparedOpen p = TRY(PrepareOpen(ctx, path, flags, mode, resolve_flags));
  return OpenPrepared(*ctx.task, p);
}

// do_open_execat(): every failure is EACCES.
SysResult<std::shared_ptr<FileDescription>> OpenExecutable(const ResolveContext& ctx,
                                                           std::string_view path) {
  PreparedOpen p = TRY(Prepare(ctx, path, O_RDONLY, 0, 0, kMayExec));
  if (!p.path.ino().IsRegular()) return Err(Errno::kEACCES);
  return OpenPrepared(*ctx.task, p);
}

}  // namespace bulwark::vfs
