// splice(2), tee(2), vmsplice(2), sendfile(2) and copy_file_range(2).
#pragma once

#include <sys/uio.h>

#include <optional>

#include "sentry/syscalls/linux/syscall.h"
#include "sentry/vfs/file.h"

namespace bulwark::syscalls {

SysResult<size_t> sys_splice(Task& t, GuestFd fd_in, UserPtr<int64_t> off_in, GuestFd fd_out,
                             UserPtr<int64_t> off_out, size_t len, unsigned flags);
SysResult<size_t> sys_tee(Task& t, GuestFd fd_in, GuestFd fd_out, size_t len, unsigned flags);
SysResult<size_t> sys_vmsplice(Task& t, GuestFd fd, UserPtr<iovec> iov, size_t nr_segs,
                               unsigned flags);
SysResult<size_t> sys_sendfile(Task& t, GuestFd out_fd, GuestFd in_fd, UserPtr<int64_t> offset,
                               size_t count);
SysResult<size_t> sys_copy_file_range(Task& t, GuestFd fd_in, UserPtr<int64_t> off_in,
                                      GuestFd fd_out, UserPtr<int64_t> off_out, size_t len,
                                      unsigned flags);

// The copy engine shared by the calls above. Moves up to `count` bytes
// from `in` to `out` through a sentry buffer (no page sharing: the data is
// copied once into the sentry and once out). A pipe source is read with
// Pipe::Peek and consumed only as far as `out` took the data, so nothing
// is lost on a short write. For a non-pipe end, `*off` is its position
// when set (and is advanced), else the file offset is used and advanced.
// Waits while nothing can move (empty source pipe with writers, full
// destination pipe) unless `nonblock`; returns after a partial transfer
// rather than waiting again.
SysResult<size_t> SpliceCopy(Task& t, vfs::FileDescription& in, std::optional<uint64_t>* in_off,
                             vfs::FileDescription& out, std::optional<uint64_t>* out_off,
                             size_t count, bool nonblock);

}  // namespace bulwark::syscalls
