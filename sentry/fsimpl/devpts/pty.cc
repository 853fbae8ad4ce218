// The two ends of a pseudo-terminal (pty(7), Linux drivers/tty/pty.c and
// n_tty.c's read/write/poll).

#include "sentry/fsimpl/devpts/pty.h"

#include <poll.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "sentry/fsimpl/memfs/memfs.h"
#include "sentry/kernel/task.h"

namespace bulwark::fsimpl::devpts {

namespace {

timespec MonoNow() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts;
}

timespec AddDeciseconds(timespec t, unsigned ds) {
  t.tv_sec += ds / 10;
  t.tv_nsec += static_cast<long>(ds % 10) * 100000000L;
  if (t.tv_nsec >= 1000000000L) {
    t.tv_sec += 1;
    t.tv_nsec -= 1000000000L;
  }
  return t;
}

bool Before(const timespec& a, const timespec& b) {
  return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

// Copies `n` bytes from `src` into the scatter list.
void Scatter(const uint8_t* src, size_t n, vfs::IoVecs dst) {
  for (const iovec& v : dst) {
    if (n == 0) return;
    size_t k = std::min(n, v.iov_len);
    std::copy_n(src, k, static_cast<uint8_t*>(v.iov_base));
    src += k;
    n -= k;
  }
}

constexpr uint32_t kIn = POLLIN | POLLRDNORM;
constexpr uint32_t kOut = POLLOUT | POLLWRNORM;

class PtyFile : public vfs::FileDescription {
 public:
  PtyFile(std::shared_ptr<PtyPair> pair, const vfs::Path& path, int flags)
      : vfs::FileDescription(path, flags), pair_(std::move(pair)) {}
  bool Seekable() const override { return false; }
  SysResult<uint64_t> Seek(kernel::Task& t, int64_t off, int whence) override {
    return Err(Errno::kESPIPE);
  }
  const std::shared_ptr<PtyPair>& pair() const { return pair_; }

 protected:
  std::shared_ptr<PtyPair> pair_;
};

class ReplicaFile : public PtyFile {
 public:
  ReplicaFile(std::shared_ptr<PtyPair> pair, const vfs::Path& path, int flags)
      : PtyFile(std::move(pair), path, flags) {
    pair_->replicas++;
    pair_->replica_opened = true;
  }
  ~ReplicaFile() override {
    if (--pair_->replicas == 0) pair_->master_queue.Notify(POLLHUP);
  }

  SysResult<size_t> Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) override {
    PtyPair& p = *pair_;
    if (p.HungUp()) return 0;  // hung_up_tty_read
    TRY(tty::CheckJobControl(t, p, SIGTTIN));
    size_t total = vfs::TotalLength(dst);
    if (total == 0) return 0;
    const KernelTermios& tio = p.ld.termios();
    bool nonblock = flags() & O_NONBLOCK;
    if (!(tio.c_lflag & ICANON)) {
      unsigned vmin = tio.c_cc[VMIN], vtime = tio.c_cc[VTIME];
      if (vtime == 0) {
        size_t want = std::min<size_t>(vmin, total);
        if (vmin != 0 && p.ld.Readable() < want && !(nonblock && p.ld.Readable() > 0))
          return Err(Errno::kEAGAIN);
      } else {
        if (p.ld.Readable() == 0 && (vmin > 0 || nonblock)) return Err(Errno::kEAGAIN);
        if (!nonblock) TRY(WaitTimed(t, vmin, vtime, total));
        if (p.HungUp()) return 0;
      }
    } else if (!p.ld.CanRead()) {
      return Err(Errno::kEAGAIN);
    }
    std::vector<uint8_t> buf(std::min(total, kInputBufSize));
    size_t n = p.ld.Read(buf.data(), buf.size());
    Scatter(buf.data(), n, dst);
    p.Pump();
    p.NotifyAll();
    return n;
  }

  SysResult<size_t> Write(kernel::Task& t, vfs::IoVecs src, uint64_t off) override {
    PtyPair& p = *pair_;
    if (p.HungUp()) return Err(Errno::kEIO);
    if (p.ld.termios().c_lflag & TOSTOP) TRY(tty::CheckJobControl(t, p, SIGTTOU));
    if (p.to_master.size() >= kMasterBufCap) return Err(Errno::kEAGAIN);
    size_t done = 0;
    std::string out;
    for (const iovec& v : src) {
      size_t room = kMasterBufCap - p.to_master.size() - out.size();
      size_t n = p.ld.ProcessOutput({static_cast<const uint8_t*>(v.iov_base), v.iov_len}, &out,
                                    room);
      done += n;
      if (n < v.iov_len) break;
    }
    if (done == 0) return Err(Errno::kEAGAIN);
    p.to_master.insert(p.to_master.end(), out.begin(), out.end());
    p.master_queue.Notify(kIn);
    return done;
  }

  uint32_t Readiness(uint32_t mask) override {
    PtyPair& p = *pair_;
    if (p.HungUp()) return mask & (kIn | kOut | POLLERR | POLLHUP);  // hung_up_tty_poll
    uint32_t ev = 0;
    const KernelTermios& tio = p.ld.termios();
    if (tio.c_lflag & ICANON) {
      if (p.ld.CanRead()) ev |= kIn;
    } else {
      // input_available_p(tty, poll): VMIN bytes when there is no VTIME.
      size_t amt = (tio.c_cc[VTIME] == 0 && tio.c_cc[VMIN] != 0) ? tio.c_cc[VMIN] : 1;
      if (p.ld.Readable() >= amt) ev |= kIn;
    }
    if (p.to_master.size() < kMasterBufCap) ev |= kOut;
    return ev & mask;
  }
  kernel::WaitQueue* Queue() override { return &pair_->replica_queue; }

  SysResult<uint64_t> Ioctl(kernel::Task& t, uint32_t cmd, uint64_t arg) override {
    if (cmd == TIOCGPTPEER) return Err(Errno::kEIO);  // ptm_open_peer: not a master
    if (auto r = CommonIoctl(t, *pair_, false, cmd, arg)) return *r;
    return Err(Errno::kENOTTY);
  }

  std::string AnonName() const override { return "/dev/pts/" + std::to_string(pair_->index); }

 private:
  // Non-canonical VTIME (termios(3)): VMIN == 0 waits up to VTIME for the
  // first byte; VMIN > 0 returns once VMIN bytes are there or VTIME passed
  // since the last byte arrived. Blocks inside the read, so the caller's
  // buffers (translated before) must stay mapped; a concurrent munmap
  // would leave the bytes in freed memory-file pages, not in the sentry.
  SysResult<void> WaitTimed(kernel::Task& t, unsigned vmin, unsigned vtime, size_t total) {
    PtyPair& p = *pair_;
    size_t want = vmin == 0 ? 1 : std::min<size_t>(vmin, total);
    timespec start = MonoNow();
    while (p.ld.Readable() < want && !p.HungUp()) {
      timespec deadline = AddDeciseconds(vmin == 0 ? start : p.last_input, vtime);
      if (!Before(MonoNow(), deadline)) break;
      p.replica_queue.Add(&t, kIn | POLLHUP);
      auto r = t.Block(&deadline);
      p.replica_queue.Remove(&t);
      if (!r && r.error() != Errno::kETIMEDOUT) {
        if (p.ld.Readable() == 0) return Err(r.error());
        break;
      }
    }
    return {};
  }
};

class MasterFile : public PtyFile {
 public:
  using PtyFile::PtyFile;
  ~MasterFile() override {
    // pty_close() of the master: the replica hangs up and its node goes.
    PtyPair& p = *pair_;
    p.master_open = false;
    p.pending_input.clear();
    p.ld.Flush();
    tty::HangUp(p.kernel, p);
    p.NotifyAll();
  }

