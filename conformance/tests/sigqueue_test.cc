// rt_sigqueueinfo(2), rt_tgsigqueueinfo(2), sigqueue(3) payloads.
// syscalls: rt_sigqueueinfo rt_tgsigqueueinfo
#include <signal.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

siginfo_t TakeSignal(int sig) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  siginfo_t info = {};
  struct timespec ts = {0, 0};
  if (sigtimedwait(&s, &info, &ts) != sig) info.si_signo = -1;
  return info;
}

TEST(Sigqueue, PayloadDelivered) {
  ScopedSignalMask block(SIG_BLOCK, SIGUSR1);
  union sigval v;
  v.sival_int = 12345;
  ASSERT_THAT(sigqueue(getpid(), SIGUSR1, v), SyscallSucceeds());
  siginfo_t info = TakeSignal(SIGUSR1);
  EXPECT_EQ(info.si_signo, SIGUSR1);
  EXPECT_EQ(info.si_code, SI_QUEUE);
  EXPECT_EQ(info.si_value.sival_int, 12345);
  EXPECT_EQ(info.si_pid, getpid());
}

TEST(Sigqueue, RealtimeQueueKeepsOrderAndValues) {
  int sig = SIGRTMIN + 2;
  ScopedSignalMask block(SIG_BLOCK, sig);
  for (int i = 0; i < 3; i++) {
    union sigval v;
    v.sival_int = 100 + i;
    ASSERT_THAT(sigqueue(getpid(), sig, v), SyscallSucceeds());
  }
  for (int i = 0; i < 3; i++) {
    siginfo_t info = TakeSignal(sig);
    EXPECT_EQ(info.si_value.sival_int, 100 + i);
  }
}

TEST(Sigqueue, LowerRealtimeSignalDeliveredFirst) {
  int lo = SIGRTMIN + 3, hi = SIGRTMIN + 4;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, lo);
  sigaddset(&s, hi);
  ScopedSignalMask block(SIG_BLOCK, s);
  union sigval v = {};
  ASSERT_THAT(sigqueue(getpid(), hi, v), SyscallSucceeds());
  ASSERT_THAT(sigqueue(getpid(), lo, v), SyscallSucceeds());
  struct timespec ts = {0, 0};
  EXPECT_THAT(sigtimedwait(&s, nullptr, &ts), SyscallSucceedsWithValue(lo));
  EXPECT_THAT(sigtimedwait(&s, nullptr, &ts), SyscallSucceedsWithValue(hi));
}

TEST(RtSigqueueinfo, NegativeCodeAccepted) {
  ScopedSignalMask block(SIG_BLOCK, SIGUSR2);
  siginfo_t info = {};
  info.si_signo = SIGUSR2;
  info.si_code = -42;
  info.si_value.sival_int = 7;
  ASSERT_THAT(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR2, &info), SyscallSucceeds());
  siginfo_t got = TakeSignal(SIGUSR2);
  EXPECT_EQ(got.si_code, -42);
  EXPECT_EQ(got.si_value.sival_int, 7);
}

TEST(RtSigqueueinfo, KernelCodeFromUserIsEPERM) {
  // A process may not pretend to be the kernel: si_code >= 0 (here SI_USER)
  // for another process is rejected.
  Pipe p = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    char c;
    read(p.r.get(), &c, 1);
    _exit(0);
  }
  siginfo_t info = {};
  info.si_signo = SIGUSR1;
  info.si_code = SI_USER;
  EXPECT_THAT(syscall(SYS_rt_sigqueueinfo, pid, SIGUSR1, &info), SyscallFailsWithErrno(EPERM));
  info.si_code = SI_TKILL;
  EXPECT_THAT(syscall(SYS_rt_sigqueueinfo, pid, SIGUSR1, &info), SyscallFailsWithErrno(EPERM));
  write(p.w.get(), "x", 1);
  WaitStatus(pid);
}

TEST(RtSigqueueinfo, NoSuchProcessIsESRCH) {
  siginfo_t info = {};
  info.si_code = SI_QUEUE;
  EXPECT_THAT(syscall(SYS_rt_sigqueueinfo, 0x3ffffff, SIGUSR1, &info), SyscallFailsWithErrno(ESRCH));
}

TEST(RtSigqueueinfo, InvalidSignalIsEINVAL) {
  siginfo_t info = {};
  info.si_code = SI_QUEUE;
  EXPECT_THAT(syscall(SYS_rt_sigqueueinfo, getpid(), 0x100, &info), SyscallFailsWithErrno(EINVAL));
}

TEST(RtTgsigqueueinfo, DeliversToThread) {
  ScopedSignalMask block(SIG_BLOCK, SIGUSR1);
  siginfo_t info = {};
  info.si_signo = SIGUSR1;
  info.si_code = SI_QUEUE;
  info.si_value.sival_int = 99;
  ASSERT_THAT(syscall(SYS_rt_tgsigqueueinfo, getpid(), syscall(SYS_gettid), SIGUSR1, &info),
              SyscallSucceeds());
  siginfo_t got = TakeSignal(SIGUSR1);
  EXPECT_EQ(got.si_value.sival_int, 99);
}

TEST(RtTgsigqueueinfo, WrongTidIsESRCH) {
  siginfo_t info = {};
  info.si_code = SI_QUEUE;
  EXPECT_THAT(syscall(SYS_rt_tgsigqueueinfo, getpid(), 0x3ffffff, SIGUSR1, &info),
              SyscallFailsWithErrno(ESRCH));
}

TEST(Sigqueue, HandlerSeesValue) {
  static volatile int seen;
  seen = 0;
  struct sigaction act = {};
  act.sa_sigaction = [](int, siginfo_t* info, void*) { seen = info->si_value.sival_int; };
  act.sa_flags = SA_SIGINFO;
  ScopedSigaction sa(SIGUSR1, act);
  union sigval v;
  v.sival_int = 4242;
  ASSERT_THAT(sigqueue(getpid(), SIGUSR1, v), SyscallSucceeds());
  EXPECT_EQ(seen, 4242);
}

}  // namespace
}  // namespace conformance
