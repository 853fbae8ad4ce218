// madvise(2), mincore(2), msync(2), mlock(2) family.
// syscalls: madvise
// syscalls(Mincore): mincore
// syscalls(Msync): msync
// syscalls(Mlock): mlock munlock mlockall munlockall
#include <sys/mman.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

const size_t kPage = 4096;

char* Map(size_t len, int flags = MAP_PRIVATE | MAP_ANONYMOUS) {
  return static_cast<char*>(mmap(nullptr, len, PROT_READ | PROT_WRITE, flags, -1, 0));
}

TEST(Madvise, DontneedZeroesPrivateAnonymous) {
  char* p = Map(2 * kPage);
  ASSERT_NE(p, MAP_FAILED);
  p[0] = 'x';
  p[kPage] = 'y';
  ASSERT_THAT(madvise(p, kPage, MADV_DONTNEED), SyscallSucceeds());
  EXPECT_EQ(p[0], 0);
  EXPECT_EQ(p[kPage], 'y');
  munmap(p, 2 * kPage);
}

TEST(Madvise, DontneedKeepsSharedAnonymous) {
  char* p = Map(kPage, MAP_SHARED | MAP_ANONYMOUS);
  ASSERT_NE(p, MAP_FAILED);
  p[0] = 's';
  ASSERT_THAT(madvise(p, kPage, MADV_DONTNEED), SyscallSucceeds());
  EXPECT_EQ(p[0], 's');
  munmap(p, kPage);
}

TEST(Madvise, HintsAccepted) {
  char* p = Map(4 * kPage);
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_THAT(madvise(p, 4 * kPage, MADV_NORMAL), SyscallSucceeds());
  EXPECT_THAT(madvise(p, 4 * kPage, MADV_RANDOM), SyscallSucceeds());
  EXPECT_THAT(madvise(p, 4 * kPage, MADV_SEQUENTIAL), SyscallSucceeds());
  EXPECT_THAT(madvise(p, 4 * kPage, MADV_WILLNEED), SyscallSucceeds());
  munmap(p, 4 * kPage);
}

TEST(Madvise, UnalignedIsEINVAL) {
  char* p = Map(kPage);
  EXPECT_THAT(madvise(p + 1, kPage, MADV_NORMAL), SyscallFailsWithErrno(EINVAL));
  munmap(p, kPage);
}

TEST(Madvise, UnknownAdviceIsEINVAL) {
  char* p = Map(kPage);
  EXPECT_THAT(madvise(p, kPage, 12345), SyscallFailsWithErrno(EINVAL));
  munmap(p, kPage);
}

TEST(Madvise, UnmappedIsENOMEM) {
  char* p = Map(kPage);
  munmap(p, kPage);
  EXPECT_THAT(madvise(p, kPage, MADV_NORMAL), SyscallFailsWithErrno(ENOMEM));
}

TEST(Madvise, DontforkHidesMappingFromChild) {
  char* p = Map(kPage);
  ASSERT_NE(p, MAP_FAILED);
  ASSERT_THAT(madvise(p, kPage, MADV_DONTFORK), SyscallSucceeds());
  int status = RunInChild([p] { (void)*static_cast<volatile char*>(p); });
  EXPECT_TRUE(KilledBy(status, SIGSEGV)) << DescribeWaitStatus(status);
  munmap(p, kPage);
}

TEST(Mincore, ReportsResidentPages) {
  char* p = Map(4 * kPage);
  ASSERT_NE(p, MAP_FAILED);
  p[0] = 1;
  p[2 * kPage] = 1;
  unsigned char vec[4];
  ASSERT_THAT(mincore(p, 4 * kPage, vec), SyscallSucceeds());
  EXPECT_TRUE(vec[0] & 1);
  EXPECT_TRUE(vec[2] & 1);
  munmap(p, 4 * kPage);
}

TEST(Mincore, UnalignedIsEINVAL) {
  char* p = Map(kPage);
  unsigned char vec[1];
  EXPECT_THAT(mincore(p + 1, kPage, vec), SyscallFailsWithErrno(EINVAL));
  munmap(p, kPage);
}

TEST(Mincore, UnmappedIsENOMEM) {
  char* p = Map(kPage);
  munmap(p, kPage);
  unsigned char vec[1];
  EXPECT_THAT(mincore(p, kPage, vec), SyscallFailsWithErrno(ENOMEM));
}

TEST(Mincore, BadVectorIsEFAULT) {
  char* p = Map(kPage);
  p[0] = 1;
  EXPECT_THAT(mincore(p, kPage, reinterpret_cast<unsigned char*>(8)), SyscallFailsWithErrno(EFAULT));
  munmap(p, kPage);
}

TEST(Msync, AnonymousSucceeds) {
  char* p = Map(kPage);
  EXPECT_THAT(msync(p, kPage, MS_SYNC), SyscallSucceeds());
  EXPECT_THAT(msync(p, kPage, MS_ASYNC), SyscallSucceeds());
  munmap(p, kPage);
}

TEST(Msync, SyncAndAsyncTogetherIsEINVAL) {
  char* p = Map(kPage);
  EXPECT_THAT(msync(p, kPage, MS_SYNC | MS_ASYNC), SyscallFailsWithErrno(EINVAL));
  munmap(p, kPage);
}

TEST(Msync, UnalignedIsEINVAL) {
  char* p = Map(kPage);
  EXPECT_THAT(msync(p + 1, kPage, MS_SYNC), SyscallFailsWithErrno(EINVAL));
  munmap(p, kPage);
}

TEST(Msync, UnmappedIsENOMEM) {
  char* p = Map(kPage);
  munmap(p, kPage);
  EXPECT_THAT(msync(p, kPage, MS_SYNC), SyscallFailsWithErrno(ENOMEM));
}

TEST(Mlock, LockAndUnlock) {
  char* p = Map(kPage);
  ASSERT_NE(p, MAP_FAILED);
  ASSERT_THAT(mlock(p, kPage), SyscallSucceeds());
  std::string status;
  ASSERT_TRUE(ReadFile("/proc/self/status", &status));
  EXPECT_NE(status.find("VmLck:"), std::string::npos);
  EXPECT_THAT(munlock(p, kPage), SyscallSucceeds());
  munmap(p, kPage);
}

TEST(Mlock, UnmappedIsENOMEM) {
  char* p = Map(kPage);
  munmap(p, kPage);
  EXPECT_THAT(mlock(p, kPage), SyscallFailsWithErrno(ENOMEM));
}

TEST(Mlock, MlockallBadFlagsIsEINVAL) {
  EXPECT_THAT(mlockall(0), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(mlockall(0x100), SyscallFailsWithErrno(EINVAL));
}

TEST(Mlock, MlockallAndMunlockall) {
  int status = RunInChild([] {
    CHILD_CHECK(mlockall(MCL_CURRENT) == 0);
    CHILD_CHECK(munlockall() == 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Mlock, UnprivilegedOverLimitIsENOMEM) {
  int status = RunInChild([] {
    struct rlimit rl = {0, 0};
    CHILD_CHECK(setrlimit(RLIMIT_MEMLOCK, &rl) == 0);
    CHILD_CHECK(setuid(1000) == 0);
    char* p = Map(kPage);
    CHILD_CHECK(mlock(p, kPage) == -1 && (errno == ENOMEM || errno == EPERM));
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

}  // namespace
}  // namespace conformance
