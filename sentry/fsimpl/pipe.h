// Pipes and FIFOs (pipe(7), fifo(7)).
//
// Pipe is the buffer with its reader and writer counts; it never blocks
// and needs no Task, so its logic is testable alone. PipeFile is an open
// end. Blocking is the syscall layer's: a PipeFile returns EAGAIN and the
// caller waits on Queue() for Readiness(). Guarded by the kernel lock.
#pragma once

#include <limits.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "base/result.h"
#include "sentry/kernel/credentials.h"
#include "sentry/kernel/wait_queue.h"
#include "sentry/vfs/file.h"

namespace bulwark::fsimpl {

inline constexpr size_t kPipeBuf = PIPE_BUF;            // atomic write size
inline constexpr size_t kDefaultPipeSize = 65536;       // 16 pages
inline constexpr size_t kPipeMaxSize = 1048576;         // /proc/sys/fs/pipe-max-size

class Pipe {
 public:
  explicit Pipe(size_t capacity = kDefaultPipeSize);
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  // Moves up to TotalLength(dst) buffered bytes out. 0 at end of file
  // (empty, no writers); EAGAIN when empty while there are writers.
  SysResult<size_t> Read(vfs::IoVecs dst);
  // Appends what fits: EPIPE without readers; EAGAIN when nothing can be
  // written now, which for writes of at most kPipeBuf bytes means when the
  // whole write does not fit (such writes are atomic).
  SysResult<size_t> Write(vfs::IoVecs src);
  // Copies up to `len` of the oldest buffered bytes without consuming them
  // (tee(2), and splice's copy through a sentry buffer). Returns the count.
  size_t Peek(void* dst, size_t len) const;

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  // F_SETPIPE_SZ: rounds up to a power-of-two number of pages; EPERM above
  // kPipeMaxSize unless `privileged` (CAP_SYS_RESOURCE), EINVAL for sizes
  // above 2^31, EBUSY if the buffered data would not fit. Returns the new
  // capacity.
  SysResult<size_t> SetCapacity(uint64_t requested, bool privileged);

  // Poll events of the read side (POLLIN, POLLRDNORM; POLLHUP when there
  // are no writers and `seen_writers` differs from writer_opens()) and of
  // the write side (POLLOUT, POLLWRNORM; POLLERR without readers).
  uint32_t ReadEvents(uint64_t seen_writers) const;
  uint32_t WriteEvents() const;

  // Reader and writer accounting for the ends that are open.
  void AddEnds(bool reader, bool writer);
  void RemoveEnds(bool reader, bool writer);
  int readers() const { return readers_; }
  int writers() const { return writers_; }
  // How many times a reader / writer has opened the pipe.
  uint64_t reader_opens() const { return reader_opens_; }
  uint64_t writer_opens() const { return writer_opens_; }

  kernel::WaitQueue& queue() { return queue_; }
  // Attributes of the pipe's inode (pipefs) for anonymous pipes.
  vfs::Stat& stat() { return stat_; }

 private:
  void Resize(size_t capacity);

  std::vector<uint8_t> buf_;  // allocated on the first write
  size_t capacity_;
  size_t head_ = 0;  // offset of the oldest byte in buf_
  size_t size_ = 0;
  int readers_ = 0, writers_ = 0;
  uint64_t reader_opens_ = 0, writer_opens_ = 0;
  kernel::WaitQueue queue_;
  vfs::Stat stat_;
};

// An open end (or both, for a FIFO opened O_RDWR) of a pipe.
class PipeFile : public vfs::FileDescription {
 public:
  // Counts itself as a reader and/or writer (per O_ACCMODE of `flags`)
  // until destroyed. `path` is empty for pipe(2).
  PipeFile(std::shared_ptr<Pipe> pipe, vfs::Path path, int flags, uint64_t seen_writers = 0);
  ~PipeFile() override;

  const std::shared_ptr<Pipe>& pipe() const { return pipe_; }

  bool Seekable() const override { return false; }
  SysResult<size_t> Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) override;
  // EPIPE also sends SIGPIPE to the writing thread, as Linux does.
  SysResult<size_t> Write(kernel::Task& t, vfs::IoVecs src, uint64_t off) override;
  SysResult<uint64_t> Seek(kernel::Task& t, int64_t off, int whence) override {
    return Err(Errno::kESPIPE);
  }
  SysResult<uint64_t> Ioctl(kernel::Task& t, uint32_t cmd, uint64_t arg) override;
  SysResult<vfs::Stat> GetStat() override;
  SysResult<void> SetStat(const vfs::SetStatRequest& req) override;
  SysResult<void> Sync() override { return Err(Errno::kEINVAL); }
  uint32_t Readiness(uint32_t mask) override;
  kernel::WaitQueue* Queue() override { return &pipe_->queue(); }
  std::string AnonName() const override;

 private:
  std::shared_ptr<Pipe> pipe_;
  bool reader_, writer_;
  // Writer opens seen when this end was opened: POLLHUP waits for a new
  // writer to come and go (fifo_open()'s f_version).
  uint64_t seen_writers_;
};

// pipe2(2): the read and write ends of a new pipe owned by `creds`.
// `flags` may hold O_NONBLOCK (and O_DIRECT, accepted but not packet mode).
std::pair<std::shared_ptr<PipeFile>, std::shared_ptr<PipeFile>> NewPipe(
    const kernel::Credentials& creds, int flags);

// open(2) of a FIFO whose buffer is `pipe` (fifo(7)): O_RDONLY waits for a
// writer and O_WRONLY for a reader unless O_NONBLOCK; O_WRONLY|O_NONBLOCK
// without a reader is ENXIO; O_RDWR never waits. ERESTARTSYS if a signal
// interrupts the wait.
SysResult<std::shared_ptr<vfs::FileDescription>> OpenFifo(kernel::Task& t,
                                                          std::shared_ptr<Pipe> pipe,
                                                          const vfs::Path& path, int flags);

// OpenFifo for the FIFO inode at `path`, with one Pipe per inode for as
// long as any end is open (the buffer is discarded when the last end
// closes, as in Linux). Fits memfs::SpecialOpener and dev::DevOptions::
// open_fifo; `rdev` is ignored.
SysResult<std::shared_ptr<vfs::FileDescription>> OpenFifoAt(kernel::Task& t,
                                                            const vfs::Path& path, int flags,
                                                            uint64_t rdev);

}  // namespace bulwark::fsimpl
