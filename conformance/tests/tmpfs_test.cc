// tmpfs behaviour (on /dev/shm, a tmpfs both natively and in a container):
// statfs(2) magic, sparse files, sticky directory, link counts, mknod of FIFOs.
// syscalls: statfs fstatfs mknod mknodat
// syscalls(Statfs): statfs fstatfs
// syscalls(Mknod): mknod mknodat
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "util/test_util.h"

namespace conformance {
namespace {

class Tmpfs : public ::testing::Test {
 protected:
  Tmpfs() : dir_("/dev/shm") {}
  TempDir dir_;
};

using Statfs = Tmpfs;
using Mknod = Tmpfs;

TEST_F(Statfs, DevShmIsTmpfs) {
  struct statfs sf;
  ASSERT_THAT(statfs(dir_.path().c_str(), &sf), SyscallSucceeds());
  EXPECT_EQ(sf.f_type, TMPFS_MAGIC);
  EXPECT_GT(sf.f_bsize, 0);
  EXPECT_GT(sf.f_namelen, 0);
}

TEST_F(Statfs, FstatfsMatches) {
  ASSERT_TRUE(WriteFile(dir_.Join("f"), ""));
  FileDescriptor fd(open(dir_.Join("f").c_str(), O_RDONLY));
  struct statfs a, b;
  ASSERT_THAT(fstatfs(fd.get(), &a), SyscallSucceeds());
  ASSERT_THAT(statfs(dir_.path().c_str(), &b), SyscallSucceeds());
  EXPECT_EQ(a.f_type, b.f_type);
  EXPECT_EQ(a.f_bsize, b.f_bsize);
}

TEST_F(Statfs, ProcIsProcfs) {
  struct statfs sf;
  ASSERT_THAT(statfs("/proc", &sf), SyscallSucceeds());
  EXPECT_EQ(sf.f_type, PROC_SUPER_MAGIC);
}

TEST_F(Statfs, MissingIsENOENT) {
  struct statfs sf;
  EXPECT_THAT(statfs(dir_.Join("nope").c_str(), &sf), SyscallFailsWithErrno(ENOENT));
}

TEST_F(Statfs, BadFdIsEBADF) {
  struct statfs sf;
  EXPECT_THAT(fstatfs(-1, &sf), SyscallFailsWithErrno(EBADF));
}

TEST_F(Statfs, FreeBlocksShrinkWhenWriting) {
  struct statfs before, after;
  ASSERT_THAT(statfs(dir_.path().c_str(), &before), SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir_.Join("big"), std::string(8 << 20, 'x')));
  ASSERT_THAT(statfs(dir_.path().c_str(), &after), SyscallSucceeds());
  EXPECT_LT(after.f_bfree, before.f_bfree);
}

TEST_F(Tmpfs, SparseFileUsesNoBlocks) {
  FileDescriptor fd(open(dir_.Join("sparse").c_str(), O_CREAT | O_RDWR, 0644));
  ASSERT_THAT(ftruncate(fd.get(), 64 << 20), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 64 << 20);
  EXPECT_LT(st.st_blocks, 64);
}

TEST_F(Tmpfs, BlocksCountWrittenData) {
  std::string data(1 << 20, 'd');
  ASSERT_TRUE(WriteFile(dir_.Join("f"), data));
  struct stat st;
  ASSERT_THAT(stat(dir_.Join("f").c_str(), &st), SyscallSucceeds());
  EXPECT_GE(st.st_blocks * 512, 1 << 20);
}

TEST_F(Tmpfs, DirectorySizeAndLinks) {
  ASSERT_THAT(mkdir(dir_.Join("d").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(mkdir(dir_.Join("d/a").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(mkdir(dir_.Join("d/b").c_str(), 0755), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(dir_.Join("d").c_str(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_nlink, 4u);
}

TEST_F(Tmpfs, TimesSetOnCreate) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  ASSERT_TRUE(WriteFile(dir_.Join("f"), "x"));
  struct stat st;
  ASSERT_THAT(stat(dir_.Join("f").c_str(), &st), SyscallSucceeds());
  EXPECT_GE(st.st_mtim.tv_sec, now.tv_sec - 1);
  EXPECT_GE(st.st_ctim.tv_sec, now.tv_sec - 1);
}

TEST_F(Tmpfs, CreateUpdatesParentMtime) {
  struct timespec old[2] = {{10, 0}, {10, 0}};
  ASSERT_THAT(utimensat(AT_FDCWD, dir_.path().c_str(), old, 0), SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir_.Join("f"), "x"));
  struct stat st;
  ASSERT_THAT(stat(dir_.path().c_str(), &st), SyscallSucceeds());
  EXPECT_GT(st.st_mtim.tv_sec, 10);
}

TEST_F(Tmpfs, ReadAtOffsetInHoleIsZero) {
  FileDescriptor fd(open(dir_.Join("h").c_str(), O_CREAT | O_RDWR, 0644));
  ASSERT_THAT(pwrite(fd.get(), "end", 3, 100000), SyscallSucceedsWithValue(3));
  char buf[4] = {1, 1, 1, 1};
  ASSERT_THAT(pread(fd.get(), buf, 4, 50000), SyscallSucceedsWithValue(4));
  EXPECT_EQ(buf[0], 0);
  EXPECT_THAT(lseek(fd.get(), 0, SEEK_DATA), SyscallSucceedsWithValue(98304));
}

TEST_F(Mknod, FifoViaMknod) {
  ASSERT_THAT(mknod(dir_.Join("fifo").c_str(), S_IFIFO | 0600, 0), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(dir_.Join("fifo").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST_F(Mknod, FifoRoundTrip) {
  ASSERT_THAT(mkfifo(dir_.Join("fifo").c_str(), 0600), SyscallSucceeds());
  FileDescriptor r(open(dir_.Join("fifo").c_str(), O_RDONLY | O_NONBLOCK));
  ASSERT_TRUE(r.valid());
  FileDescriptor w(open(dir_.Join("fifo").c_str(), O_WRONLY | O_NONBLOCK));
  ASSERT_TRUE(w.valid());
  ASSERT_THAT(write(w.get(), "ff", 2), SyscallSucceedsWithValue(2));
  char buf[2];
  EXPECT_THAT(read(r.get(), buf, 2), SyscallSucceedsWithValue(2));
}

TEST_F(Mknod, FifoWriteOpenWithoutReaderIsENXIO) {
  ASSERT_THAT(mkfifo(dir_.Join("fifo").c_str(), 0600), SyscallSucceeds());
  EXPECT_THAT(open(dir_.Join("fifo").c_str(), O_WRONLY | O_NONBLOCK), SyscallFailsWithErrno(ENXIO));
}

TEST_F(Mknod, RegularFileViaMknod) {
  ASSERT_THAT(mknodat(AT_FDCWD, dir_.Join("reg").c_str(), S_IFREG | 0640, 0), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(dir_.Join("reg").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_size, 0);
}

TEST_F(Mknod, CharDeviceNodeRecordsRdev) {
  ASSERT_THAT(mknod(dir_.Join("null2").c_str(), S_IFCHR | 0666, makedev(1, 3)), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(dir_.Join("null2").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
}

TEST_F(Mknod, ExistingIsEEXIST) {
  ASSERT_TRUE(WriteFile(dir_.Join("f"), ""));
  EXPECT_THAT(mknod(dir_.Join("f").c_str(), S_IFIFO | 0600, 0), SyscallFailsWithErrno(EEXIST));
}

TEST_F(Mknod, BadTypeIsEINVAL) {
  EXPECT_THAT(mknod(dir_.Join("x").c_str(), 0170000 | 0600, 0), SyscallFailsWithErrno(EINVAL));
}

TEST_F(Mknod, DeviceWithoutCapabilityIsEPERM) {
  std::string p = dir_.Join("dev");
  ASSERT_THAT(chmod(dir_.path().c_str(), 0777), SyscallSucceeds());
  int status = RunInChild([&] {
    CHILD_CHECK(setuid(1000) == 0);
    CHILD_CHECK(mknod(p.c_str(), S_IFCHR | 0600, makedev(1, 3)) == -1 && errno == EPERM);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

}  // namespace
}  // namespace conformance
