// fork(2), vfork(2), clone(2) without threads, wait4(2), waitid(2).
// syscalls: fork vfork clone wait4 waitid
// syscalls(Wait4): wait4
// syscalls(Waitid): waitid
// syscalls(Vfork): vfork
// syscalls(CloneProcess): clone clone3
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(Fork, ChildGetsZeroParentGetsPid) {
  Pipe p = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    pid_t me = getpid();
    _exit(write(p.w.get(), &me, sizeof me) == sizeof me ? 0 : 1);
  }
  pid_t reported = 0;
  ASSERT_THAT(read(p.r.get(), &reported, sizeof reported), SyscallSucceedsWithValue(sizeof reported));
  EXPECT_EQ(reported, pid);
  EXPECT_TRUE(ExitedWith(WaitStatus(pid), 0));
}

TEST(Fork, ChildParentIsCaller) {
  pid_t me = getpid();
  int status = RunInChild([me] { CHILD_CHECK(getppid() == me); });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Fork, MemoryIsCopied) {
  static int value = 1;
  value = 1;
  int status = RunInChild([] {
    value = 2;
    CHILD_CHECK(value == 2);
  });
  EXPECT_TRUE(ExitedWith(status, 0));
  EXPECT_EQ(value, 1);
}

TEST(Fork, FdsAreInherited) {
  Pipe p = MakePipe();
  int status = RunInChild([&] { CHILD_CHECK(write(p.w.get(), "c", 1) == 1); });
  EXPECT_TRUE(ExitedWith(status, 0));
  char c;
  EXPECT_THAT(read(p.r.get(), &c, 1), SyscallSucceedsWithValue(1));
}

TEST(Fork, FileOffsetIsShared) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "0123456789"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  int status = RunInChild([&] { CHILD_CHECK(lseek(fd.get(), 6, SEEK_SET) == 6); });
  EXPECT_TRUE(ExitedWith(status, 0));
  EXPECT_THAT(lseek(fd.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(6));
}

TEST(Fork, SharedAnonymousMappingIsShared) {
  int* shared = static_cast<int*>(
      mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(shared, MAP_FAILED);
  *shared = 1;
  int status = RunInChild([&] { *shared = 42; });
  EXPECT_TRUE(ExitedWith(status, 0));
  EXPECT_EQ(*shared, 42);
  munmap(shared, 4096);
}

TEST(Fork, SignalHandlersInheritedPendingCleared) {
  static volatile sig_atomic_t got = 0;
  ScopedSigaction sa(SIGUSR1, [](int) { got = 1; });
  ScopedSignalMask block(SIG_BLOCK, SIGUSR1);
  ASSERT_THAT(kill(getpid(), SIGUSR1), SyscallSucceeds());
  int status = RunInChild([] {
    sigset_t pending;
    sigpending(&pending);
    CHILD_CHECK(!sigismember(&pending, SIGUSR1));
    struct sigaction cur;
    sigaction(SIGUSR1, nullptr, &cur);
    CHILD_CHECK(cur.sa_handler != SIG_DFL);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
  // Consume our own pending SIGUSR1; the handler never ran.
  EXPECT_EQ(WaitForSignal(SIGUSR1, 1000), SIGUSR1);
  EXPECT_EQ(got, 0);
}

TEST(Wait4, ReportsExitStatus) {
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) _exit(42);
  int status;
  ASSERT_THAT(wait4(pid, &status, 0, nullptr), SyscallSucceedsWithValue(pid));
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 42);
}

TEST(Wait4, ReportsKillingSignal) {
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    for (;;) pause();
  }
  ASSERT_THAT(kill(pid, SIGKILL), SyscallSucceeds());
  int status;
  ASSERT_THAT(wait4(pid, &status, 0, nullptr), SyscallSucceedsWithValue(pid));
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(Wait4, NoChildrenIsECHILD) {
  int status;
  EXPECT_THAT(wait4(-1, &status, WNOHANG, nullptr), SyscallFailsWithErrno(ECHILD));
}

TEST(Wait4, NotOurChildIsECHILD) {
  EXPECT_THAT(wait4(getpid(), nullptr, 0, nullptr), SyscallFailsWithErrno(ECHILD));
}

TEST(Wait4, WnohangWithRunningChildReturnsZero) {
  Pipe p = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    char c;
    ssize_t r = read(p.r.get(), &c, 1);
    _exit(r == 1 ? 0 : 1);
  }
  int status;
  EXPECT_THAT(wait4(pid, &status, WNOHANG, nullptr), SyscallSucceedsWithValue(0));
  ASSERT_THAT(write(p.w.get(), "x", 1), SyscallSucceeds());
  EXPECT_TRUE(ExitedWith(WaitStatus(pid), 0));
}

TEST(Wait4, BadOptionsIsEINVAL) {
  EXPECT_THAT(wait4(-1, nullptr, 0x4000000, nullptr), SyscallFailsWithErrno(EINVAL));
}

TEST(Wait4, ReportsStopAndContinue) {
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    for (;;) pause();
  }
  ASSERT_THAT(kill(pid, SIGSTOP), SyscallSucceeds());
  int status;
  ASSERT_THAT(wait4(pid, &status, WUNTRACED, nullptr), SyscallSucceedsWithValue(pid));
  EXPECT_TRUE(WIFSTOPPED(status));
  EXPECT_EQ(WSTOPSIG(status), SIGSTOP);
  ASSERT_THAT(kill(pid, SIGCONT), SyscallSucceeds());
  ASSERT_THAT(wait4(pid, &status, WCONTINUED, nullptr), SyscallSucceedsWithValue(pid));
  EXPECT_TRUE(WIFCONTINUED(status));
  kill(pid, SIGKILL);
  WaitStatus(pid);
}

