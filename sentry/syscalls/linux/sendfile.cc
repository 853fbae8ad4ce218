// sendfile(2).
#include <fcntl.h>

#include "sentry/fsimpl/pipe.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_splice.h"

namespace bulwark::syscalls {

// do_sendfile(): copies through a sentry buffer (SpliceCopy). The input
// must be seekable (a file): pipes and other streams are EINVAL, as
// before Linux 5.12 generalised splice_read. With `offset`, reading
// starts there, *offset is updated and the file offset is left alone.
SysResult<size_t> sys_sendfile(Task& t, GuestFd out_fd, GuestFd in_fd, UserPtr<int64_t> uoffset,
                               size_t count) {
  std::shared_ptr<vfs::FileDescription> in = TRY(GetFile(t, in_fd.value));
  if (!in->Readable()) return Err(Errno::kEBADF);
  std::optional<uint64_t> pos;
  if (uoffset.addr) {
    if (!in->Seekable()) return Err(Errno::kESPIPE);
    int64_t v;
    TRY(t.CopyInBytes(uoffset.addr, &v, sizeof v));
    if (v < 0) return Err(Errno::kEINVAL);
    pos = static_cast<uint64_t>(v);
  }
  std::shared_ptr<vfs::FileDescription> out = TRY(GetFile(t, out_fd.value));
  if (!out->Writable()) return Err(Errno::kEBADF);
  if (out->flags() & O_APPEND) return Err(Errno::kEINVAL);
  if (!in->Seekable() || dynamic_cast<fsimpl::PipeFile*>(in.get())) return Err(Errno::kEINVAL);
  if (count == 0) return 0;
  // The output's own O_NONBLOCK decides whether a full pipe or socket
  // makes this fail with EAGAIN.
  bool nonblock = (out->flags() & O_NONBLOCK) != 0;
  std::optional<uint64_t> none;
  size_t n = TRY(SpliceCopy(t, *in, &pos, *out, &none, count, nonblock));
  if (uoffset.addr) {
    int64_t v = static_cast<int64_t>(*pos);
    TRY(t.CopyOutBytes(uoffset.addr, &v, sizeof v));
  }
  return n;
}

}  // namespace bulwark::syscalls
