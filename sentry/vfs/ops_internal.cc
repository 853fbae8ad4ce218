#include "sentry/vfs/ops_internal.h"

#include <linux/limits.h>

#include "sentry/vfs/permission.h"

namespace bulwark::vfs::internal {

namespace {

kernel::Credentials KernelCredentials() {
  kernel::Credentials c;
  c.cap_effective = c.cap_permitted = c.cap_bounding = ~uint64_t{0};
  return c;
}

}  // namespace

const kernel::Credentials& CredsOf(const ResolveContext& ctx) {
  static const kernel::Credentials kKernel = KernelCredentials();
  return ctx.creds != nullptr ? *ctx.creds : kKernel;
}

SysResult<std::shared_ptr<Dentry>> LookupHere(const Path& dir, std::string_view name) {
  if (name.size() > NAME_MAX) return Err(Errno::kENAMETOOLONG);
  if (dir.dentry->dead()) return Err(Errno::kENOENT);
  return dir.dentry->Child(std::string(name));
}

bool IsMountpoint(const ResolveContext& ctx, const Path& p) {
  return ctx.mounts != nullptr && ctx.mounts->MountedAt(p) != nullptr;
}

SysResult<void> MayCreate(const ResolveContext& ctx, const Path& dir) {
  if (dir.dentry->dead()) return Err(Errno::kENOENT);
  if (ctx.creds == nullptr) return {};
  Stat st = TRY(dir.ino().GetStat());
  return CheckPermission(st, *ctx.creds, kMayWrite | kMayExec);
}

SysResult<void> MayDelete(const ResolveContext& ctx, const Path& dir, const Dentry& victim,
                          bool isdir) {
  const kernel::Credentials& creds = CredsOf(ctx);
  Stat dst = TRY(dir.ino().GetStat());
  TRY(CheckPermission(dst, creds, kMayWrite | kMayExec));
  if (dst.mode & S_ISVTX) {
    Stat vst = TRY(victim.ino().GetStat());
    if (!MayDeleteSticky(dst, vst, creds)) return Err(Errno::kEPERM);
  }
  if (isdir) {
    if (!victim.ino().IsDir()) return Err(Errno::kENOTDIR);
    if (!victim.parent()) return Err(Errno::kEBUSY);
  } else if (victim.ino().IsDir()) {
    return Err(Errno::kEISDIR);
  }
  if (dir.dentry->dead()) return Err(Errno::kENOENT);
  return {};
}

SysResult<ParentAndName> PrepareCreate(const ResolveContext& ctx, std::string_view path,
                                       bool want_dir, bool skip_may_create) {
  ParentAndName pn = TRY(ResolveParent(ctx, path, 0));
  if (pn.type != LastType::kNormal) return Err(Errno::kEEXIST);
  if (pn.name.size() > NAME_MAX) return Err(Errno::kENAMETOOLONG);
  if (!pn.parent.dentry->dead()) {
    auto existing = pn.parent.dentry->Child(pn.name);
    if (existing) return Err(Errno::kEEXIST);
    if (existing.error() != Errno::kENOENT) return Err(existing.error());
  }
  if (pn.trailing_slash && !want_dir) return Err(Errno::kENOENT);
  if (pn.parent.mount->ReadOnly()) return Err(Errno::kEROFS);
  if (!skip_may_create) TRY(MayCreate(ctx, pn.parent));
  return pn;
}

}  // namespace bulwark::vfs::internal