TEST(Wait4, RusageIsFilled) {
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) _exit(0);
  struct rusage ru;
  memset(&ru, 0xff, sizeof ru);
  int status;
  ASSERT_THAT(wait4(pid, &status, 0, &ru), SyscallSucceedsWithValue(pid));
  EXPECT_GE(ru.ru_utime.tv_sec, 0);
  EXPECT_LT(ru.ru_utime.tv_usec, 1000000);
}

TEST(Wait4, ProcessGroupSelector) {
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    setpgid(0, 0);
    _exit(7);
  }
  setpgid(pid, pid);  // Either side may win the race; both set the same group.
  int status;
  ASSERT_THAT(wait4(-pid, &status, 0, nullptr), SyscallSucceedsWithValue(pid));
  EXPECT_EQ(WEXITSTATUS(status), 7);
}

TEST(Wait4, ZombieStaysUntilReaped) {
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) _exit(0);
  siginfo_t info = {};
  ASSERT_THAT(waitid(P_PID, pid, &info, WEXITED | WNOWAIT), SyscallSucceeds());
  // Still there: kill(pid, 0) succeeds on a zombie.
  EXPECT_THAT(kill(pid, 0), SyscallSucceeds());
  EXPECT_TRUE(ExitedWith(WaitStatus(pid), 0));
  EXPECT_THAT(kill(pid, 0), SyscallFailsWithErrno(ESRCH));
}

TEST(Waitid, FillsSiginfo) {
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) _exit(9);
  siginfo_t info = {};
  ASSERT_THAT(waitid(P_PID, pid, &info, WEXITED), SyscallSucceeds());
  EXPECT_EQ(info.si_signo, SIGCHLD);
  EXPECT_EQ(info.si_code, CLD_EXITED);
  EXPECT_EQ(info.si_pid, pid);
  EXPECT_EQ(info.si_status, 9);
  EXPECT_EQ(info.si_uid, getuid());
}

TEST(Waitid, KilledChildHasCldKilled) {
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    for (;;) pause();
  }
  kill(pid, SIGTERM);
  siginfo_t info = {};
  ASSERT_THAT(waitid(P_PID, pid, &info, WEXITED), SyscallSucceeds());
  EXPECT_EQ(info.si_code, CLD_KILLED);
  EXPECT_EQ(info.si_status, SIGTERM);
}

TEST(Waitid, WnohangNoStateChangeZeroesPid) {
  Pipe p = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    char c;
    ssize_t r = read(p.r.get(), &c, 1);
    _exit(r == 1 ? 0 : 1);
  }
  siginfo_t info;
  memset(&info, 0x5a, sizeof info);
  ASSERT_THAT(waitid(P_PID, pid, &info, WEXITED | WNOHANG), SyscallSucceeds());
  EXPECT_EQ(info.si_pid, 0);
  write(p.w.get(), "x", 1);
  WaitStatus(pid);
}

TEST(Waitid, NoOptionsIsEINVAL) {
  siginfo_t info;
  EXPECT_THAT(waitid(P_ALL, 0, &info, 0), SyscallFailsWithErrno(EINVAL));
}

TEST(Waitid, BadIdTypeIsEINVAL) {
  siginfo_t info;
  EXPECT_THAT(waitid(static_cast<idtype_t>(42), 0, &info, WEXITED), SyscallFailsWithErrno(EINVAL));
}

TEST(Vfork, ParentResumesAfterChildExits) {
  fflush(nullptr);
  pid_t pid = vfork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) _exit(5);
  EXPECT_TRUE(ExitedWith(WaitStatus(pid), 5));
}

TEST(CloneProcess, SigchldCloneActsLikeFork) {
  fflush(nullptr);
  long pid = syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, 0);
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) _exit(3);
  EXPECT_TRUE(ExitedWith(WaitStatus(pid), 3));
}

TEST(CloneProcess, ExitSignalOtherThanSigchldNeedsWall) {
  ScopedSignalMask block(SIG_BLOCK, SIGUSR2);
  fflush(nullptr);
  long pid = syscall(SYS_clone, SIGUSR2, nullptr, nullptr, nullptr, 0);
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) _exit(4);
  siginfo_t info = {};
  ASSERT_THAT(waitid(P_PID, pid, &info, WEXITED | WNOWAIT | __WALL), SyscallSucceeds());
  // Without __WCLONE/__WALL, a child with a non-SIGCHLD exit signal is invisible.
  int status;
  EXPECT_THAT(waitpid(pid, &status, WNOHANG), SyscallFailsWithErrno(ECHILD));
  ASSERT_THAT(waitpid(pid, &status, __WCLONE), SyscallSucceedsWithValue(pid));
  EXPECT_EQ(WEXITSTATUS(status), 4);
  // The parent was sent the chosen exit signal.
  EXPECT_EQ(WaitForSignal(SIGUSR2), SIGUSR2);
}

TEST(CloneProcess, ParentSettidWritesPid) {
  pid_t tid = 0;
  fflush(nullptr);
  long pid = syscall(SYS_clone, CLONE_PARENT_SETTID | SIGCHLD, nullptr, &tid, nullptr, 0);
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) _exit(0);
  EXPECT_EQ(tid, pid);
  WaitStatus(pid);
}

TEST(CloneProcess, InvalidFlagComboIsEINVAL) {
  // CLONE_SIGHAND requires CLONE_VM.
  EXPECT_THAT(syscall(SYS_clone, CLONE_SIGHAND | SIGCHLD, nullptr, nullptr, nullptr, 0),
              SyscallFailsWithErrno(EINVAL));
}

}  // namespace
}  // namespace conformance
