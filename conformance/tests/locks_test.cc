// flock(2) and fcntl(2) record locks (F_SETLK, F_SETLKW, F_GETLK, OFD locks).
// syscalls: flock fcntl
// syscalls(Flock): flock
#include <sys/file.h>

#include "util/test_util.h"

namespace conformance {
namespace {

class Locks : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.Join("lockfile");
    ASSERT_TRUE(WriteFile(path_, std::string(100, 'x')));
  }
  FileDescriptor OpenRw() { return FileDescriptor(open(path_.c_str(), O_RDWR)); }
  TempDir dir_;
  std::string path_;
};

using Flock = Locks;
using RecordLock = Locks;

// In a child, tries flock(op | LOCK_NB) on a fresh open of `path`; returns
// 0 on success, else the errno.
int ChildFlock(const std::string& path, int op) {
  Pipe p = MakePipe();
  int status = RunInChild([&] {
    int fd = open(path.c_str(), O_RDWR);
    int r = flock(fd, op | LOCK_NB);
    int e = r == 0 ? 0 : errno;
    write(p.w.get(), &e, sizeof e);
  });
  if (!ExitedWith(status, 0)) return -1;
  int e = -1;
  read(p.r.get(), &e, sizeof e);
  return e;
}

TEST_F(Flock, ExclusiveBlocksOthers) {
  FileDescriptor fd = OpenRw();
  ASSERT_THAT(flock(fd.get(), LOCK_EX), SyscallSucceeds());
  EXPECT_EQ(ChildFlock(path_, LOCK_EX), EWOULDBLOCK);
  EXPECT_EQ(ChildFlock(path_, LOCK_SH), EWOULDBLOCK);
}

TEST_F(Flock, SharedAllowsShared) {
  FileDescriptor fd = OpenRw();
  ASSERT_THAT(flock(fd.get(), LOCK_SH), SyscallSucceeds());
  EXPECT_EQ(ChildFlock(path_, LOCK_SH), 0);
  EXPECT_EQ(ChildFlock(path_, LOCK_EX), EWOULDBLOCK);
}

TEST_F(Flock, UnlockReleases) {
  FileDescriptor fd = OpenRw();
  ASSERT_THAT(flock(fd.get(), LOCK_EX), SyscallSucceeds());
  ASSERT_THAT(flock(fd.get(), LOCK_UN), SyscallSucceeds());
  EXPECT_EQ(ChildFlock(path_, LOCK_EX), 0);
}

TEST_F(Flock, CloseReleases) {
  FileDescriptor fd = OpenRw();
  ASSERT_THAT(flock(fd.get(), LOCK_EX), SyscallSucceeds());
  fd.reset();
  EXPECT_EQ(ChildFlock(path_, LOCK_EX), 0);
}

TEST_F(Flock, InvalidOperationIsEINVAL) {
  FileDescriptor fd = OpenRw();
  EXPECT_THAT(flock(fd.get(), 0), SyscallFailsWithErrno(EINVAL));
}

TEST_F(Flock, BadFdIsEBADF) { EXPECT_THAT(flock(-1, LOCK_SH), SyscallFailsWithErrno(EBADF)); }

