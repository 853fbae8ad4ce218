// VFS operations behind the file syscalls: resolution, Linux's permission
// and errno rules, then the inode operation and dentry-cache upkeep.
//
// Every operation takes a ResolveContext (root, start, credentials) and a
// path, or an already resolved Path. Guarded by the kernel lock.
#pragma once

#include <sys/statfs.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "sentry/kernel/credentials.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/mount.h"
#include "sentry/vfs/resolve.h"

namespace bulwark::vfs {

// --- open(2) ---

// An open(2) resolved and checked, up to Inode::Open.
struct PreparedOpen {
  Path path;
  int flags = 0;  // what Inode::Open gets (see inode.h)
  bool created = false;
};

// Everything open(2) does before opening the inode: resolution (O_NOFOLLOW,
// O_DIRECTORY, resolve_flags), O_CREAT/O_EXCL creation with mode & ~umask,
// EISDIR/ENOTDIR/ELOOP/ENXIO, EROFS, permission to read/write the file and
// O_TRUNC. `flags` are open(2) flags as validated by the syscall (O_TMPFILE
// is EOPNOTSUPP here); `mode` is the raw mode argument.
SysResult<PreparedOpen> PrepareOpen(const ResolveContext& ctx, std::string_view path, int flags,
                                    uint32_t mode, unsigned resolve_flags = 0);
// Opens a PreparedOpen: O_PATH gets a plain description, anything else
// goes to Inode::Open.
SysResult<std::shared_ptr<FileDescription>> OpenPrepared(kernel::Task& t, const PreparedOpen& p);
// PrepareOpen + OpenPrepared. Precondition: ctx.task is set.
SysResult<std::shared_ptr<FileDescription>> OpenAt(const ResolveContext& ctx,
                                                   std::string_view path, int flags,
                                                   uint32_t mode, unsigned resolve_flags = 0);
// Opens a file for execve(2): follows symlinks; EACCES unless it is a
// regular file on a mount without noexec that the caller may execute. Read
// permission is not needed; the description is readable (O_RDONLY).
// Precondition: ctx.task is set.
SysResult<std::shared_ptr<FileDescription>> OpenExecutable(const ResolveContext& ctx,
                                                           std::string_view path);

// --- Names ---

// mkdir(2): mode & 01777 & ~umask.
SysResult<void> Mkdir(const ResolveContext& ctx, std::string_view path, uint32_t mode);
// mknod(2): `mode` holds the type (0 = regular) and permissions; rdev is
// for character and block devices (which need CAP_MKNOD).
SysResult<void> Mknod(const ResolveContext& ctx, std::string_view path, uint32_t mode,
                      uint64_t rdev);
SysResult<void> Symlink(std::string_view target, const ResolveContext& ctx,
                        std::string_view path);
// link(2): a new name `path` for `target` (resolved by the caller, which
// decides about following symlinks and AT_EMPTY_PATH).
SysResult<void> Link(const Path& target, const ResolveContext& ctx, std::string_view path);
SysResult<void> Unlink(const ResolveContext& ctx, std::string_view path);
SysResult<void> Rmdir(const ResolveContext& ctx, std::string_view path);
// renameat2(2); flags: RENAME_NOREPLACE, RENAME_EXCHANGE (RENAME_WHITEOUT
// is EINVAL).
SysResult<void> Rename(const ResolveContext& old_ctx, std::string_view old_path,
                       const ResolveContext& new_ctx, std::string_view new_path, unsigned flags);
// readlink(2) of a resolved (not followed) path, as `task` (may be null)
// sees it; EINVAL if not a symlink.
SysResult<std::string> Readlink(const Path& link, kernel::Task* task = nullptr);

// --- Attributes ---

// Checks a chmod/chown/utimes/truncate request against `st` (the file's
// attributes), `mount` (for EROFS; may be null) and `creds`, following
// notify_change() and setattr_prepare(): EROFS; EPERM unless owner or
// CAP_FOWNER for mode and explicit times; chown rules with CAP_CHOWN;
// touching both times to now needs ownership or write permission (EACCES).
// Returns the request with the side effects Linux adds (setgid cleared on
// chmod by a non-member, setuid/setgid cleared by chown and truncate).
SysResult<SetStatRequest> CheckSetAttr(const Stat& st, const Mount* mount,
                                       const kernel::Credentials& creds, SetStatRequest req);
// CheckSetAttr, then the inode's SetStat.
SysResult<void> SetAttr(const Path& p, const kernel::Credentials& creds, SetStatRequest req);
// The same through an open file (fchmod, fchown, futimens).
SysResult<void> SetAttrFile(FileDescription& f, const kernel::Credentials& creds,
                            SetStatRequest req);
// truncate(2) of a path: EISDIR, EINVAL (not a regular file or length < 0),
// EROFS, EACCES.
SysResult<void> Truncate(const Path& p, const kernel::Credentials& creds, int64_t length);
// ftruncate(2): EINVAL unless a regular file open for writing.
SysResult<void> TruncateFile(FileDescription& f, const kernel::Credentials& creds,
                             int64_t length);

// The credentials access(2) checks with unless AT_EACCESS: real ids, and no
// capabilities unless the real uid is 0.
kernel::Credentials AccessCredentials(const kernel::Credentials& creds);
// access(2) on a resolved path with R_OK/W_OK/X_OK bits (F_OK = 0): EACCES,
// EROFS for W_OK on a read-only mount (except device nodes, FIFOs and
// sockets).
SysResult<void> CheckAccess(const Path& p, const kernel::Credentials& creds, int mode);

// statfs(2) of the filesystem holding `p`.
SysResult<struct statfs> StatFs(const Path& p);

}  // namespace bulwark::vfs
