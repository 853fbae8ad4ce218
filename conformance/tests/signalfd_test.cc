// signalfd(2), signalfd4(2).
// syscalls: signalfd signalfd4
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

sigset_t SetOf(int sig) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  return s;
}

TEST(Signalfd, ReadsPendingSignal) {
  sigset_t s = SetOf(SIGUSR1);
  ScopedSignalMask block(SIG_BLOCK, s);
  FileDescriptor fd(signalfd(-1, &s, SFD_CLOEXEC));
  ASSERT_TRUE(fd.valid()) << strerror(errno);
  kill(getpid(), SIGUSR1);
  struct signalfd_siginfo info;
  ASSERT_THAT(read(fd.get(), &info, sizeof info), SyscallSucceedsWithValue(sizeof info));
  EXPECT_EQ(info.ssi_signo, static_cast<uint32_t>(SIGUSR1));
  EXPECT_EQ(info.ssi_pid, static_cast<uint32_t>(getpid()));
}

TEST(Signalfd, NothingPendingNonblockingIsEAGAIN) {
  sigset_t s = SetOf(SIGUSR2);
  ScopedSignalMask block(SIG_BLOCK, s);
  FileDescriptor fd(signalfd(-1, &s, SFD_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  struct signalfd_siginfo info;
  EXPECT_THAT(read(fd.get(), &info, sizeof info), SyscallFailsWithErrno(EAGAIN));
}

TEST(Signalfd, PollReadableWhenPending) {
  sigset_t s = SetOf(SIGUSR1);
  ScopedSignalMask block(SIG_BLOCK, s);
  FileDescriptor fd(signalfd(-1, &s, SFD_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  struct pollfd pfd = {fd.get(), POLLIN, 0};
  EXPECT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(0));
  kill(getpid(), SIGUSR1);
  EXPECT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(1));
  struct signalfd_siginfo info;
  read(fd.get(), &info, sizeof info);
}

TEST(Signalfd, UpdateMaskOnExistingFd) {
  sigset_t both;
  sigemptyset(&both);
  sigaddset(&both, SIGUSR1);
  sigaddset(&both, SIGUSR2);
  ScopedSignalMask block(SIG_BLOCK, both);
  sigset_t s1 = SetOf(SIGUSR1);
  FileDescriptor fd(signalfd(-1, &s1, SFD_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  sigset_t s2 = SetOf(SIGUSR2);
  ASSERT_THAT(signalfd(fd.get(), &s2, 0), SyscallSucceedsWithValue(fd.get()));
  kill(getpid(), SIGUSR2);
  struct signalfd_siginfo info;
  ASSERT_THAT(read(fd.get(), &info, sizeof info), SyscallSucceedsWithValue(sizeof info));
  EXPECT_EQ(info.ssi_signo, static_cast<uint32_t>(SIGUSR2));
}

TEST(Signalfd, BadFlagsIsEINVAL) {
  sigset_t s = SetOf(SIGUSR1);
  EXPECT_THAT(syscall(SYS_signalfd4, -1, &s, 8, 0x1), SyscallFailsWithErrno(EINVAL));
}

TEST(Signalfd, NonSignalfdIsEINVAL) {
  Pipe p = MakePipe();
  sigset_t s = SetOf(SIGUSR1);
  EXPECT_THAT(signalfd(p.r.get(), &s, 0), SyscallFailsWithErrno(EINVAL));
}

TEST(Signalfd, SmallBufferIsEINVAL) {
  sigset_t s = SetOf(SIGUSR1);
  FileDescriptor fd(signalfd(-1, &s, SFD_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  char buf[16];
  EXPECT_THAT(read(fd.get(), buf, sizeof buf), SyscallFailsWithErrno(EINVAL));
}

TEST(Signalfd, QueuedValueReported) {
  sigset_t s = SetOf(SIGUSR1);
  ScopedSignalMask block(SIG_BLOCK, s);
  FileDescriptor fd(signalfd(-1, &s, 0));
  ASSERT_TRUE(fd.valid());
  union sigval v;
  v.sival_int = 808;
  ASSERT_THAT(sigqueue(getpid(), SIGUSR1, v), SyscallSucceeds());
  struct signalfd_siginfo info;
  ASSERT_THAT(read(fd.get(), &info, sizeof info), SyscallSucceedsWithValue(sizeof info));
  EXPECT_EQ(info.ssi_int, 808);
  EXPECT_EQ(info.ssi_code, SI_QUEUE);
}

}  // namespace
}  // namespace conformance
