// Helpers shared by the ops_*.cc files.
#pragma once

#include <string_view>

#include "base/result.h"
#include "sentry/kernel/credentials.h"
#include "sentry/vfs/mount.h"
#include "sentry/vfs/resolve.h"

namespace bulwark::vfs::internal {

// The credentials operations run with: ctx.creds, or the kernel's own
// (uid 0, every capability) when ctx.creds is null.
const kernel::Credentials& CredsOf(const ResolveContext& ctx);

// `name` in `dir` without crossing into a mount stacked on it: the dentry
// that unlink, rmdir and rename act on. ENAMETOOLONG, ENOENT.
SysResult<std::shared_ptr<Dentry>> LookupHere(const Path& dir, std::string_view name);

// True if something is mounted on `p`.
bool IsMountpoint(const ResolveContext& ctx, const Path& p);

// may_create(): ENOENT in a removed directory, EACCES without write and
// search permission on it.
SysResult<void> MayCreate(const ResolveContext& ctx, const Path& dir);

// may_delete(): may `victim` be removed from `dir` (rmdir if `isdir`)?
// EACCES, EPERM (sticky directory), ENOTDIR/EISDIR for the wrong type.
SysResult<void> MayDelete(const ResolveContext& ctx, const Path& dir, const Dentry& victim,
                          bool isdir);

// filename_create(): the parent and name for a new file at `path`: EEXIST
// for an existing name (or ".", "..", "/"), ENOENT for a trailing slash
// unless `want_dir`, EROFS, then MayCreate unless `skip_may_create`.
SysResult<ParentAndName> PrepareCreate(const ResolveContext& ctx, std::string_view path,
                                       bool want_dir, bool skip_may_create = false);

}  // namespace bulwark::vfs::internal
