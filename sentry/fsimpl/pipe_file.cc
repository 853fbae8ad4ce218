#include <poll.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>

#include <atomic>
#include <map>

#include "sentry/fsimpl/pipe.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/anon_stat.h"

namespace bulwark::fsimpl {

namespace {

// Pipes live in one pseudo filesystem with its own device and inode
// numbers, like Linux's pipefs.
std::atomic<uint64_t> g_next_pipe_ino{1};
const uint64_t kPipeFsDev = makedev(0, 12);

bool ReadsEnd(int flags) { return (flags & O_ACCMODE) != O_WRONLY; }
bool WritesEnd(int flags) { return (flags & O_ACCMODE) != O_RDONLY; }

}  // namespace

PipeFile::PipeFile(std::shared_ptr<Pipe> pipe, vfs::Path path, int flags, uint64_t seen_writers)
    : vfs::FileDescription(std::move(path), flags), pipe_(std::move(pipe)),
      reader_(ReadsEnd(flags)), writer_(WritesEnd(flags)), seen_writers_(seen_writers) {
  pipe_->AddEnds(reader_, writer_);
}

PipeFile::~PipeFile() { pipe_->RemoveEnds(reader_, writer_); }

SysResult<size_t> PipeFile::Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) {
  return pipe_->Read(dst);
}

SysResult<size_t> PipeFile::Write(kernel::Task& t, vfs::IoVecs src, uint64_t off) {
  auto r = pipe_->Write(src);
  if (!r && r.error() == Errno::kEPIPE) {
    // send_sig(SIGPIPE, current, 0): SI_USER from the writer itself.
    siginfo_t info{};
    info.si_signo = SIGPIPE;
    info.si_code = SI_USER;
    info.si_pid = t.tgid();
    info.si_uid = t.creds().ruid;
    t.SendSignal(info);
  }
  return r;
}

SysResult<uint64_t> PipeFile::Ioctl(kernel::Task& t, uint32_t cmd, uint64_t arg) {
  if (cmd == FIONREAD) {
    int n = static_cast<int>(pipe_->size());
    TRY(t.CopyOut(kernel::UserPtr<int>{arg}, n));
    return 0;
  }
  return Err(Errno::kENOTTY);
}

SysResult<vfs::Stat> PipeFile::GetStat() {
  if (path().valid()) return vfs::FileDescription::GetStat();
  vfs::Stat st = pipe_->stat();
  st.size = 0;
  return st;
}

SysResult<void> PipeFile::SetStat(const vfs::SetStatRequest& req) {
  if (path().valid()) return vfs::FileDescription::SetStat(req);
  return vfs::SetAnonStat(pipe_->stat(), req);
}

uint32_t PipeFile::Readiness(uint32_t mask) {
  uint32_t ev = 0;
  if (reader_) ev |= pipe_->ReadEvents(seen_writers_);
  if (writer_) ev |= pipe_->WriteEvents();
  return ev & mask;
}

std::string PipeFile::AnonName() const {
  return "pipe:[" + std::to_string(pipe_->stat().ino) + "]";
}

std::pair<std::shared_ptr<PipeFile>, std::shared_ptr<PipeFile>> NewPipe(
    const kernel::Credentials& creds, int flags) {
  auto pipe = std::make_shared<Pipe>();
  vfs::Stat& st = pipe->stat();
  st.dev = kPipeFsDev;
  st.ino = g_next_pipe_ino.fetch_add(1);
  st.mode = S_IFIFO | S_IRUSR | S_IWUSR;
  st.nlink = 1;
  st.uid = creds.fsuid;
  st.gid = creds.fsgid;
  st.blksize = 4096;
  st.atime = st.mtime = st.ctime = vfs::Now();
  int status = flags & (O_NONBLOCK | O_DIRECT);
  auto r = std::make_shared<PipeFile>(pipe, vfs::Path{}, O_RDONLY | status);
  auto w = std::make_shared<PipeFile>(pipe, vfs::Path{}, O_WRONLY | status);
  return {std::move(r), std::move(w)};
}

namespace {

// wait_for_partner(): until a writer (or reader) opens after `seen`
// opens. On failure the caller drops its end again.
SysResult<void> WaitForPartner(kernel::Task& t, Pipe& pipe, bool writer, uint64_t seen) {
  while ((writer ? pipe.writer_opens() : pipe.reader_opens()) == seen) {
    pipe.queue().Add(&t, 0);
    auto r = t.Block(nullptr);
    pipe.queue().Remove(&t);
    if (!r) return Err(r.error());
  }
  return {};
}

}  // namespace

// fifo_open() in fs/pipe.c.
SysResult<std::shared_ptr<vfs::FileDescription>> OpenFifo(kernel::Task& t,
                                                          std::shared_ptr<Pipe> pipe,
                                                          const vfs::Path& path, int flags) {
  bool nonblock = flags & O_NONBLOCK;
  switch (flags & O_ACCMODE) {
    case O_RDONLY: {
      uint64_t seen = 0;
      if (pipe->writers() == 0 && nonblock) seen = pipe->writer_opens();
      uint64_t writers_before = pipe->writer_opens();
      auto file = std::make_shared<PipeFile>(pipe, path, flags, seen);
      if (pipe->writers() == 0 && !nonblock)
        TRY(WaitForPartner(t, *pipe, /*writer=*/true, writers_before));
      return file;
    }
    case O_WRONLY: {
      if (nonblock && pipe->readers() == 0) return Err(Errno::kENXIO);
      uint64_t readers_before = pipe->reader_opens();
      auto file = std::make_shared<PipeFile>(pipe, path, flags);
      if (pipe->readers() == 0)
        TRY(WaitForPartner(t, *pipe, /*writer=*/false, readers_before));
      return file;
    }
    default:
      return std::make_shared<PipeFile>(pipe, path, flags);
  }
}

SysResult<std::shared_ptr<vfs::FileDescription>> OpenFifoAt(kernel::Task& t,
                                                            const vfs::Path& path, int flags,
                                                            uint64_t rdev) {
  struct Entry {
    std::weak_ptr<vfs::Inode> inode;
    std::weak_ptr<Pipe> pipe;
  };
  // Guarded by the kernel lock.
  static auto* fifos = new std::map<const vfs::Inode*, Entry>();
  std::erase_if(*fifos, [](const auto& kv) {
    return kv.second.inode.expired() || kv.second.pipe.expired();
  });
  const std::shared_ptr<vfs::Inode>& inode = path.dentry->inode();
  Entry& e = (*fifos)[inode.get()];
  std::shared_ptr<Pipe> pipe = e.pipe.lock();
  if (!pipe) {
    pipe = std::make_shared<Pipe>();
    e = Entry{inode, pipe};
  }
  return OpenFifo(t, std::move(pipe), path, flags);
}

}  // namespace bulwark::fsimpl
