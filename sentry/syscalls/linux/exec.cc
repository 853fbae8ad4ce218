// execve(2), execveat(2).
#include <fcntl.h>
#include <sys/resource.h>

#include <algorithm>

#include "sentry/kernel/exec.h"
#include "sentry/loader/exec_args.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_process.h"
#include "sentry/vfs/resolve.h"

namespace bulwark::syscalls {

namespace {

SysResult<void> DoExecve(Task& t, int dirfd, UserCString upath, UserPtr<uint64_t> uargv,
                         UserPtr<uint64_t> uenvp, int flags) {
  if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) return Err(Errno::kEINVAL);
  std::string path = TRY(t.CopyInPath(upath));
  uint64_t stack_limit = t.tg().rlimits[RLIMIT_STACK].cur;
  uint64_t max_total = std::max<uint64_t>(loader::kArgMax, std::min<uint64_t>(stack_limit / 4, 6 << 20));
  auto argv = TRY(loader::CopyInStringArray(t, uargv.addr, max_total));
  auto envp = TRY(loader::CopyInStringArray(t, uenvp.addr, max_total));
  if (path.empty()) {
    if (!(flags & AT_EMPTY_PATH)) return Err(Errno::kENOENT);
    // execveat(fd, "", AT_EMPTY_PATH) (fexecve): like Linux, the program's
    // name is "/dev/fd/N" (what scripts get as their path), reached
    // through the /proc/self/fd magic link. The cwd (AT_FDCWD) is a
    // directory: EACCES. Unlike Linux, a file without a path (memfd) cannot
    // be executed this way, and /proc must be mounted.
    if (dirfd == AT_FDCWD) return Err(Errno::kEACCES);
    TRY(GetFile(t, dirfd, /*allow_path=*/true));
    path = "/dev/fd/" + std::to_string(dirfd);
    vfs::ResolveContext ctx = TRY(vfs::TaskContext(t, AT_FDCWD, path));
    return kernel::Exec(t, ctx, path, std::move(argv), std::move(envp));
  }
  vfs::ResolveContext ctx = TRY(vfs::TaskContext(t, dirfd, path));
  if (flags & AT_SYMLINK_NOFOLLOW) {
    auto p = TRY(vfs::Resolve(ctx, path, 0));
    if (p.ino().IsSymlink()) return Err(Errno::kELOOP);
  }
  return kernel::Exec(t, ctx, path, std::move(argv), std::move(envp));
}

}  // namespace

SysResult<void> sys_execve(Task& t, UserCString path, UserPtr<uint64_t> argv,
                           UserPtr<uint64_t> envp) {
  return DoExecve(t, AT_FDCWD, path, argv, envp, 0);
}

SysResult<void> sys_execveat(Task& t, GuestFd dirfd, UserCString path, UserPtr<uint64_t> argv,
                             UserPtr<uint64_t> envp, int flags) {
  return DoExecve(t, dirfd.value, path, argv, envp, flags);
}

}  // namespace bulwark::syscalls
