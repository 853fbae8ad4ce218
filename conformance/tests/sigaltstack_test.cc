// sigaltstack(2) and SA_ONSTACK delivery.
// syscalls: sigaltstack
#include <signal.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

class Sigaltstack : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(sigaltstack(nullptr, &old_), SyscallSucceeds());
    mem_.resize(kSize);
  }
  void TearDown() override { sigaltstack(&old_, nullptr); }
  static constexpr size_t kSize = 64 * 1024;
  stack_t old_;
  std::vector<char> mem_;
};

TEST_F(Sigaltstack, DisabledByDefault) {
  stack_t cur;
  ASSERT_THAT(sigaltstack(nullptr, &cur), SyscallSucceeds());
  EXPECT_TRUE(cur.ss_flags & SS_DISABLE);
}

TEST_F(Sigaltstack, SetAndQuery) {
  stack_t ss = {mem_.data(), 0, kSize};
  ASSERT_THAT(sigaltstack(&ss, nullptr), SyscallSucceeds());
  stack_t cur;
  ASSERT_THAT(sigaltstack(nullptr, &cur), SyscallSucceeds());
  EXPECT_EQ(cur.ss_sp, mem_.data());
  EXPECT_EQ(cur.ss_size, kSize);
  EXPECT_EQ(cur.ss_flags, 0);
}

TEST_F(Sigaltstack, TooSmallIsENOMEM) {
  stack_t ss = {mem_.data(), 0, 256};
  EXPECT_THAT(sigaltstack(&ss, nullptr), SyscallFailsWithErrno(ENOMEM));
}

TEST_F(Sigaltstack, BadFlagsIsEINVAL) {
  stack_t ss = {mem_.data(), 0x1234, kSize};
  EXPECT_THAT(sigaltstack(&ss, nullptr), SyscallFailsWithErrno(EINVAL));
}

TEST_F(Sigaltstack, DisableClearsIt) {
  stack_t ss = {mem_.data(), 0, kSize};
  ASSERT_THAT(sigaltstack(&ss, nullptr), SyscallSucceeds());
  stack_t off = {nullptr, SS_DISABLE, 0};
  ASSERT_THAT(sigaltstack(&off, nullptr), SyscallSucceeds());
  stack_t cur;
  ASSERT_THAT(sigaltstack(nullptr, &cur), SyscallSucceeds());
  EXPECT_TRUE(cur.ss_flags & SS_DISABLE);
}

char* g_lo;
char* g_hi;
volatile sig_atomic_t g_on_alt;
volatile sig_atomic_t g_flags_inside;

void OnStackHandler(int) {
  char local;
  g_on_alt = (&local >= g_lo && &local < g_hi) ? 1 : 2;
  stack_t cur;
  sigaltstack(nullptr, &cur);
  g_flags_inside = cur.ss_flags;
}

TEST_F(Sigaltstack, HandlerRunsOnAltStack) {
  stack_t ss = {mem_.data(), 0, kSize};
  ASSERT_THAT(sigaltstack(&ss, nullptr), SyscallSucceeds());
  g_lo = mem_.data();
  g_hi = mem_.data() + kSize;
  g_on_alt = 0;
  ScopedSigaction sa(SIGUSR1, OnStackHandler, SA_ONSTACK);
  ASSERT_THAT(kill(getpid(), SIGUSR1), SyscallSucceeds());
  EXPECT_EQ(g_on_alt, 1);
  EXPECT_EQ(g_flags_inside, SS_ONSTACK);
}

TEST_F(Sigaltstack, WithoutOnstackFlagUsesNormalStack) {
  stack_t ss = {mem_.data(), 0, kSize};
  ASSERT_THAT(sigaltstack(&ss, nullptr), SyscallSucceeds());
  g_lo = mem_.data();
  g_hi = mem_.data() + kSize;
  g_on_alt = 0;
  ScopedSigaction sa(SIGUSR1, OnStackHandler, 0);
  ASSERT_THAT(kill(getpid(), SIGUSR1), SyscallSucceeds());
  EXPECT_EQ(g_on_alt, 2);
}

TEST_F(Sigaltstack, ChangingWhileOnStackIsEPERM) {
  static volatile int result_errno;
  result_errno = 0;
  stack_t ss = {mem_.data(), 0, kSize};
  ASSERT_THAT(sigaltstack(&ss, nullptr), SyscallSucceeds());
  ScopedSigaction sa(
      SIGUSR1,
      [](int) {
        stack_t off = {nullptr, SS_DISABLE, 0};
        result_errno = sigaltstack(&off, nullptr) == 0 ? 0 : errno;
      },
      SA_ONSTACK);
  ASSERT_THAT(kill(getpid(), SIGUSR1), SyscallSucceeds());
  EXPECT_EQ(result_errno, EPERM);
}

TEST_F(Sigaltstack, StackOverflowHandledOnAltStack) {
  int status = RunInChild([&] {
    stack_t ss = {mem_.data(), 0, kSize};
    CHILD_CHECK(sigaltstack(&ss, nullptr) == 0);
    struct sigaction act = {};
    act.sa_handler = [](int) { _exit(42); };
    act.sa_flags = SA_ONSTACK;
    sigaction(SIGSEGV, &act, nullptr);
    struct rlimit rl = {1 << 20, 1 << 20};
    setrlimit(RLIMIT_STACK, &rl);
    // Recurse until the stack runs out.
    static std::function<int(int)> recurse = [](int n) -> int {
      volatile char pad[4096];
      pad[0] = static_cast<char>(n);
      return recurse(n + 1) + pad[0];
    };
    recurse(0);
  });
  EXPECT_TRUE(ExitedWith(status, 42)) << DescribeWaitStatus(status);
}

TEST_F(Sigaltstack, InheritedByForkChild) {
  stack_t ss = {mem_.data(), 0, kSize};
  ASSERT_THAT(sigaltstack(&ss, nullptr), SyscallSucceeds());
  void* want = mem_.data();
  int status = RunInChild([want] {
    stack_t cur;
    CHILD_CHECK(sigaltstack(nullptr, &cur) == 0);
    CHILD_CHECK(cur.ss_sp == want && !(cur.ss_flags & SS_DISABLE));
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

}  // namespace
}  // namespace conformance
