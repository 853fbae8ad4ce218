// fallocate(2), posix_fadvise(2) (fadvise64) and readahead(2).
#pragma once

#include "sentry/syscalls/linux/syscall.h"
#include "sentry/vfs/file.h"

namespace bulwark::syscalls {

SysResult<void> sys_fallocate(Task& t, GuestFd fd, int mode, int64_t offset, int64_t len);
SysResult<void> sys_fadvise64(Task& t, GuestFd fd, int64_t offset, int64_t len, int advice);
SysResult<void> sys_readahead(Task& t, GuestFd fd, int64_t offset, size_t count);

// generic_write_check_limits()'s RLIMIT_FSIZE rule for a write of `count`
// bytes at `pos` to `f`: regular files only; at or past the limit SIGXFSZ
// goes to the caller and the result is EFBIG, else the count is cut to
// end at the limit.
SysResult<uint64_t> FsizeLimitedCount(Task& t, vfs::FileDescription& f, uint64_t pos,
                                      uint64_t count);

}  // namespace bulwark::syscalls
