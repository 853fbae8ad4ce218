// seccomp(2) and prctl(PR_SET_SECCOMP): the process's own syscall filters.
// syscalls: seccomp prctl
//
// Every filter is installed in a forked child: filters cannot be removed.
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "util/test_util.h"

namespace conformance {
namespace {

constexpr uint32_t kNrOffset = offsetof(seccomp_data, nr);
constexpr uint32_t kArchOffset = offsetof(seccomp_data, arch);
constexpr uint32_t kArg0Offset = offsetof(seccomp_data, args[0]);

sock_filter Stmt(uint16_t code, uint32_t k) { return sock_filter{code, 0, 0, k}; }
sock_filter Jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
  return sock_filter{code, jt, jf, k};
}

// A filter returning `action` for syscall `nr` and allowing the rest.
std::vector<sock_filter> OnSyscall(int nr, uint32_t action) {
  return {
      Stmt(BPF_LD | BPF_W | BPF_ABS, kArchOffset),
      Jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      Stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      Stmt(BPF_LD | BPF_W | BPF_ABS, kNrOffset),
      Jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 1),
      Stmt(BPF_RET | BPF_K, action),
      Stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
}

long Install(std::vector<sock_filter> prog, unsigned flags = 0) {
  sock_fprog fprog{static_cast<unsigned short>(prog.size()), prog.data()};
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
}

// SIGSYS dumps core: not in the test's directory.
void NoCoreDumps() {
  rlimit none = {0, 0};
  setrlimit(RLIMIT_CORE, &none);
}

bool SetNoNewPrivs() { return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0; }

std::string StatusField(const std::string& name) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(name + ":", 0) == 0) return line.substr(name.size() + 2);
  return "";
}

