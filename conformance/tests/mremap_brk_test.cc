// mremap(2), brk(2).
// syscalls: mremap
// syscalls(Brk): brk
#include <sys/mman.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

const size_t kPage = 4096;

char* Map(size_t len) {
  return static_cast<char*>(
      mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
}

TEST(Mremap, ShrinkInPlace) {
  char* p = Map(4 * kPage);
  ASSERT_NE(p, MAP_FAILED);
  p[0] = 'a';
  void* q = mremap(p, 4 * kPage, kPage, 0);
  ASSERT_EQ(q, p);
  EXPECT_EQ(p[0], 'a');
  munmap(p, kPage);
}

TEST(Mremap, GrowMayMoveKeepsContents) {
  char* p = Map(kPage);
  ASSERT_NE(p, MAP_FAILED);
  strcpy(p, "hello");
  char* q = static_cast<char*>(mremap(p, kPage, 16 * kPage, MREMAP_MAYMOVE));
  ASSERT_NE(q, MAP_FAILED);
  EXPECT_STREQ(q, "hello");
  q[15 * kPage] = 'z';
  munmap(q, 16 * kPage);
}

TEST(Mremap, GrowWithoutMayMoveWhenBlockedIsENOMEM) {
  char* p = Map(2 * kPage);
  ASSERT_NE(p, MAP_FAILED);
  ASSERT_THAT(munmap(p + kPage, kPage), SyscallSucceeds());
  // Occupy the page after p so it cannot grow in place.
  char* blocker = static_cast<char*>(mmap(p + kPage, kPage, PROT_READ,
                                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
  ASSERT_EQ(blocker, p + kPage);
  EXPECT_THAT(mremap(p, kPage, 2 * kPage, 0), SyscallFailsWithErrno(ENOMEM));
  munmap(p, 2 * kPage);
}

TEST(Mremap, FixedMovesToAddress) {
  char* p = Map(kPage);
  char* target = Map(2 * kPage);
  ASSERT_NE(p, MAP_FAILED);
  ASSERT_NE(target, MAP_FAILED);
  p[0] = 'm';
  char* q = static_cast<char*>(mremap(p, kPage, kPage, MREMAP_MAYMOVE | MREMAP_FIXED, target + kPage));
  ASSERT_EQ(q, target + kPage);
  EXPECT_EQ(q[0], 'm');
  munmap(target, 2 * kPage);
}

TEST(Mremap, FixedWithoutMayMoveIsEINVAL) {
  char* p = Map(kPage);
  char* target = Map(kPage);
  EXPECT_THAT(mremap(p, kPage, kPage, MREMAP_FIXED, target), SyscallFailsWithErrno(EINVAL));
  munmap(p, kPage);
  munmap(target, kPage);
}

TEST(Mremap, UnalignedIsEINVAL) {
  char* p = Map(kPage);
  EXPECT_THAT(mremap(p + 1, kPage, 2 * kPage, MREMAP_MAYMOVE), SyscallFailsWithErrno(EINVAL));
  munmap(p, kPage);
}

TEST(Mremap, UnmappedIsEFAULT) {
  char* p = Map(kPage);
  munmap(p, kPage);
  EXPECT_THAT(mremap(p, kPage, 2 * kPage, MREMAP_MAYMOVE), SyscallFailsWithErrno(EFAULT));
}

TEST(Mremap, BadFlagsIsEINVAL) {
  char* p = Map(kPage);
  EXPECT_THAT(mremap(p, kPage, kPage, 0x100), SyscallFailsWithErrno(EINVAL));
  munmap(p, kPage);
}

TEST(Mremap, OldRangeUnmappedAfterMove) {
  char* p = Map(kPage);
  char* target = Map(kPage);
  ASSERT_NE(p, MAP_FAILED);
  char* q = static_cast<char*>(mremap(p, kPage, kPage, MREMAP_MAYMOVE | MREMAP_FIXED, target));
  ASSERT_EQ(q, target);
  int status = RunInChild([p] { (void)*static_cast<volatile char*>(p); });
  EXPECT_TRUE(KilledBy(status, SIGSEGV)) << DescribeWaitStatus(status);
  munmap(q, kPage);
}

TEST(Mremap, ShrinkUnmapsTail) {
  char* p = Map(3 * kPage);
  ASSERT_NE(p, MAP_FAILED);
  ASSERT_EQ(mremap(p, 3 * kPage, kPage, 0), p);
  int status = RunInChild([p] { (void)*static_cast<volatile char*>(p + 2 * kPage); });
  EXPECT_TRUE(KilledBy(status, SIGSEGV)) << DescribeWaitStatus(status);
  munmap(p, kPage);
}

TEST(Brk, QueryReturnsCurrentBreak) {
  long cur = syscall(SYS_brk, 0);
  ASSERT_GT(cur, 0);
  EXPECT_EQ(syscall(SYS_brk, 0), cur);
}

TEST(Brk, GrowAndUse) {
  long cur = syscall(SYS_brk, 0);
  long want = cur + 16 * static_cast<long>(kPage);
  ASSERT_EQ(syscall(SYS_brk, want), want);
  char* p = reinterpret_cast<char*>(cur);
  p[0] = 'b';
  p[16 * kPage - 1] = 'e';
  EXPECT_EQ(p[0], 'b');
  EXPECT_EQ(syscall(SYS_brk, cur), cur);
}

TEST(Brk, ShrinkUnmapsMemory) {
  long cur = syscall(SYS_brk, 0);
  // Start page-aligned so the freed page is wholly above the new break.
  long base = (cur + static_cast<long>(kPage) - 1) & ~static_cast<long>(kPage - 1);
  ASSERT_EQ(syscall(SYS_brk, base + 2 * static_cast<long>(kPage)), base + 2 * static_cast<long>(kPage));
  char* high = reinterpret_cast<char*>(base + kPage);
  high[0] = 1;
  ASSERT_EQ(syscall(SYS_brk, base), base);
  int status = RunInChild([high] { (void)*static_cast<volatile char*>(high); });
  EXPECT_TRUE(KilledBy(status, SIGSEGV)) << DescribeWaitStatus(status);
  syscall(SYS_brk, cur);
}

TEST(Brk, RegrownMemoryIsZeroed) {
  long cur = syscall(SYS_brk, 0);
  long base = (cur + static_cast<long>(kPage) - 1) & ~static_cast<long>(kPage - 1);
  ASSERT_EQ(syscall(SYS_brk, base + static_cast<long>(kPage)), base + static_cast<long>(kPage));
  reinterpret_cast<char*>(base)[10] = 42;
  ASSERT_EQ(syscall(SYS_brk, base), base);
  ASSERT_EQ(syscall(SYS_brk, base + static_cast<long>(kPage)), base + static_cast<long>(kPage));
  EXPECT_EQ(reinterpret_cast<char*>(base)[10], 0);
  syscall(SYS_brk, cur);
}

TEST(Brk, BelowStartIsRefused) {
  long cur = syscall(SYS_brk, 0);
  // Linux returns the unchanged break on failure.
  EXPECT_EQ(syscall(SYS_brk, 4096), cur);
}

TEST(Brk, HugeRequestIsRefused) {
  long cur = syscall(SYS_brk, 0);
  EXPECT_EQ(syscall(SYS_brk, cur + (1L << 46)), cur);
}

}  // namespace
}  // namespace conformance
