// lseek(2).
// syscalls: lseek
#include <fcntl.h>
#include <sys/stat.h>

#include "util/test_util.h"

namespace conformance {
namespace {

class Lseek : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(WriteFile(dir_.Join("f"), "0123456789"));
    fd_ = FileDescriptor(open(dir_.Join("f").c_str(), O_RDWR));
    ASSERT_TRUE(fd_.valid());
  }
  TempDir dir_;
  FileDescriptor fd_;
};

TEST_F(Lseek, SeekSet) {
  EXPECT_THAT(lseek(fd_.get(), 4, SEEK_SET), SyscallSucceedsWithValue(4));
  char c;
  ASSERT_THAT(read(fd_.get(), &c, 1), SyscallSucceedsWithValue(1));
  EXPECT_EQ(c, '4');
}

TEST_F(Lseek, SeekCurIsRelative) {
  ASSERT_THAT(lseek(fd_.get(), 3, SEEK_SET), SyscallSucceeds());
  EXPECT_THAT(lseek(fd_.get(), 2, SEEK_CUR), SyscallSucceedsWithValue(5));
  EXPECT_THAT(lseek(fd_.get(), -4, SEEK_CUR), SyscallSucceedsWithValue(1));
}

TEST_F(Lseek, SeekEndIsFromSize) {
  EXPECT_THAT(lseek(fd_.get(), 0, SEEK_END), SyscallSucceedsWithValue(10));
  EXPECT_THAT(lseek(fd_.get(), -3, SEEK_END), SyscallSucceedsWithValue(7));
}

TEST_F(Lseek, PastEndIsAllowed) {
  EXPECT_THAT(lseek(fd_.get(), 100, SEEK_SET), SyscallSucceedsWithValue(100));
  char c;
  EXPECT_THAT(read(fd_.get(), &c, 1), SyscallSucceedsWithValue(0));
}

TEST_F(Lseek, NegativeResultIsEINVAL) {
  EXPECT_THAT(lseek(fd_.get(), -1, SEEK_SET), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(lseek(fd_.get(), -11, SEEK_END), SyscallFailsWithErrno(EINVAL));
}

TEST_F(Lseek, FailedSeekKeepsOffset) {
  ASSERT_THAT(lseek(fd_.get(), 6, SEEK_SET), SyscallSucceeds());
  ASSERT_THAT(lseek(fd_.get(), -100, SEEK_CUR), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(lseek(fd_.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(6));
}

TEST_F(Lseek, BadWhenceIsEINVAL) {
  EXPECT_THAT(lseek(fd_.get(), 0, 42), SyscallFailsWithErrno(EINVAL));
}

TEST_F(Lseek, BadFdIsEBADF) { EXPECT_THAT(lseek(-1, 0, SEEK_SET), SyscallFailsWithErrno(EBADF)); }

TEST_F(Lseek, PipeIsESPIPE) {
  Pipe p = MakePipe();
  EXPECT_THAT(lseek(p.r.get(), 0, SEEK_SET), SyscallFailsWithErrno(ESPIPE));
  EXPECT_THAT(lseek(p.w.get(), 0, SEEK_CUR), SyscallFailsWithErrno(ESPIPE));
}

TEST_F(Lseek, SeekDataAtStart) {
  EXPECT_THAT(lseek(fd_.get(), 0, SEEK_DATA), SyscallSucceedsWithValue(0));
}

TEST_F(Lseek, SeekHoleAtEndOfDenseFile) {
  EXPECT_THAT(lseek(fd_.get(), 0, SEEK_HOLE), SyscallSucceedsWithValue(10));
}

TEST_F(Lseek, SeekDataPastEndIsENXIO) {
  EXPECT_THAT(lseek(fd_.get(), 10, SEEK_DATA), SyscallFailsWithErrno(ENXIO));
  EXPECT_THAT(lseek(fd_.get(), 11, SEEK_HOLE), SyscallFailsWithErrno(ENXIO));
}

TEST_F(Lseek, DirectoryRewindSucceeds) {
  FileDescriptor d(open(dir_.path().c_str(), O_RDONLY | O_DIRECTORY));
  EXPECT_THAT(lseek(d.get(), 0, SEEK_SET), SyscallSucceedsWithValue(0));
}

TEST_F(Lseek, WriteAfterSeekPastEndGrowsFile) {
  ASSERT_THAT(lseek(fd_.get(), 20, SEEK_SET), SyscallSucceeds());
  ASSERT_THAT(write(fd_.get(), "x", 1), SyscallSucceedsWithValue(1));
  struct stat st;
  ASSERT_THAT(fstat(fd_.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 21);
}

TEST_F(Lseek, OffsetSharedWithDup) {
  FileDescriptor d(dup(fd_.get()));
  ASSERT_THAT(lseek(fd_.get(), 7, SEEK_SET), SyscallSucceeds());
  EXPECT_THAT(lseek(d.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(7));
}

TEST_F(Lseek, LargeOffset) {
  off_t big = off_t{1} << 40;
  EXPECT_THAT(lseek(fd_.get(), big, SEEK_SET), SyscallSucceedsWithValue(big));
}

}  // namespace
}  // namespace conformance
