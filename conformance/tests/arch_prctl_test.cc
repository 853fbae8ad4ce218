// arch_prctl(2).
// syscalls: arch_prctl
#include <asm/prctl.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(ArchPrctl, GetFsMatchesTls) {
  unsigned long fs = 0;
  ASSERT_THAT(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs), SyscallSucceeds());
  unsigned long self;
  asm volatile("mov %%fs:0, %0" : "=r"(self));
  EXPECT_EQ(fs, self);  // glibc's TCB points to itself.
}

TEST(ArchPrctl, SetAndGetGs) {
  int status = RunInChild([] {
    static unsigned long slot[4] = {0x1122334455667788UL, 0, 0, 0};
    CHILD_CHECK(syscall(SYS_arch_prctl, ARCH_SET_GS, reinterpret_cast<unsigned long>(slot)) == 0);
    unsigned long gs = 0;
    CHILD_CHECK(syscall(SYS_arch_prctl, ARCH_GET_GS, &gs) == 0);
    CHILD_CHECK(gs == reinterpret_cast<unsigned long>(slot));
    unsigned long v;
    asm volatile("mov %%gs:0, %0" : "=r"(v));
    CHILD_CHECK(v == 0x1122334455667788UL);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(ArchPrctl, SetFsChangesTlsBase) {
  int status = RunInChild([] {
    unsigned long old;
    CHILD_CHECK(syscall(SYS_arch_prctl, ARCH_GET_FS, &old) == 0);
    static unsigned long block[4] = {0xabcdefUL, 0, 0, 0};
    CHILD_CHECK(syscall(SYS_arch_prctl, ARCH_SET_FS, reinterpret_cast<unsigned long>(block)) == 0);
    unsigned long v;
    asm volatile("mov %%fs:0, %0" : "=r"(v));
    syscall(SYS_arch_prctl, ARCH_SET_FS, old);
    CHILD_CHECK(v == 0xabcdefUL);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(ArchPrctl, NonCanonicalAddressIsEPERM) {
  EXPECT_THAT(syscall(SYS_arch_prctl, ARCH_SET_GS, 0x8000000000000000UL), SyscallFailsWithErrno(EPERM));
}

TEST(ArchPrctl, UnknownCodeIsEINVAL) {
  unsigned long v;
  EXPECT_THAT(syscall(SYS_arch_prctl, 0x9999, &v), SyscallFailsWithErrno(EINVAL));
}

TEST(ArchPrctl, GetCpuidIsEnabled) {
  EXPECT_THAT(syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0), SyscallSucceedsWithValue(1));
}

TEST(ArchPrctl, GetFsBadPointerIsEFAULT) {
  EXPECT_THAT(syscall(SYS_arch_prctl, ARCH_GET_FS, reinterpret_cast<void*>(8)), SyscallFailsWithErrno(EFAULT));
}

TEST(ArchPrctl, GsBaseInheritedByFork) {
  int status = RunInChild([] {
    static unsigned long slot[2] = {42, 0};
    CHILD_CHECK(syscall(SYS_arch_prctl, ARCH_SET_GS, reinterpret_cast<unsigned long>(slot)) == 0);
    pid_t pid = fork();
    if (pid == 0) {
      unsigned long gs = 0;
      syscall(SYS_arch_prctl, ARCH_GET_GS, &gs);
      _exit(gs == reinterpret_cast<unsigned long>(slot) ? 0 : 1);
    }
    int ws;
    waitpid(pid, &ws, 0);
    CHILD_CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

}  // namespace
}  // namespace conformance
