#include "sentry/fsimpl/signalfd/signalfd.h"

#include <fcntl.h>
#include <poll.h>

#include <cstring>
#include <vector>

#include "sentry/fsimpl/eventfd/eventfd.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"

namespace bulwark::fsimpl {

namespace {

bool IsFaultSignal(int sig) {
  return sig == SIGILL || sig == SIGFPE || sig == SIGSEGV || sig == SIGBUS || sig == SIGTRAP;
}

}  // namespace

signalfd_siginfo ToSignalfdSiginfo(const siginfo_t& info) {
  signalfd_siginfo s;
  std::memset(&s, 0, sizeof(s));
  s.ssi_signo = static_cast<uint32_t>(info.si_signo);
  s.ssi_errno = info.si_errno;
  s.ssi_code = info.si_code;
  int sig = info.si_signo, code = info.si_code;
  // siginfo_layout() of kernel/signal.c.
  if (code > 0 && code != SI_KERNEL && IsFaultSignal(sig)) {
    s.ssi_addr = reinterpret_cast<uint64_t>(info.si_addr);
    s.ssi_trapno = 0;
  } else if (code > 0 && code != SI_KERNEL && sig == SIGCHLD) {
    s.ssi_pid = static_cast<uint32_t>(info.si_pid);
    s.ssi_uid = info.si_uid;
    s.ssi_status = info.si_status;
    s.ssi_utime = static_cast<uint64_t>(info.si_utime);
    s.ssi_stime = static_cast<uint64_t>(info.si_stime);
  } else if (code > 0 && code != SI_KERNEL && sig == SIGPOLL) {
    s.ssi_band = static_cast<uint32_t>(info.si_band);
    s.ssi_fd = info.si_fd;
  } else if (code > 0 && code != SI_KERNEL && sig == SIGSYS) {
    s.ssi_call_addr = reinterpret_cast<uint64_t>(info.si_call_addr);
    s.ssi_syscall = info.si_syscall;
    s.ssi_arch = info.si_arch;
  } else if (code == SI_TIMER) {
    s.ssi_tid = static_cast<uint32_t>(info.si_timerid);
    s.ssi_overrun = static_cast<uint32_t>(info.si_overrun);
    s.ssi_ptr = reinterpret_cast<uint64_t>(info.si_ptr);
    s.ssi_int = info.si_int;
  } else if (code == SI_SIGIO) {
    s.ssi_band = static_cast<uint32_t>(info.si_band);
    s.ssi_fd = info.si_fd;
  } else if (code < 0) {  // SIL_RT: sigqueue, tkill, mq, aio
    s.ssi_pid = static_cast<uint32_t>(info.si_pid);
    s.ssi_uid = info.si_uid;
    s.ssi_ptr = reinterpret_cast<uint64_t>(info.si_ptr);
    s.ssi_int = info.si_int;
  } else {  // SIL_KILL
    s.ssi_pid = static_cast<uint32_t>(info.si_pid);
    s.ssi_uid = info.si_uid;
  }
  return s;
}

SignalFdFile::SignalFdFile(std::shared_ptr<kernel::ThreadGroup> tg, kernel::SigSet mask,
                           int flags)
    : vfs::FileDescription(vfs::Path{}, O_RDWR | flags), tg_(tg) {
  set_mask(mask);
}

void SignalFdFile::set_mask(kernel::SigSet mask) { mask_ = mask & ~kernel::kUnblockable; }

SysResult<size_t> SignalFdFile::Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) {
  size_t room = vfs::TotalLength(dst) / sizeof(signalfd_siginfo);
  if (room == 0) return Err(Errno::kEINVAL);
  std::vector<signalfd_siginfo> out;
  siginfo_t info;
  while (out.size() < room &&
         (t.pending.Dequeue(mask_, &info) || t.tg().pending.Dequeue(mask_, &info))) {
    out.push_back(ToSignalfdSiginfo(info));
  }
  if (out.empty()) return Err(Errno::kEAGAIN);
  size_t bytes = out.size() * sizeof(signalfd_siginfo);
  CopyToIoVecs(dst, out.data(), bytes);
  return bytes;
}

uint32_t SignalFdFile::Readiness(uint32_t mask) {
  auto tg = tg_.lock();
  if (!tg) return 0;
  kernel::SigSet pending = tg->pending.set;
  for (kernel::Task* t : tg->tasks) pending |= t->pending.set;
  return (pending & mask_) ? (POLLIN | POLLRDNORM) & mask : 0;
}

kernel::WaitQueue* SignalFdFile::Queue() {
  auto tg = tg_.lock();
  return tg ? &tg->signalfd_waiters : nullptr;
}

}  // namespace bulwark::fsimpl
