// read(2)/write(2) family, lseek(2) and the sync calls.
#pragma once

#include <sys/uio.h>

#include <optional>
#include <vector>

#include "sentry/syscalls/linux/syscall.h"
#include "sentry/vfs/file.h"

namespace bulwark::syscalls {

SysResult<size_t> sys_read(Task& t, GuestFd fd, UserPtr<uint8_t> buf, size_t count);
SysResult<size_t> sys_write(Task& t, GuestFd fd, UserPtr<uint8_t> buf, size_t count);
SysResult<size_t> sys_pread64(Task& t, GuestFd fd, UserPtr<uint8_t> buf, size_t count,
                              int64_t pos);
SysResult<size_t> sys_pwrite64(Task& t, GuestFd fd, UserPtr<uint8_t> buf, size_t count,
                               int64_t pos);
SysResult<size_t> sys_readv(Task& t, GuestFd fd, UserPtr<iovec> iov, int iovcnt);
SysResult<size_t> sys_writev(Task& t, GuestFd fd, UserPtr<iovec> iov, int iovcnt);
SysResult<size_t> sys_preadv(Task& t, GuestFd fd, UserPtr<iovec> iov, int iovcnt, int64_t pos_l,
                             int64_t pos_h);
SysResult<size_t> sys_pwritev(Task& t, GuestFd fd, UserPtr<iovec> iov, int iovcnt,
                              int64_t pos_l, int64_t pos_h);
SysResult<size_t> sys_preadv2(Task& t, GuestFd fd, UserPtr<iovec> iov, int iovcnt,
                              int64_t pos_l, int64_t pos_h, int flags);
SysResult<size_t> sys_pwritev2(Task& t, GuestFd fd, UserPtr<iovec> iov, int iovcnt,
                               int64_t pos_l, int64_t pos_h, int flags);
SysResult<uint64_t> sys_lseek(Task& t, GuestFd fd, int64_t offset, unsigned whence);
SysResult<void> sys_sync(Task& t);
SysResult<void> sys_syncfs(Task& t, GuestFd fd);
SysResult<void> sys_fsync(Task& t, GuestFd fd);
SysResult<void> sys_fdatasync(Task& t, GuestFd fd);

// Reads or writes the application buffers `user_iov` (application
// addresses) through `f` with Linux's blocking rules: a read returns what
// the first successful Read gives; a blocking write to a file with a wait
// queue (pipe, socket, terminal) continues until everything is written.
// EAGAIN waits on f.Queue() unless O_NONBLOCK or `nonblock`; an interrupted
// wait returns the bytes already transferred, else ERESTARTSYS. `pos`:
// pread/pwrite offset; otherwise f.offset is used and advanced.
// `append`: write at the end of file (O_APPEND, RWF_APPEND).
SysResult<size_t> FileIo(Task& t, vfs::FileDescription& f, const std::vector<iovec>& user_iov,
                         bool write, std::optional<uint64_t> pos, bool nonblock = false,
                         bool append = false);

}  // namespace bulwark::syscalls
