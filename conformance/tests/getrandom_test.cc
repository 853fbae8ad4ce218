// getrandom(2).
// syscalls: getrandom
#include <sys/random.h>
#include <sys/syscall.h>

#include <set>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(Getrandom, FillsBuffer) {
  std::vector<unsigned char> a(64, 0), b(64, 0);
  ASSERT_THAT(getrandom(a.data(), a.size(), 0), SyscallSucceedsWithValue(64));
  ASSERT_THAT(getrandom(b.data(), b.size(), 0), SyscallSucceedsWithValue(64));
  EXPECT_NE(a, b);
  EXPECT_NE(a, std::vector<unsigned char>(64, 0));
}

TEST(Getrandom, ZeroLength) {
  char c;
  EXPECT_THAT(getrandom(&c, 0, 0), SyscallSucceedsWithValue(0));
}

TEST(Getrandom, NonblockSucceedsOnceSeeded) {
  char buf[16];
  EXPECT_THAT(getrandom(buf, sizeof buf, GRND_NONBLOCK), SyscallSucceedsWithValue(16));
}

TEST(Getrandom, RandomFlag) {
  char buf[16];
  EXPECT_THAT(getrandom(buf, sizeof buf, GRND_RANDOM | GRND_NONBLOCK), SyscallSucceeds());
}

TEST(Getrandom, InsecureFlag) {
  char buf[16];
  EXPECT_THAT(getrandom(buf, sizeof buf, GRND_INSECURE), SyscallSucceedsWithValue(16));
}

TEST(Getrandom, InsecureWithRandomIsEINVAL) {
  char buf[16];
  EXPECT_THAT(getrandom(buf, sizeof buf, GRND_INSECURE | GRND_RANDOM), SyscallFailsWithErrno(EINVAL));
}

TEST(Getrandom, UnknownFlagIsEINVAL) {
  char buf[16];
  EXPECT_THAT(getrandom(buf, sizeof buf, 0x100), SyscallFailsWithErrno(EINVAL));
}

TEST(Getrandom, BadBufferIsEFAULT) {
  EXPECT_THAT(syscall(SYS_getrandom, reinterpret_cast<void*>(8), 16, 0), SyscallFailsWithErrno(EFAULT));
}

TEST(Getrandom, LargeRequestMayBeShortButPositive) {
  std::vector<char> buf(1 << 20);
  long n = syscall(SYS_getrandom, buf.data(), buf.size(), 0);
  ASSERT_THAT(n, SyscallSucceeds());
  EXPECT_GE(n, 256);
  EXPECT_LE(n, 1 << 20);
}

TEST(Getrandom, BytesLookUniform) {
  std::vector<unsigned char> buf(4096);
  ASSERT_THAT(getrandom(buf.data(), buf.size(), 0), SyscallSucceedsWithValue(4096));
  std::set<unsigned char> distinct(buf.begin(), buf.end());
  EXPECT_GT(distinct.size(), 200u);
}

TEST(Getrandom, ChildGetsDifferentBytes) {
  Pipe p = MakePipe();
  int status = RunInChild([&] {
    unsigned char b[32];
    CHILD_CHECK(getrandom(b, sizeof b, 0) == 32);
    CHILD_CHECK(write(p.w.get(), b, sizeof b) == 32);
  });
  ASSERT_TRUE(ExitedWith(status, 0));
  unsigned char mine[32], theirs[32];
  ASSERT_THAT(getrandom(mine, sizeof mine, 0), SyscallSucceeds());
  ASSERT_THAT(read(p.r.get(), theirs, sizeof theirs), SyscallSucceedsWithValue(32));
  EXPECT_NE(memcmp(mine, theirs, 32), 0);
}

}  // namespace
}  // namespace conformance
