// epoll_create(2), epoll_create1(2), epoll_ctl(2), epoll_wait(2),
// epoll_pwait(2), epoll_pwait2(2).
// syscalls: epoll_create epoll_create1 epoll_ctl epoll_wait epoll_pwait epoll_pwait2
#include <signal.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

FileDescriptor NewEpoll() { return FileDescriptor(epoll_create1(EPOLL_CLOEXEC)); }

int Add(int ep, int fd, uint32_t events, uint64_t data) {
  struct epoll_event ev = {};
  ev.events = events;
  ev.data.u64 = data;
  return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

TEST(Epoll, CreateReturnsCloexecFd) {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  ASSERT_THAT(fd, SyscallSucceeds());
  FileDescriptor ep(fd);
  EXPECT_THAT(fcntl(fd, F_GETFD), SyscallSucceedsWithValue(FD_CLOEXEC));
}

TEST(Epoll, LegacyCreateNeedsPositiveSize) {
  EXPECT_THAT(epoll_create(0), SyscallFailsWithErrno(EINVAL));
  int fd = epoll_create(1);
  ASSERT_THAT(fd, SyscallSucceeds());
  close(fd);
}

TEST(Epoll, BadCreateFlagIsEINVAL) {
  EXPECT_THAT(epoll_create1(0x1), SyscallFailsWithErrno(EINVAL));
}

TEST(Epoll, ReadableEventReported) {
  FileDescriptor ep = NewEpoll();
  ASSERT_TRUE(ep.valid()) << strerror(errno);
  Pipe p = MakePipe();
  ASSERT_THAT(Add(ep.get(), p.r.get(), EPOLLIN, 77), SyscallSucceeds());
  struct epoll_event ev[4];
  EXPECT_THAT(epoll_wait(ep.get(), ev, 4, 0), SyscallSucceedsWithValue(0));
  ASSERT_THAT(write(p.w.get(), "x", 1), SyscallSucceeds());
  ASSERT_THAT(epoll_wait(ep.get(), ev, 4, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(ev[0].events, EPOLLIN);
  EXPECT_EQ(ev[0].data.u64, 77u);
}

TEST(Epoll, LevelTriggeredRepeats) {
  FileDescriptor ep = NewEpoll();
  ASSERT_TRUE(ep.valid());
  Pipe p = MakePipe();
  ASSERT_THAT(Add(ep.get(), p.r.get(), EPOLLIN, 1), SyscallSucceeds());
  write(p.w.get(), "x", 1);
  struct epoll_event ev;
  EXPECT_THAT(epoll_wait(ep.get(), &ev, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_THAT(epoll_wait(ep.get(), &ev, 1, 0), SyscallSucceedsWithValue(1));
}

TEST(Epoll, EdgeTriggeredReportsOnce) {
  FileDescriptor ep = NewEpoll();
  ASSERT_TRUE(ep.valid());
  Pipe p = MakePipe();
  ASSERT_THAT(Add(ep.get(), p.r.get(), EPOLLIN | EPOLLET, 1), SyscallSucceeds());
  write(p.w.get(), "x", 1);
  struct epoll_event ev;
  EXPECT_THAT(epoll_wait(ep.get(), &ev, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_THAT(epoll_wait(ep.get(), &ev, 1, 0), SyscallSucceedsWithValue(0));
  write(p.w.get(), "y", 1);
  EXPECT_THAT(epoll_wait(ep.get(), &ev, 1, 0), SyscallSucceedsWithValue(1));
}

TEST(Epoll, OneshotDisablesAfterEvent) {
  FileDescriptor ep = NewEpoll();
  ASSERT_TRUE(ep.valid());
  Pipe p = MakePipe();
  ASSERT_THAT(Add(ep.get(), p.r.get(), EPOLLIN | EPOLLONESHOT, 1), SyscallSucceeds());
  write(p.w.get(), "x", 1);
  struct epoll_event ev;
  EXPECT_THAT(epoll_wait(ep.get(), &ev, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_THAT(epoll_wait(ep.get(), &ev, 1, 0), SyscallSucceedsWithValue(0));
  ev.events = EPOLLIN | EPOLLONESHOT;
  ASSERT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_MOD, p.r.get(), &ev), SyscallSucceeds());
  EXPECT_THAT(epoll_wait(ep.get(), &ev, 1, 0), SyscallSucceedsWithValue(1));
}

TEST(Epoll, AddTwiceIsEEXIST) {
  FileDescriptor ep = NewEpoll();
  ASSERT_TRUE(ep.valid());
  Pipe p = MakePipe();
  ASSERT_THAT(Add(ep.get(), p.r.get(), EPOLLIN, 1), SyscallSucceeds());
  EXPECT_THAT(Add(ep.get(), p.r.get(), EPOLLIN, 1), SyscallFailsWithErrno(EEXIST));
}

TEST(Epoll, ModOrDelUnknownIsENOENT) {
  FileDescriptor ep = NewEpoll();
  ASSERT_TRUE(ep.valid());
  Pipe p = MakePipe();
  struct epoll_event ev = {};
  EXPECT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_MOD, p.r.get(), &ev), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_DEL, p.r.get(), &ev), SyscallFailsWithErrno(ENOENT));
}

TEST(Epoll, RegularFileIsEPERM) {
  FileDescriptor ep = NewEpoll();
  ASSERT_TRUE(ep.valid());
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor f(open(dir.Join("f").c_str(), O_RDONLY));
  EXPECT_THAT(Add(ep.get(), f.get(), EPOLLIN, 1), SyscallFailsWithErrno(EPERM));
}

TEST(Epoll, AddSelfIsEINVAL) {
  FileDescriptor ep = NewEpoll();
  ASSERT_TRUE(ep.valid());
  EXPECT_THAT(Add(ep.get(), ep.get(), EPOLLIN, 1), SyscallFailsWithErrno(EINVAL));
}

TEST(Epoll, ClosedFdIsRemoved) {
  FileDescriptor ep = NewEpoll();
  ASSERT_TRUE(ep.valid());
  Pipe p = MakePipe();
  ASSERT_THAT(Add(ep.get(), p.r.get(), EPOLLIN, 1), SyscallSucceeds());
  write(p.w.get(), "x", 1);
  p.r.reset();
  struct epoll_event ev;
  EXPECT_THAT(epoll_wait(ep.get(), &ev, 1, 0), SyscallSucceedsWithValue(0));
}

TEST(Epoll, HangupReported) {
  FileDescriptor ep = NewEpoll();
  ASSERT_TRUE(ep.valid());
  Pipe p = MakePipe();
  ASSERT_THAT(Add(ep.get(), p.r.get(), EPOLLIN, 1), SyscallSucceeds());
  p.w.reset();
  struct epoll_event ev;
  ASSERT_THAT(epoll_wait(ep.get(), &ev, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_TRUE(ev.events & EPOLLHUP);
}

TEST(Epoll, WaitBlocksUntilChildWrites) {
  FileDescriptor ep = NewEpoll();
  ASSERT_TRUE(ep.valid());
  Pipe p = MakePipe();
  ASSERT_THAT(Add(ep.get(), p.r.get(), EPOLLIN, 5), SyscallSucceeds());
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    WaitUntilSleeping(getppid());
    _exit(write(p.w.get(), "x", 1) == 1 ? 0 : 1);
  }
  struct epoll_event ev;
  EXPECT_THAT(epoll_wait(ep.get(), &ev, 1, 10000), SyscallSucceedsWithValue(1));
  WaitStatus(pid);
}

TEST(Epoll, ZeroMaxeventsIsEINVAL) {
  FileDescriptor ep = NewEpoll();
  ASSERT_TRUE(ep.valid());
  struct epoll_event ev;
  EXPECT_THAT(epoll_wait(ep.get(), &ev, 0, 0), SyscallFailsWithErrno(EINVAL));
}

TEST(Epoll, PwaitMaskUnblocksSignal) {
  FileDescriptor ep = NewEpoll();
  ASSERT_TRUE(ep.valid());
  static volatile sig_atomic_t got;
  got = 0;
  ScopedSigaction sa(SIGUSR1, [](int) { got = 1; });
  ScopedSignalMask block(SIG_BLOCK, SIGUSR1);
  kill(getpid(), SIGUSR1);
  sigset_t empty;
  sigemptyset(&empty);
  struct epoll_event ev;
  EXPECT_THAT(epoll_pwait(ep.get(), &ev, 1, 10000, &empty), SyscallFailsWithErrno(EINTR));
  EXPECT_EQ(got, 1);
}

TEST(Epoll, Pwait2TimespecTimeout) {
  FileDescriptor ep = NewEpoll();
  ASSERT_TRUE(ep.valid());
  struct epoll_event ev;
  struct timespec ts = {0, 1000000};
  EXPECT_THAT(syscall(SYS_epoll_pwait2, ep.get(), &ev, 1, &ts, nullptr, 8), SyscallSucceedsWithValue(0));
}

TEST(Epoll, OneshotRearmWithModReportsNewData) {
  FileDescriptor ep = NewEpoll();
  ASSERT_TRUE(ep.valid());
  Pipe p = MakePipe();
  ASSERT_THAT(Add(ep.get(), p.r.get(), EPOLLIN | EPOLLONESHOT, 1), SyscallSucceeds());
  write(p.w.get(), "x", 1);
  struct epoll_event ev;
  ASSERT_THAT(epoll_wait(ep.get(), &ev, 1, 0), SyscallSucceedsWithValue(1));
  // Disabled: new data does not wake it.
  write(p.w.get(), "y", 1);
  EXPECT_THAT(epoll_wait(ep.get(), &ev, 1, 0), SyscallSucceedsWithValue(0));
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.u64 = 2;
  ASSERT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_MOD, p.r.get(), &ev), SyscallSucceeds());
  ASSERT_THAT(epoll_wait(ep.get(), &ev, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(ev.data.u64, 2u);
  EXPECT_THAT(epoll_wait(ep.get(), &ev, 1, 0), SyscallSucceedsWithValue(0));
}

TEST(Epoll, EdgeTriggeredWritableAfterDrain) {
  FileDescriptor ep = NewEpoll();
  ASSERT_TRUE(ep.valid());
  Pipe p = MakePipe();
  ASSERT_THAT(fcntl(p.w.get(), F_SETFL, O_NONBLOCK), SyscallSucceeds());
  ASSERT_THAT(Add(ep.get(), p.w.get(), EPOLLOUT | EPOLLET, 1), SyscallSucceeds());
  struct epoll_event ev;
  ASSERT_THAT(epoll_wait(ep.get(), &ev, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(ev.events, EPOLLOUT);
  char buf[4096] = {};
  while (write(p.w.get(), buf, sizeof buf) > 0) {
  }
  EXPECT_THAT(epoll_wait(ep.get(), &ev, 1, 0), SyscallSucceedsWithValue(0));
  while (read(p.r.get(), buf, sizeof buf) == static_cast<ssize_t>(sizeof buf)) {
    struct pollfd pfd = {p.r.get(), POLLIN, 0};
    if (poll(&pfd, 1, 0) == 0) break;
  }
  ASSERT_THAT(epoll_wait(ep.get(), &ev, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(ev.events, EPOLLOUT);
}

TEST(Epoll, NestedEpollReportsInnerReadiness) {
  FileDescriptor outer = NewEpoll();
  FileDescriptor inner = NewEpoll();
  ASSERT_TRUE(outer.valid() && inner.valid());
  Pipe p = MakePipe();
  ASSERT_THAT(Add(inner.get(), p.r.get(), EPOLLIN, 1), SyscallSucceeds());
  ASSERT_THAT(Add(outer.get(), inner.get(), EPOLLIN, 2), SyscallSucceeds());
  struct epoll_event ev;
  EXPECT_THAT(epoll_wait(outer.get(), &ev, 1, 0), SyscallSucceedsWithValue(0));
  write(p.w.get(), "x", 1);
  ASSERT_THAT(epoll_wait(outer.get(), &ev, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(ev.data.u64, 2u);
  EXPECT_EQ(ev.events, EPOLLIN);
  ASSERT_THAT(epoll_wait(inner.get(), &ev, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(ev.data.u64, 1u);
}

TEST(Epoll, CycleIsELOOP) {
  FileDescriptor a = NewEpoll();
  FileDescriptor b = NewEpoll();
  ASSERT_TRUE(a.valid() && b.valid());
  ASSERT_THAT(Add(a.get(), b.get(), EPOLLIN, 1), SyscallSucceeds());
  EXPECT_THAT(Add(b.get(), a.get(), EPOLLIN, 2), SyscallFailsWithErrno(ELOOP));
}

TEST(Epoll, EventfdTimerfdSignalfdAreWatchable) {
  FileDescriptor ep = NewEpoll();
  ASSERT_TRUE(ep.valid());
  FileDescriptor efd(eventfd(0, EFD_NONBLOCK));
  FileDescriptor tfd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  ScopedSignalMask block(SIG_BLOCK, SIGUSR2);
  FileDescriptor sfd(signalfd(-1, &s, SFD_NONBLOCK));
  ASSERT_TRUE(efd.valid() && tfd.valid() && sfd.valid());
  ASSERT_THAT(Add(ep.get(), efd.get(), EPOLLIN, 1), SyscallSucceeds());
  ASSERT_THAT(Add(ep.get(), tfd.get(), EPOLLIN, 2), SyscallSucceeds());
  ASSERT_THAT(Add(ep.get(), sfd.get(), EPOLLIN, 3), SyscallSucceeds());
  struct epoll_event ev[4];
  EXPECT_THAT(epoll_wait(ep.get(), ev, 4, 0), SyscallSucceedsWithValue(0));
  uint64_t one = 1;
  ASSERT_THAT(write(efd.get(), &one, 8), SyscallSucceedsWithValue(8));
  ASSERT_THAT(epoll_wait(ep.get(), ev, 4, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(ev[0].data.u64, 1u);
  uint64_t v;
  read(efd.get(), &v, 8);
  struct itimerspec its = {{0, 0}, {0, 10000000}};
  ASSERT_THAT(timerfd_settime(tfd.get(), 0, &its, nullptr), SyscallSucceeds());
  ASSERT_THAT(epoll_wait(ep.get(), ev, 4, 5000), SyscallSucceedsWithValue(1));
  EXPECT_EQ(ev[0].data.u64, 2u);
  read(tfd.get(), &v, 8);
  kill(getpid(), SIGUSR2);
  ASSERT_THAT(epoll_wait(ep.get(), ev, 4, 5000), SyscallSucceedsWithValue(1));
  EXPECT_EQ(ev[0].data.u64, 3u);
  struct signalfd_siginfo si;
  EXPECT_THAT(read(sfd.get(), &si, sizeof si), SyscallSucceedsWithValue(sizeof si));
  EXPECT_THAT(epoll_wait(ep.get(), ev, 4, 0), SyscallSucceedsWithValue(0));
}

TEST(Epoll, EpollFdIsPollable) {
  FileDescriptor ep = NewEpoll();
  ASSERT_TRUE(ep.valid());
  Pipe p = MakePipe();
  ASSERT_THAT(Add(ep.get(), p.r.get(), EPOLLIN, 1), SyscallSucceeds());
  struct pollfd pfd = {ep.get(), POLLIN, 0};
  EXPECT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(0));
  write(p.w.get(), "x", 1);
  EXPECT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(pfd.revents, POLLIN);
}

}  // namespace
}  // namespace conformance
