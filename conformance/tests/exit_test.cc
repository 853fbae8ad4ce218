// exit(2), exit_group(2) and the statuses a parent sees.
// syscalls: exit exit_group
#include <signal.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

int ChildExitingWith(const std::function<void()>& fn) {
  fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    fn();
    _exit(99);
  }
  return WaitStatus(pid);
}

TEST(Exit, ExitGroupStatus) {
  int s = ChildExitingWith([] { syscall(SYS_exit_group, 17); });
  EXPECT_TRUE(ExitedWith(s, 17)) << DescribeWaitStatus(s);
}

TEST(Exit, RawExitStatus) {
  int s = ChildExitingWith([] { syscall(SYS_exit, 23); });
  EXPECT_TRUE(ExitedWith(s, 23)) << DescribeWaitStatus(s);
}

TEST(Exit, StatusIsTruncatedToEightBits) {
  int s = ChildExitingWith([] { syscall(SYS_exit_group, 0x1ff); });
  EXPECT_TRUE(ExitedWith(s, 0xff)) << DescribeWaitStatus(s);
}

TEST(Exit, ZeroStatus) {
  int s = ChildExitingWith([] { syscall(SYS_exit_group, 0); });
  EXPECT_TRUE(ExitedWith(s, 0)) << DescribeWaitStatus(s);
}

TEST(Exit, LibcExitRunsAtexitHandlers) {
  Pipe p = MakePipe();
  static int wfd;
  wfd = p.w.get();
  int s = ChildExitingWith([] {
    atexit([] { write(wfd, "A", 1); });
    exit(4);
  });
  EXPECT_TRUE(ExitedWith(s, 4));
  p.w.reset();
  EXPECT_EQ(ReadAll(p.r.get()), "A");
}

TEST(Exit, ParentGetsSigchld) {
  ScopedSignalMask block(SIG_BLOCK, SIGCHLD);
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) _exit(0);
  // SIGCHLD is sent before the child becomes waitable; a blocked signal whose
  // default action is "ignore" is still queued (signal(7)).
  siginfo_t info = {};
  ASSERT_THAT(waitid(P_PID, pid, &info, WEXITED | WNOWAIT), SyscallSucceeds());
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  struct timespec ts = {0, 0};
  ASSERT_THAT(sigtimedwait(&set, &info, &ts), SyscallSucceedsWithValue(SIGCHLD));
  EXPECT_EQ(info.si_pid, pid);
  EXPECT_EQ(info.si_code, CLD_EXITED);
  WaitStatus(pid);
}

TEST(Exit, AbortKillsWithSigabrt) {
  int s = ChildExitingWith([] { abort(); });
  EXPECT_TRUE(KilledBy(s, SIGABRT)) << DescribeWaitStatus(s);
}

TEST(Exit, SegfaultKillsWithSigsegv) {
  int s = ChildExitingWith([] {
    volatile int* p = reinterpret_cast<int*>(16);
    *p = 1;
  });
  EXPECT_TRUE(KilledBy(s, SIGSEGV)) << DescribeWaitStatus(s);
}

TEST(Exit, ChildOfExitedParentIsReparented) {
  Pipe p = MakePipe();
  Pipe started = MakePipe();
  int s = ChildExitingWith([&] {
    pid_t grandchild = fork();
    if (grandchild == 0) {
      // Wait until our parent is gone, then report the old and new parent.
      pid_t first = getppid();
      write(started.w.get(), "s", 1);
      for (int i = 0; i < 5000 && getppid() == first; i++) usleep(1000);
      pid_t ids[2] = {first, getppid()};
      write(p.w.get(), ids, sizeof ids);
      _exit(0);
    }
    char c;
    read(started.r.get(), &c, 1);  // Exit only once the grandchild saw us.
    _exit(0);
  });
  EXPECT_TRUE(ExitedWith(s, 0));
  p.w.reset();
  pid_t ids[2] = {-1, -1};
  ASSERT_THAT(read(p.r.get(), ids, sizeof ids), SyscallSucceedsWithValue(sizeof ids));
  // Reparented to init or a subreaper: neither the exited child nor us.
  EXPECT_NE(ids[1], ids[0]);
  EXPECT_NE(ids[1], getpid());
  EXPECT_GT(ids[1], 0);
}

TEST(Exit, SigkillCannotBeCaught) {
  int s = ChildExitingWith([] {
    signal(SIGKILL, [](int) {});
    kill(getpid(), SIGKILL);
    for (;;) pause();
  });
  EXPECT_TRUE(KilledBy(s, SIGKILL)) << DescribeWaitStatus(s);
}

}  // namespace
}  // namespace conformance