TEST_F(Flock, SharedWithForkedChildDescription) {
  // The lock belongs to the open file description, which fork shares.
  FileDescriptor fd = OpenRw();
  ASSERT_THAT(flock(fd.get(), LOCK_EX), SyscallSucceeds());
  int status = RunInChild([&] { CHILD_CHECK(flock(fd.get(), LOCK_EX | LOCK_NB) == 0); });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

int ChildSetlk(const std::string& path, short type, off_t start, off_t len) {
  Pipe p = MakePipe();
  int status = RunInChild([&] {
    int fd = open(path.c_str(), O_RDWR);
    struct flock fl = {};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = start;
    fl.l_len = len;
    int r = fcntl(fd, F_SETLK, &fl);
    int e = r == 0 ? 0 : errno;
    write(p.w.get(), &e, sizeof e);
  });
  if (!ExitedWith(status, 0)) return -1;
  int e = -1;
  read(p.r.get(), &e, sizeof e);
  return e;
}

TEST_F(RecordLock, WriteLockConflicts) {
  FileDescriptor fd = OpenRw();
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 10;
  ASSERT_THAT(fcntl(fd.get(), F_SETLK, &fl), SyscallSucceeds());
  int e = ChildSetlk(path_, F_WRLCK, 5, 10);
  EXPECT_TRUE(e == EAGAIN || e == EACCES) << e;
  EXPECT_EQ(ChildSetlk(path_, F_WRLCK, 10, 10), 0);
}

TEST_F(RecordLock, ReadLocksShare) {
  FileDescriptor fd = OpenRw();
  struct flock fl = {};
  fl.l_type = F_RDLCK;
  fl.l_whence = SEEK_SET;
  fl.l_len = 0;
  ASSERT_THAT(fcntl(fd.get(), F_SETLK, &fl), SyscallSucceeds());
  EXPECT_EQ(ChildSetlk(path_, F_RDLCK, 0, 0), 0);
}

TEST_F(RecordLock, GetlkReportsHolder) {
  FileDescriptor fd = OpenRw();
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 20;
  fl.l_len = 5;
  ASSERT_THAT(fcntl(fd.get(), F_SETLK, &fl), SyscallSucceeds());
  Pipe p = MakePipe();
  int status = RunInChild([&] {
    int cfd = open(path_.c_str(), O_RDWR);
    struct flock q = {};
    q.l_type = F_WRLCK;
    q.l_whence = SEEK_SET;
    q.l_start = 0;
    q.l_len = 0;
    CHILD_CHECK(fcntl(cfd, F_GETLK, &q) == 0);
    write(p.w.get(), &q, sizeof q);
  });
  ASSERT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
  struct flock got = {};
  ASSERT_THAT(read(p.r.get(), &got, sizeof got), SyscallSucceedsWithValue(sizeof got));
  EXPECT_EQ(got.l_type, F_WRLCK);
  EXPECT_EQ(got.l_pid, getpid());
  EXPECT_EQ(got.l_start, 20);
  EXPECT_EQ(got.l_len, 5);
}

TEST_F(RecordLock, WriteLockOnReadOnlyFdIsEBADF) {
  FileDescriptor fd(open(path_.c_str(), O_RDONLY));
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  EXPECT_THAT(fcntl(fd.get(), F_SETLK, &fl), SyscallFailsWithErrno(EBADF));
}

TEST_F(RecordLock, CloseAnyFdReleasesProcessLocks) {
  FileDescriptor fd = OpenRw();
  FileDescriptor other = OpenRw();
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  ASSERT_THAT(fcntl(fd.get(), F_SETLK, &fl), SyscallSucceeds());
  other.reset();  // POSIX: closing any fd for the file drops our locks.
  EXPECT_EQ(ChildSetlk(path_, F_WRLCK, 0, 0), 0);
}

TEST_F(RecordLock, OfdLockConflictsWithinProcess) {
  FileDescriptor a = OpenRw();
  FileDescriptor b = OpenRw();
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  ASSERT_THAT(fcntl(a.get(), F_OFD_SETLK, &fl), SyscallSucceeds());
  fl.l_type = F_WRLCK;
  EXPECT_THAT(fcntl(b.get(), F_OFD_SETLK, &fl), SyscallFailsWithErrno(EAGAIN));
}

TEST_F(RecordLock, SetlkwWaitsForRelease) {
  FileDescriptor fd = OpenRw();
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  ASSERT_THAT(fcntl(fd.get(), F_SETLK, &fl), SyscallSucceeds());
  Pipe done = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    int cfd = open(path_.c_str(), O_RDWR);
    struct flock w = {};
    w.l_type = F_WRLCK;
    w.l_whence = SEEK_SET;
    int r = fcntl(cfd, F_SETLKW, &w);
    write(done.w.get(), r == 0 ? "y" : "n", 1);
    _exit(0);
  }
  WaitUntilSleeping(pid);
  fl.l_type = F_UNLCK;
  ASSERT_THAT(fcntl(fd.get(), F_SETLK, &fl), SyscallSucceeds());
  char c = 0;
  EXPECT_THAT(read(done.r.get(), &c, 1), SyscallSucceedsWithValue(1));
  EXPECT_EQ(c, 'y');
  WaitStatus(pid);
}

}  // namespace
}  // namespace conformance
