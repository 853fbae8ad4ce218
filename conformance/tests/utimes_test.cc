// utimensat(2), utimes(2), utime(2), futimesat(2).
// syscalls: utimensat
// syscalls(Utimes): utimes
// syscalls(Utime): utime
// syscalls(Futimesat): futimesat
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <utime.h>

#include "util/test_util.h"

namespace conformance {
namespace {

struct stat StatOf(const std::string& p, bool follow = true) {
  struct stat st {};
  if (follow)
    stat(p.c_str(), &st);
  else
    lstat(p.c_str(), &st);
  return st;
}

class Utimensat : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.Join("f");
    ASSERT_TRUE(WriteFile(path_, "x"));
  }
  TempDir dir_;
  std::string path_;
};

using Utimes = Utimensat;
using Utime = Utimensat;
using Futimesat = Utimensat;

TEST_F(Utimensat, SetsBothTimes) {
  struct timespec ts[2] = {{1000, 111}, {2000, 222}};
  ASSERT_THAT(utimensat(AT_FDCWD, path_.c_str(), ts, 0), SyscallSucceeds());
  struct stat st = StatOf(path_);
  EXPECT_EQ(st.st_atim.tv_sec, 1000);
  EXPECT_EQ(st.st_mtim.tv_sec, 2000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 222);
}

TEST_F(Utimensat, NullSetsNow) {
  struct timespec ts[2] = {{1, 0}, {1, 0}};
  ASSERT_THAT(utimensat(AT_FDCWD, path_.c_str(), ts, 0), SyscallSucceeds());
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  ASSERT_THAT(utimensat(AT_FDCWD, path_.c_str(), nullptr, 0), SyscallSucceeds());
  struct stat st = StatOf(path_);
  EXPECT_GE(st.st_mtim.tv_sec, now.tv_sec - 1);
  EXPECT_GE(st.st_atim.tv_sec, now.tv_sec - 1);
}

TEST_F(Utimensat, OmitLeavesTimeAlone) {
  struct timespec ts[2] = {{500, 0}, {600, 0}};
  ASSERT_THAT(utimensat(AT_FDCWD, path_.c_str(), ts, 0), SyscallSucceeds());
  struct timespec ts2[2] = {{0, UTIME_OMIT}, {700, 0}};
  ASSERT_THAT(utimensat(AT_FDCWD, path_.c_str(), ts2, 0), SyscallSucceeds());
  struct stat st = StatOf(path_);
  EXPECT_EQ(st.st_atim.tv_sec, 500);
  EXPECT_EQ(st.st_mtim.tv_sec, 700);
}

