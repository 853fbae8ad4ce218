#include <linux/capability.h>
#include <linux/fs.h>

#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/ops.h"
#include "sentry/vfs/ops_internal.h"
#include "sentry/vfs/permission.h"

namespace bulwark::vfs {

namespace {

// True if `a` is `d` or one of its ancestors.
bool IsAncestorOrSelf(const Dentry* a, const Dentry* d) {
  for (; d != nullptr; d = d->parent().get())
    if (d == a) return true;
  return false;
}

}  // namespace

// do_renameat2() and vfs_rename(), in their order of checks.
SysResult<void> Rename(const ResolveContext& old_ctx, std::string_view old_path,
                       const ResolveContext& new_ctx, std::string_view new_path, unsigned flags) {
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) return Err(Errno::kEINVAL);
  if ((flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) && (flags & RENAME_EXCHANGE))
    return Err(Errno::kEINVAL);
  const kernel::Credentials& creds = internal::CredsOf(old_ctx);
  if (flags & RENAME_WHITEOUT) {
    if (!creds.HasCap(CAP_MKNOD)) return Err(Errno::kEPERM);
    // No filesystem here supports whiteout entries (overlayfs uses them).
    return Err(Errno::kEINVAL);
  }
  bool exchange = flags & RENAME_EXCHANGE;

  ParentAndName from = TRY(ResolveParent(old_ctx, old_path, 0));
  ParentAndName to = TRY(ResolveParent(new_ctx, new_path, 0));
  if (from.parent.mount != to.parent.mount) return Err(Errno::kEXDEV);
  if (from.type != LastType::kNormal) return Err(Errno::kEBUSY);
  if (to.type != LastType::kNormal)
    return Err((flags & RENAME_NOREPLACE) ? Errno::kEEXIST : Errno::kEBUSY);
  if (from.parent.mount->ReadOnly()) return Err(Errno::kEROFS);

  std::shared_ptr<Dentry> source = TRY(internal::LookupHere(from.parent, from.name));
  std::shared_ptr<Dentry> target;
  if (auto t = internal::LookupHere(to.parent, to.name)) {
    target = std::move(*t);
  } else if (t.error() != Errno::kENOENT) {
    return Err(t.error());
  }
  if ((flags & RENAME_NOREPLACE) && target) return Err(Errno::kEEXIST);
  if (exchange && !target) return Err(Errno::kENOENT);
  bool source_dir = source->ino().IsDir();
  bool target_dir = target && target->ino().IsDir();
  if (!source_dir) {
    if (from.trailing_slash) return Err(Errno::kENOTDIR);
    if (!exchange && to.trailing_slash) return Err(Errno::kENOTDIR);
  }
  if (exchange && !target_dir && to.trailing_slash) return Err(Errno::kENOTDIR);
  // lock_rename()'s trap: no directory may move into itself.
  if (IsAncestorOrSelf(source.get(), to.parent.dentry.get())) return Err(Errno::kEINVAL);
  if (target && IsAncestorOrSelf(target.get(), from.parent.dentry.get()))
    return Err(exchange ? Errno::kEINVAL : Errno::kENOTEMPTY);

  // vfs_rename()
  if (target && source->inode() == target->inode()) return {};
  TRY(internal::MayDelete(old_ctx, from.parent, *source, source_dir));
  if (!target) {
    TRY(internal::MayCreate(new_ctx, to.parent));
  } else if (!exchange) {
    TRY(internal::MayDelete(new_ctx, to.parent, *target, source_dir));
  } else {
    TRY(internal::MayDelete(new_ctx, to.parent, *target, target_dir));
  }
  if (from.parent.dentry != to.parent.dentry) {
    // A directory that changes parents has its ".." rewritten.
    if (source_dir && old_ctx.creds != nullptr)
      TRY(CheckPermission(TRY(source->ino().GetStat()), creds, kMayWrite));
    if (exchange && target_dir && new_ctx.creds != nullptr)
      TRY(CheckPermission(TRY(target->ino().GetStat()), creds, kMayWrite));
  }
  if (internal::IsMountpoint(old_ctx, Path{from.parent.mount, source}) ||
      (target && internal::IsMountpoint(new_ctx, Path{to.parent.mount, target})))
    return Err(Errno::kEBUSY);

  TRY(from.parent.ino().Rename(from.name, to.parent.ino(), to.name,
                               flags & (RENAME_NOREPLACE | RENAME_EXCHANGE)));
  if (exchange) {
    Dentry::ExchangeChildren(*from.parent.dentry, from.name, *to.parent.dentry, to.name);
    NotifyRename(*from.parent.dentry, from.name, *to.parent.dentry, to.name, source->ino(),
                 nullptr);
    NotifyRename(*to.parent.dentry, to.name, *from.parent.dentry, from.name, target->ino(),
                 nullptr);
  } else {
    Dentry::MoveChild(*from.parent.dentry, from.name, *to.parent.dentry, to.name);
    NotifyRename(*from.parent.dentry, from.name, *to.parent.dentry, to.name, source->ino(),
                 target ? &target->ino() : nullptr);
  }
  return {};
}

}  // namespace bulwark::vfs
