// epoll_create(2), epoll_create1(2), epoll_ctl(2), epoll_wait(2),
// epoll_pwait(2), epoll_pwait2(2).
// syscalls: epoll_create epoll_create1 epoll_ctl epoll_wait epoll_pwait epoll_pwait2
#include <signal.h>
#include <sys/epoll.h>
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

}  // namespace
}  // namespace conformance
