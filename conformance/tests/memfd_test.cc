// memfd_create(2), fallocate(2), and POSIX shared memory on /dev/shm.
// syscalls: memfd_create
// syscalls(Fallocate): fallocate
// syscalls(ShmOpen): openat unlink mmap
#include <linux/falloc.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(Memfd, CreateWriteRead) {
  FileDescriptor fd(memfd_create("conf", MFD_CLOEXEC));
  ASSERT_TRUE(fd.valid()) << strerror(errno);
  ASSERT_THAT(write(fd.get(), "memfd", 5), SyscallSucceedsWithValue(5));
  char buf[5];
  ASSERT_THAT(pread(fd.get(), buf, 5, 0), SyscallSucceedsWithValue(5));
  EXPECT_EQ(std::string(buf, 5), "memfd");
}

TEST(Memfd, ProcLinkNamesMemfd) {
  FileDescriptor fd(memfd_create("conf-name", 0));
  ASSERT_TRUE(fd.valid());
  char buf[128];
  ssize_t n = readlink(("/proc/self/fd/" + std::to_string(fd.get())).c_str(), buf, sizeof buf);
  ASSERT_THAT(n, SyscallSucceeds());
  EXPECT_EQ(std::string(buf, n), "/memfd:conf-name (deleted)");
}

TEST(Memfd, SharedMappingAcrossFork) {
  FileDescriptor fd(memfd_create("conf", 0));
  ASSERT_TRUE(fd.valid());
  ASSERT_THAT(ftruncate(fd.get(), 4096), SyscallSucceeds());
  int* p = static_cast<int*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0));
  ASSERT_NE(p, MAP_FAILED);
  int status = RunInChild([p] { p[0] = 1234; });
  ASSERT_TRUE(ExitedWith(status, 0));
  EXPECT_EQ(p[0], 1234);
  int v = 0;
  ASSERT_THAT(pread(fd.get(), &v, sizeof v, 0), SyscallSucceedsWithValue(sizeof v));
  EXPECT_EQ(v, 1234);
  munmap(p, 4096);
}

TEST(Memfd, SealsPreventWrite) {
  FileDescriptor fd(memfd_create("conf", MFD_ALLOW_SEALING));
  ASSERT_TRUE(fd.valid());
  ASSERT_THAT(write(fd.get(), "x", 1), SyscallSucceeds());
  ASSERT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_WRITE), SyscallSucceeds());
  EXPECT_THAT(write(fd.get(), "y", 1), SyscallFailsWithErrno(EPERM));
  EXPECT_THAT(fcntl(fd.get(), F_GET_SEALS), SyscallSucceedsWithValue(F_SEAL_WRITE));
}

TEST(Memfd, WithoutSealingFlagSealsAreLocked) {
  FileDescriptor fd(memfd_create("conf", 0));
  ASSERT_TRUE(fd.valid());
  EXPECT_THAT(fcntl(fd.get(), F_GET_SEALS), SyscallSucceedsWithValue(F_SEAL_SEAL));
  EXPECT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_WRITE), SyscallFailsWithErrno(EPERM));
}

TEST(Memfd, LongNameIsEINVAL) {
  std::string name(300, 'n');
  EXPECT_THAT(memfd_create(name.c_str(), 0), SyscallFailsWithErrno(EINVAL));
}

TEST(Memfd, BadFlagsIsEINVAL) {
  EXPECT_THAT(memfd_create("x", 0x100000), SyscallFailsWithErrno(EINVAL));
}

TEST(Fallocate, ExtendsFile) {
  TempDir dir;
  FileDescriptor fd(open(dir.Join("f").c_str(), O_CREAT | O_RDWR, 0644));
  ASSERT_THAT(fallocate(fd.get(), 0, 0, 65536), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 65536);
}

TEST(Fallocate, KeepSizeDoesNotExtend) {
  TempDir dir;
  FileDescriptor fd(open(dir.Join("f").c_str(), O_CREAT | O_RDWR, 0644));
  ASSERT_THAT(fallocate(fd.get(), FALLOC_FL_KEEP_SIZE, 0, 65536), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 0);
}

TEST(Fallocate, ReadOnlyFdIsEBADF) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  EXPECT_THAT(fallocate(fd.get(), 0, 0, 4096), SyscallFailsWithErrno(EBADF));
}

TEST(Fallocate, ZeroLengthIsEINVAL) {
  TempDir dir;
  FileDescriptor fd(open(dir.Join("f").c_str(), O_CREAT | O_RDWR, 0644));
  EXPECT_THAT(fallocate(fd.get(), 0, 0, 0), SyscallFailsWithErrno(EINVAL));
}

TEST(ShmOpen, CreateMapAndUnlink) {
  std::string name = "/conformance-shm-" + std::to_string(getpid());
  FileDescriptor fd(shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600));
  ASSERT_TRUE(fd.valid()) << strerror(errno);
  ASSERT_THAT(ftruncate(fd.get(), 4096), SyscallSucceeds());
  char* p = static_cast<char*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0));
  ASSERT_NE(p, MAP_FAILED);
  strcpy(p, "shm");
  FileDescriptor again(shm_open(name.c_str(), O_RDONLY, 0));
  ASSERT_TRUE(again.valid());
  char buf[4];
  ASSERT_THAT(pread(again.get(), buf, 4, 0), SyscallSucceedsWithValue(4));
  EXPECT_STREQ(buf, "shm");
  munmap(p, 4096);
  EXPECT_THAT(shm_unlink(name.c_str()), SyscallSucceeds());
  EXPECT_THAT(shm_open(name.c_str(), O_RDONLY, 0), SyscallFailsWithErrno(ENOENT));
}

}  // namespace
}  // namespace conformance
