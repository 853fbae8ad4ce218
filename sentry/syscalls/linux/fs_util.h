// Helpers shared by the file syscall families.
#pragma once

#include <sys/resource.h>
#include <sys/uio.h>

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "sentry/syscalls/linux/syscall.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/resolve.h"

namespace bulwark::syscalls {

// The task's RLIMIT_NOFILE soft limit.
inline uint64_t FdLimit(const Task& t) { return t.tg().rlimits[RLIMIT_NOFILE].cur; }

// The file at `fd`. EBADF if there is none, or if it was opened with
// O_PATH unless `allow_path` (the calls using fdget_raw() in Linux: fstat,
// fchdir, dup, some fcntls, *at dirfds).
SysResult<std::shared_ptr<vfs::FileDescription>> GetFile(Task& t, int fd,
                                                         bool allow_path = false);

// EMFILE unless a new fd can be installed. Linux reserves the fd before
// doing anything else, so EMFILE wins over every other error and nothing
// is created.
SysResult<void> CheckFdAvailable(Task& t);

// The sentry iovecs for the application ranges `user_iov` after skipping
// `skip` bytes, up to the first inaccessible page. EFAULT if not even the
// first byte is accessible. `write`: the ranges will be written.
SysResult<std::vector<iovec>> TranslateUserIov(Task& t, const std::vector<iovec>& user_iov,
                                               size_t skip, bool write);

// Copies in a path argument (EFAULT, ENAMETOOLONG).
inline SysResult<std::string> PathArg(Task& t, UserCString p) { return t.CopyInPath(p); }

// Resolves a non-empty `path` for an *at syscall.
SysResult<vfs::Path> ResolveAt(Task& t, int dirfd, const std::string& path, unsigned flags);

// The target of an *at syscall given AT_EMPTY_PATH and an empty path: the
// file at `dirfd` (the cwd for AT_FDCWD); EBADF for a bad dirfd.
SysResult<std::shared_ptr<vfs::FileDescription>> EmptyPathFile(Task& t, int dirfd);

// A timespec from a syscall argument is valid (timespec64_valid()).
inline bool ValidTimespec(const timespec& ts) {
  return ts.tv_sec >= 0 && ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000;
}

}  // namespace bulwark::syscalls
