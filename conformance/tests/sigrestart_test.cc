// Syscall restart after signal handlers (signal(7) "Interruption of system
// calls"): SA_RESTART, calls never restarted, and restart after stop.
// syscalls: read write wait4 nanosleep rt_sigaction
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "util/test_util.h"

namespace conformance {
namespace {

volatile sig_atomic_t g_count;
void CountHandler(int) { g_count = g_count + 1; }

pid_t StartSignaller(int sig) { return SignalWhenBlocked(getpid(), sig); }

TEST(SaRestart, ReadOnPipeIsRestarted) {
  g_count = 0;
  ScopedSigaction sa(SIGUSR1, CountHandler, SA_RESTART);
  Pipe p = MakePipe();
  pid_t parent = getpid();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    WaitUntilSleeping(parent);
    kill(parent, SIGUSR1);
    usleep(30000);
    write(p.w.get(), "z", 1);
    _exit(0);
  }
  char c;
  EXPECT_THAT(read(p.r.get(), &c, 1), SyscallSucceedsWithValue(1));
  EXPECT_EQ(g_count, 1);
  WaitStatus(pid);
}

TEST(SaRestart, ReadWithoutRestartIsEINTR) {
  g_count = 0;
  ScopedSigaction sa(SIGUSR1, CountHandler, 0);
  Pipe p = MakePipe();
  pid_t pid = StartSignaller(SIGUSR1);
  ASSERT_THAT(pid, SyscallSucceeds());
  char c;
  EXPECT_THAT(read(p.r.get(), &c, 1), SyscallFailsWithErrno(EINTR));
  EXPECT_EQ(g_count, 1);
  WaitStatus(pid);
}

TEST(SaRestart, WaitIsRestarted) {
  g_count = 0;
  ScopedSigaction sa(SIGUSR1, CountHandler, SA_RESTART);
  pid_t parent = getpid();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    WaitUntilSleeping(parent);
    kill(parent, SIGUSR1);
    usleep(30000);
    _exit(6);
  }
  int status;
  EXPECT_THAT(waitpid(pid, &status, 0), SyscallSucceedsWithValue(pid));
  EXPECT_EQ(WEXITSTATUS(status), 6);
  EXPECT_EQ(g_count, 1);
}

TEST(SaRestart, WaitWithoutRestartIsEINTR) {
  g_count = 0;
  ScopedSigaction sa(SIGUSR1, CountHandler, 0);
  pid_t parent = getpid();
  Pipe p = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    WaitUntilSleeping(parent);
    kill(parent, SIGUSR1);
    char c;
    read(p.r.get(), &c, 1);
    _exit(0);
  }
  int status;
  EXPECT_THAT(waitpid(pid, &status, 0), SyscallFailsWithErrno(EINTR));
  write(p.w.get(), "x", 1);
  WaitStatus(pid);
}

TEST(SaRestart, PollIsNeverRestarted) {
  g_count = 0;
  ScopedSigaction sa(SIGUSR1, CountHandler, SA_RESTART);
  Pipe p = MakePipe();
  pid_t pid = StartSignaller(SIGUSR1);
  ASSERT_THAT(pid, SyscallSucceeds());
  struct pollfd pfd = {p.r.get(), POLLIN, 0};
  EXPECT_THAT(poll(&pfd, 1, 30000), SyscallFailsWithErrno(EINTR));
  WaitStatus(pid);
}

TEST(SaRestart, NanosleepIsNeverRestartedAndReportsRemaining) {
  g_count = 0;
  ScopedSigaction sa(SIGUSR1, CountHandler, SA_RESTART);
  pid_t pid = StartSignaller(SIGUSR1);
  ASSERT_THAT(pid, SyscallSucceeds());
  struct timespec req = {30, 0}, rem = {0, 0};
  EXPECT_THAT(nanosleep(&req, &rem), SyscallFailsWithErrno(EINTR));
  EXPECT_GT(rem.tv_sec + rem.tv_nsec, 0);
  EXPECT_LE(rem.tv_sec, 30);
  WaitStatus(pid);
}

TEST(SaRestart, SigsuspendIsNeverRestarted) {
  g_count = 0;
  ScopedSigaction sa(SIGUSR1, CountHandler, SA_RESTART);
  ScopedSignalMask block(SIG_BLOCK, SIGUSR1);
  pid_t pid = StartSignaller(SIGUSR1);
  sigset_t empty;
  sigemptyset(&empty);
  EXPECT_THAT(sigsuspend(&empty), SyscallFailsWithErrno(EINTR));
  EXPECT_EQ(g_count, 1);
  WaitStatus(pid);
}

TEST(SaRestart, ReadResumesAfterStopAndContinue) {
  // A blocking read with no handler involved is transparently resumed after
  // SIGSTOP/SIGCONT.
  Pipe p = MakePipe();
  Pipe done = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    char c;
    ssize_t n = read(p.r.get(), &c, 1);
    write(done.w.get(), n == 1 ? "y" : "n", 1);
    _exit(0);
  }
  WaitUntilSleeping(pid);
  ASSERT_THAT(kill(pid, SIGSTOP), SyscallSucceeds());
  int status;
  ASSERT_THAT(waitpid(pid, &status, WUNTRACED), SyscallSucceedsWithValue(pid));
  ASSERT_THAT(kill(pid, SIGCONT), SyscallSucceeds());
  ASSERT_THAT(write(p.w.get(), "q", 1), SyscallSucceeds());
  char c;
  ASSERT_THAT(read(done.r.get(), &c, 1), SyscallSucceedsWithValue(1));
  EXPECT_EQ(c, 'y');
  WaitStatus(pid);
}

TEST(SaRestart, NanosleepResumesAfterStop) {
  Pipe done = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    struct timespec req = {0, 200000000};
    int r = nanosleep(&req, nullptr);
    write(done.w.get(), r == 0 ? "y" : "n", 1);
    _exit(0);
  }
  WaitUntilSleeping(pid);
  kill(pid, SIGSTOP);
  int status;
  ASSERT_THAT(waitpid(pid, &status, WUNTRACED), SyscallSucceedsWithValue(pid));
  kill(pid, SIGCONT);
  char c;
  ASSERT_THAT(read(done.r.get(), &c, 1), SyscallSucceedsWithValue(1));
  EXPECT_EQ(c, 'y');
  WaitStatus(pid);
}

}  // namespace
}  // namespace conformance
