// getpid(2), getppid(2), gettid(2), setsid(2), getsid(2), setpgid(2),
// getpgid(2), getpgrp(2).
// syscalls: getpid getppid gettid setsid getsid setpgid getpgid getpgrp
#include <signal.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(Getpid, StableAndPositive) {
  pid_t a = getpid();
  EXPECT_GT(a, 0);
  EXPECT_EQ(syscall(SYS_getpid), a);
}

TEST(Getpid, ChildDiffers) {
  pid_t me = getpid();
  int status = RunInChild([me] { CHILD_CHECK(getpid() != me); });
  EXPECT_TRUE(ExitedWith(status, 0));
}

TEST(Gettid, EqualsPidInSingleThreadedProcess) {
  EXPECT_EQ(syscall(SYS_gettid), getpid());
}

TEST(Getppid, ChildSeesParent) {
  pid_t me = getpid();
  int status = RunInChild([me] { CHILD_CHECK(syscall(SYS_getppid) == me); });
  EXPECT_TRUE(ExitedWith(status, 0));
}

TEST(Setsid, ChildBecomesSessionAndGroupLeader) {
  int status = RunInChild([] {
    pid_t sid = setsid();
    CHILD_CHECK(sid == getpid());
    CHILD_CHECK(getsid(0) == getpid());
    CHILD_CHECK(getpgrp() == getpid());
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Setsid, GroupLeaderGetsEPERM) {
  int status = RunInChild([] {
    CHILD_CHECK(setpgid(0, 0) == 0);
    CHILD_CHECK(setsid() == -1 && errno == EPERM);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Setsid, SecondSetsidIsEPERM) {
  int status = RunInChild([] {
    CHILD_CHECK(setsid() > 0);
    CHILD_CHECK(setsid() == -1 && errno == EPERM);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Getsid, OfChildEqualsOurs) {
  pid_t mine = getsid(0);
  ASSERT_THAT(mine, SyscallSucceeds());
  fflush(nullptr);
  Pipe p = MakePipe();
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    char c;
    read(p.r.get(), &c, 1);
    _exit(0);
  }
  EXPECT_THAT(getsid(pid), SyscallSucceedsWithValue(mine));
  write(p.w.get(), "x", 1);
  WaitStatus(pid);
}

TEST(Getsid, NoSuchProcessIsESRCH) {
  EXPECT_THAT(getsid(0x3ffffff), SyscallFailsWithErrno(ESRCH));
}

TEST(Setpgid, ChildCreatesOwnGroup) {
  int status = RunInChild([] {
    CHILD_CHECK(setpgid(0, 0) == 0);
    CHILD_CHECK(getpgid(0) == getpid());
    CHILD_CHECK(getpgrp() == getpid());
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Setpgid, ParentMovesChild) {
  Pipe p = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    char c;
    read(p.r.get(), &c, 1);
    _exit(getpgrp() == getpid() ? 0 : 1);
  }
  ASSERT_THAT(setpgid(pid, pid), SyscallSucceeds());
  EXPECT_THAT(getpgid(pid), SyscallSucceedsWithValue(pid));
  write(p.w.get(), "x", 1);
  EXPECT_TRUE(ExitedWith(WaitStatus(pid), 0));
}

TEST(Setpgid, NegativePgidIsEINVAL) {
  EXPECT_THAT(setpgid(0, -1), SyscallFailsWithErrno(EINVAL));
}

TEST(Setpgid, NonChildIsESRCH) {
  EXPECT_THAT(setpgid(0x3ffffff, 0), SyscallFailsWithErrno(ESRCH));
}

// Says "r" on stdout, then waits for a byte on stdin.
CONFORMANCE_CHILD_MODE(waitstdin) {
  if (write(1, "r", 1) != 1) return 2;
  char c;
  return read(0, &c, 1) == 1 ? 0 : 1;
}

TEST(Setpgid, ChildAfterExecIsEACCES) {
  Pipe in = MakePipe(), out = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    dup2(in.r.get(), 0);
    dup2(out.w.get(), 1);
    const char* argv[] = {"x", "--child-waitstdin", nullptr};
    execv(SelfPath().c_str(), const_cast<char**>(argv));
    _exit(127);
  }
  out.w.reset();
  char c;
  ASSERT_THAT(read(out.r.get(), &c, 1), SyscallSucceedsWithValue(1));  // It has exec'd.
  EXPECT_THAT(setpgid(pid, pid), SyscallFailsWithErrno(EACCES));
  write(in.w.get(), "x", 1);
  EXPECT_TRUE(ExitedWith(WaitStatus(pid), 0));
}

TEST(Setpgid, GroupInOtherSessionIsEPERM) {
  Pipe ready = MakePipe(), go = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    setsid();
    write(ready.w.get(), "r", 1);
    char c;
    read(go.r.get(), &c, 1);
    _exit(0);
  }
  char c;
  ASSERT_THAT(read(ready.r.get(), &c, 1), SyscallSucceedsWithValue(1));
  // The child is now a session leader in another session.
  EXPECT_THAT(setpgid(pid, getpgrp()), SyscallFailsWithErrno(EPERM));
  write(go.w.get(), "x", 1);
  WaitStatus(pid);
}

TEST(Getpgid, OfSelfMatchesGetpgrp) {
  EXPECT_THAT(getpgid(0), SyscallSucceedsWithValue(getpgrp()));
  EXPECT_THAT(getpgid(getpid()), SyscallSucceedsWithValue(getpgrp()));
}

TEST(Getpgid, NoSuchProcessIsESRCH) {
  EXPECT_THAT(getpgid(0x3ffffff), SyscallFailsWithErrno(ESRCH));
}

TEST(Getpgrp, KillGroupReachesMembers) {
  int status = RunInChild([] {
    CHILD_CHECK(setpgid(0, 0) == 0);
    signal(SIGUSR1, SIG_IGN);
    Pipe ready = MakePipe();
    pid_t member = fork();
    if (member == 0) {
      signal(SIGUSR1, SIG_DFL);
      write(ready.w.get(), "r", 1);
      for (;;) pause();
    }
    char c;
    CHILD_CHECK(read(ready.r.get(), &c, 1) == 1);
    CHILD_CHECK(kill(-getpgrp(), SIGUSR1) == 0);
    int ws;
    CHILD_CHECK(waitpid(member, &ws, 0) == member);
    CHILD_CHECK(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGUSR1);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

}  // namespace
}  // namespace conformance
