#include <fcntl.h>
#include <linux/capability.h>

#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_link.h"
#include "sentry/vfs/ops.h"

namespace bulwark::syscalls {

namespace {

SysResult<void> DoRename(Task& t, int olddirfd, UserCString uold, int newdirfd, UserCString unew,
                         unsigned flags) {
  std::string oldpath = TRY(PathArg(t, uold));
  std::string newpath = TRY(PathArg(t, unew));
  vfs::ResolveContext old_ctx = TRY(vfs::TaskContext(t, olddirfd, oldpath));
  vfs::ResolveContext new_ctx = TRY(vfs::TaskContext(t, newdirfd, newpath));
  return vfs::Rename(old_ctx, oldpath, new_ctx, newpath, flags);
}

SysResult<void> DoLink(Task& t, int olddirfd, UserCString uold, int newdirfd, UserCString unew,
                       int flags) {
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return Err(Errno::kEINVAL);
  // Linking an fd by AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH (linkat(2)).
  if ((flags & AT_EMPTY_PATH) && !t.creds().HasCap(CAP_DAC_READ_SEARCH))
    return Err(Errno::kENOENT);
  std::string oldpath = TRY(PathArg(t, uold));
  std::string newpath = TRY(PathArg(t, unew));
  vfs::Path target;
  if (oldpath.empty() && (flags & AT_EMPTY_PATH)) {
    std::shared_ptr<vfs::FileDescription> f = TRY(EmptyPathFile(t, olddirfd));
    if (!f->path().valid()) return Err(Errno::kENOENT);
    target = f->path();
  } else {
    target = TRY(ResolveAt(t, olddirfd, oldpath, (flags & AT_SYMLINK_FOLLOW) ? vfs::kFollow : 0));
  }
  vfs::ResolveContext ctx = TRY(vfs::TaskContext(t, newdirfd, newpath));
  return vfs::Link(target, ctx, newpath);
}

SysResult<void> DoSymlink(Task& t, UserCString utarget, int newdirfd, UserCString ulink) {
  std::string target = TRY(PathArg(t, utarget));
  std::string path = TRY(PathArg(t, ulink));
  vfs::ResolveContext ctx = TRY(vfs::TaskContext(t, newdirfd, path));
  return vfs::Symlink(target, ctx, path);
}

// do_readlinkat(): an empty path names dirfd itself.
SysResult<size_t> DoReadlink(Task& t, int dirfd, UserCString upath, UserPtr<char> buf,
                             int bufsiz) {
  if (bufsiz <= 0) return Err(Errno::kEINVAL);
  std::string path = TRY(PathArg(t, upath));
  vfs::Path link;
  if (path.empty()) {
    std::shared_ptr<vfs::FileDescription> f = TRY(EmptyPathFile(t, dirfd));
    if (!f->path().valid() || !f->path().ino().IsSymlink()) return Err(Errno::kENOENT);
    link = f->path();
  } else {
    link = TRY(ResolveAt(t, dirfd, path, 0));
  }
  std::string text = TRY(vfs::Readlink(link, &t));
  size_t n = std::min(text.size(), static_cast<size_t>(bufsiz));
  TRY(t.CopyOutBytes(buf.addr, text.data(), n));
  return n;
}

SysResult<void> DoUnlink(Task& t, int dirfd, UserCString upath, bool dir) {
  std::string path = TRY(PathArg(t, upath));
  vfs::ResolveContext ctx = TRY(vfs::TaskContext(t, dirfd, path));
  return dir ? vfs::Rmdir(ctx, path) : vfs::Unlink(ctx, path);
}

}  // namespace

SysResult<void> sys_unlink(Task& t, UserCString path) {
  return DoUnlink(t, AT_FDCWD, path, false);
}

SysResult<void> sys_unlinkat(Task& t, GuestFd dirfd, UserCString path, int flags) {
  if (flags & ~AT_REMOVEDIR) return Err(Errno::kEINVAL);
  return DoUnlink(t, dirfd.value, path, flags & AT_REMOVEDIR);
}

SysResult<void> sys_rename(Task& t, UserCString oldpath, UserCString newpath) {
  return DoRename(t, AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

SysResult<void> sys_renameat(Task& t, GuestFd olddirfd, UserCString oldpath, GuestFd newdirfd,
                             UserCString newpath) {
  return DoRename(t, olddirfd.value, oldpath, newdirfd.value, newpath, 0);
}

SysResult<void> sys_renameat2(Task& t, GuestFd olddirfd, UserCString oldpath, GuestFd newdirfd,
                              UserCString newpath, unsigned flags) {
  return DoRename(t, olddirfd.value, oldpath, newdirfd.value, newpath, flags);
}

SysResult<void> sys_link(Task& t, UserCString oldpath, UserCString newpath) {
  return DoLink(t, AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

SysResult<void> sys_linkat(Task& t, GuestFd olddirfd, UserCString oldpath, GuestFd newdirfd,
                           UserCString newpath, int flags) {
  return DoLink(t, olddirfd.value, oldpath, newdirfd.value, newpath, flags);
}

SysResult<void> sys_symlink(Task& t, UserCString target, UserCString linkpath) {
  return DoSymlink(t, target, AT_FDCWD, linkpath);
}

SysResult<void> sys_symlinkat(Task& t, UserCString target, GuestFd newdirfd,
                              UserCString linkpath) {
  return DoSymlink(t, target, newdirfd.value, linkpath);
}

SysResult<size_t> sys_readlink(Task& t, UserCString path, UserPtr<char> buf, int bufsiz) {
  return DoReadlink(t, AT_FDCWD, path, buf, bufsiz);
}

SysResult<size_t> sys_readlinkat(Task& t, GuestFd dirfd, UserCString path, UserPtr<char> buf,
                                 int bufsiz) {
  return DoReadlink(t, dirfd.value, path, buf, bufsiz);
}

}  // namespace bulwark::syscalls
