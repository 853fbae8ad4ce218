#include "sentry/syscalls/linux/io_util.h"

#include <poll.h>
#include <sys/types.h>

#include "sentry/kernel/wait_queue.h"

namespace bulwark::syscalls {

SysResult<std::vector<iovec>> ImportIovecs(Task& t, uint64_t uiov, size_t n) {
  std::vector<iovec> iov(n);
  if (n > 0) TRY(t.CopyInBytes(uiov, iov.data(), n * sizeof(iovec)));
  size_t total = 0;
  for (iovec& v : iov) {
    if (static_cast<ssize_t>(v.iov_len) < 0) return Err(Errno::kEINVAL);
    if (v.iov_len > kMaxRwCount - total) v.iov_len = kMaxRwCount - total;
    total += v.iov_len;
  }
  return iov;
}

SysResult<void> WaitFileReady(Task& t, vfs::FileDescription& f, uint32_t events,
                              const std::optional<timespec>& deadline) {
  kernel::WaitQueue* q = f.Queue();
  if (q == nullptr) return {};
  uint32_t mask = events | POLLHUP | POLLERR;
  q->Add(&t, mask);
  SysResult<void> r;
  if (f.Readiness(mask) == 0) r = t.Block(deadline ? &*deadline : nullptr);
  q->Remove(&t);
  if (!r && r.error() == Errno::kETIMEDOUT) return Err(Errno::kEAGAIN);
  if (!r && r.error() == Errno::kERESTARTSYS && deadline) return Err(Errno::kEINTR);
  return r;
}

}  // namespace bulwark::syscalls