  SysResult<size_t> Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) override {
    PtyPair& p = *pair_;
    size_t total = vfs::TotalLength(dst);
    if (total == 0) return 0;
    if (p.packet && p.packet_status) {
      uint8_t s = p.packet_status;
      p.packet_status = 0;
      Scatter(&s, 1, dst);
      return 1;
    }
    if (p.to_master.empty()) {
      if (p.ReplicaClosed()) return Err(Errno::kEIO);
      return Err(Errno::kEAGAIN);
    }
    size_t hdr = p.packet ? 1 : 0;  // TIOCPKT_DATA
    std::vector<uint8_t> buf(std::min(total, hdr + p.to_master.size()), 0);
    size_t n = hdr + p.ReadOutput(buf.data() + hdr, buf.size() - hdr);
    Scatter(buf.data(), n, dst);
    return n;
  }

  SysResult<size_t> Write(kernel::Task& t, vfs::IoVecs src, uint64_t off) override {
    PtyPair& p = *pair_;
    if (p.InputRoom() == 0) return Err(Errno::kEAGAIN);
    size_t done = 0;
    for (const iovec& v : src) {
      size_t n = p.WriteInput({static_cast<const uint8_t*>(v.iov_base), v.iov_len});
      done += n;
      if (n < v.iov_len) break;
    }
    return done;
  }

