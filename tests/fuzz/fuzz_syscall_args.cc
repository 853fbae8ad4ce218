// libFuzzer target: syscall argument decoding (sigsets, sigactions,
// msghdr with iovecs, names and control messages, iovec arrays, pollfd
// arrays, fd_sets) through the real handlers, on a kernel over the fake
// platform with one task whose memory holds the input.
//
// Input: u8 call, u8 arg, then the bytes copied to the task's data area at
// kData. Pointer fields inside the structures are folded into the data
// area (kData + value % kDataSize), so that the decoders behind them are
// reached rather than stopping at EFAULT. Nothing blocks: the sockets and
// the pipe are non-blocking and every timeout is zero.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

#include "platform/fake/fake_platform.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/linux/sys_pipe.h"
#include "sentry/syscalls/linux/sys_poll.h"
#include "sentry/syscalls/linux/sys_read_write.h"
#include "sentry/syscalls/linux/sys_signal.h"
#include "sentry/syscalls/linux/sys_socket.h"

namespace {

using namespace bulwark;
using namespace bulwark::syscalls;

constexpr uint64_t kData = 0x20000000;
constexpr uint64_t kDataSize = 16 * 4096;
constexpr uint64_t kOut = kData + kDataSize;  // results, never input
constexpr uint64_t kOutSize = 4 * 4096;

struct World {
  std::unique_ptr<kernel::Kernel> kernel;
  std::unique_lock<std::mutex> lock;
  std::shared_ptr<kernel::ThreadGroup> tg;
  std::unique_ptr<kernel::Task> task;
  int sock[2] = {-1, -1};  // AF_UNIX SOCK_STREAM pair, non-blocking
  int dgram[2] = {-1, -1};  // SOCK_DGRAM pair
  int pipe[2] = {-1, -1};  // non-blocking
};
World* w;

void Check(bool ok) {
  if (!ok) abort();
}

void Setup() {
  w = new World;
  auto mf = mm::MemoryFile::Create(uint64_t{1} << 32);
  Check(mf.has_value());
  auto p = std::make_unique<platform::FakePlatform>((*mf)->fd());
  w->kernel = std::make_unique<kernel::Kernel>(kernel::KernelOptions{}, std::move(*mf), std::move(p));
  w->lock = std::unique_lock<std::mutex>(w->kernel->mu);  // handlers need the kernel lock
  pid_t pid = w->kernel->AllocPid();
  w->tg = std::make_shared<kernel::ThreadGroup>(pid);
  w->kernel->AddThreadGroup(w->tg);
  w->task = std::make_unique<kernel::Task>(*w->kernel, pid, w->tg);
  w->tg->tasks.push_back(w->task.get());
  kernel::Task& t = *w->task;
  t.mm_ = std::make_shared<mm::MemoryManager>(w->kernel->memory_file(), w->kernel->platform());
  t.fds_ = std::make_shared<kernel::FdTable>();
  t.fs_ = std::make_shared<kernel::FsContext>();
  mm::MapRequest r;
  r.addr = kData;
  r.len = kDataSize + kOutSize;
  r.prot = PROT_READ | PROT_WRITE;
  r.fixed = true;
  Check(t.mm().Map(r).has_value());
  int fds[2];
  Check(sys_socketpair(t, AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, UserPtr<int>{kOut}).has_value());
  Check(t.CopyInBytes(kOut, fds, sizeof(fds)).has_value());
  std::copy(fds, fds + 2, w->sock);
  Check(sys_socketpair(t, AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, UserPtr<int>{kOut}).has_value());
  Check(t.CopyInBytes(kOut, fds, sizeof(fds)).has_value());
  std::copy(fds, fds + 2, w->dgram);
  Check(sys_pipe2(t, UserPtr<int>{kOut}, O_NONBLOCK).has_value());
  Check(t.CopyInBytes(kOut, fds, sizeof(fds)).has_value());
  std::copy(fds, fds + 2, w->pipe);
}

uint64_t Fold(uint64_t p) { return p == 0 ? 0 : kData + p % kDataSize; }

// Folds the pointers of `n` iovecs at kData + off.
void FoldIovecs(uint64_t off, uint64_t n, uint8_t* mem) {
  for (uint64_t i = 0; i < std::min<uint64_t>(n, 64); ++i) {
    uint64_t at = off + i * sizeof(iovec);
    if (at + sizeof(iovec) > kDataSize) break;
    iovec v;
    std::memcpy(&v, mem + at, sizeof(v));
    v.iov_base = reinterpret_cast<void*>(Fold(reinterpret_cast<uint64_t>(v.iov_base)));
    v.iov_len %= 4096;  // keep copies small
    std::memcpy(mem + at, &v, sizeof(v));
  }
}

// Reads everything queued on `fd` into kOut (read(2) drops control
// messages, and the fds in them).
void Drain(kernel::Task& t, int fd) {
  while (sys_read(t, GuestFd{fd}, UserPtr<uint8_t>{kOut}, kOutSize).value_or(0) > 0) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Setup();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  kernel::Task& t = *w->task;
  uint8_t call = data[0], arg = data[1];
  static uint8_t mem[kDataSize];
  std::memset(mem, 0, sizeof(mem));
  std::memcpy(mem, data + 2, std::min<size_t>(size - 2, kDataSize));
  switch (call % 7) {
    case 2:
    case 3: {  // sendmsg on the stream / datagram pair
      msghdr m;
      std::memcpy(&m, mem, sizeof(m));
      m.msg_name = reinterpret_cast<void*>(Fold(reinterpret_cast<uint64_t>(m.msg_name)));
      m.msg_control = reinterpret_cast<void*>(Fold(reinterpret_cast<uint64_t>(m.msg_control)));
      uint64_t iov = Fold(reinterpret_cast<uint64_t>(m.msg_iov));
      m.msg_iov = reinterpret_cast<iovec*>(iov);
      if (iov) FoldIovecs(iov - kData, m.msg_iovlen, mem);
      std::memcpy(mem, &m, sizeof(m));
      break;
    }
    case 4:  // writev(pipe, iov, iovcnt)
      FoldIovecs(0, arg, mem);
      break;
    default:
      break;
  }
  Check(t.CopyOutBytes(kData, mem, kDataSize).has_value());
  switch (call % 7) {
    case 0:
      (void)sys_rt_sigprocmask(t, arg % 4, UserPtr<kernel::SigSet>{kData},
                               UserPtr<kernel::SigSet>{kOut}, (arg & 0x80) ? (arg >> 2) & 0x1f : 8);
      (void)sys_rt_sigprocmask(t, SIG_SETMASK, UserPtr<kernel::SigSet>{kOut + 64},  // zeros
                               UserPtr<kernel::SigSet>{}, 8);
      break;
    case 1:
      (void)sys_rt_sigaction(t, arg % 70, UserPtr<kernel::KSigAction>{kData},
                             UserPtr<kernel::KSigAction>{kOut}, 8);
      break;
    case 2:
    case 3: {
      const int* pair = call % 7 == 2 ? w->sock : w->dgram;
      (void)sys_sendmsg(t, GuestFd{pair[0]}, UserPtr<msghdr>{kData}, MSG_DONTWAIT);
      Drain(t, pair[1]);
      break;
    }
    case 4:
      (void)sys_writev(t, GuestFd{w->pipe[1]}, UserPtr<iovec>{kData}, arg);
      Drain(t, w->pipe[0]);
      break;
    case 5:
      (void)sys_poll(t, UserPtr<pollfd>{kData}, arg, 0);
      break;
    case 6: {
      std::memset(mem, 0, sizeof(timeval));
      Check(t.CopyOutBytes(kOut, mem, sizeof(timeval)).has_value());  // zero timeout
      (void)sys_select(t, arg, UserPtr<fd_set>{kData}, UserPtr<fd_set>{kData + 128},
                       UserPtr<fd_set>{kData + 256}, UserPtr<timeval>{kOut});
      break;
    }
  }
  return 0;
}
