// pipe(2), pipe2(2) and pipe I/O semantics.
// syscalls: pipe pipe2 read write
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(Pipe, DataFlowsInOrder) {
  Pipe p = MakePipe();
  ASSERT_TRUE(p.r.valid() && p.w.valid());
  ASSERT_THAT(write(p.w.get(), "hello", 5), SyscallSucceedsWithValue(5));
  ASSERT_THAT(write(p.w.get(), "world", 5), SyscallSucceedsWithValue(5));
  char buf[16];
  ASSERT_THAT(read(p.r.get(), buf, sizeof buf), SyscallSucceedsWithValue(10));
  EXPECT_EQ(std::string(buf, 10), "helloworld");
}

TEST(Pipe, RawPipeSyscall) {
  int fds[2];
  ASSERT_THAT(syscall(SYS_pipe, fds), SyscallSucceeds());
  FileDescriptor r(fds[0]), w(fds[1]);
  EXPECT_EQ(fcntl(r.get(), F_GETFL) & O_ACCMODE, O_RDONLY);
  EXPECT_EQ(fcntl(w.get(), F_GETFL) & O_ACCMODE, O_WRONLY);
}

TEST(Pipe, ReadAfterWriterClosedReturnsEOF) {
  Pipe p = MakePipe();
  ASSERT_THAT(write(p.w.get(), "x", 1), SyscallSucceedsWithValue(1));
  p.w.reset();
  char buf[4];
  EXPECT_THAT(read(p.r.get(), buf, 4), SyscallSucceedsWithValue(1));
  EXPECT_THAT(read(p.r.get(), buf, 4), SyscallSucceedsWithValue(0));
}

TEST(Pipe, WriteWithoutReaderIsEPIPEAndSIGPIPE) {
  Pipe p = MakePipe();
  p.r.reset();
  ScopedSignalMask mask(SIG_BLOCK, SIGPIPE);
  EXPECT_THAT(write(p.w.get(), "x", 1), SyscallFailsWithErrno(EPIPE));
  sigset_t pending;
  sigpending(&pending);
  EXPECT_TRUE(sigismember(&pending, SIGPIPE));
  struct timespec zero = {0, 0};
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  EXPECT_THAT(sigtimedwait(&set, nullptr, &zero), SyscallSucceedsWithValue(SIGPIPE));
}

TEST(Pipe, WriteWithoutReaderKillsByDefault) {
  Pipe p = MakePipe();
  p.r.reset();
  int status = RunInChild([&] {
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ssize_t r = write(p.w.get(), "x", 1);
    (void)r;
    _exit(3);
  });
  EXPECT_TRUE(KilledBy(status, SIGPIPE)) << DescribeWaitStatus(status);
}

TEST(Pipe, ReadEndRejectsWrite) {
  Pipe p = MakePipe();
  EXPECT_THAT(write(p.r.get(), "x", 1), SyscallFailsWithErrno(EBADF));
}

TEST(Pipe, WriteEndRejectsRead) {
  Pipe p = MakePipe();
  char c;
  EXPECT_THAT(read(p.w.get(), &c, 1), SyscallFailsWithErrno(EBADF));
}

TEST(Pipe, BadPointerIsEFAULT) {
  EXPECT_THAT(syscall(SYS_pipe2, reinterpret_cast<int*>(8), 0), SyscallFailsWithErrno(EFAULT));
}

TEST(Pipe, NonblockingFullPipeIsEAGAIN) {
  Pipe p = MakePipe(O_NONBLOCK);
  std::vector<char> buf(1 << 16, 'x');
  ssize_t total = 0;
  for (;;) {
    ssize_t n = write(p.w.get(), buf.data(), buf.size());
    if (n < 0) {
      EXPECT_EQ(errno, EAGAIN);
      break;
    }
    total += n;
    ASSERT_LT(total, 1 << 24) << "pipe never filled";
  }
  EXPECT_EQ(total, fcntl(p.w.get(), F_GETPIPE_SZ));
}

