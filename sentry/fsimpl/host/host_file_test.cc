#include "sentry/fsimpl/host/host_file.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <thread>

#include "sentry/fsimpl/host/tty_ioctl.h"
#include "sentry/fsimpl/memfs/fs_test_util.h"

namespace bulwark::fsimpl::host {
namespace {

class HostFileTest : public testing::FsTest {
 protected:
  void SetUp() override {
    testing::FsTest::SetUp();
    notifier_ = *Notifier::Start(kernel_->mu);
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    // The sentry keeps its own duplicates; the test plays the outside world
    // on the originals.
    read_ = *ImportHostFile(UniqueFd(dup(fds[0])), notifier_);
    write_ = *ImportHostFile(UniqueFd(dup(fds[1])), notifier_);
    outside_read_.reset(fds[0]);
    outside_write_.reset(fds[1]);
  }

  void TearDown() override {
    read_.reset();
    write_.reset();
    // The notifier thread may be waiting for the kernel lock.
    kernel_->mu.unlock();
    notifier_.reset();
    kernel_->mu.lock();
    testing::FsTest::TearDown();
  }

  std::shared_ptr<Notifier> notifier_;
  std::shared_ptr<vfs::FileDescription> read_, write_;
  UniqueFd outside_read_, outside_write_;
};

TEST_F(HostFileTest, PipeReadWouldBlockUntilData) {
  EXPECT_FALSE(read_->Seekable());
  EXPECT_TRUE(read_->Readable());
  EXPECT_FALSE(read_->Writable());
  EXPECT_EQ(Read(*read_, task(), 10, 0).error(), Errno::kEAGAIN);
  EXPECT_EQ(read_->Readiness(POLLIN), 0u);
  ASSERT_EQ(write(outside_write_.get(), "abc", 3), 3);
  EXPECT_EQ(read_->Readiness(POLLIN | POLLOUT), static_cast<uint32_t>(POLLIN));
  EXPECT_EQ(*Read(*read_, task(), 10, 0), "abc");
  outside_write_.reset();
  write_.reset();
  auto eof = Read(*read_, task(), 10, 0);  // EOF once the writers are gone
  ASSERT_TRUE(eof.has_value());
  EXPECT_EQ(*eof, "");
}

TEST_F(HostFileTest, NotifierWakesWaiters) {
  kernel::WaitQueue* q = read_->Queue();
  ASSERT_NE(q, nullptr);
  q->Add(&task(), POLLIN);
  std::thread writer([&] {
    usleep(20000);
    ASSERT_EQ(write(outside_write_.get(), "x", 1), 1);
  });
  timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += 10;
  auto r = task().Block(&deadline);
  writer.join();
  q->Remove(&task());
  EXPECT_TRUE(r.has_value());
  EXPECT_EQ(*Read(*read_, task(), 10, 0), "x");
}

TEST_F(HostFileTest, WriteReachesTheHost) {
  EXPECT_EQ(*Write(*write_, task(), "hello", 0), 5u);
  char buf[16] = {};
  ASSERT_EQ(read(outside_read_.get(), buf, sizeof(buf)), 5);
  EXPECT_STREQ(buf, "hello");
  EXPECT_EQ(write_->Readiness(POLLOUT), static_cast<uint32_t>(POLLOUT));
}

TEST_F(HostFileTest, StatAndName) {
  struct stat host;
  ASSERT_EQ(fstat(outside_read_.get(), &host), 0);
  vfs::Stat st = *read_->GetStat();
  EXPECT_EQ(st.mode & S_IFMT, static_cast<uint32_t>(S_IFIFO));
  EXPECT_EQ(st.size, 0u);
  EXPECT_EQ(st.ino, host.st_ino);
  EXPECT_EQ(read_->AnonName(), "pipe:[" + std::to_string(host.st_ino) + "]");
  EXPECT_EQ(read_->SetStat(vfs::SetStatRequest{.mask = vfs::SetStatRequest::kMode}).error(),
            Errno::kEPERM);
}

TEST_F(HostFileTest, Ioctls) {
  ASSERT_EQ(write(outside_write_.get(), "1234", 4), 4);
  ASSERT_TRUE(read_->Ioctl(task(), FIONREAD, kUserBuf));
  EXPECT_EQ(*task().CopyIn(kernel::UserPtr<int>{kUserBuf}), 4);
  EXPECT_EQ(read_->Ioctl(task(), TCGETS, kUserBuf).error(), Errno::kENOTTY);
  EXPECT_EQ(read_->Ioctl(task(), TIOCGPGRP, kUserBuf).error(), Errno::kENOTTY);
  EXPECT_EQ(read_->Ioctl(task(), 0x1234, kUserBuf).error(), Errno::kENOTTY);
  // Bad application pointers fail in the sentry, not on the host.
  EXPECT_EQ(read_->Ioctl(task(), FIONREAD, 0x10).error(), Errno::kEFAULT);
}

TEST_F(HostFileTest, RegularFileIsSeekableAndAlwaysReady) {
  UniqueFd fd(memfd_create("host_file_test", MFD_CLOEXEC));
  ASSERT_EQ(pwrite(fd.get(), "0123456789", 10, 0), 10);
  auto f = *ImportHostFile(std::move(fd), notifier_);
  EXPECT_TRUE(f->Seekable());
  EXPECT_EQ(f->Queue(), nullptr);
  EXPECT_EQ(f->Readiness(POLLIN), static_cast<uint32_t>(POLLIN));
  EXPECT_EQ(*Read(*f, task(), 3, 4), "456");
  EXPECT_EQ(*Write(*f, task(), "ab", 8), 2u);
  EXPECT_EQ(*Read(*f, task(), 100, 1), "1234567ab");
  EXPECT_EQ(f->GetStat()->size, 10u);
  EXPECT_EQ(*f->Seek(task(), -2, SEEK_END), 8u);
  EXPECT_EQ(f->offset, 8u);
}

TEST_F(HostFileTest, SequentialIoSharesTheHostOffset) {
  // stdout and stderr of `run ... >log 2>&1`: two fds, one description.
  UniqueFd fd(memfd_create("host_file_test", MFD_CLOEXEC));
  UniqueFd dup_fd(dup(fd.get()));
  auto out = *ImportHostFile(std::move(fd), notifier_);
  auto err = *ImportHostFile(std::move(dup_fd), notifier_);
  ASSERT_EQ(*Write(*out, task(), "out1 ", out->offset), 5u);
  EXPECT_EQ(out->offset, 0u);  // where it happened; the syscall layer adds the count
  ASSERT_EQ(*Write(*err, task(), "err1 ", err->offset), 5u);
  EXPECT_EQ(err->offset, 5u);
  out->offset = 10;
  ASSERT_EQ(*Write(*out, task(), "out2", out->offset), 4u);
  EXPECT_EQ(*Read(*out, task(), 100, 0), "out1 err1 out2");
}

TEST_F(HostFileTest, Terminal) {
  UniqueFd master(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master.valid() || grantpt(master.get()) != 0 || unlockpt(master.get()) != 0)
    GTEST_SKIP() << "no ptys here";
  UniqueFd slave(open(ptsname(master.get()), O_RDWR | O_NOCTTY | O_CLOEXEC));
  ASSERT_TRUE(slave.valid());
  auto h = *HostFd::Import(std::move(slave), notifier_);
  EXPECT_TRUE(h->is_tty());
  auto f = NewHostFileDescription(h, O_RDWR);
  EXPECT_TRUE(f->AnonName().starts_with("/dev/pts/"));

  winsize ws{.ws_row = 24, .ws_col = 80};
  ASSERT_TRUE(task().CopyOut(kernel::UserPtr<winsize>{kUserBuf}, ws));
  ASSERT_TRUE(f->Ioctl(task(), TIOCSWINSZ, kUserBuf));
  ASSERT_TRUE(task().CopyOut(kernel::UserPtr<winsize>{kUserBuf}, winsize{}));
  ASSERT_TRUE(f->Ioctl(task(), TIOCGWINSZ, kUserBuf));
  EXPECT_EQ(task().CopyIn(kernel::UserPtr<winsize>{kUserBuf})->ws_col, 80);

  ASSERT_TRUE(f->Ioctl(task(), TCGETS, kUserBuf));
  KernelTermios tio = *task().CopyIn(kernel::UserPtr<KernelTermios>{kUserBuf});
  tio.c_lflag &= ~ECHO;
  ASSERT_TRUE(task().CopyOut(kernel::UserPtr<KernelTermios>{kUserBuf}, tio));
  ASSERT_TRUE(f->Ioctl(task(), TCSETSW, kUserBuf));
  ASSERT_TRUE(f->Ioctl(task(), TCGETS, kUserBuf));
  EXPECT_FALSE(task().CopyIn(kernel::UserPtr<KernelTermios>{kUserBuf})->c_lflag & ECHO);

  Register();
  ASSERT_TRUE(f->Ioctl(task(), TIOCGPGRP, kUserBuf));
  EXPECT_EQ(*task().CopyIn(kernel::UserPtr<int32_t>{kUserBuf}), tg_->pgid);
  ASSERT_TRUE(task().CopyOut(kernel::UserPtr<int32_t>{kUserBuf}, int32_t{12345}));
  EXPECT_EQ(f->Ioctl(task(), TIOCSPGRP, kUserBuf).error(), Errno::kESRCH);

  // Input typed on the terminal wakes a reader.
  EXPECT_EQ(Read(*f, task(), 10, 0).error(), Errno::kEAGAIN);
  ASSERT_EQ(write(master.get(), "line\n", 5), 5);
  pollfd p{h->fd(), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 5000), 1);
  EXPECT_EQ(*Read(*f, task(), 10, 0), "line\n");
}

TEST(HostFileName, Names) {
  struct stat st {};
  st.st_ino = 7;
  st.st_mode = S_IFSOCK;
  EXPECT_EQ(HostFileName(st), "socket:[7]");
  st.st_mode = S_IFCHR;
  st.st_rdev = makedev(136, 3);
  EXPECT_EQ(HostFileName(st), "/dev/pts/3");
  st.st_rdev = makedev(137, 1);
  EXPECT_EQ(HostFileName(st), "/dev/pts/257");
  st.st_rdev = makedev(1, 3);
  EXPECT_EQ(HostFileName(st), "/dev/null");
}

}  // namespace
}  // namespace bulwark::fsimpl::host