  uint32_t Readiness(uint32_t mask) override {
    PtyPair& p = *pair_;
    uint32_t ev = 0;
    if (!p.to_master.empty()) ev |= kIn;
    if (p.packet && p.packet_status) ev |= kIn | POLLPRI;
    if (p.pending_input.size() < kPendingInputCap) ev |= kOut;
    if (p.ReplicaClosed()) ev |= POLLHUP;
    return ev & (mask | POLLHUP);
  }
  kernel::WaitQueue* Queue() override { return &pair_->master_queue; }

  SysResult<uint64_t> Ioctl(kernel::Task& t, uint32_t cmd, uint64_t arg) override;

  std::string AnonName() const override { return "/dev/ptmx"; }
};

SysResult<uint64_t> MasterFile::Ioctl(kernel::Task& t, uint32_t cmd, uint64_t arg) {
  PtyPair& p = *pair_;
  switch (cmd) {
    case TIOCGPTN: {
      TRY(t.CopyOut(kernel::UserPtr<uint32_t>{arg}, static_cast<uint32_t>(p.index)));
      return 0;
    }
    case TIOCSPTLCK: {
      int v = TRY(t.CopyIn(kernel::UserPtr<int>{arg}));
      p.locked = v != 0;
      return 0;
    }
    case TIOCGPTLCK: {
      TRY(t.CopyOut(kernel::UserPtr<int>{arg}, static_cast<int>(p.locked)));
      return 0;
    }
    case TIOCPKT: {
      int v = TRY(t.CopyIn(kernel::UserPtr<int>{arg}));
      p.packet = v != 0;
      p.packet_status = 0;
      return 0;
    }
    case TIOCGPKT: {
      TRY(t.CopyOut(kernel::UserPtr<int>{arg}, static_cast<int>(p.packet)));
      return 0;
    }
    case TIOCGPTPEER: {
      // ptm_open_peer(): `arg` holds open(2) flags, taken as they are.
      int fl = static_cast<int>(arg);
      vfs::Path path = p.fs.NodePath(p.index);
      auto f = TRY(OpenReplica(t, pair_, path, fl & (O_ACCMODE | O_NONBLOCK | O_APPEND)));
      int fd = TRY(t.fds().Install(std::move(f), (fl & O_CLOEXEC) != 0,
                                   t.tg().rlimits[RLIMIT_NOFILE].cur));
      return static_cast<uint64_t>(fd);
    }
    default:
      if (auto r = CommonIoctl(t, p, true, cmd, arg)) return *r;
      return Err(Errno::kENOTTY);
  }
}

}  // namespace

DevPts::DevPts(const DevPtsOptions& options)
    : options(options), dev(memfs::AllocAnonDev()), created(vfs::Now()) {}

std::shared_ptr<PtyPair> DevPts::Live(unsigned index) const {
  auto it = pairs.find(index);
  if (it == pairs.end()) return nullptr;
  auto p = it->second.lock();
  return p && p->master_open ? p : nullptr;
}

vfs::Path DevPts::NodePath(unsigned index) {
  auto m = mount.lock();
  if (!m) return {};
  auto d = m->root()->Child(std::to_string(index));
  if (!d) return {};
  return vfs::Path{m, *d};
}

PtyPair::PtyPair(kernel::Kernel& k, DevPts& fs, unsigned index, const kernel::Credentials& creds)
    : kernel(k), fs(fs), index(index) {
  device = makedev(kPtyMajor + index / 256, index % 256);
  mode = fs.options.mode & 07777;
  uid = fs.options.uid.value_or(creds.fsuid);
  gid = fs.options.gid.value_or(creds.fsgid);
  atime = mtime = ctime = vfs::Now();
  // pty_unix98_install: the replica's window size starts at 0x0.
}

