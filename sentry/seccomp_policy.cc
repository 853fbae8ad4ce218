#include "sentry/seccomp_policy.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstdlib>

namespace bulwark::sentry {

using seccomp::ArgCond;
using Op = ArgCond::Op;

namespace {

// Flags of glibc's pthread_create (sysdeps/unix/sysv/linux/createthread.c,
// clone_internal.c): the sentry's own threads (std::thread).
constexpr uint64_t kThreadCloneFlags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                                       CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS |
                                       CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
// ForkStub (platform/ptrace/stub.cc): a raw fork with a pidfd.
constexpr uint64_t kStubForkFlags = CLONE_PIDFD | SIGCHLD;
// CloneRegs (platform/ptrace/stub.cc): a stub thread, injected into a stub.
constexpr uint64_t kStubThreadFlags =
    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;

// The memory file's fd in a stub (platform/ptrace/ptrace_sys.h).
constexpr uint64_t kStubMemoryFd = 3;

constexpr uint64_t kPidfdThread = 0x80;  // PIDFD_THREAD (O_EXCL), Linux 6.9

ArgCond Eq(unsigned arg, uint64_t v) { return {arg, Op::kEq, v, 0}; }
ArgCond NoBits(unsigned arg, uint64_t mask) { return {arg, Op::kMaskedEq, 0, mask}; }

}  // namespace

// What each host syscall is for. The sentry opens no host path after
// confinement (the gofer gives it files; /proc/cpuinfo, the auxv and the
// memory file are read or made before), so there is no open/openat at all;
// and it creates no socket (Internet sockets are its own netstack, issue 8).
//
// Rules marked "stub" are for the stub processes, which the ptrace platform
// forks from a sentry thread after this filter is in place, so they carry it
// too: their start-up (stub.cc StubChild and stub_amd64.S) and the calls
// the sentry injects into them (mmap of the memory file, possibly
// executable; munmap; mprotect; clone of a stub thread). Executable mappings
// cannot be limited to stubs by argument: the ptrace platform's filter adds
// that condition on the instruction pointer (platform/ptrace/stub_seccomp.h).
seccomp::Policy SentryPolicy(const SentryPolicyOptions& opts) {
  seccomp::Policy p;
  p.process = "sentry";
  p.rules = {
      // Files the sentry holds: gofer-donated files, host stdio, the memory
      // file, pipes/eventfds/epoll of its own threads.
      SECCOMP_RULE(read, "host fds: stdio, gofer files, eventfds"),
      SECCOMP_RULE(write, "host fds: stdio, gofer files, eventfds, the debug log"),
      SECCOMP_RULE(readv, "host stdio"),
      SECCOMP_RULE(writev, "host stdio, logging"),
      SECCOMP_RULE(pread64, "gofer files, the memory file"),
      SECCOMP_RULE(pwrite64, "gofer files, the memory file"),
      SECCOMP_RULE(preadv, "host and gofer files"),
      SECCOMP_RULE(pwritev, "host and gofer files"),
      SECCOMP_RULE(lseek, "memory file SEEK_DATA/SEEK_HOLE (fork), host files"),
      SECCOMP_RULE(close, "fds"),
      SECCOMP_RULE(fstat, "host fds"),
      SECCOMP_RULE(newfstatat, "glibc's fstat (fd, \"\", AT_EMPTY_PATH) only",
                   {Eq(3, AT_EMPTY_PATH)}),
      SECCOMP_RULE(fallocate, "memory file: punch holes when memory is freed"),
      SECCOMP_RULE(ftruncate, "gofer files"),
      SECCOMP_RULE(fsync, "gofer files"),
      SECCOMP_RULE(fcntl, "imported fds: duplicates", {Eq(1, F_DUPFD_CLOEXEC)}),
      SECCOMP_RULE(fcntl, "host and gofer files: O_APPEND, O_NONBLOCK", {Eq(1, F_GETFL)}),
      SECCOMP_RULE(fcntl, "", {Eq(1, F_SETFL)}),
      SECCOMP_RULE(ioctl, "host terminal (tty_ioctl.cc): TCGETS, isatty", {Eq(1, TCGETS)}),
      SECCOMP_RULE(ioctl, "TCSETS", {Eq(1, TCSETS)}),
      SECCOMP_RULE(ioctl, "TCSETSW", {Eq(1, TCSETSW)}),
      SECCOMP_RULE(ioctl, "TCSETSF", {Eq(1, TCSETSF)}),
      SECCOMP_RULE(ioctl, "TIOCGWINSZ", {Eq(1, TIOCGWINSZ)}),
      SECCOMP_RULE(ioctl, "TIOCSWINSZ", {Eq(1, TIOCSWINSZ)}),
      SECCOMP_RULE(ioctl, "FIONREAD of host stdio", {Eq(1, FIONREAD)}),
      SECCOMP_RULE(getrandom, "AT_RANDOM, /dev/urandom, getrandom(2)"),
      // Nothing is reachable by path in the empty root; glibc probes a few
      // files lazily (e.g. /sys/devices/system/cpu/online) and copes with
      // ENOENT, so fail those calls instead of killing the sentry.
      seccomp::Rule{SYS_openat, "openat", "no host path: fails with ENOENT", {}, ENOENT},
      seccomp::Rule{SYS_open, "open", "no host path: fails with ENOENT", {}, ENOENT},
      // Talking to the gofer and the runtime.
      SECCOMP_RULE(sendmsg, "gofer requests, control replies (with fds)"),
      SECCOMP_RULE(recvmsg, "gofer replies, control requests (with fds)"),
      SECCOMP_RULE(accept4, "control socket connections"),
      // Waiting.
      SECCOMP_RULE(epoll_create1, "host fd notifier"),
      SECCOMP_RULE(epoll_ctl, "host fd notifier"),
      SECCOMP_RULE(epoll_wait, "host fd notifier"),
      SECCOMP_RULE(epoll_pwait, "host fd notifier (glibc may use it)"),
      SECCOMP_RULE(eventfd2, "notifier and stub factory wake-ups"),
      SECCOMP_RULE(poll, "stub factory: requests and dying stubs' pidfds"),
      SECCOMP_RULE(ppoll, "poll in newer glibc"),
      SECCOMP_RULE(futex, "the kernel lock, condition variables, glibc"),
      SECCOMP_RULE(clock_nanosleep, "timer thread, nanosleep"),
      SECCOMP_RULE(nanosleep, ""),
      SECCOMP_RULE(clock_gettime, "clocks (when the vDSO falls back)"),
      SECCOMP_RULE(sched_yield, "sched_yield(2), spinning"),
      SECCOMP_RULE(rt_sigtimedwait, "signal forwarding thread (sigwaitinfo)"),
      SECCOMP_RULE(restart_syscall, "restarted waits"),
      // Memory.
      SECCOMP_RULE(mmap, "malloc, thread stacks (never executable)", {NoBits(2, PROT_EXEC)}),
      SECCOMP_RULE(mmap, "stub: the memory file at a fixed address, maybe executable",
                   {Eq(3, MAP_SHARED | MAP_FIXED), Eq(4, kStubMemoryFd)}),
      SECCOMP_RULE(mprotect, "malloc, stack guards (never executable)", {NoBits(2, PROT_EXEC)}),
      SECCOMP_RULE(mprotect, "stub: application mprotect (executable only at the stub's "
                             "injection address, see the ptrace filter)"),
      SECCOMP_RULE(munmap, "free; stub: application munmap, start-up"),
      SECCOMP_RULE(mremap, "realloc; stub: moving the vDSO at start-up"),
      SECCOMP_RULE(madvise, "free, thread exit"),
      SECCOMP_RULE(brk, "malloc"),
      // Threads, processes and signals.
      SECCOMP_RULE(clone, "sentry threads", {Eq(0, kThreadCloneFlags)}),
      SECCOMP_RULE(clone, "stub factory: fork a stub", {Eq(0, kStubForkFlags)}),
      SECCOMP_RULE(clone, "stub: a new stub thread", {Eq(0, kStubThreadFlags)}),
      seccomp::Rule{SYS_clone3, "clone3", "glibc tries it first; its flags are in memory, "
                    "where a filter cannot see them", {}, ENOSYS},
      SECCOMP_RULE(set_robust_list, "new threads (glibc)"),
      SECCOMP_RULE(rseq, "new threads (glibc); stub: unregister"),
      SECCOMP_RULE(exit, "thread exit"),
      SECCOMP_RULE(exit_group, "exit; stub: start-up failure"),
      SECCOMP_RULE(rt_sigprocmask, "signal masks (threads, stub fork)"),
      SECCOMP_RULE(rt_sigaction, "stub: ignore every signal"),
      SECCOMP_RULE(rt_sigreturn, "signal return"),
      SECCOMP_RULE(getpid, "logging; stub: stop itself"),
      SECCOMP_RULE(gettid, "logging, tracing"),
      SECCOMP_RULE(getppid, "stub: check its parent"),
      SECCOMP_RULE(kill, "stub: kill(getpid(), SIGSTOP) at start-up", {Eq(1, SIGSTOP)}),
      SECCOMP_RULE(tgkill, "interrupt a stub thread (before pidfd threads)",
                   {Eq(2, SIGUSR2)}),
      SECCOMP_RULE(tgkill, "abort (raise)", {Eq(2, SIGABRT)}),
      SECCOMP_RULE(pidfd_open, "stub process pidfds", {Eq(1, 0)}),
      SECCOMP_RULE(pidfd_open, "stub thread pidfds", {Eq(1, kPidfdThread)}),
      SECCOMP_RULE(pidfd_send_signal, "kill a stub", {Eq(1, SIGKILL)}),
      SECCOMP_RULE(pidfd_send_signal, "interrupt a stub thread", {Eq(1, SIGUSR2)}),
      SECCOMP_RULE(wait4, "stub stops (ptrace)"),
      SECCOMP_RULE(waitid, "reap stubs (P_PIDFD)"),
      SECCOMP_RULE(pause, "stub: parked threads"),
      SECCOMP_RULE(sched_getaffinity, "CPU pinning: allowed CPUs", {Eq(0, 0)}),
      SECCOMP_RULE(sched_setaffinity, "pin task threads and their stub threads"),
      SECCOMP_RULE(getcpu, "sched_getcpu (when the vDSO falls back)"),
      SECCOMP_RULE(sysinfo, "sysinfo(2): host memory figures"),
      SECCOMP_RULE(prlimit64, "getrlimit of its own limits (init's defaults)",
                   {Eq(0, 0), Eq(2, 0)}),
      SECCOMP_RULE(prctl, "thread names (pthread_setname_np on itself)", {Eq(0, PR_SET_NAME)}),
      // Stub start-up (StubChild).
      SECCOMP_RULE(prctl, "stub: PR_SET_PDEATHSIG", {Eq(0, PR_SET_PDEATHSIG)}),
      SECCOMP_RULE(prctl, "stub: PR_SET_NO_NEW_PRIVS before its filter",
                   {Eq(0, PR_SET_NO_NEW_PRIVS)}),
      SECCOMP_RULE(capset, "stub: drop every capability (the sentry has none left)"),
      SECCOMP_RULE(dup2, "stub: the memory file to fd 3"),
      SECCOMP_RULE(close_range, "stub: close every other fd"),
      SECCOMP_RULE(seccomp, "stub: its own filter; the ptrace platform's",
                   {Eq(0, SECCOMP_SET_MODE_FILTER)}),
      // Tracing stubs. The tracee cannot be checked here (any pid); the
      // kernel only lets the sentry trace its own children or processes it
      // may ptrace_may_access, and it holds no capabilities.
      SECCOMP_RULE(ptrace, "stub: trace me", {Eq(0, PTRACE_TRACEME)}),
      SECCOMP_RULE(ptrace, "claim a parked stub thread", {Eq(0, PTRACE_SEIZE)}),
      SECCOMP_RULE(ptrace, "", {Eq(0, PTRACE_INTERRUPT)}),
      SECCOMP_RULE(ptrace, "", {Eq(0, PTRACE_SETOPTIONS)}),
      SECCOMP_RULE(ptrace, "", {Eq(0, PTRACE_CONT)}),
      SECCOMP_RULE(ptrace, "run application code", {Eq(0, PTRACE_SYSEMU)}),
      SECCOMP_RULE(ptrace, "", {Eq(0, PTRACE_GETREGS)}),
      SECCOMP_RULE(ptrace, "", {Eq(0, PTRACE_SETREGS)}),
      SECCOMP_RULE(ptrace, "", {Eq(0, PTRACE_GETFPREGS)}),
      SECCOMP_RULE(ptrace, "", {Eq(0, PTRACE_SETFPREGS)}),
      SECCOMP_RULE(ptrace, "XSAVE state", {Eq(0, PTRACE_GETREGSET)}),
      SECCOMP_RULE(ptrace, "", {Eq(0, PTRACE_SETREGSET)}),
      SECCOMP_RULE(ptrace, "", {Eq(0, PTRACE_GETSIGINFO)}),
      SECCOMP_RULE(ptrace, "park a stub thread", {Eq(0, PTRACE_DETACH)}),
  };
  if (opts.host_network) {
    // --network=host (fsimpl/socket/host_inet_socket.h): the sentry makes
    // TCP, UDP and UDP-Lite sockets, always non-blocking and close-on-exec
    // with protocol 0 (or UDP-Lite), and operates them. accept4, sendmsg and recvmsg are in
    // the base list already; FIONREAD (SIOCINQ) too. Which socket options
    // reach the host is host_inet_socket.cc's allow-list.
    for (uint64_t family : {AF_INET, AF_INET6}) {
      for (uint64_t type : {SOCK_STREAM, SOCK_DGRAM}) {
        p.rules.push_back(SECCOMP_RULE(socket, "host network: TCP/UDP over IPv4/IPv6",
                                       {Eq(0, family), Eq(1, type | SOCK_NONBLOCK | SOCK_CLOEXEC),
                                        Eq(2, 0)}));
      }
      p.rules.push_back(SECCOMP_RULE(socket, "host network: UDP-Lite",
                                     {Eq(0, family), Eq(1, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC),
                                      Eq(2, IPPROTO_UDPLITE)}));
    }
    p.rules.push_back(SECCOMP_RULE(bind, "host network"));
    p.rules.push_back(SECCOMP_RULE(listen, ""));
    p.rules.push_back(SECCOMP_RULE(connect, ""));
    p.rules.push_back(SECCOMP_RULE(getsockname, ""));
    p.rules.push_back(SECCOMP_RULE(getpeername, ""));
    p.rules.push_back(SECCOMP_RULE(setsockopt, ""));
    p.rules.push_back(SECCOMP_RULE(getsockopt, ""));
    p.rules.push_back(SECCOMP_RULE(shutdown, ""));
    p.rules.push_back(SECCOMP_RULE(ioctl, "host network: SIOCOUTQ", {Eq(1, SIOCOUTQ)}));
  }
  return p;
}

Result<seccomp::Mode> SentrySeccompMode(const std::string& flag) {
  if (!flag.empty()) return seccomp::ParseMode(flag);
  const char* env = std::getenv("BULWARK_SECCOMP");
  if (env != nullptr && *env != '\0') return seccomp::ParseMode(env);
  return seccomp::Mode::kEnforce;
}

}  // namespace bulwark::sentry
