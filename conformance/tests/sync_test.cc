// fsync(2), fdatasync(2), sync(2), syncfs(2), ioctl(2) basics.
// syscalls: fsync fdatasync sync syncfs
// syscalls(Ioctl): ioctl
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(Fsync, RegularFile) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "data"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDWR));
  EXPECT_THAT(fsync(fd.get()), SyscallSucceeds());
  EXPECT_THAT(fdatasync(fd.get()), SyscallSucceeds());
}

TEST(Fsync, ReadOnlyFdAllowed) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "data"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  EXPECT_THAT(fsync(fd.get()), SyscallSucceeds());
}

TEST(Fsync, DirectoryAllowed) {
  TempDir dir;
  FileDescriptor fd(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  EXPECT_THAT(fsync(fd.get()), SyscallSucceeds());
}

TEST(Fsync, PipeIsEINVAL) {
  Pipe p = MakePipe();
  EXPECT_THAT(fsync(p.w.get()), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(fdatasync(p.r.get()), SyscallFailsWithErrno(EINVAL));
}

TEST(Fsync, BadFdIsEBADF) {
  EXPECT_THAT(fsync(-1), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(fdatasync(-1), SyscallFailsWithErrno(EBADF));
}

TEST(Sync, AlwaysSucceeds) {
  sync();
  EXPECT_THAT(syscall(SYS_sync), SyscallSucceeds());
}

TEST(Sync, SyncfsOnFile) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  EXPECT_THAT(syncfs(fd.get()), SyscallSucceeds());
}

TEST(Sync, SyncfsBadFdIsEBADF) { EXPECT_THAT(syncfs(-1), SyscallFailsWithErrno(EBADF)); }

TEST(Ioctl, FionbioSetsNonblock) {
  Pipe p = MakePipe();
  int on = 1;
  ASSERT_THAT(ioctl(p.r.get(), FIONBIO, &on), SyscallSucceeds());
  EXPECT_TRUE(fcntl(p.r.get(), F_GETFL) & O_NONBLOCK);
  int off = 0;
  ASSERT_THAT(ioctl(p.r.get(), FIONBIO, &off), SyscallSucceeds());
  EXPECT_FALSE(fcntl(p.r.get(), F_GETFL) & O_NONBLOCK);
}

TEST(Ioctl, FioclexAndFionclex) {
  Pipe p = MakePipe();
  ASSERT_THAT(ioctl(p.r.get(), FIOCLEX), SyscallSucceeds());
  EXPECT_THAT(fcntl(p.r.get(), F_GETFD), SyscallSucceedsWithValue(FD_CLOEXEC));
  ASSERT_THAT(ioctl(p.r.get(), FIONCLEX), SyscallSucceeds());
  EXPECT_THAT(fcntl(p.r.get(), F_GETFD), SyscallSucceedsWithValue(0));
}

TEST(Ioctl, FionreadOnRegularFile) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "0123456789"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  ASSERT_THAT(lseek(fd.get(), 4, SEEK_SET), SyscallSucceeds());
  int n = -1;
  ASSERT_THAT(ioctl(fd.get(), FIONREAD, &n), SyscallSucceeds());
  EXPECT_EQ(n, 6);
}

TEST(Ioctl, TtyIoctlOnFileIsENOTTY) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  struct termios t;
  EXPECT_THAT(ioctl(fd.get(), TCGETS, &t), SyscallFailsWithErrno(ENOTTY));
  EXPECT_EQ(isatty(fd.get()), 0);
}

TEST(Ioctl, BadFdIsEBADF) {
  int n;
  EXPECT_THAT(ioctl(-1, FIONREAD, &n), SyscallFailsWithErrno(EBADF));
}

TEST(Ioctl, UnknownRequestOnPipeIsENOTTY) {
  Pipe p = MakePipe();
  EXPECT_THAT(ioctl(p.r.get(), 0x12345678, 0), SyscallFailsWithErrno(ENOTTY));
}

}  // namespace
}  // namespace conformance