void PtyPair::Pump() {
  while (!pending_input.empty()) {
    std::vector<uint8_t> chunk(pending_input.begin(), pending_input.end());
    std::string echo;
    std::vector<int> signals;
    bool flushed = false;
    size_t n = ld.Receive(chunk, &echo, &signals, &flushed);
    pending_input.erase(pending_input.begin(), pending_input.begin() + static_cast<ptrdiff_t>(n));
    if (n > 0) last_input = MonoNow();
    if (flushed) {
      // isig() -> n_tty_flush: both directions, reported in packet mode.
      to_master.clear();
      SetPacketStatus(TIOCPKT_FLUSHREAD | TIOCPKT_FLUSHWRITE);
    }
    if (!echo.empty()) {
      std::string out;
      ld.ProcessOutput({reinterpret_cast<const uint8_t*>(echo.data()), echo.size()}, &out,
                       SIZE_MAX);
      to_master.insert(to_master.end(), out.begin(), out.end());
    }
    for (int sig : signals) tty::SignalProcessGroup(kernel, foreground_pgid, sig);
    if (n < chunk.size()) break;
  }
}

void PtyPair::NotifyAll() {
  master_queue.Notify();
  replica_queue.Notify();
}

void PtyPair::SetPacketStatus(uint8_t bits) {
  if (!packet) return;
  packet_status |= bits;
  master_queue.Notify(POLLIN | POLLPRI);
}

size_t PtyPair::InputRoom() const {
  return kPendingInputCap - std::min(kPendingInputCap, pending_input.size());
}

size_t PtyPair::WriteInput(std::span<const uint8_t> in) {
  size_t n = std::min(InputRoom(), in.size());
  if (n == 0) return 0;
  pending_input.insert(pending_input.end(), in.begin(), in.begin() + static_cast<ptrdiff_t>(n));
  Pump();
  NotifyAll();
  return n;
}

size_t PtyPair::ReadOutput(uint8_t* dst, size_t len) {
  size_t n = std::min(len, to_master.size());
  if (n == 0) return 0;
  std::copy_n(to_master.begin(), n, dst);
  to_master.erase(to_master.begin(), to_master.begin() + static_cast<ptrdiff_t>(n));
  replica_queue.Notify(kOut);
  return n;
}

void PtyPair::Resize(const winsize& v) {
  if (memcmp(&v, &ws, sizeof v) == 0) return;
  ws = v;
  tty::SignalProcessGroup(kernel, foreground_pgid, SIGWINCH);
}

std::shared_ptr<PtyPair> PairOf(const vfs::FileDescription& f) {
  auto* p = dynamic_cast<const PtyFile*>(&f);
  return p ? p->pair() : nullptr;
}

SysResult<std::shared_ptr<vfs::FileDescription>> PtyPair::Reopen(kernel::Task& t,
                                                                 const vfs::Path& path,
                                                                 int flags) {
  return OpenReplica(t, shared_from_this(), path, flags);
}

SysResult<std::shared_ptr<vfs::FileDescription>> OpenReplica(kernel::Task& t,
                                                             std::shared_ptr<PtyPair> pair,
                                                             const vfs::Path& path, int flags) {
  // pty_open(): EIO once the master is gone or while locked.
  if (pair->HungUp() || pair->locked) return Err(Errno::kEIO);
  // Deliberate difference: opening without O_NOCTTY does not make the
  // replica the controlling terminal (the VFS does not pass O_NOCTTY
  // down); TIOCSCTTY does.
  return std::shared_ptr<vfs::FileDescription>(
      std::make_shared<ReplicaFile>(std::move(pair), path, flags));
}

SysResult<std::shared_ptr<vfs::FileDescription>> OpenMaster(kernel::Task& t, DevPts& fs,
                                                            const vfs::Path& path, int flags) {
  unsigned index = 0;
  for (auto it = fs.pairs.begin(); it != fs.pairs.end();) {
    if (it->second.expired()) {
      it = fs.pairs.erase(it);
      continue;
    }
    if (it->first != index) break;
    ++index;
    ++it;
  }
  if (index >= fs.options.max) return Err(Errno::kENOSPC);
  auto pair = std::make_shared<PtyPair>(t.kernel(), fs, index, t.creds());
  fs.pairs[index] = pair;
  return std::shared_ptr<vfs::FileDescription>(std::make_shared<MasterFile>(pair, path, flags));
}

}  // namespace bulwark::fsimpl::devpts
