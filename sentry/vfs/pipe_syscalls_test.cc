// pipe, FIFO, poll and select syscalls end to end.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/ioctl.h>

#include <chrono>
#include <thread>

#include "sentry/vfs/syscall_fixture.h"

namespace bulwark::syscalls {
namespace {

using testing::FileSyscallsTest;

TEST_F(FileSyscallsTest, Pipes) {
  std::lock_guard<std::mutex> lock(kernel_->mu);
  UserPtr<int> fds{Buf(8).addr};
  ASSERT_TRUE(sys_pipe2(*t_, fds, O_NONBLOCK));
  int p[2];
  ASSERT_TRUE(t_->CopyInBytes(fds.addr, p, sizeof(p)));
  EXPECT_EQ(Read(p[0], 10), "error EAGAIN");
  EXPECT_EQ(Error(sys_lseek(*t_, GuestFd{p[0]}, 0, SEEK_SET)), Errno::kESPIPE);
  EXPECT_EQ(Error(sys_pread64(*t_, GuestFd{p[0]}, Buf(1), 1, 0)), Errno::kESPIPE);
  EXPECT_EQ(*sys_fcntl(*t_, GuestFd{p[0]}, F_GETFL, 0), O_RDONLY | O_NONBLOCK);
  EXPECT_EQ(*sys_fcntl(*t_, GuestFd{p[1]}, F_GETFL, 0), O_WRONLY | O_NONBLOCK);
  EXPECT_EQ(*sys_fcntl(*t_, GuestFd{p[1]}, F_GETPIPE_SZ, 0), 65536);
  EXPECT_EQ(Write(p[1], "0123456789"), 10u);
  UserPtr<int> n{Buf(4).addr};
  ASSERT_TRUE(sys_ioctl(*t_, GuestFd{p[0]}, FIONREAD, n.addr));
  EXPECT_EQ(*t_->CopyIn(n), 10);
  EXPECT_EQ(*sys_fcntl(*t_, GuestFd{p[1]}, F_SETPIPE_SZ, 5000), 8192);
  EXPECT_EQ(Read(p[0], 4), "0123");
  EXPECT_EQ(Error(sys_fsync(*t_, GuestFd{p[0]})), Errno::kEINVAL);

  pollfd pf[3] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {99, POLLIN, 0}};
  UserPtr<pollfd> upf{Put(pf, sizeof(pf))};
  EXPECT_EQ(*sys_poll(*t_, upf, 3, 0), 3);
  ASSERT_TRUE(t_->CopyInBytes(upf.addr, pf, sizeof(pf)));
  EXPECT_EQ(pf[0].revents, POLLIN);
  EXPECT_EQ(pf[1].revents, POLLOUT);
  EXPECT_EQ(pf[2].revents, POLLNVAL);
  EXPECT_EQ(Error(sys_poll(*t_, upf, 1025, 0)), Errno::kEINVAL);

  ASSERT_TRUE(sys_close(*t_, GuestFd{p[1]}));
  EXPECT_EQ(Read(p[0], 100), "456789");
  EXPECT_EQ(Read(p[0], 100), "");  // EOF
  pollfd hup[1] = {{p[0], POLLIN, 0}};
  UserPtr<pollfd> uh{Put(hup, sizeof(hup))};
  EXPECT_EQ(*sys_poll(*t_, uh, 1, 0), 1);
  EXPECT_EQ(t_->CopyIn(uh)->revents, POLLHUP);

