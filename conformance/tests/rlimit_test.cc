// getrlimit(2), setrlimit(2), prlimit64(2).
// syscalls: getrlimit setrlimit prlimit64
#include <sys/resource.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(Getrlimit, NofileIsSane) {
  struct rlimit rl;
  ASSERT_THAT(getrlimit(RLIMIT_NOFILE, &rl), SyscallSucceeds());
  EXPECT_GT(rl.rlim_cur, 3u);
  EXPECT_LE(rl.rlim_cur, rl.rlim_max);
}

TEST(Getrlimit, RawSyscallMatchesPrlimit) {
  struct rlimit a, b;
  ASSERT_THAT(syscall(SYS_getrlimit, RLIMIT_STACK, &a), SyscallSucceeds());
  ASSERT_THAT(prlimit(0, RLIMIT_STACK, nullptr, &b), SyscallSucceeds());
  EXPECT_EQ(a.rlim_cur, b.rlim_cur);
  EXPECT_EQ(a.rlim_max, b.rlim_max);
}

TEST(Getrlimit, InvalidResourceIsEINVAL) {
  struct rlimit rl;
  EXPECT_THAT(syscall(SYS_getrlimit, 100, &rl), SyscallFailsWithErrno(EINVAL));
}

TEST(Getrlimit, BadPointerIsEFAULT) {
  EXPECT_THAT(syscall(SYS_getrlimit, RLIMIT_NOFILE, reinterpret_cast<void*>(8)),
              SyscallFailsWithErrno(EFAULT));
}

TEST(Setrlimit, LowerSoftLimit) {
  int status = RunInChild([] {
    struct rlimit rl;
    CHILD_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    rl.rlim_cur = 64;
    CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    struct rlimit got;
    CHILD_CHECK(getrlimit(RLIMIT_NOFILE, &got) == 0 && got.rlim_cur == 64);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Setrlimit, SoftAboveHardIsEINVAL) {
  struct rlimit rl;
  ASSERT_THAT(getrlimit(RLIMIT_NOFILE, &rl), SyscallSucceeds());
  struct rlimit bad = {rl.rlim_max, rl.rlim_max - 1};
  EXPECT_THAT(setrlimit(RLIMIT_NOFILE, &bad), SyscallFailsWithErrno(EINVAL));
}

TEST(Setrlimit, NofileAboveNrOpenIsEPERM) {
  struct rlimit rl = {1u << 30, 1u << 30};
  EXPECT_THAT(setrlimit(RLIMIT_NOFILE, &rl), SyscallFailsWithErrno(EPERM));
}

TEST(Setrlimit, UnprivilegedCannotRaiseHard) {
  int status = RunInChild([] {
    struct rlimit rl = {100, 200};
    CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    CHILD_CHECK(setuid(1000) == 0);
    struct rlimit up = {100, 300};
    CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &up) == -1 && errno == EPERM);
    struct rlimit down = {50, 150};
    CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &down) == 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Setrlimit, NofileLimitEnforcedOnOpen) {
  int status = RunInChild([] {
    struct rlimit rl = {16, 16};
    CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    int last = -1;
    for (int i = 0; i < 32; i++) {
      int fd = open("/dev/null", O_RDONLY);
      if (fd < 0) {
        CHILD_CHECK(errno == EMFILE);
        break;
      }
      last = fd;
    }
    CHILD_CHECK(last == 15);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Setrlimit, FsizeLimitGivesEFBIGAndSIGXFSZ) {
  TempDir dir;
  int status = RunInChild([&] {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {10, 10};
    CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
    int fd = open((dir.path() + "/f").c_str(), O_CREAT | O_WRONLY, 0644);
    CHILD_CHECK(fd >= 0);
    CHILD_CHECK(write(fd, "0123456789abcdef", 16) == 10);
    CHILD_CHECK(write(fd, "x", 1) == -1 && errno == EFBIG);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Setrlimit, InheritedAcrossFork) {
  int status = RunInChild([] {
    struct rlimit rl = {1 << 20, RLIM_INFINITY};
    CHILD_CHECK(setrlimit(RLIMIT_CORE, &rl) == 0 || errno == EPERM);
    struct rlimit mine;
    getrlimit(RLIMIT_CORE, &mine);
    pid_t pid = fork();
    if (pid == 0) {
      struct rlimit got;
      getrlimit(RLIMIT_CORE, &got);
      _exit(got.rlim_cur == mine.rlim_cur ? 0 : 1);
    }
    int ws;
    waitpid(pid, &ws, 0);
    CHILD_CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Prlimit, GetAndSetAtomically) {
  int status = RunInChild([] {
    struct rlimit newl = {32, 64}, old;
    CHILD_CHECK(prlimit(0, RLIMIT_NOFILE, &newl, &old) == 0);
    struct rlimit got;
    CHILD_CHECK(prlimit(0, RLIMIT_NOFILE, nullptr, &got) == 0);
    CHILD_CHECK(got.rlim_cur == 32 && got.rlim_max == 64);
    CHILD_CHECK(old.rlim_cur >= 32);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Prlimit, OtherProcess) {
  Pipe p = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    char c;
    read(p.r.get(), &c, 1);
    struct rlimit got;
    getrlimit(RLIMIT_NOFILE, &got);
    _exit(got.rlim_cur == 77 ? 0 : 1);
  }
  struct rlimit cur;
  ASSERT_THAT(prlimit(pid, RLIMIT_NOFILE, nullptr, &cur), SyscallSucceeds());
  struct rlimit newl = {77, cur.rlim_max};
  ASSERT_THAT(prlimit(pid, RLIMIT_NOFILE, &newl, nullptr), SyscallSucceeds());
  write(p.w.get(), "x", 1);
  EXPECT_TRUE(ExitedWith(WaitStatus(pid), 0));
}

TEST(Prlimit, NoSuchProcessIsESRCH) {
  struct rlimit rl;
  EXPECT_THAT(prlimit(0x3ffffff, RLIMIT_NOFILE, nullptr, &rl), SyscallFailsWithErrno(ESRCH));
}

TEST(Prlimit, InvalidResourceIsEINVAL) {
  struct rlimit rl;
  EXPECT_THAT(syscall(SYS_prlimit64, 0, 99, nullptr, &rl), SyscallFailsWithErrno(EINVAL));
}

}  // namespace
}  // namespace conformance
