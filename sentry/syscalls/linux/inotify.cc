#include <fcntl.h>
#include <sys/inotify.h>

#include "sentry/fsimpl/inotify/inotify.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_inotify.h"
#include "sentry/vfs/permission.h"

namespace bulwark::syscalls {

namespace {

SysResult<fsimpl::InotifyFile*> InotifyOf(Task& t, int fd,
                                          std::shared_ptr<vfs::FileDescription>& hold) {
  hold = TRY(GetFile(t, fd));
  auto* in = dynamic_cast<fsimpl::InotifyFile*>(hold.get());
  if (in == nullptr) return Err(Errno::kEINVAL);
  return in;
}

}  // namespace

SysResult<int> sys_inotify_init(Task& t) { return sys_inotify_init1(t, 0); }

SysResult<int> sys_inotify_init1(Task& t, int flags) {
  if (flags & ~(IN_CLOEXEC | IN_NONBLOCK)) return Err(Errno::kEINVAL);
  TRY(CheckFdAvailable(t));
  std::shared_ptr<fsimpl::InotifyFile> file =
      TRY(fsimpl::InotifyFile::Create(t.creds().euid, flags & IN_NONBLOCK));
  return t.fds().Install(std::move(file), (flags & IN_CLOEXEC) != 0, FdLimit(t));
}

// inotify_add_watch(): the mask is checked before the fd, the fd before
// the path; the path needs read permission (inotify_find_inode()).
SysResult<int> sys_inotify_add_watch(Task& t, GuestFd fd, UserCString upath, uint32_t mask) {
  if ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE)) return Err(Errno::kEINVAL);
  if (!(mask & fsimpl::InotifyFile::kAllBits)) return Err(Errno::kEINVAL);
  std::shared_ptr<vfs::FileDescription> hold;
  fsimpl::InotifyFile* in = TRY(InotifyOf(t, fd.value, hold));
  std::string path = TRY(PathArg(t, upath));
  if (path.empty()) return Err(Errno::kENOENT);
  unsigned flags = 0;
  if (!(mask & IN_DONT_FOLLOW)) flags |= vfs::kFollow;
  if (mask & IN_ONLYDIR) flags |= vfs::kDirectory;
  vfs::Path p = TRY(ResolveAt(t, AT_FDCWD, path, flags));
  TRY(vfs::CheckPermission(TRY(p.ino().GetStat()), t.creds(), vfs::kMayRead));
  return in->AddWatch(p.dentry->inode(), mask);
}

SysResult<void> sys_inotify_rm_watch(Task& t, GuestFd fd, int wd) {
  std::shared_ptr<vfs::FileDescription> hold;
  fsimpl::InotifyFile* in = TRY(InotifyOf(t, fd.value, hold));
  return in->RemoveWatch(wd);
}

}  // namespace bulwark::syscalls
