// fcntl(2): descriptor flags, status flags, F_DUPFD, pipe sizes.
// syscalls: fcntl
#include <fcntl.h>
#include <sys/resource.h>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(Fcntl, GetSetFd) {
  FileDescriptor fd(open("/dev/null", O_RDONLY));
  EXPECT_THAT(fcntl(fd.get(), F_GETFD), SyscallSucceedsWithValue(0));
  ASSERT_THAT(fcntl(fd.get(), F_SETFD, FD_CLOEXEC), SyscallSucceeds());
  EXPECT_THAT(fcntl(fd.get(), F_GETFD), SyscallSucceedsWithValue(FD_CLOEXEC));
  ASSERT_THAT(fcntl(fd.get(), F_SETFD, 0), SyscallSucceeds());
  EXPECT_THAT(fcntl(fd.get(), F_GETFD), SyscallSucceedsWithValue(0));
}

TEST(Fcntl, GetflAccessModes) {
  FileDescriptor r(open("/dev/null", O_RDONLY));
  FileDescriptor w(open("/dev/null", O_WRONLY));
  FileDescriptor rw(open("/dev/null", O_RDWR));
  EXPECT_EQ(fcntl(r.get(), F_GETFL) & O_ACCMODE, O_RDONLY);
  EXPECT_EQ(fcntl(w.get(), F_GETFL) & O_ACCMODE, O_WRONLY);
  EXPECT_EQ(fcntl(rw.get(), F_GETFL) & O_ACCMODE, O_RDWR);
}

TEST(Fcntl, SetflChangesNonblockAndAppend) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "ab"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_WRONLY));
  ASSERT_THAT(fcntl(fd.get(), F_SETFL, O_APPEND | O_NONBLOCK), SyscallSucceeds());
  int fl = fcntl(fd.get(), F_GETFL);
  EXPECT_TRUE(fl & O_APPEND);
  EXPECT_TRUE(fl & O_NONBLOCK);
  ASSERT_THAT(write(fd.get(), "c", 1), SyscallSucceedsWithValue(1));
  std::string s;
  ASSERT_TRUE(ReadFile(dir.Join("f"), &s));
  EXPECT_EQ(s, "abc");
}

TEST(Fcntl, SetflIgnoresAccessModeAndCreationFlags) {
  FileDescriptor fd(open("/dev/null", O_RDONLY));
  ASSERT_THAT(fcntl(fd.get(), F_SETFL, O_RDWR | O_CREAT | O_TRUNC), SyscallSucceeds());
  int fl = fcntl(fd.get(), F_GETFL);
  EXPECT_EQ(fl & O_ACCMODE, O_RDONLY);
  EXPECT_FALSE(fl & O_CREAT);
}

TEST(Fcntl, SetflSharedWithDup) {
  Pipe p = MakePipe();
  FileDescriptor d(dup(p.r.get()));
  ASSERT_THAT(fcntl(p.r.get(), F_SETFL, O_NONBLOCK), SyscallSucceeds());
  EXPECT_TRUE(fcntl(d.get(), F_GETFL) & O_NONBLOCK);
}

TEST(Fcntl, FdFlagsNotSharedWithDup) {
  FileDescriptor a(open("/dev/null", O_RDONLY));
  FileDescriptor b(dup(a.get()));
  ASSERT_THAT(fcntl(a.get(), F_SETFD, FD_CLOEXEC), SyscallSucceeds());
  EXPECT_THAT(fcntl(b.get(), F_GETFD), SyscallSucceedsWithValue(0));
}

TEST(Fcntl, DupfdReturnsAtLeastArg) {
  FileDescriptor a(open("/dev/null", O_RDONLY));
  int fd = fcntl(a.get(), F_DUPFD, 150);
  ASSERT_THAT(fd, SyscallSucceeds());
  FileDescriptor b(fd);
  EXPECT_GE(fd, 150);
  EXPECT_THAT(fcntl(fd, F_GETFD), SyscallSucceedsWithValue(0));
}

TEST(Fcntl, DupfdSkipsUsedFds) {
  FileDescriptor a(open("/dev/null", O_RDONLY));
  ASSERT_THAT(dup2(a.get(), 160), SyscallSucceeds());
  FileDescriptor held(160);
  int fd = fcntl(a.get(), F_DUPFD, 160);
  FileDescriptor b(fd);
  EXPECT_EQ(fd, 161);
}

TEST(Fcntl, DupfdCloexec) {
  FileDescriptor a(open("/dev/null", O_RDONLY));
  int fd = fcntl(a.get(), F_DUPFD_CLOEXEC, 0);
  ASSERT_THAT(fd, SyscallSucceeds());
  FileDescriptor b(fd);
  EXPECT_THAT(fcntl(fd, F_GETFD), SyscallSucceedsWithValue(FD_CLOEXEC));
}

TEST(Fcntl, DupfdBeyondLimitIsEINVAL) {
  FileDescriptor a(open("/dev/null", O_RDONLY));
  struct rlimit rl;
  ASSERT_THAT(getrlimit(RLIMIT_NOFILE, &rl), SyscallSucceeds());
  EXPECT_THAT(fcntl(a.get(), F_DUPFD, static_cast<int>(rl.rlim_cur)), SyscallFailsWithErrno(EINVAL));
}

TEST(Fcntl, BadFdIsEBADF) { EXPECT_THAT(fcntl(-1, F_GETFD), SyscallFailsWithErrno(EBADF)); }

TEST(Fcntl, BadCommandIsEINVAL) {
  FileDescriptor a(open("/dev/null", O_RDONLY));
  EXPECT_THAT(fcntl(a.get(), 0x7fff), SyscallFailsWithErrno(EINVAL));
}

TEST(Fcntl, PathFdAllowsGetfd) {
  FileDescriptor a(open("/dev/null", O_PATH));
  EXPECT_THAT(fcntl(a.get(), F_GETFD), SyscallSucceeds());
  EXPECT_TRUE(fcntl(a.get(), F_GETFL) & O_PATH);
}

TEST(Fcntl, PipeSizeGetAndSet) {
  Pipe p = MakePipe();
  int sz = fcntl(p.w.get(), F_GETPIPE_SZ);
  ASSERT_THAT(sz, SyscallSucceeds());
  EXPECT_GE(sz, 4096);
  ASSERT_THAT(fcntl(p.w.get(), F_SETPIPE_SZ, 1 << 16), SyscallSucceeds());
  EXPECT_THAT(fcntl(p.r.get(), F_GETPIPE_SZ), SyscallSucceedsWithValue(1 << 16));
}

TEST(Fcntl, PipeSizeOnFileIsEBADF) {
  FileDescriptor a(open("/dev/null", O_RDONLY));
  EXPECT_THAT(fcntl(a.get(), F_GETPIPE_SZ), SyscallFailsWithErrno(EBADF));
}

TEST(Fcntl, NonblockMakesEmptyPipeReadEAGAIN) {
  Pipe p = MakePipe();
  ASSERT_THAT(fcntl(p.r.get(), F_SETFL, O_NONBLOCK), SyscallSucceeds());
  char c;
  EXPECT_THAT(read(p.r.get(), &c, 1), SyscallFailsWithErrno(EAGAIN));
}

TEST(Fcntl, GetownDefaultsToZero) {
  Pipe p = MakePipe();
  EXPECT_THAT(fcntl(p.r.get(), F_GETOWN), SyscallSucceedsWithValue(0));
}

}  // namespace
}  // namespace conformance
