// sendfile(2), splice(2), tee(2), vmsplice(2), copy_file_range(2).
// syscalls: sendfile
// syscalls(Splice): splice tee vmsplice
// syscalls(CopyFileRange): copy_file_range
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "util/test_util.h"

namespace conformance {
namespace {

class Sendfile : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = dir_.Join("src");
    ASSERT_TRUE(WriteFile(src_, "0123456789"));
  }
  TempDir dir_;
  std::string src_;
};

using Splice = Sendfile;
using CopyFileRange = Sendfile;

TEST_F(Sendfile, FileToFile) {
  FileDescriptor in(open(src_.c_str(), O_RDONLY));
  FileDescriptor out(open(dir_.Join("dst").c_str(), O_CREAT | O_WRONLY, 0644));
  ASSERT_THAT(sendfile(out.get(), in.get(), nullptr, 10), SyscallSucceedsWithValue(10));
  std::string s;
  ASSERT_TRUE(ReadFile(dir_.Join("dst"), &s));
  EXPECT_EQ(s, "0123456789");
  EXPECT_THAT(lseek(in.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(10));
}

TEST_F(Sendfile, OffsetPointerLeavesFileOffset) {
  FileDescriptor in(open(src_.c_str(), O_RDONLY));
  Pipe p = MakePipe();
  off_t off = 4;
  ASSERT_THAT(sendfile(p.w.get(), in.get(), &off, 3), SyscallSucceedsWithValue(3));
  EXPECT_EQ(off, 7);
  EXPECT_THAT(lseek(in.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(0));
  char buf[3];
  ASSERT_THAT(read(p.r.get(), buf, 3), SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(buf, 3), "456");
}

TEST_F(Sendfile, AtEofReturnsZero) {
  FileDescriptor in(open(src_.c_str(), O_RDONLY));
  Pipe p = MakePipe();
  off_t off = 10;
  EXPECT_THAT(sendfile(p.w.get(), in.get(), &off, 5), SyscallSucceedsWithValue(0));
}

TEST_F(Sendfile, WriteOnlyInputIsEBADF) {
  FileDescriptor in(open(src_.c_str(), O_WRONLY));
  Pipe p = MakePipe();
  EXPECT_THAT(sendfile(p.w.get(), in.get(), nullptr, 5), SyscallFailsWithErrno(EBADF));
}

TEST_F(Splice, FileToPipe) {
  FileDescriptor in(open(src_.c_str(), O_RDONLY));
  Pipe p = MakePipe();
  loff_t off = 2;
  ASSERT_THAT(splice(in.get(), &off, p.w.get(), nullptr, 4, 0), SyscallSucceedsWithValue(4));
  char buf[4];
  ASSERT_THAT(read(p.r.get(), buf, 4), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buf, 4), "2345");
}

TEST_F(Splice, PipeToFile) {
  Pipe p = MakePipe();
  write(p.w.get(), "spliced", 7);
  FileDescriptor out(open(dir_.Join("dst").c_str(), O_CREAT | O_WRONLY, 0644));
  ASSERT_THAT(splice(p.r.get(), nullptr, out.get(), nullptr, 7, 0), SyscallSucceedsWithValue(7));
  std::string s;
  ASSERT_TRUE(ReadFile(dir_.Join("dst"), &s));
  EXPECT_EQ(s, "spliced");
}

TEST_F(Splice, NeitherEndPipeIsEINVAL) {
  FileDescriptor in(open(src_.c_str(), O_RDONLY));
  FileDescriptor out(open(dir_.Join("dst").c_str(), O_CREAT | O_WRONLY, 0644));
  EXPECT_THAT(splice(in.get(), nullptr, out.get(), nullptr, 4, 0), SyscallFailsWithErrno(EINVAL));
}

TEST_F(Splice, OffsetOnPipeIsESPIPE) {
  Pipe a = MakePipe(), b = MakePipe();
  write(a.w.get(), "x", 1);
  loff_t off = 0;
  EXPECT_THAT(splice(a.r.get(), &off, b.w.get(), nullptr, 1, 0), SyscallFailsWithErrno(ESPIPE));
}

TEST_F(Splice, TeeDuplicatesPipeData) {
  Pipe a = MakePipe(), b = MakePipe();
  write(a.w.get(), "tee", 3);
  ASSERT_THAT(tee(a.r.get(), b.w.get(), 3, 0), SyscallSucceedsWithValue(3));
  char buf[3];
  ASSERT_THAT(read(b.r.get(), buf, 3), SyscallSucceedsWithValue(3));
  ASSERT_THAT(read(a.r.get(), buf, 3), SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(buf, 3), "tee");
}

TEST_F(Splice, VmspliceIntoPipe) {
  Pipe p = MakePipe();
  char data[] = "vm";
  struct iovec iov = {data, 2};
  ASSERT_THAT(vmsplice(p.w.get(), &iov, 1, 0), SyscallSucceedsWithValue(2));
  char buf[2];
  ASSERT_THAT(read(p.r.get(), buf, 2), SyscallSucceedsWithValue(2));
  EXPECT_EQ(std::string(buf, 2), "vm");
}

TEST_F(CopyFileRange, CopiesBytes) {
  FileDescriptor in(open(src_.c_str(), O_RDONLY));
  FileDescriptor out(open(dir_.Join("dst").c_str(), O_CREAT | O_WRONLY, 0644));
  loff_t off_in = 3, off_out = 0;
  ASSERT_THAT(copy_file_range(in.get(), &off_in, out.get(), &off_out, 5, 0), SyscallSucceedsWithValue(5));
  EXPECT_EQ(off_in, 8);
  EXPECT_EQ(off_out, 5);
  std::string s;
  ASSERT_TRUE(ReadFile(dir_.Join("dst"), &s));
  EXPECT_EQ(s, "34567");
}

TEST_F(CopyFileRange, UsesFileOffsetsWhenNull) {
  FileDescriptor in(open(src_.c_str(), O_RDONLY));
  FileDescriptor out(open(dir_.Join("dst").c_str(), O_CREAT | O_WRONLY, 0644));
  ASSERT_THAT(copy_file_range(in.get(), nullptr, out.get(), nullptr, 4, 0), SyscallSucceedsWithValue(4));
  EXPECT_THAT(lseek(in.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(4));
  EXPECT_THAT(lseek(out.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(4));
}

TEST_F(CopyFileRange, NonzeroFlagsIsEINVAL) {
  FileDescriptor in(open(src_.c_str(), O_RDONLY));
  FileDescriptor out(open(dir_.Join("dst").c_str(), O_CREAT | O_WRONLY, 0644));
  EXPECT_THAT(copy_file_range(in.get(), nullptr, out.get(), nullptr, 4, 1), SyscallFailsWithErrno(EINVAL));
}

TEST_F(CopyFileRange, PastEndCopiesNothing) {
  FileDescriptor in(open(src_.c_str(), O_RDONLY));
  FileDescriptor out(open(dir_.Join("dst").c_str(), O_CREAT | O_WRONLY, 0644));
  loff_t off = 100;
  EXPECT_THAT(copy_file_range(in.get(), &off, out.get(), nullptr, 4, 0), SyscallSucceedsWithValue(0));
}

}  // namespace
}  // namespace conformance
