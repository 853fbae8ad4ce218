// fcntl(2) record locks end to end.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>

#include <chrono>
#include <thread>

#include "sentry/vfs/syscall_fixture.h"

namespace bulwark::syscalls {
namespace {

class LockTest : public testing::FileSyscallsTest {
 protected:
  Errno Lock(Task& t, int fd, int cmd, short type, off_t start, off_t len) {
    struct flock fl{};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = start;
    fl.l_len = len;
    UserPtr<struct flock> u{Put(&fl, sizeof(fl))};
    auto r = sys_fcntl(t, GuestFd{fd}, cmd, u.addr);
    result_ = *t_->CopyIn(u);
    return r ? Errno{} : r.error();
  }
  struct flock result_{};
};

TEST_F(LockTest, PosixAndOfd) {
  std::lock_guard<std::mutex> lock(kernel_->mu);
  int fd = Open("/locked", O_CREAT | O_RDWR);
  auto other = NewTask(2, /*own_fds=*/true);
  int ofd = *sys_openat(*other, GuestFd{AT_FDCWD}, Str("/locked"), O_RDWR, 0);
  EXPECT_EQ(Lock(*t_, fd, F_SETLK, F_WRLCK, 0, 100), Errno{});
  EXPECT_EQ(Lock(*other, ofd, F_SETLK, F_RDLCK, 50, 10), Errno::kEAGAIN);
  EXPECT_EQ(Lock(*other, ofd, F_SETLK, F_RDLCK, 100, 10), Errno{});
  EXPECT_EQ(Lock(*other, ofd, F_GETLK, F_RDLCK, 0, 0), Errno{});
  EXPECT_EQ(result_.l_type, F_WRLCK);
  EXPECT_EQ(result_.l_start, 0);
  EXPECT_EQ(result_.l_len, 100);
  EXPECT_EQ(result_.l_pid, 1);
  // Our own locks never conflict with us; unlocking the middle splits.
  EXPECT_EQ(Lock(*t_, fd, F_GETLK, F_WRLCK, 0, 50), Errno{});
  EXPECT_EQ(result_.l_type, F_UNLCK);
  EXPECT_EQ(Lock(*t_, fd, F_SETLK, F_UNLCK, 20, 10), Errno{});
  EXPECT_EQ(Lock(*other, ofd, F_SETLK, F_WRLCK, 20, 10), Errno{});
  EXPECT_EQ(Lock(*other, ofd, F_SETLK, F_WRLCK, 30, 1), Errno::kEAGAIN);
  // Bad requests.
  EXPECT_EQ(Lock(*t_, fd, F_GETLK, F_UNLCK, 0, 0), Errno::kEINVAL);
  EXPECT_EQ(Lock(*t_, fd, F_SETLK, 7, 0, 0), Errno::kEINVAL);
  EXPECT_EQ(Lock(*t_, fd, F_SETLK, F_RDLCK, -1, 0), Errno::kEINVAL);
  EXPECT_EQ(Lock(*t_, fd, F_SETLK, F_RDLCK, 5, -10), Errno::kEINVAL);
  EXPECT_EQ(Lock(*t_, fd, F_SETLK, F_RDLCK, INT64_MAX, 2), Errno::kEOVERFLOW);
  int ro = Open("/locked", O_RDONLY);
  EXPECT_EQ(Lock(*t_, ro, F_SETLK, F_WRLCK, 500, 1), Errno::kEBADF);
  // Closing any fd of the file drops the owner's POSIX locks on it.
  ASSERT_TRUE(sys_close(*t_, GuestFd{ro}));
  EXPECT_EQ(Lock(*other, ofd, F_SETLK, F_WRLCK, 0, 20), Errno{});
  // OFD locks belong to the description and conflict with POSIX locks.
  int o1 = Open("/locked", O_RDWR);
  EXPECT_EQ(Lock(*t_, o1, F_OFD_SETLK, F_WRLCK, 1000, 0), Errno{});
  EXPECT_EQ(Lock(*other, ofd, F_SETLK, F_RDLCK, 2000, 1), Errno::kEAGAIN);
  EXPECT_EQ(Lock(*other, ofd, F_OFD_GETLK, F_RDLCK, 2000, 1), Errno{});
  EXPECT_EQ(result_.l_pid, -1);
  int o2 = *sys_dup(*t_, GuestFd{o1});
  ASSERT_TRUE(sys_close(*t_, GuestFd{o1}));  // the description lives on in o2
  EXPECT_EQ(Lock(*other, ofd, F_SETLK, F_RDLCK, 2000, 1), Errno::kEAGAIN);
  ASSERT_TRUE(sys_close(*t_, GuestFd{o2}));
  EXPECT_EQ(Lock(*other, ofd, F_SETLK, F_RDLCK, 2000, 1), Errno{});
  // An fd table that goes away takes its locks along.
  other.reset();
  EXPECT_EQ(Lock(*t_, fd, F_SETLK, F_WRLCK, 0, 0), Errno{});
}

TEST_F(LockTest, WaitAndDeadlock) {
  std::unique_ptr<Task> other;
  int fd, ofd;
  {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    fd = Open("/l", O_CREAT | O_RDWR);
    other = NewTask(2, /*own_fds=*/true);
    ofd = *sys_openat(*other, GuestFd{AT_FDCWD}, Str("/l"), O_RDWR, 0);
    ASSERT_EQ(Lock(*t_, fd, F_SETLK, F_WRLCK, 0, 1), Errno{});
    ASSERT_EQ(Lock(*other, ofd, F_SETLK, F_WRLCK, 1, 1), Errno{});
  }
  Errno waited = Errno::kEIO;
  std::thread waiter([&] {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    waited = Lock(*t_, fd, F_SETLKW, F_WRLCK, 1, 1);  // held by `other`
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    // `other` waiting for byte 0 would wait for a task that waits for it.
    EXPECT_EQ(Lock(*other, ofd, F_SETLKW, F_WRLCK, 0, 1), Errno::kEDEADLK);
    other.reset();  // exits: its lock goes and the waiter gets it
  }
  waiter.join();
  EXPECT_EQ(waited, Errno{});
}

TEST_F(LockTest, Flock) {
  std::lock_guard<std::mutex> lock(kernel_->mu);
  int a = Open("/fl", O_CREAT | O_RDWR);
  int b = Open("/fl", O_RDONLY);
  int a2 = *sys_dup(*t_, GuestFd{a});
  ASSERT_TRUE(sys_flock(*t_, GuestFd{a}, LOCK_EX));
  // Another description conflicts, even in the same process; a duplicate
  // shares the lock.
  EXPECT_EQ(Error(sys_flock(*t_, GuestFd{b}, LOCK_SH | LOCK_NB)), Errno::kEAGAIN);
  EXPECT_TRUE(sys_flock(*t_, GuestFd{a2}, LOCK_EX | LOCK_NB));
  // flock and fcntl locks live apart.
  EXPECT_EQ(Lock(*t_, b, F_SETLK, F_RDLCK, 0, 0), Errno{});
  ASSERT_TRUE(sys_flock(*t_, GuestFd{a}, LOCK_SH));
  EXPECT_TRUE(sys_flock(*t_, GuestFd{b}, LOCK_SH | LOCK_NB));
  EXPECT_EQ(Error(sys_flock(*t_, GuestFd{a}, LOCK_EX | LOCK_NB)), Errno::kEAGAIN);
  EXPECT_TRUE(sys_flock(*t_, GuestFd{b}, LOCK_UN));
  // The failed conversion dropped a's lock, as on Linux.
  EXPECT_TRUE(sys_flock(*t_, GuestFd{b}, LOCK_EX | LOCK_NB));
  EXPECT_EQ(Error(sys_flock(*t_, GuestFd{a}, 3)), Errno::kEINVAL);
  // Closing the last fd of the description releases it.
  ASSERT_TRUE(sys_close(*t_, GuestFd{b}));
  EXPECT_TRUE(sys_flock(*t_, GuestFd{a}, LOCK_EX | LOCK_NB));
}

}  // namespace
}  // namespace bulwark::syscalls