TEST(Pipe, NonblockingEmptyReadIsEAGAIN) {
  Pipe p = MakePipe(O_NONBLOCK);
  char c;
  EXPECT_THAT(read(p.r.get(), &c, 1), SyscallFailsWithErrno(EAGAIN));
}

TEST(Pipe, Pipe2Cloexec) {
  Pipe p = MakePipe(O_CLOEXEC);
  EXPECT_THAT(fcntl(p.r.get(), F_GETFD), SyscallSucceedsWithValue(FD_CLOEXEC));
  EXPECT_THAT(fcntl(p.w.get(), F_GETFD), SyscallSucceedsWithValue(FD_CLOEXEC));
}

TEST(Pipe, Pipe2Nonblock) {
  Pipe p = MakePipe(O_NONBLOCK);
  EXPECT_TRUE(fcntl(p.r.get(), F_GETFL) & O_NONBLOCK);
  EXPECT_TRUE(fcntl(p.w.get(), F_GETFL) & O_NONBLOCK);
}

TEST(Pipe, Pipe2BadFlagIsEINVAL) {
  int fds[2];
  EXPECT_THAT(pipe2(fds, O_APPEND), SyscallFailsWithErrno(EINVAL));
}

TEST(Pipe, FstatIsFifoWithZeroSize) {
  Pipe p = MakePipe();
  ASSERT_THAT(write(p.w.get(), "abc", 3), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(fstat(p.r.get(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST(Pipe, BlockingReadWaitsForChildWrite) {
  Pipe p = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    usleep(20000);
    ssize_t r = write(p.w.get(), "late", 4);
    _exit(r == 4 ? 0 : 1);
  }
  p.w.reset();
  char buf[8];
  EXPECT_THAT(read(p.r.get(), buf, sizeof buf), SyscallSucceedsWithValue(4));
  EXPECT_TRUE(ExitedWith(WaitStatus(pid), 0));
}

TEST(Pipe, SmallWritesAreAtomic) {
  Pipe p = MakePipe();
  std::string a(PIPE_BUF, 'a');
  ASSERT_THAT(write(p.w.get(), a.data(), a.size()), SyscallSucceedsWithValue(PIPE_BUF));
  std::vector<char> buf(PIPE_BUF);
  EXPECT_THAT(read(p.r.get(), buf.data(), buf.size()), SyscallSucceedsWithValue(PIPE_BUF));
}

TEST(Pipe, LargeTransferThroughChild) {
  Pipe p = MakePipe();
  const size_t kSize = 1 << 20;
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    p.r.reset();
    std::vector<char> buf(kSize);
    for (size_t i = 0; i < kSize; i++) buf[i] = static_cast<char>(i * 7);
    _exit(WriteAll(p.w.get(), buf.data(), kSize) ? 0 : 1);
  }
  p.w.reset();
  std::string got = ReadAll(p.r.get());
  ASSERT_EQ(got.size(), kSize);
  bool same = true;
  for (size_t i = 0; i < kSize; i++) same = same && got[i] == static_cast<char>(i * 7);
  EXPECT_TRUE(same);
  EXPECT_TRUE(ExitedWith(WaitStatus(pid), 0));
}

TEST(Pipe, FionreadReportsQueuedBytes) {
  Pipe p = MakePipe();
  ASSERT_THAT(write(p.w.get(), "12345", 5), SyscallSucceeds());
  int n = -1;
  ASSERT_THAT(ioctl(p.r.get(), FIONREAD, &n), SyscallSucceeds());
  EXPECT_EQ(n, 5);
}

TEST(Pipe, ProcFdLinkNamesPipe) {
  Pipe p = MakePipe();
  char buf[64];
  std::string link = "/proc/self/fd/" + std::to_string(p.r.get());
  ssize_t n = readlink(link.c_str(), buf, sizeof buf);
  ASSERT_THAT(n, SyscallSucceeds());
  EXPECT_EQ(std::string(buf, n).rfind("pipe:[", 0), 0u) << std::string(buf, n);
}

}  // namespace
}  // namespace conformance