  // Writing without readers: EPIPE and SIGPIPE.
  ASSERT_TRUE(sys_pipe(*t_, fds));
  ASSERT_TRUE(t_->CopyInBytes(fds.addr, p, sizeof(p)));
  ASSERT_TRUE(sys_close(*t_, GuestFd{p[0]}));
  EXPECT_EQ(Error(sys_write(*t_, GuestFd{p[1]}, Buf(1), 1)), Errno::kEPIPE);
  EXPECT_TRUE(t_->pending.set & kernel::SigBit(SIGPIPE));
  EXPECT_EQ(Error(sys_pipe2(*t_, fds, O_EXCL)), Errno::kEINVAL);
}

TEST_F(FileSyscallsTest, Select) {
  std::lock_guard<std::mutex> lock(kernel_->mu);
  UserPtr<int> fds{Buf(8).addr};
  ASSERT_TRUE(sys_pipe(*t_, fds));
  int p[2];
  ASSERT_TRUE(t_->CopyInBytes(fds.addr, p, sizeof(p)));
  fd_set r, w;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_SET(p[0], &r);
  FD_SET(p[1], &w);
  UserPtr<fd_set> ur{Put(&r, sizeof(r))}, uw{Put(&w, sizeof(w))};
  UserPtr<fd_set> none{0};
  timeval tv{0, 0};
  UserPtr<timeval> utv{Put(&tv, sizeof(tv))};
  EXPECT_EQ(*sys_select(*t_, p[1] + 1, ur, uw, none, utv), 1);
  fd_set got = *t_->CopyIn(ur);
  EXPECT_FALSE(FD_ISSET(p[0], &got));
  got = *t_->CopyIn(uw);
  EXPECT_TRUE(FD_ISSET(p[1], &got));
  Write(p[1], "x");
  ASSERT_TRUE(t_->CopyOut(ur, r));
  EXPECT_EQ(*sys_select(*t_, p[1] + 1, ur, none, none, utv), 1);
  got = *t_->CopyIn(ur);
  EXPECT_TRUE(FD_ISSET(p[0], &got));
  FD_SET(40, &r);
  ASSERT_TRUE(t_->CopyOut(ur, r));
  EXPECT_EQ(Error(sys_select(*t_, 41, ur, none, none, utv)), Errno::kEBADF);
  EXPECT_EQ(Error(sys_select(*t_, -1, ur, none, none, utv)), Errno::kEINVAL);
  // A timeout that passes, with the time left written back.
  timespec ts{0, 1000000};
  UserPtr<timespec> uts{Put(&ts, sizeof(ts))};
  FD_ZERO(&r);
  FD_SET(p[1], &r);  // the write end never becomes readable
  ASSERT_TRUE(t_->CopyOut(ur, r));
  EXPECT_EQ(*sys_pselect6(*t_, p[1] + 1, ur, none, none, uts, UserPtr<uint64_t>{0}), 0);
  EXPECT_EQ(t_->CopyIn(uts)->tv_nsec, 0);
}

TEST_F(FileSyscallsTest, PpollSignalMask) {
  std::lock_guard<std::mutex> lock(kernel_->mu);
  t_->sigmask = kernel::SigBit(SIGUSR1);
  kernel::SigSet during = kernel::SigBit(SIGUSR2);
  UserPtr<kernel::SigSet> umask{Put(&during, sizeof(during))};
  timespec ts{0, 0};
  UserPtr<timespec> uts{Put(&ts, sizeof(ts))};
  EXPECT_EQ(*sys_ppoll(*t_, UserPtr<pollfd>{0}, 0, uts, umask, 8), 0);
  EXPECT_EQ(t_->sigmask, kernel::SigBit(SIGUSR1));  // restored
  EXPECT_FALSE(t_->restore_saved_sigmask);
  EXPECT_EQ(Error(sys_ppoll(*t_, UserPtr<pollfd>{0}, 0, uts, umask, 4)), Errno::kEINVAL);
  // Interrupted by a signal the temporary mask lets through: the mask stays
  // until the handler frame is built.
  siginfo_t info{};
  info.si_signo = SIGUSR1;
  t_->SendSignal(info);
  EXPECT_EQ(Error(sys_ppoll(*t_, UserPtr<pollfd>{0}, 0, UserPtr<timespec>{0}, umask, 8)),
            Errno::kERESTARTNOHAND);
  EXPECT_EQ(t_->sigmask, kernel::SigBit(SIGUSR2));
  EXPECT_TRUE(t_->restore_saved_sigmask);
  EXPECT_EQ(t_->saved_sigmask, kernel::SigBit(SIGUSR1));
}

TEST_F(FileSyscallsTest, Fifo) {
  int r, w;
  {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    ASSERT_TRUE(sys_mknod(*t_, Str("/fifo"), S_IFIFO | 0600, 0));
    EXPECT_EQ(Error(sys_open(*t_, Str("/fifo"), O_WRONLY | O_NONBLOCK, 0)), Errno::kENXIO);
    r = Open("/fifo", O_RDONLY | O_NONBLOCK);
    EXPECT_EQ(Read(r, 10), "");  // no writer yet: EOF
    pollfd pf{r, POLLIN, 0};
    UserPtr<pollfd> upf{Put(&pf, sizeof(pf))};
    EXPECT_EQ(*sys_poll(*t_, upf, 1, 0), 0);  // and no POLLHUP before one came
    w = Open("/fifo", O_WRONLY | O_NONBLOCK);
    EXPECT_EQ(Write(w, "through"), 7u);
    EXPECT_EQ(Read(r, 10), "through");
    UserPtr<struct stat> sp{Buf(sizeof(struct stat)).addr};
    ASSERT_TRUE(sys_fstat(*t_, GuestFd{r}, sp));
    EXPECT_TRUE(S_ISFIFO(t_->CopyIn(sp)->st_mode));
    ASSERT_TRUE(sys_close(*t_, GuestFd{w}));
    EXPECT_EQ(*sys_poll(*t_, upf, 1, 0), 1);
    EXPECT_EQ(t_->CopyIn(upf)->revents, POLLHUP);
    ASSERT_TRUE(sys_close(*t_, GuestFd{r}));
  }
  // A blocking open for reading waits for a writer.
  auto writer = NewTask(2);
  SysResult<int> got = Err(Errno::kEIO);
  UserCString path;
  {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    path = Str("/fifo");
  }
  std::thread reader([&] {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    got = sys_open(*t_, path, O_RDONLY, 0);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    EXPECT_TRUE(sys_open(*writer, path, O_WRONLY, 0));
  }
  reader.join();
  EXPECT_TRUE(got.has_value());
}

// A reader blocks in read(2) until another task writes.
TEST_F(FileSyscallsTest, BlockingPipeRead) {
  int p[2];
  uint64_t msg;
  UserPtr<uint8_t> buf;
  {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    UserPtr<int> fds{Buf(8).addr};
    ASSERT_TRUE(sys_pipe(*t_, fds));
    ASSERT_TRUE(t_->CopyInBytes(fds.addr, p, sizeof(p)));
    buf = Buf(16);
    msg = Put("ping", 4);
  }
  auto writer = NewTask(2);
  SysResult<size_t> got = Err(Errno::kEIO);
  std::thread reader([&] {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    got = sys_read(*t_, GuestFd{p[0]}, buf, 16);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    EXPECT_EQ(*sys_write(*writer, GuestFd{p[1]}, UserPtr<uint8_t>{msg}, 4), 4u);
  }
  reader.join();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, 4u);

  // A signal interrupts the wait.
  std::thread reader2([&] {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    got = sys_read(*t_, GuestFd{p[0]}, buf, 16);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    siginfo_t info{};
    info.si_signo = SIGUSR1;
    t_->SendSignal(info);
  }
  reader2.join();
  EXPECT_EQ(Error(got), Errno::kERESTARTSYS);
}

// A blocking write larger than the pipe finishes once a reader drains it.
TEST_F(FileSyscallsTest, BlockingPipeWriteCompletes) {
  int p[2];
  UserPtr<uint8_t> big, sink;
  constexpr size_t kBig = 100000;
  {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    UserPtr<int> fds{Buf(8).addr};
    ASSERT_TRUE(sys_pipe(*t_, fds));
    ASSERT_TRUE(t_->CopyInBytes(fds.addr, p, sizeof(p)));
    big = Buf(kBig);
    sink = Buf(kBig);
  }
  auto reader = NewTask(2);
  SysResult<size_t> wrote = Err(Errno::kEIO);
  std::thread writer([&] {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    wrote = sys_write(*t_, GuestFd{p[1]}, big, kBig);
  });
  size_t total = 0;
  while (total < kBig) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::lock_guard<std::mutex> lock(kernel_->mu);
    auto r = sys_read(*reader, GuestFd{p[0]}, sink, kBig);
    ASSERT_TRUE(r.has_value());
    total += *r;
  }
  writer.join();
  ASSERT_TRUE(wrote.has_value());
  EXPECT_EQ(*wrote, kBig);
}

}  // namespace
}  // namespace bulwark::syscalls