TEST(Seccomp, ErrnoActionSkipsTheCall) {
  int status = RunInChild([] {
    CHILD_CHECK(SetNoNewPrivs());
    CHILD_CHECK(Install(OnSyscall(SYS_getppid, SECCOMP_RET_ERRNO | EPERM)) == 0);
    CHILD_CHECK(syscall(SYS_getppid) == -1 && errno == EPERM);
    CHILD_CHECK(getpid() > 0);  // others still run
    CHILD_CHECK(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == SECCOMP_MODE_FILTER);
    CHILD_CHECK(StatusField("Seccomp") == "2");
    CHILD_CHECK(StatusField("NoNewPrivs") == "1");
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

// SECCOMP_RET_ERRNO's data is capped at MAX_ERRNO; 0 makes the call return 0.
TEST(Seccomp, ErrnoDataZeroAndCap) {
  int status = RunInChild([] {
    CHILD_CHECK(SetNoNewPrivs());
    CHILD_CHECK(Install(OnSyscall(SYS_getppid, SECCOMP_RET_ERRNO | 0)) == 0);
    CHILD_CHECK(syscall(SYS_getppid) == 0);
    CHILD_CHECK(Install(OnSyscall(SYS_getuid, SECCOMP_RET_ERRNO | 0xffff)) == 0);
    CHILD_CHECK(syscall(SYS_getuid) == -1 && errno == 4095);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Seccomp, NeedsNoNewPrivsOrCapSysAdmin) {
  int status = RunInChild([] {
    // Drop CAP_SYS_ADMIN from the effective set; no no_new_privs.
    CHILD_CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0);
    struct {
      uint32_t version;
      int pid;
    } hdr = {0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0};
    struct {
      uint32_t effective, permitted, inheritable;
    } data[2];
    CHILD_CHECK(syscall(SYS_capget, &hdr, data) == 0);
    data[0].effective &= ~(1u << 21 /* CAP_SYS_ADMIN */);
    CHILD_CHECK(syscall(SYS_capset, &hdr, data) == 0);
    CHILD_CHECK(Install(OnSyscall(SYS_getppid, SECCOMP_RET_ERRNO | EPERM)) == -1 && errno == EACCES);
    CHILD_CHECK(SetNoNewPrivs());
    CHILD_CHECK(Install(OnSyscall(SYS_getppid, SECCOMP_RET_ERRNO | EPERM)) == 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Seccomp, KillProcessDiesOfSigsys) {
  int status = RunInChild([] {
    CHILD_CHECK(SetNoNewPrivs());
    NoCoreDumps();
    signal(SIGSYS, SIG_IGN);  // no handler or disposition saves it
    CHILD_CHECK(Install(OnSyscall(SYS_getppid, SECCOMP_RET_KILL_PROCESS)) == 0);
    syscall(SYS_getppid);
    _exit(7);
  });
  EXPECT_TRUE(KilledBy(status, SIGSYS)) << DescribeWaitStatus(status);
}

volatile sig_atomic_t g_sigsys_count;
siginfo_t g_sigsys_info;
long long g_sigsys_rax;

void OnSigsys(int, siginfo_t* info, void* ctx) {
  g_sigsys_info = *info;
  auto* uc = static_cast<ucontext_t*>(ctx);
  g_sigsys_rax = uc->uc_mcontext.gregs[REG_RAX];
  uc->uc_mcontext.gregs[REG_RAX] = 1234;  // what the trapped call returns
  g_sigsys_count = g_sigsys_count + 1;
}

TEST(Seccomp, TrapSendsSigsysWithDetails) {
  int status = RunInChild([] {
    struct sigaction sa = {};
    sa.sa_sigaction = OnSigsys;
    sa.sa_flags = SA_SIGINFO;
    CHILD_CHECK(sigaction(SIGSYS, &sa, nullptr) == 0);
    CHILD_CHECK(SetNoNewPrivs());
    CHILD_CHECK(Install(OnSyscall(SYS_getppid, SECCOMP_RET_TRAP | 42)) == 0);
    long r = syscall(SYS_getppid, 11, 22);
    CHILD_CHECK(r == 1234);
    CHILD_CHECK(g_sigsys_count == 1);
    CHILD_CHECK(g_sigsys_info.si_signo == SIGSYS);
    CHILD_CHECK(g_sigsys_info.si_code == 1 /* SYS_SECCOMP */);
    CHILD_CHECK(g_sigsys_info.si_errno == 42);
    CHILD_CHECK(g_sigsys_info.si_syscall == SYS_getppid);
    CHILD_CHECK(g_sigsys_info.si_arch == AUDIT_ARCH_X86_64);
    CHILD_CHECK(g_sigsys_info.si_call_addr != nullptr);
    CHILD_CHECK(g_sigsys_rax == SYS_getppid);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

// A blocked SIGSYS from SECCOMP_RET_TRAP is forced: the default action
// (core) kills the process.
TEST(Seccomp, TrapWithSigsysBlockedKills) {
  int status = RunInChild([] {
    NoCoreDumps();
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGSYS);
    CHILD_CHECK(sigprocmask(SIG_BLOCK, &set, nullptr) == 0);
    CHILD_CHECK(SetNoNewPrivs());
    CHILD_CHECK(Install(OnSyscall(SYS_getppid, SECCOMP_RET_TRAP)) == 0);
    syscall(SYS_getppid);
    _exit(7);
  });
  EXPECT_TRUE(KilledBy(status, SIGSYS)) << DescribeWaitStatus(status);
}

// Without a tracer, SECCOMP_RET_TRACE fails the call with ENOSYS.
TEST(Seccomp, TraceWithoutTracerIsENOSYS) {
  int status = RunInChild([] {
    CHILD_CHECK(SetNoNewPrivs());
    CHILD_CHECK(Install(OnSyscall(SYS_getppid, SECCOMP_RET_TRACE | 5)) == 0);
    CHILD_CHECK(syscall(SYS_getppid) == -1 && errno == ENOSYS);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Seccomp, LogActionAllows) {
  int status = RunInChild([] {
    CHILD_CHECK(SetNoNewPrivs());
    CHILD_CHECK(Install(OnSyscall(SYS_getppid, SECCOMP_RET_LOG)) == 0);
    CHILD_CHECK(syscall(SYS_getppid) == getppid());
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

// Every filter runs; the strongest action wins (ERRNO over ALLOW, KILL
// over ERRNO), and among equals the newest filter's data.
TEST(Seccomp, StrongestActionOfAllFiltersWins) {
  int status = RunInChild([] {
    CHILD_CHECK(SetNoNewPrivs());
    CHILD_CHECK(Install(OnSyscall(SYS_getppid, SECCOMP_RET_ERRNO | EPERM)) == 0);
    CHILD_CHECK(Install(OnSyscall(SYS_getppid, SECCOMP_RET_ALLOW)) == 0);
    CHILD_CHECK(syscall(SYS_getppid) == -1 && errno == EPERM);
    CHILD_CHECK(Install(OnSyscall(SYS_getppid, SECCOMP_RET_ERRNO | EACCES)) == 0);
    CHILD_CHECK(syscall(SYS_getppid) == -1 && errno == EACCES);
    CHILD_CHECK(StatusField("Seccomp_filters") == "3");
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

// Arguments, memory cells, ALU and jumps of the classic BPF machine.
TEST(Seccomp, FilterOnArgumentsWithScratchMemory) {
  int status = RunInChild([] {
    CHILD_CHECK(SetNoNewPrivs());
    // getppid(arg0) fails with errno arg0 when (arg0 * 3 + 1) & 0xff == 0x10.
    std::vector<sock_filter> prog = {
        Stmt(BPF_LD | BPF_W | BPF_ABS, kNrOffset),
        Jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 1, 0),
        Stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        Stmt(BPF_LD | BPF_W | BPF_ABS, kArg0Offset),
        Stmt(BPF_ST, 3),
        Stmt(BPF_LDX | BPF_IMM, 3),
        Stmt(BPF_ALU | BPF_MUL | BPF_X, 0),
        Stmt(BPF_ALU | BPF_ADD | BPF_K, 1),
        Stmt(BPF_ALU | BPF_AND | BPF_K, 0xff),
        Jump(BPF_JMP | BPF_JEQ | BPF_K, 0x10, 0, 4),
        Stmt(BPF_LDX | BPF_MEM, 3),
        Stmt(BPF_MISC | BPF_TXA, 0),
        Stmt(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO),
        Stmt(BPF_RET | BPF_A, 0),
        Stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    CHILD_CHECK(Install(prog) == 0);
    CHILD_CHECK(syscall(SYS_getppid, 4) == getppid());
    CHILD_CHECK(syscall(SYS_getppid, 5) == -1 && errno == 5);
    CHILD_CHECK(syscall(SYS_getppid, 5 + 256) == -1 && errno == 5 + 256);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Seccomp, InvalidProgramsAreEINVAL) {
  int status = RunInChild([] {
    CHILD_CHECK(SetNoNewPrivs());
    auto rejects = [](std::vector<sock_filter> p) { return Install(p) == -1 && errno == EINVAL; };
    CHILD_CHECK(rejects({}));                                                   // empty
    CHILD_CHECK(rejects({Stmt(BPF_LD | BPF_W | BPF_ABS, 0)}));                  // no return
    CHILD_CHECK(rejects({Stmt(BPF_LD | BPF_W | BPF_ABS, 2), Stmt(BPF_RET | BPF_K, 0)}));  // unaligned
    CHILD_CHECK(rejects({Stmt(BPF_LD | BPF_W | BPF_ABS, 64), Stmt(BPF_RET | BPF_K, 0)}));  // past end
    CHILD_CHECK(rejects({Stmt(BPF_LD | BPF_H | BPF_ABS, 0), Stmt(BPF_RET | BPF_K, 0)}));  // not a word
    CHILD_CHECK(rejects({Stmt(BPF_LD | BPF_MEM, 0), Stmt(BPF_RET | BPF_K, 0)}));  // read before write
    CHILD_CHECK(rejects({Stmt(BPF_ST, 16), Stmt(BPF_RET | BPF_K, 0)}));          // no such cell
    CHILD_CHECK(rejects({Stmt(BPF_ALU | BPF_DIV | BPF_K, 0), Stmt(BPF_RET | BPF_K, 0)}));
    CHILD_CHECK(rejects({Stmt(BPF_ALU | BPF_LSH | BPF_K, 32), Stmt(BPF_RET | BPF_K, 0)}));
    CHILD_CHECK(rejects({Stmt(BPF_ALU | BPF_MOD | BPF_K, 3), Stmt(BPF_RET | BPF_K, 0)}));
    CHILD_CHECK(rejects({Jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), Stmt(BPF_RET | BPF_K, 0)}));
    CHILD_CHECK(rejects({Stmt(BPF_JMP | BPF_JA, 1), Stmt(BPF_RET | BPF_K, 0)}));
    CHILD_CHECK(rejects({Stmt(BPF_RET | BPF_X, 0)}));
    std::vector<sock_filter> big(BPF_MAXINSNS + 1, Stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    CHILD_CHECK(rejects(big));
    // A store on one branch only does not make the cell readable after it.
    CHILD_CHECK(rejects({Jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), Stmt(BPF_ST, 1),
                         Stmt(BPF_LD | BPF_MEM, 1), Stmt(BPF_RET | BPF_K, 0)}));
    // Bad flags and a bad pointer.
    CHILD_CHECK(Install({Stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)}, 0x80000000) == -1 &&
                errno == EINVAL);
    CHILD_CHECK(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, nullptr) == -1 && errno == EFAULT);
    CHILD_CHECK(syscall(SYS_seccomp, 99, 0, nullptr) == -1 && errno == EINVAL);
    // None of these attached anything.
    CHILD_CHECK(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Seccomp, InheritedByForkAndKeptAcrossExec) {
  int status = RunInChild([] {
    CHILD_CHECK(SetNoNewPrivs());
    CHILD_CHECK(Install(OnSyscall(SYS_getppid, SECCOMP_RET_ERRNO | EPERM)) == 0);
    pid_t pid = fork();
    if (pid == 0) _exit(syscall(SYS_getppid) == -1 && errno == EPERM ? 0 : 1);
    int st;
    CHILD_CHECK(waitpid(pid, &st, 0) == pid && ExitedWith(st, 0));
    // After exec: /proc/self/status of a new image still shows the filter.
    pid = fork();
    if (pid == 0) {
      execl("/bin/sh", "sh", "-c", "grep -q '^Seccomp:.*2' /proc/self/status", nullptr);
      _exit(127);
    }
    CHILD_CHECK(waitpid(pid, &st, 0) == pid && ExitedWith(st, 0));
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

// What getppid gives another thread of this process after this one
// attached a getppid-EPERM filter with `flags`: the thread exists before
// the filter and calls afterwards. Precondition: no_new_privs.
enum class Outcome { kSetupFailed, kAllowed, kDenied };
Outcome OtherThreadAfterFilter(unsigned flags) {
  static int pipefd[2];
  if (pipe(pipefd) != 0) return Outcome::kSetupFailed;
  pthread_t th;
  auto body = [](void*) -> void* {
    char c;
    if (read(pipefd[0], &c, 1) != 1) return nullptr;
    bool denied = syscall(SYS_getppid) == -1 && errno == EPERM;
    return reinterpret_cast<void*>(denied ? 2L : 1L);
  };
  if (pthread_create(&th, nullptr, body, nullptr) != 0) return Outcome::kSetupFailed;
  long attached = Install(OnSyscall(SYS_getppid, SECCOMP_RET_ERRNO | EPERM), flags);
  if (write(pipefd[1], "x", 1) != 1) return Outcome::kSetupFailed;
  void* result;
  if (pthread_join(th, &result) != 0 || attached != 0) return Outcome::kSetupFailed;
  long r = reinterpret_cast<long>(result);
  return r == 2 ? Outcome::kDenied : r == 1 ? Outcome::kAllowed : Outcome::kSetupFailed;
}

TEST(Seccomp, TsyncAppliesToOtherThreads) {
  int status = RunInChild([] {
    CHILD_CHECK(SetNoNewPrivs());
    CHILD_CHECK(OtherThreadAfterFilter(SECCOMP_FILTER_FLAG_TSYNC) == Outcome::kDenied);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Seccomp, WithoutTsyncOtherThreadsAreUnfiltered) {
  int status = RunInChild([] {
    CHILD_CHECK(SetNoNewPrivs());
    CHILD_CHECK(OtherThreadAfterFilter(0) == Outcome::kAllowed);
    // No other thread has a chain this one does not extend.
    CHILD_CHECK(Install(OnSyscall(SYS_getuid, SECCOMP_RET_ERRNO | EPERM),
                        SECCOMP_FILTER_FLAG_TSYNC) == 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

// A thread with a filter of its own blocks TSYNC: the call returns that
// thread's id, or ESRCH with SECCOMP_FILTER_FLAG_TSYNC_ESRCH.
TEST(Seccomp, TsyncFailsOnADivergingThread) {
  int status = RunInChild([] {
    CHILD_CHECK(SetNoNewPrivs());
    static int ready[2], done[2];
    static pid_t tid;
    CHILD_CHECK(pipe(ready) == 0 && pipe(done) == 0);
    pthread_t th;
    auto body = [](void*) -> void* {
      tid = static_cast<pid_t>(syscall(SYS_gettid));
      long ok = Install(OnSyscall(SYS_getuid, SECCOMP_RET_ERRNO | EPERM)) == 0;
      char c = ok ? 'y' : 'n';
      if (write(ready[1], &c, 1) != 1) return nullptr;
      if (read(done[0], &c, 1) != 1) return nullptr;
      return reinterpret_cast<void*>(ok);
    };
    CHILD_CHECK(pthread_create(&th, nullptr, body, nullptr) == 0);
    char c;
    CHILD_CHECK(read(ready[0], &c, 1) == 1 && c == 'y');
    CHILD_CHECK(Install(OnSyscall(SYS_getppid, SECCOMP_RET_ERRNO | EPERM),
                        SECCOMP_FILTER_FLAG_TSYNC) == tid);
    CHILD_CHECK(Install(OnSyscall(SYS_getppid, SECCOMP_RET_ERRNO | EPERM),
                        SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH) == -1 &&
                errno == ESRCH);
    // Nothing was attached to this thread by the failed calls.
    CHILD_CHECK(syscall(SYS_getppid) > 0);
    CHILD_CHECK(write(done[1], "x", 1) == 1);
    void* ok;
    CHILD_CHECK(pthread_join(th, &ok) == 0 && ok != nullptr);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Seccomp, StrictModeAllowsOnlyReadWriteExit) {
  int status = RunInChild([] {
    CHILD_CHECK(syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 1, nullptr) == -1 && errno == EINVAL);
    CHILD_CHECK(syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, nullptr) == 0);
    if (write(1, "", 0) != 0) syscall(SYS_exit, 3);
    syscall(SYS_getpid);  // SIGKILL
    syscall(SYS_exit, 4);
  });
  EXPECT_TRUE(KilledBy(status, SIGKILL)) << DescribeWaitStatus(status);
  status = RunInChild([] {
    CHILD_CHECK(prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) == 0);
    syscall(SYS_exit, 9);  // exit(2) is allowed
  });
  EXPECT_TRUE(ExitedWith(status, 9)) << DescribeWaitStatus(status);
}

TEST(Seccomp, StrictThenFilterIsEINVAL) {
  int status = RunInChild([] {
    CHILD_CHECK(SetNoNewPrivs());
    CHILD_CHECK(Install(OnSyscall(SYS_getppid, SECCOMP_RET_ERRNO | EPERM)) == 0);
    CHILD_CHECK(syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, nullptr) == -1 && errno == EINVAL);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Seccomp, PrctlSetFilter) {
  int status = RunInChild([] {
    CHILD_CHECK(SetNoNewPrivs());
    std::vector<sock_filter> prog = OnSyscall(SYS_getppid, SECCOMP_RET_ERRNO | EPERM);
    sock_fprog fprog{static_cast<unsigned short>(prog.size()), prog.data()};
    CHILD_CHECK(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) == 0);
    CHILD_CHECK(syscall(SYS_getppid) == -1 && errno == EPERM);
    CHILD_CHECK(prctl(PR_SET_SECCOMP, 7, 0, 0, 0) == -1 && errno == EINVAL);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Seccomp, GetActionAvail) {
  for (uint32_t action : {SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP,
                          SECCOMP_RET_ERRNO, SECCOMP_RET_TRACE, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW}) {
    EXPECT_THAT(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action), SyscallSucceeds())
        << std::hex << action;
  }
  uint32_t bogus = 0x12340000;
  EXPECT_THAT(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &bogus),
              SyscallFailsWithErrno(EOPNOTSUPP));
  EXPECT_THAT(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 1, &bogus),
              SyscallFailsWithErrno(EINVAL));
}

}  // namespace
}  // namespace conformance
