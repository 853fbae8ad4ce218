// rt_sigaction(2), kill(2), tkill(2), tgkill(2), rt_sigreturn(2): handlers,
// dispositions and default actions.
// syscalls: rt_sigaction kill tkill tgkill rt_sigreturn
#include <signal.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "util/test_util.h"

namespace conformance {
namespace {

volatile sig_atomic_t g_count;
volatile sig_atomic_t g_last_sig;
siginfo_t g_info;

void CountHandler(int sig) {
  g_count = g_count + 1;
  g_last_sig = sig;
}

void InfoHandler(int sig, siginfo_t* info, void*) {
  g_count = g_count + 1;
  g_last_sig = sig;
  g_info = *info;
}

class Signal : public ::testing::Test {
 protected:
  void SetUp() override {
    g_count = 0;
    g_last_sig = 0;
    memset(&g_info, 0, sizeof g_info);
  }
};

using Sigaction = Signal;
using Kill = Signal;
using Tgkill = Signal;
using DefaultAction = Signal;

TEST_F(Sigaction, HandlerRunsOnKillSelf) {
  ScopedSigaction sa(SIGUSR1, CountHandler);
  ASSERT_TRUE(sa.ok());
  ASSERT_THAT(kill(getpid(), SIGUSR1), SyscallSucceeds());
  EXPECT_EQ(g_count, 1);
  EXPECT_EQ(g_last_sig, SIGUSR1);
}

TEST_F(Sigaction, OldActionIsReturned) {
  ScopedSigaction sa(SIGUSR2, CountHandler);
  struct sigaction old;
  ASSERT_THAT(sigaction(SIGUSR2, nullptr, &old), SyscallSucceeds());
  EXPECT_EQ(old.sa_handler, CountHandler);
}

TEST_F(Sigaction, SiginfoHandlerGetsSenderInfo) {
  struct sigaction act = {};
  act.sa_sigaction = InfoHandler;
  act.sa_flags = SA_SIGINFO;
  ScopedSigaction sa(SIGUSR1, act);
  ASSERT_THAT(kill(getpid(), SIGUSR1), SyscallSucceeds());
  EXPECT_EQ(g_count, 1);
  EXPECT_EQ(g_info.si_signo, SIGUSR1);
  EXPECT_EQ(g_info.si_code, SI_USER);
  EXPECT_EQ(g_info.si_pid, getpid());
  EXPECT_EQ(g_info.si_uid, getuid());
}

TEST_F(Sigaction, SigkillCannotBeCaughtIsEINVAL) {
  struct sigaction act = {};
  act.sa_handler = CountHandler;
  EXPECT_THAT(sigaction(SIGKILL, &act, nullptr), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(sigaction(SIGSTOP, &act, nullptr), SyscallFailsWithErrno(EINVAL));
}

TEST_F(Sigaction, InvalidSignalIsEINVAL) {
  struct sigaction act = {};
  act.sa_handler = SIG_IGN;
  EXPECT_THAT(syscall(SYS_rt_sigaction, 0, &act, nullptr, 8), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(syscall(SYS_rt_sigaction, 65, &act, nullptr, 8), SyscallFailsWithErrno(EINVAL));
}

TEST_F(Sigaction, BadSigsetsizeIsEINVAL) {
  struct sigaction act = {};
  EXPECT_THAT(syscall(SYS_rt_sigaction, SIGUSR1, nullptr, &act, 4), SyscallFailsWithErrno(EINVAL));
}

TEST_F(Sigaction, ResetHandFlagRestoresDefault) {
  ScopedSigaction sa(SIGUSR1, CountHandler, SA_RESETHAND);
  ASSERT_THAT(kill(getpid(), SIGUSR1), SyscallSucceeds());
  EXPECT_EQ(g_count, 1);
  struct sigaction cur;
  sigaction(SIGUSR1, nullptr, &cur);
  EXPECT_EQ(cur.sa_handler, SIG_DFL);
}

TEST_F(Sigaction, SignalBlockedDuringHandler) {
  static volatile sig_atomic_t blocked_inside;
  blocked_inside = 0;
  ScopedSigaction sa(SIGUSR1, [](int) {
    sigset_t cur;
    sigprocmask(SIG_BLOCK, nullptr, &cur);
    blocked_inside = sigismember(&cur, SIGUSR1) && sigismember(&cur, SIGUSR2);
  });
  struct sigaction act;
  sigaction(SIGUSR1, nullptr, &act);
  sigaddset(&act.sa_mask, SIGUSR2);
  sigaction(SIGUSR1, &act, nullptr);
  ASSERT_THAT(kill(getpid(), SIGUSR1), SyscallSucceeds());
  EXPECT_EQ(blocked_inside, 1);
}

TEST_F(Sigaction, NodeferAllowsNesting) {
  static volatile sig_atomic_t depth, max_depth;
  depth = 0;
  max_depth = 0;
  ScopedSigaction sa(
      SIGUSR1,
      [](int) {
        depth = depth + 1;
        if (depth > max_depth) max_depth = depth;
        if (depth < 3) kill(getpid(), SIGUSR1);
        depth = depth - 1;
      },
      SA_NODEFER);
  ASSERT_THAT(kill(getpid(), SIGUSR1), SyscallSucceeds());
  EXPECT_EQ(max_depth, 3);
}

TEST_F(Sigaction, MaskRestoredAfterHandler) {
  ScopedSigaction sa(SIGUSR1, CountHandler);
  ASSERT_THAT(kill(getpid(), SIGUSR1), SyscallSucceeds());
  sigset_t cur;
  sigprocmask(SIG_BLOCK, nullptr, &cur);
  EXPECT_FALSE(sigismember(&cur, SIGUSR1));
}

TEST_F(Sigaction, IgnoredSignalIsDiscarded) {
  ScopedSigaction sa(SIGUSR1, SIG_IGN);
  ASSERT_THAT(kill(getpid(), SIGUSR1), SyscallSucceeds());
  sigset_t pending;
  sigpending(&pending);
  EXPECT_FALSE(sigismember(&pending, SIGUSR1));
}

TEST_F(Sigaction, HandlerCanModifyContext) {
  // The handler changes a callee-visible value through ucontext: verify that
  // rt_sigreturn restores the (modified) saved register state. We only check
  // that the signal frame round-trips and execution continues normally.
  static volatile int marker;
  marker = 0;
  struct sigaction act = {};
  act.sa_sigaction = [](int, siginfo_t*, void* uc) {
    auto* ctx = static_cast<ucontext_t*>(uc);
    marker = ctx->uc_mcontext.gregs[REG_RIP] != 0 ? 1 : 2;
  };
  act.sa_flags = SA_SIGINFO;
  ScopedSigaction sa(SIGUSR1, act);
  volatile double d = 1.5;
  ASSERT_THAT(kill(getpid(), SIGUSR1), SyscallSucceeds());
  EXPECT_EQ(marker, 1);
  EXPECT_EQ(d * 2, 3.0);
}

TEST_F(Kill, ZeroSignalChecksExistence) {
  EXPECT_THAT(kill(getpid(), 0), SyscallSucceeds());
  EXPECT_THAT(kill(0x3ffffff, 0), SyscallFailsWithErrno(ESRCH));
}

TEST_F(Kill, InvalidSignalIsEINVAL) {
  EXPECT_THAT(kill(getpid(), 65), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(kill(getpid(), -1), SyscallFailsWithErrno(EINVAL));
}

TEST_F(Kill, UnprivilegedToOtherUserIsEPERM) {
  Pipe p = MakePipe();
  fflush(nullptr);
  pid_t target = fork();
  ASSERT_THAT(target, SyscallSucceeds());
  if (target == 0) {
    char c;
    read(p.r.get(), &c, 1);
    _exit(0);
  }
  int status = RunInChild([&] {
    CHILD_CHECK(setuid(65534) == 0);
    CHILD_CHECK(kill(target, SIGTERM) == -1 && errno == EPERM);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
  write(p.w.get(), "x", 1);
  EXPECT_TRUE(ExitedWith(WaitStatus(target), 0));
}

TEST_F(Kill, ChildReceivesSignal) {
  Pipe p = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    signal(SIGUSR2, [](int) { _exit(12); });
    write(p.w.get(), "r", 1);
    for (;;) pause();
  }
  char c;
  ASSERT_THAT(read(p.r.get(), &c, 1), SyscallSucceedsWithValue(1));
  ASSERT_THAT(kill(pid, SIGUSR2), SyscallSucceeds());
  EXPECT_TRUE(ExitedWith(WaitStatus(pid), 12));
}

TEST_F(Kill, StandardSignalsDoNotQueue) {
  ScopedSigaction sa(SIGUSR1, CountHandler);
  {
    ScopedSignalMask block(SIG_BLOCK, SIGUSR1);
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1);
    EXPECT_EQ(g_count, 0);
  }
  EXPECT_EQ(g_count, 1);
}

TEST_F(Kill, RealtimeSignalsQueue) {
  int sig = SIGRTMIN + 1;
  ScopedSigaction sa(sig, CountHandler);
  {
    ScopedSignalMask block(SIG_BLOCK, sig);
    kill(getpid(), sig);
    kill(getpid(), sig);
    kill(getpid(), sig);
  }
  EXPECT_EQ(g_count, 3);
}

TEST_F(Tgkill, DeliversToThread) {
  ScopedSigaction sa(SIGUSR1, CountHandler);
  ASSERT_THAT(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1), SyscallSucceeds());
  EXPECT_EQ(g_count, 1);
}

TEST_F(Tgkill, WrongGroupIsESRCH) {
  EXPECT_THAT(syscall(SYS_tgkill, 0x3ffffff, syscall(SYS_gettid), SIGUSR1),
              SyscallFailsWithErrno(ESRCH));
}

TEST_F(Tgkill, NonPositiveIdsAreEINVAL) {
  EXPECT_THAT(syscall(SYS_tgkill, 0, syscall(SYS_gettid), 0), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(syscall(SYS_tgkill, getpid(), 0, 0), SyscallFailsWithErrno(EINVAL));
}

TEST_F(Tgkill, TkillDelivers) {
  ScopedSigaction sa(SIGUSR2, CountHandler);
  ASSERT_THAT(syscall(SYS_tkill, syscall(SYS_gettid), SIGUSR2), SyscallSucceeds());
  EXPECT_EQ(g_count, 1);
  EXPECT_EQ(g_last_sig, SIGUSR2);
}

TEST_F(Tgkill, SiCodeIsTkill) {
  struct sigaction act = {};
  act.sa_sigaction = InfoHandler;
  act.sa_flags = SA_SIGINFO;
  ScopedSigaction sa(SIGUSR1, act);
  ASSERT_THAT(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1), SyscallSucceeds());
  EXPECT_EQ(g_info.si_code, SI_TKILL);
}

TEST_F(DefaultAction, TermKillsProcess) {
  int status = RunInChild([] {
    signal(SIGTERM, SIG_DFL);
    kill(getpid(), SIGTERM);
    for (;;) pause();
  });
  EXPECT_TRUE(KilledBy(status, SIGTERM)) << DescribeWaitStatus(status);
}

TEST_F(DefaultAction, ChldIsIgnored) {
  int status = RunInChild([] {
    signal(SIGCHLD, SIG_DFL);
    kill(getpid(), SIGCHLD);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST_F(DefaultAction, QuitDumpsCoreStatusIsSignal) {
  int status = RunInChild([] {
    struct rlimit rl = {0, 0};
    setrlimit(RLIMIT_CORE, &rl);
    signal(SIGQUIT, SIG_DFL);
    kill(getpid(), SIGQUIT);
    for (;;) pause();
  });
  EXPECT_TRUE(KilledBy(status, SIGQUIT)) << DescribeWaitStatus(status);
}

TEST_F(DefaultAction, StopThenContinue) {
  Pipe p = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    raise(SIGSTOP);
    write(p.w.get(), "c", 1);
    _exit(0);
  }
  int status;
  ASSERT_THAT(waitpid(pid, &status, WUNTRACED), SyscallSucceedsWithValue(pid));
  EXPECT_TRUE(WIFSTOPPED(status));
  ASSERT_THAT(kill(pid, SIGCONT), SyscallSucceeds());
  char c;
  EXPECT_THAT(read(p.r.get(), &c, 1), SyscallSucceedsWithValue(1));
  EXPECT_TRUE(ExitedWith(WaitStatus(pid), 0));
}

TEST_F(DefaultAction, KillWhileStoppedTerminates) {
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    raise(SIGSTOP);
    _exit(0);
  }
  int status;
  ASSERT_THAT(waitpid(pid, &status, WUNTRACED), SyscallSucceedsWithValue(pid));
  ASSERT_THAT(kill(pid, SIGKILL), SyscallSucceeds());
  EXPECT_TRUE(KilledBy(WaitStatus(pid), SIGKILL));
}

TEST_F(DefaultAction, HandlerForSigcontRunsOnContinue) {
  Pipe p = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    static int wfd;
    wfd = p.w.get();
    signal(SIGCONT, [](int) { write(wfd, "h", 1); });
    raise(SIGSTOP);
    _exit(0);
  }
  int status;
  ASSERT_THAT(waitpid(pid, &status, WUNTRACED), SyscallSucceedsWithValue(pid));
  kill(pid, SIGCONT);
  char c = 0;
  EXPECT_THAT(read(p.r.get(), &c, 1), SyscallSucceedsWithValue(1));
  EXPECT_EQ(c, 'h');
  EXPECT_TRUE(ExitedWith(WaitStatus(pid), 0));
}

}  // namespace
}  // namespace conformance
