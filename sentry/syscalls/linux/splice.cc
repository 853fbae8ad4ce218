// splice(2), tee(2) and vmsplice(2), plus the copy engine used by
// sendfile(2) and copy_file_range(2) (see sys_splice.h).
#include <fcntl.h>
#include <poll.h>

#include <algorithm>
#include <vector>

#include "sentry/fsimpl/pipe.h"
#include "sentry/kernel/wait_queue.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/io_util.h"
#include "sentry/syscalls/linux/sys_read_write.h"
#include "sentry/syscalls/linux/sys_splice.h"

namespace bulwark::syscalls {

namespace {

constexpr size_t kChunk = 64 * 1024;
constexpr unsigned kSpliceFlags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT;

fsimpl::PipeFile* PipeOf(vfs::FileDescription& f) { return dynamic_cast<fsimpl::PipeFile*>(&f); }

// A user offset argument (loff_t __user *): nullopt when the pointer is
// NULL; EINVAL for a negative offset.
SysResult<std::optional<uint64_t>> OffsetArg(Task& t, UserPtr<int64_t> p) {
  if (p.addr == 0) return std::optional<uint64_t>();
  int64_t v;
  TRY(t.CopyInBytes(p.addr, &v, sizeof v));
  if (v < 0) return Err(Errno::kEINVAL);
  return std::optional<uint64_t>(static_cast<uint64_t>(v));
}

SysResult<void> StoreOffset(Task& t, UserPtr<int64_t> p, const std::optional<uint64_t>& v) {
  if (p.addr == 0 || !v) return {};
  int64_t out = static_cast<int64_t>(*v);
  return t.CopyOutBytes(p.addr, &out, sizeof out);
}

}  // namespace

SysResult<size_t> SpliceCopy(Task& t, vfs::FileDescription& in, std::optional<uint64_t>* in_off,
                             vfs::FileDescription& out, std::optional<uint64_t>* out_off,
                             size_t count, bool nonblock) {
  fsimpl::PipeFile* in_pipe = PipeOf(in);
  fsimpl::PipeFile* out_pipe = PipeOf(out);
  count = std::min(count, kMaxRwCount);
  std::vector<uint8_t> buf(std::min(count, kChunk));
  size_t done = 0;
  auto fail = [&](Errno e) -> SysResult<size_t> {
    if (done > 0) return done;
    return Err(e);
  };
  while (done < count) {
    size_t want = std::min(count - done, buf.size());
    size_t got;
    if (in_pipe) {
      got = in_pipe->pipe()->Peek(buf.data(), want);
      if (got == 0) {
        if (in_pipe->pipe()->writers() == 0 || done > 0) break;
        if (nonblock) return Err(Errno::kEAGAIN);
        TRY(WaitFileReady(t, in, POLLIN | POLLRDNORM));
        continue;
      }
    } else {
      uint64_t pos = (in_off && *in_off) ? **in_off : in.offset;
      iovec iov{buf.data(), want};
      auto r = in.Read(t, vfs::IoVecs(&iov, 1), pos);
      if (!r) {
        if (r.error() == Errno::kEAGAIN && !nonblock && done == 0 && in.Queue()) {
          TRY(WaitFileReady(t, in, POLLIN | POLLRDNORM));
          continue;
        }
        return fail(r.error());
      }
      got = *r;
      if (got == 0) break;
    }
    uint64_t out_pos = 0;
    if (!out_pipe) {
      if (out_off && *out_off) out_pos = **out_off;
      else if (out.Seekable() && (out.flags() & O_APPEND)) out_pos = TRY(out.GetStat()).size;
      else out_pos = out.offset;
    }
    iovec wv{buf.data(), got};
    auto w = out.Write(t, vfs::IoVecs(&wv, 1), out_pos);
    if (!w) {
      if (w.error() == Errno::kEAGAIN && done == 0 && !nonblock && out.Queue()) {
        TRY(WaitFileReady(t, out, POLLOUT | POLLWRNORM));
        continue;
      }
      return fail(w.error());
    }
    size_t k = *w;
    // Consume what was taken. (A pipe source is consumed after the write;
    // a concurrent reader of the same pipe while `out` released the kernel
    // lock could interleave, which Linux's page-moving splice avoids.)
    if (in_pipe) {
      std::vector<uint8_t> sink(k);
      iovec sv{sink.data(), k};
      if (k) (void)in.Read(t, vfs::IoVecs(&sv, 1), 0);
    } else if (in_off && *in_off) {
      **in_off += k;
    } else {
      in.offset += k;
    }
    if (!out_pipe) {
      if (out_off && *out_off) **out_off += k;
      else if (out.Seekable()) out.offset = out_pos + k;
    }
    done += k;
    if (k < got) break;
  }
  return done;
}

// do_splice(): one end must be a pipe; a pipe end takes no offset.
SysResult<size_t> sys_splice(Task& t, GuestFd fd_in, UserPtr<int64_t> uoff_in, GuestFd fd_out,
                             UserPtr<int64_t> uoff_out, size_t len, unsigned flags) {
  if (flags & ~kSpliceFlags) return Err(Errno::kEINVAL);
  std::shared_ptr<vfs::FileDescription> in = TRY(GetFile(t, fd_in.value));
  std::shared_ptr<vfs::FileDescription> out = TRY(GetFile(t, fd_out.value));
  if (!in->Readable() || !out->Writable()) return Err(Errno::kEBADF);
  fsimpl::PipeFile* ipipe = PipeOf(*in);
  fsimpl::PipeFile* opipe = PipeOf(*out);
  if (!ipipe && !opipe) return Err(Errno::kEINVAL);
  if (ipipe && opipe && ipipe->pipe() == opipe->pipe()) return Err(Errno::kEINVAL);
  if ((ipipe && uoff_in.addr) || (opipe && uoff_out.addr)) return Err(Errno::kESPIPE);
  std::optional<uint64_t> in_off, out_off;
  if (!ipipe && uoff_in.addr) {
    if (!in->Seekable()) return Err(Errno::kESPIPE);
    in_off = TRY(OffsetArg(t, uoff_in));
  }
  if (!opipe) {
    if (out->flags() & O_APPEND) return Err(Errno::kEINVAL);
    if (uoff_out.addr) {
      if (!out->Seekable()) return Err(Errno::kESPIPE);
      out_off = TRY(OffsetArg(t, uoff_out));
    }
  }
  if (len == 0) return 0;
  bool nonblock = (flags & SPLICE_F_NONBLOCK) != 0;
  // Linux also honours O_NONBLOCK of the pipe ends (pipe_wait_readable
  // is skipped for O_NONBLOCK pipes).
  if ((ipipe && (in->flags() & O_NONBLOCK)) || (opipe && (out->flags() & O_NONBLOCK)))
    nonblock = true;
  size_t n = TRY(SpliceCopy(t, *in, &in_off, *out, &out_off, len, nonblock));
  TRY(StoreOffset(t, uoff_in, in_off));
  TRY(StoreOffset(t, uoff_out, out_off));
  return n;
}

// tee(2): copies buffered bytes of one pipe into another without
// consuming them.
SysResult<size_t> sys_tee(Task& t, GuestFd fd_in, GuestFd fd_out, size_t len, unsigned flags) {
  if (flags & ~kSpliceFlags) return Err(Errno::kEINVAL);
  std::shared_ptr<vfs::FileDescription> in = TRY(GetFile(t, fd_in.value));
  std::shared_ptr<vfs::FileDescription> out = TRY(GetFile(t, fd_out.value));
  if (!in->Readable() || !out->Writable()) return Err(Errno::kEBADF);
  fsimpl::PipeFile* ipipe = PipeOf(*in);
  fsimpl::PipeFile* opipe = PipeOf(*out);
  if (!ipipe || !opipe || ipipe->pipe() == opipe->pipe()) return Err(Errno::kEINVAL);
  if (len == 0) return 0;
  bool nonblock = (flags & SPLICE_F_NONBLOCK) || (in->flags() & O_NONBLOCK) ||
                  (out->flags() & O_NONBLOCK);
  len = std::min(len, kMaxRwCount);
  for (;;) {
    std::vector<uint8_t> buf(std::min(len, ipipe->pipe()->size()));
    size_t got = ipipe->pipe()->Peek(buf.data(), buf.size());
    if (got == 0) {
      if (ipipe->pipe()->writers() == 0) return 0;
      if (nonblock) return Err(Errno::kEAGAIN);
      TRY(WaitFileReady(t, *in, POLLIN | POLLRDNORM));
      continue;
    }
    iovec v{buf.data(), got};
    auto w = out->Write(t, vfs::IoVecs(&v, 1), 0);
    if (!w && w.error() == Errno::kEAGAIN && !nonblock) {
      TRY(WaitFileReady(t, *out, POLLOUT | POLLWRNORM));
      continue;
    }
    return w;
  }
}

// vmsplice(2): user memory into a pipe (write end) or out of it (read
// end); copies, like writev/readv (SPLICE_F_GIFT is ignored).
SysResult<size_t> sys_vmsplice(Task& t, GuestFd fd, UserPtr<iovec> uiov, size_t nr_segs,
                               unsigned flags) {
  if (flags & ~kSpliceFlags) return Err(Errno::kEINVAL);
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, fd.value));
  if (!PipeOf(*f)) return Err(Errno::kEBADF);
  if (nr_segs > kUioMaxIov) return Err(Errno::kEINVAL);
  std::vector<iovec> iov = TRY(ImportIovecs(t, uiov.addr, nr_segs));
  if (vfs::TotalLength(iov) == 0) return 0;
  // A FIFO opened O_RDWR counts as its write end, as in Linux.
  bool write = f->Writable();
  if (!write && !f->Readable()) return Err(Errno::kEBADF);
  return FileIo(t, *f, iov, write, std::nullopt, (flags & SPLICE_F_NONBLOCK) != 0);
}

}  // namespace bulwark::syscalls