TEST_F(Utimensat, NowSetsCurrentTime) {
  struct timespec ts[2] = {{5, 0}, {5, 0}};
  ASSERT_THAT(utimensat(AT_FDCWD, path_.c_str(), ts, 0), SyscallSucceeds());
  struct timespec ts2[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
  ASSERT_THAT(utimensat(AT_FDCWD, path_.c_str(), ts2, 0), SyscallSucceeds());
  struct stat st = StatOf(path_);
  EXPECT_GT(st.st_atim.tv_sec, 5);
  EXPECT_EQ(st.st_mtim.tv_sec, 5);
}

TEST_F(Utimensat, BadNsecIsEINVAL) {
  struct timespec ts[2] = {{0, 1000000000}, {0, 0}};
  EXPECT_THAT(utimensat(AT_FDCWD, path_.c_str(), ts, 0), SyscallFailsWithErrno(EINVAL));
}

TEST_F(Utimensat, ChangesCtime) {
  struct stat before = StatOf(path_);
  struct timespec ts[2] = {{10, 0}, {10, 0}};
  ASSERT_THAT(utimensat(AT_FDCWD, path_.c_str(), ts, 0), SyscallSucceeds());
  struct stat after = StatOf(path_);
  EXPECT_GE(after.st_ctim.tv_sec, before.st_ctim.tv_sec);
  EXPECT_NE(after.st_ctim.tv_sec, 10);
}

TEST_F(Utimensat, NoFollowChangesSymlink) {
  ASSERT_THAT(symlink("f", dir_.Join("l").c_str()), SyscallSucceeds());
  struct timespec ts[2] = {{3000, 0}, {3000, 0}};
  ASSERT_THAT(utimensat(AT_FDCWD, dir_.Join("l").c_str(), ts, AT_SYMLINK_NOFOLLOW),
              SyscallSucceeds());
  EXPECT_EQ(StatOf(dir_.Join("l"), false).st_mtim.tv_sec, 3000);
  EXPECT_NE(StatOf(path_).st_mtim.tv_sec, 3000);
}

TEST_F(Utimensat, OnFdWithNullPath) {
  FileDescriptor fd(open(path_.c_str(), O_RDONLY));
  struct timespec ts[2] = {{4000, 0}, {4001, 0}};
  ASSERT_THAT(syscall(SYS_utimensat, fd.get(), nullptr, ts, 0), SyscallSucceeds());
  EXPECT_EQ(StatOf(path_).st_mtim.tv_sec, 4001);
}

TEST_F(Utimensat, MissingIsENOENT) {
  struct timespec ts[2] = {{1, 0}, {1, 0}};
  EXPECT_THAT(utimensat(AT_FDCWD, dir_.Join("nope").c_str(), ts, 0), SyscallFailsWithErrno(ENOENT));
}

TEST_F(Utimensat, BadFlagIsEINVAL) {
  EXPECT_THAT(utimensat(AT_FDCWD, path_.c_str(), nullptr, 0x4), SyscallFailsWithErrno(EINVAL));
}

TEST_F(Utimensat, NonOwnerExplicitTimesIsEPERM) {
  ASSERT_THAT(chmod(path_.c_str(), 0666), SyscallSucceeds());
  int status = RunInChild([&] {
    CHILD_CHECK(setgid(65534) == 0);
    CHILD_CHECK(setuid(65534) == 0);
    struct timespec ts[2] = {{1, 0}, {1, 0}};
    CHILD_CHECK(utimensat(AT_FDCWD, path_.c_str(), ts, 0) == -1 && errno == EPERM);
    // Setting "now" only needs write permission.
    CHILD_CHECK(utimensat(AT_FDCWD, path_.c_str(), nullptr, 0) == 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST_F(Utimes, SetsMicroseconds) {
  struct timeval tv[2] = {{1234, 5}, {5678, 9}};
  ASSERT_THAT(utimes(path_.c_str(), tv), SyscallSucceeds());
  struct stat st = StatOf(path_);
  EXPECT_EQ(st.st_atim.tv_sec, 1234);
  EXPECT_EQ(st.st_mtim.tv_sec, 5678);
  EXPECT_EQ(st.st_mtim.tv_nsec, 9000);
}

TEST_F(Utimes, BadUsecIsEINVAL) {
  struct timeval tv[2] = {{1, 1000000}, {1, 0}};
  EXPECT_THAT(syscall(SYS_utimes, path_.c_str(), tv), SyscallFailsWithErrno(EINVAL));
}

TEST_F(Utime, SetsSeconds) {
  struct utimbuf ub = {111, 222};
  ASSERT_THAT(syscall(SYS_utime, path_.c_str(), &ub), SyscallSucceeds());
  struct stat st = StatOf(path_);
  EXPECT_EQ(st.st_atim.tv_sec, 111);
  EXPECT_EQ(st.st_mtim.tv_sec, 222);
  EXPECT_EQ(st.st_mtim.tv_nsec, 0);
}

TEST_F(Futimesat, RelativeToDirFd) {
  FileDescriptor d(open(dir_.path().c_str(), O_RDONLY | O_DIRECTORY));
  struct timeval tv[2] = {{77, 0}, {88, 0}};
  ASSERT_THAT(syscall(SYS_futimesat, d.get(), "f", tv), SyscallSucceeds());
  EXPECT_EQ(StatOf(path_).st_mtim.tv_sec, 88);
}

}  // namespace
}  // namespace conformance
