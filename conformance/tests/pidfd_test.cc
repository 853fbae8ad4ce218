// pidfds: pidfd_open(2), pidfd_send_signal(2), pidfd_getfd(2), poll(2) on
// a pidfd, waitid(P_PIDFD).
// syscalls: pidfd_open pidfd_send_signal pidfd_getfd waitid clone clone3
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int PidfdOpen(pid_t pid, unsigned flags) {
  return static_cast<int>(syscall(SYS_pidfd_open, pid, flags));
}

// A child that blocks reading `p.r` until the parent writes or closes.
pid_t ForkWaiting(Pipe& p) {
  fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    p.w.reset();
    char c;
    (void)!read(p.r.get(), &c, 1);
    _exit(7);
  }
  return pid;
}

// A waiting child (ForkWaiting) and a pidfd for it; `p.w.reset()` lets it
// exit with status 7.
struct WaitingChild {
  explicit WaitingChild(unsigned flags = 0) : pid(ForkWaiting(p)), fd(PidfdOpen(pid, flags)) {}
  bool ok() const { return pid > 0 && fd.valid(); }
  Pipe p = MakePipe();
  pid_t pid;
  FileDescriptor fd;
};

TEST(Pidfd, OpenSelfIsCloexec) {
  FileDescriptor fd(PidfdOpen(getpid(), 0));
  ASSERT_TRUE(fd.valid()) << strerror(errno);
  EXPECT_EQ(fcntl(fd.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
}

TEST(Pidfd, OpenBadFlagsIsEINVAL) {
  EXPECT_THAT(PidfdOpen(getpid(), 0x1), SyscallFailsWithErrno(EINVAL));
}

TEST(Pidfd, OpenMissingProcessIsESRCH) {
  Pipe p = MakePipe();
  pid_t pid = ForkWaiting(p);
  ASSERT_THAT(pid, SyscallSucceeds());
  p.w.reset();
  WaitStatus(pid);
  EXPECT_THAT(PidfdOpen(pid, 0), SyscallFailsWithErrno(ESRCH));
}

TEST(Pidfd, LinkNamesPidfd) {
  FileDescriptor fd(PidfdOpen(getpid(), 0));
  ASSERT_TRUE(fd.valid()) << strerror(errno);
  char buf[64] = {};
  ASSERT_THAT(readlink(("/proc/self/fd/" + std::to_string(fd.get())).c_str(), buf, sizeof buf - 1),
              SyscallSucceeds());
  EXPECT_STREQ(buf, "anon_inode:[pidfd]");
}

TEST(Pidfd, PollReadableWhenProcessExits) {
  WaitingChild c;
  ASSERT_TRUE(c.ok()) << strerror(errno);
  Pipe& p = c.p;
  pid_t pid = c.pid;
  FileDescriptor& fd = c.fd;
  struct pollfd pfd = {fd.get(), POLLIN, 0};
  EXPECT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(0));
  p.w.reset();  // the child exits
  ASSERT_THAT(poll(&pfd, 1, 10000), SyscallSucceedsWithValue(1));
  EXPECT_TRUE(pfd.revents & POLLIN);
  EXPECT_TRUE(ExitedWith(WaitStatus(pid), 7));
}

TEST(Pidfd, SendSignalKills) {
  WaitingChild c;
  ASSERT_TRUE(c.ok()) << strerror(errno);
  Pipe& p = c.p;
  pid_t pid = c.pid;
  FileDescriptor& fd = c.fd;
  ASSERT_THAT(syscall(SYS_pidfd_send_signal, fd.get(), SIGKILL, nullptr, 0), SyscallSucceeds());
  EXPECT_TRUE(KilledBy(WaitStatus(pid), SIGKILL));
  // Reaped: nothing left to signal.
  EXPECT_THAT(syscall(SYS_pidfd_send_signal, fd.get(), SIGKILL, nullptr, 0),
              SyscallFailsWithErrno(ESRCH));
}

TEST(Pidfd, SendSignalBadFlagsIsEINVAL) {
  FileDescriptor fd(PidfdOpen(getpid(), 0));
  ASSERT_TRUE(fd.valid()) << strerror(errno);
  EXPECT_THAT(syscall(SYS_pidfd_send_signal, fd.get(), 0, nullptr, 0x100),
              SyscallFailsWithErrno(EINVAL));
}

// A /proc/<pid> directory fd works as a process pidfd
// (tgid_pidfd_to_pid()); a /proc/<pid>/task/<tid> one does not.
TEST(Pidfd, SendSignalOnProcPidDir) {
  std::string dir = "/proc/" + std::to_string(getpid());
  FileDescriptor fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(fd.valid()) << strerror(errno);
  EXPECT_THAT(syscall(SYS_pidfd_send_signal, fd.get(), 0, nullptr, 0), SyscallSucceeds());
  std::string task = dir + "/task/" + std::to_string(getpid());
  FileDescriptor tfd(open(task.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(tfd.valid()) << strerror(errno);
  EXPECT_THAT(syscall(SYS_pidfd_send_signal, tfd.get(), 0, nullptr, 0),
              SyscallFailsWithErrno(EBADF));
}

TEST(Pidfd, SendSignalOnOtherFdIsEBADF) {
  Pipe p = MakePipe();
  EXPECT_THAT(syscall(SYS_pidfd_send_signal, p.r.get(), 0, nullptr, 0),
              SyscallFailsWithErrno(EBADF));
}

TEST(Pidfd, SendSignalWithInfoToSelf) {
  ScopedSignalMask block(SIG_BLOCK, SIGUSR1);
  FileDescriptor fd(PidfdOpen(getpid(), 0));
  ASSERT_TRUE(fd.valid()) << strerror(errno);
  siginfo_t info = {};
  info.si_signo = SIGUSR1;
  info.si_code = SI_QUEUE;
  info.si_pid = getpid();
  info.si_uid = getuid();
  info.si_value.sival_int = 42;
  ASSERT_THAT(syscall(SYS_pidfd_send_signal, fd.get(), SIGUSR1, &info, 0), SyscallSucceeds());
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  siginfo_t got = {};
  struct timespec ts = {5, 0};
  ASSERT_THAT(sigtimedwait(&set, &got, &ts), SyscallSucceedsWithValue(SIGUSR1));
  EXPECT_EQ(got.si_code, SI_QUEUE);
  EXPECT_EQ(got.si_value.sival_int, 42);
}

TEST(Pidfd, GetfdDuplicatesChildFile) {
  Pipe data = MakePipe();
  WaitingChild c;
  ASSERT_TRUE(c.ok()) << strerror(errno);
  Pipe& p = c.p;
  pid_t pid = c.pid;
  FileDescriptor& fd = c.fd;
  // The child's copy of data.w, taken through the pidfd.
  FileDescriptor w(static_cast<int>(syscall(SYS_pidfd_getfd, fd.get(), data.w.get(), 0)));
  ASSERT_TRUE(w.valid()) << strerror(errno);
  EXPECT_EQ(fcntl(w.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  EXPECT_THAT(syscall(SYS_pidfd_getfd, fd.get(), 1000, 0), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(syscall(SYS_pidfd_getfd, fd.get(), data.w.get(), 1), SyscallFailsWithErrno(EINVAL));
  p.w.reset();
  EXPECT_TRUE(ExitedWith(WaitStatus(pid), 7));
  data.w.reset();
  ASSERT_THAT(write(w.get(), "x", 1), SyscallSucceedsWithValue(1));
  w.reset();
  EXPECT_EQ(ReadAll(data.r.get()), "x");
}

TEST(Pidfd, WaitidPidfd) {
  WaitingChild c;
  ASSERT_TRUE(c.ok()) << strerror(errno);
  Pipe& p = c.p;
  pid_t pid = c.pid;
  FileDescriptor& fd = c.fd;
  p.w.reset();
  siginfo_t info = {};
  ASSERT_THAT(waitid(static_cast<idtype_t>(P_PIDFD), fd.get(), &info, WEXITED), SyscallSucceeds());
  EXPECT_EQ(info.si_pid, pid);
  EXPECT_EQ(info.si_code, CLD_EXITED);
  EXPECT_EQ(info.si_status, 7);
}

TEST(Pidfd, WaitidNonblockPidfdIsEAGAIN) {
  WaitingChild c(O_NONBLOCK);
  ASSERT_TRUE(c.ok()) << strerror(errno);
  Pipe& p = c.p;
  pid_t pid = c.pid;
  FileDescriptor& fd = c.fd;
  siginfo_t info = {};
  EXPECT_THAT(waitid(static_cast<idtype_t>(P_PIDFD), fd.get(), &info, WEXITED),
              SyscallFailsWithErrno(EAGAIN));
  p.w.reset();
  EXPECT_TRUE(ExitedWith(WaitStatus(pid), 7));
}

TEST(Pidfd, WaitidOnOtherFdIsEBADF) {
  Pipe p = MakePipe();
  siginfo_t info = {};
  EXPECT_THAT(waitid(static_cast<idtype_t>(P_PIDFD), p.r.get(), &info, WEXITED | WNOHANG),
              SyscallFailsWithErrno(EBADF));
}

// clone3(2) returning like fork(): 0 in the child (on the parent's stack).
long Clone3(clone_args args) { return syscall(SYS_clone3, &args, sizeof(args)); }

// clone3 arguments for a SIGCHLD child whose pidfd goes to *pidfd.
clone_args PidfdArgs(int* pidfd, uint64_t more_flags = 0) {
  clone_args args{};
  args.flags = CLONE_PIDFD | more_flags;
  args.pidfd = reinterpret_cast<uint64_t>(pidfd);
  args.exit_signal = SIGCHLD;
  return args;
}

TEST(Pidfd, Clone3PidfdReportsExit) {
  int pidfd = -1;
  fflush(nullptr);
  long pid = Clone3(PidfdArgs(&pidfd));
  if (pid == 0) _exit(5);
  ASSERT_THAT(pid, SyscallSucceeds());
  FileDescriptor fd(pidfd);
  ASSERT_TRUE(fd.valid());
  EXPECT_EQ(fcntl(fd.get(), F_GETFD), FD_CLOEXEC);
  pollfd pfd{fd.get(), POLLIN, 0};
  ASSERT_THAT(poll(&pfd, 1, -1), SyscallSucceedsWithValue(1));
  siginfo_t info = {};
  ASSERT_THAT(waitid(static_cast<idtype_t>(P_PIDFD), fd.get(), &info, WEXITED), SyscallSucceeds());
  EXPECT_EQ(info.si_pid, pid);
  EXPECT_EQ(info.si_status, 5);
}

// clone(2) stores the pidfd where parent_tid points.
TEST(Pidfd, ClonePidfdThroughParentTid) {
  int pidfd = -1;
  fflush(nullptr);
  long pid = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pidfd, 0, 0);
  if (pid == 0) _exit(6);
  ASSERT_THAT(pid, SyscallSucceeds());
  FileDescriptor fd(pidfd);
  ASSERT_TRUE(fd.valid());
  // The pidfd names the child: signal 0 through it works until it is reaped.
  EXPECT_THAT(syscall(SYS_pidfd_send_signal, fd.get(), 0, nullptr, 0), SyscallSucceeds());
  EXPECT_TRUE(ExitedWith(WaitStatus(static_cast<pid_t>(pid)), 6));
}

TEST(Pidfd, ClonePidfdWithParentSettidIsEINVAL) {
  int pidfd = -1;
  EXPECT_THAT(syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &pidfd, 0, 0),
              SyscallFailsWithErrno(EINVAL));
}

TEST(Pidfd, Clone3PidfdWithDetachedIsEINVAL) {
  int pidfd = -1;
  EXPECT_THAT(Clone3(PidfdArgs(&pidfd, CLONE_DETACHED)), SyscallFailsWithErrno(EINVAL));
}

// A child without CLONE_FILES does not get the parent's new pidfd.
TEST(Pidfd, ClonePidfdNotInChildTable) {
  int pidfd = -1;
  fflush(nullptr);
  long pid = Clone3(PidfdArgs(&pidfd));
  if (pid == 0) _exit(fcntl(pidfd, F_GETFD) == -1 && errno == EBADF ? 0 : 1);
  ASSERT_THAT(pid, SyscallSucceeds());
  FileDescriptor fd(pidfd);
  EXPECT_TRUE(ExitedWith(WaitStatus(static_cast<pid_t>(pid)), 0));
}

void Nop(int) {}

// CLONE_CLEAR_SIGHAND: handled signals are SIG_DFL in the child, ignored
// ones stay ignored.
TEST(Pidfd, Clone3ClearSighand) {
  struct sigaction sa = {}, old_usr1, old_usr2;
  sa.sa_handler = Nop;
  ASSERT_THAT(sigaction(SIGUSR1, &sa, &old_usr1), SyscallSucceeds());
  sa.sa_handler = SIG_IGN;
  ASSERT_THAT(sigaction(SIGUSR2, &sa, &old_usr2), SyscallSucceeds());
  clone_args args{};
  args.flags = CLONE_CLEAR_SIGHAND;
  args.exit_signal = SIGCHLD;
  fflush(nullptr);
  long pid = Clone3(args);
  if (pid == 0) {
    struct sigaction u1, u2;
    sigaction(SIGUSR1, nullptr, &u1);
    sigaction(SIGUSR2, nullptr, &u2);
    _exit(u1.sa_handler == SIG_DFL && u2.sa_handler == SIG_IGN ? 0 : 1);
  }
  sigaction(SIGUSR1, &old_usr1, nullptr);
  sigaction(SIGUSR2, &old_usr2, nullptr);
  ASSERT_THAT(pid, SyscallSucceeds());
  EXPECT_TRUE(ExitedWith(WaitStatus(static_cast<pid_t>(pid)), 0));
}

TEST(Pidfd, Clone3ClearSighandWithSighandIsEINVAL) {
  clone_args args{};
  args.flags = CLONE_CLEAR_SIGHAND | CLONE_SIGHAND | CLONE_VM;
  args.exit_signal = SIGCHLD;
  EXPECT_THAT(Clone3(args), SyscallFailsWithErrno(EINVAL));
}

}  // namespace
}  // namespace conformance
