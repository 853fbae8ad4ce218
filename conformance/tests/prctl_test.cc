// prctl(2).
// syscalls: prctl
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(Prctl, SetAndGetName) {
  int status = RunInChild([] {
    CHILD_CHECK(prctl(PR_SET_NAME, "conf-name", 0, 0, 0) == 0);
    char name[16] = {};
    CHILD_CHECK(prctl(PR_GET_NAME, name, 0, 0, 0) == 0);
    CHILD_CHECK(strcmp(name, "conf-name") == 0);
    std::string comm;
    CHILD_CHECK(ReadFile("/proc/self/comm", &comm) && comm == "conf-name\n");
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Prctl, NameIsTruncatedTo15) {
  int status = RunInChild([] {
    CHILD_CHECK(prctl(PR_SET_NAME, "0123456789abcdefghij", 0, 0, 0) == 0);
    char name[32] = {};
    CHILD_CHECK(prctl(PR_GET_NAME, name, 0, 0, 0) == 0);
    CHILD_CHECK(strcmp(name, "0123456789abcde") == 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Prctl, DumpableDefaultsToOne) {
  EXPECT_THAT(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), SyscallSucceedsWithValue(1));
}

TEST(Prctl, SetDumpable) {
  int status = RunInChild([] {
    CHILD_CHECK(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0);
    CHILD_CHECK(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0);
    CHILD_CHECK(prctl(PR_SET_DUMPABLE, 2, 0, 0, 0) == -1 && errno == EINVAL);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Prctl, NoNewPrivsIsSticky) {
  int status = RunInChild([] {
    CHILD_CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0);
    CHILD_CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
    CHILD_CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1);
    CHILD_CHECK(prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0) == -1 && errno == EINVAL);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Prctl, PdeathsigGetSet) {
  int status = RunInChild([] {
    CHILD_CHECK(prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0) == 0);
    int sig = 0;
    CHILD_CHECK(prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0) == 0 && sig == SIGUSR1);
    CHILD_CHECK(prctl(PR_SET_PDEATHSIG, 100, 0, 0, 0) == -1 && errno == EINVAL);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Prctl, PdeathsigDeliveredWhenParentExits) {
  Pipe p = MakePipe();
  int status = RunInChild([&] {
    pid_t grandchild = fork();
    if (grandchild == 0) {
      ScopedSignalMask block(SIG_BLOCK, SIGUSR2);
      prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0);
      write(p.w.get(), "r", 1);
      int sig = WaitForSignal(SIGUSR2, 20000);
      write(p.w.get(), sig == SIGUSR2 ? "y" : "n", 1);
      _exit(0);
    }
    char c;
    read(p.r.get(), &c, 1);
    _exit(0);  // The grandchild's parent dies now.
  });
  ASSERT_TRUE(ExitedWith(status, 0));
  p.w.reset();
  char c = 0;
  ASSERT_THAT(read(p.r.get(), &c, 1), SyscallSucceedsWithValue(1));
  EXPECT_EQ(c, 'y');
}

TEST(Prctl, PdeathsigClearedByFork) {
  int status = RunInChild([] {
    CHILD_CHECK(prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0) == 0);
    pid_t pid = fork();
    if (pid == 0) {
      int sig = -1;
      prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
      _exit(sig == 0 ? 0 : 1);
    }
    int ws;
    waitpid(pid, &ws, 0);
    CHILD_CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Prctl, KeepcapsGetSet) {
  int status = RunInChild([] {
    CHILD_CHECK(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) == 0);
    CHILD_CHECK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0);
    CHILD_CHECK(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) == 1);
    CHILD_CHECK(prctl(PR_SET_KEEPCAPS, 5, 0, 0, 0) == -1 && errno == EINVAL);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Prctl, SeccompModeIsZero) {
  EXPECT_THAT(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), SyscallSucceedsWithValue(0));
}

TEST(Prctl, ChildSubreaperAdoptsOrphans) {
  int status = RunInChild([] {
    CHILD_CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);
    int v = 0;
    CHILD_CHECK(prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0) == 0 && v == 1);
    pid_t me = getpid();
    Pipe p = MakePipe();
    pid_t mid = fork();
    if (mid == 0) {
      pid_t leaf = fork();
      if (leaf == 0) {
        for (int i = 0; i < 5000 && getppid() != me; i++) usleep(1000);
        write(p.w.get(), getppid() == me ? "y" : "n", 1);
        _exit(0);
      }
      _exit(0);
    }
    int ws;
    waitpid(mid, &ws, 0);
    char c = 0;
    CHILD_CHECK(read(p.r.get(), &c, 1) == 1 && c == 'y');
    // The orphan is now our child: we can reap it.
    CHILD_CHECK(waitpid(-1, &ws, 0) > 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Prctl, UnknownOptionIsEINVAL) {
  EXPECT_THAT(prctl(0x7fffffff, 0, 0, 0, 0), SyscallFailsWithErrno(EINVAL));
}

TEST(Prctl, TimerslackGetSet) {
  int status = RunInChild([] {
    CHILD_CHECK(prctl(PR_SET_TIMERSLACK, 100000, 0, 0, 0) == 0);
    CHILD_CHECK(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) == 100000);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

}  // namespace
}  // namespace conformance
