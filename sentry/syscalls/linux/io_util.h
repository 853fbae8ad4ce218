// Helpers shared by the data-transfer syscalls (read/write family, the
// socket message calls, splice/sendfile).
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "sentry/syscalls/linux/syscall.h"
#include "sentry/vfs/file.h"

namespace bulwark::syscalls {

inline constexpr size_t kMaxRwCount = 0x7ffff000;  // MAX_RW_COUNT
inline constexpr size_t kUioMaxIov = 1024;         // UIO_MAXIOV

// import_iovec() after the count check, which callers make themselves (readv
// says EINVAL, sendmsg EMSGSIZE): copies in `n` iovecs, EINVAL for a
// negative length, lengths capped so the total stays within MAX_RW_COUNT.
SysResult<std::vector<iovec>> ImportIovecs(Task& t, uint64_t uiov, size_t n);

// Waits until `f` may be ready for `events` (POLLHUP and POLLERR always
// count). Returns at once for a file without a wait queue. With a
// `deadline` (CLOCK_MONOTONIC; a socket's timeout), EAGAIN when it passes
// and EINTR instead of a restart for a signal, as sock_intr_errno().
SysResult<void> WaitFileReady(Task& t, vfs::FileDescription& f, uint32_t events,
                              const std::optional<timespec>& deadline = std::nullopt);

}  // namespace bulwark::syscalls
