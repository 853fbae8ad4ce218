// Pseudo-terminals: /dev/ptmx, TIOCGPTN/TIOCSPTLCK, termios, window size,
// controlling terminal.
// syscalls: ioctl open read write setsid poll
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

#include <functional>

#include "util/test_util.h"

namespace conformance {
namespace {

struct Pty {
  FileDescriptor master, slave;
};

Pty OpenPty() {
  Pty p;
  p.master = FileDescriptor(posix_openpt(O_RDWR | O_NOCTTY));
  if (!p.master.valid()) return p;
  if (grantpt(p.master.get()) != 0 || unlockpt(p.master.get()) != 0) {
    p.master.reset();
    return p;
  }
  const char* name = ptsname(p.master.get());
  if (name == nullptr) {
    p.master.reset();
    return p;
  }
  p.slave = FileDescriptor(open(name, O_RDWR | O_NOCTTY));
  return p;
}

TEST(Pty, OpenMasterAndSlave) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.master.valid()) << strerror(errno);
  ASSERT_TRUE(p.slave.valid()) << strerror(errno);
  EXPECT_EQ(isatty(p.slave.get()), 1);
  EXPECT_EQ(isatty(p.master.get()), 1);
}

TEST(Pty, PtnumberMatchesName) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.master.valid());
  unsigned n = 0;
  ASSERT_THAT(ioctl(p.master.get(), TIOCGPTN, &n), SyscallSucceeds());
  EXPECT_EQ(std::string(ptsname(p.master.get())), "/dev/pts/" + std::to_string(n));
}

TEST(Pty, MasterToSlaveInRawMode) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.slave.valid());
  struct termios t;
  ASSERT_THAT(tcgetattr(p.slave.get(), &t), SyscallSucceeds());
  cfmakeraw(&t);
  ASSERT_THAT(tcsetattr(p.slave.get(), TCSANOW, &t), SyscallSucceeds());
  ASSERT_THAT(write(p.master.get(), "raw", 3), SyscallSucceedsWithValue(3));
  char buf[8];
  ASSERT_THAT(read(p.slave.get(), buf, sizeof buf), SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(buf, 3), "raw");
}

TEST(Pty, CanonicalModeDeliversLines) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.slave.valid());
  struct termios t;
  ASSERT_THAT(tcgetattr(p.slave.get(), &t), SyscallSucceeds());
  t.c_lflag |= ICANON;
  t.c_lflag &= ~ECHO;
  ASSERT_THAT(tcsetattr(p.slave.get(), TCSANOW, &t), SyscallSucceeds());
  ASSERT_THAT(write(p.master.get(), "line\n", 5), SyscallSucceeds());
  char buf[16];
  ASSERT_THAT(read(p.slave.get(), buf, sizeof buf), SyscallSucceedsWithValue(5));
  EXPECT_EQ(std::string(buf, 5), "line\n");
}

TEST(Pty, OutputProcessingAddsCarriageReturn) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.slave.valid());
  struct termios t;
  ASSERT_THAT(tcgetattr(p.slave.get(), &t), SyscallSucceeds());
  t.c_oflag |= OPOST | ONLCR;
  ASSERT_THAT(tcsetattr(p.slave.get(), TCSANOW, &t), SyscallSucceeds());
  ASSERT_THAT(write(p.slave.get(), "a\n", 2), SyscallSucceeds());
  char buf[8];
  ASSERT_THAT(read(p.master.get(), buf, sizeof buf), SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(buf, 3), "a\r\n");
}

TEST(Pty, WindowSize) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.master.valid());
  struct winsize ws = {24, 80, 0, 0};
  ASSERT_THAT(ioctl(p.master.get(), TIOCSWINSZ, &ws), SyscallSucceeds());
  struct winsize got = {};
  ASSERT_THAT(ioctl(p.slave.get(), TIOCGWINSZ, &got), SyscallSucceeds());
  EXPECT_EQ(got.ws_row, 24);
  EXPECT_EQ(got.ws_col, 80);
}

TEST(Pty, ControllingTerminalViaSetsid) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.slave.valid());
  std::string name = ptsname(p.master.get());
  int status = RunInChild([&] {
    CHILD_CHECK(setsid() > 0);
    CHILD_CHECK(ioctl(p.slave.get(), TIOCSCTTY, 0) == 0);
    CHILD_CHECK(tcgetsid(p.slave.get()) == getpid());
    CHILD_CHECK(tcgetpgrp(p.slave.get()) == getpgrp());
    int fd = open("/dev/tty", O_RDWR);
    CHILD_CHECK(fd >= 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Pty, SlaveCloseGivesMasterEIO) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.slave.valid());
  p.slave.reset();
  char c;
  EXPECT_THAT(read(p.master.get(), &c, 1), SyscallFailsWithErrno(EIO));
}

TEST(Pty, LockedSlaveCannotOpen) {
  FileDescriptor m(posix_openpt(O_RDWR | O_NOCTTY));
  ASSERT_TRUE(m.valid()) << strerror(errno);
  int lock = 1;
  ASSERT_THAT(ioctl(m.get(), TIOCSPTLCK, &lock), SyscallSucceeds());
  EXPECT_THAT(open(ptsname(m.get()), O_RDWR | O_NOCTTY), SyscallFailsWithErrno(EIO));
}

// Raw mode with VMIN/VTIME set on the replica.
void SetRaw(int fd, int vmin, int vtime) {
  struct termios t;
  tcgetattr(fd, &t);
  cfmakeraw(&t);
  t.c_cc[VMIN] = vmin;
  t.c_cc[VTIME] = vtime;
  tcsetattr(fd, TCSANOW, &t);
}

int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Reads what the master has now (non-blocking).
std::string DrainMaster(int fd) {
  std::string out;
  char buf[256];
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0 || !(p.revents & POLLIN)) break;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, n);
  }
  return out;
}

// Forks a child that becomes a session leader with the replica as its
// controlling terminal, runs `setup` (before telling the parent) and then
// `body` (default: waits for signals forever). Returns the child's pid once
// it is set up, or -1.
pid_t ForkSessionLeader(Pty& p, const std::function<void()>& setup,
                        const std::function<void()>& body = nullptr) {
  int ready[2];
  if (pipe(ready) != 0) return -1;
  pid_t child = fork();
  if (child == 0) {
    close(ready[0]);
    if (setsid() < 0 || ioctl(p.slave.get(), TIOCSCTTY, 0) != 0) _exit(1);
    if (setup) setup();
    if (write(ready[1], "x", 1) != 1) _exit(1);
    if (body) body();
    for (;;) pause();
  }
  close(ready[1]);
  char c;
  bool ok = child > 0 && read(ready[0], &c, 1) == 1;
  close(ready[0]);
  return ok ? child : -1;
}

TEST(Pty, EchoGoesToMaster) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.slave.valid());
  ASSERT_THAT(write(p.master.get(), "ab\x03x\n", 5), SyscallSucceeds());
  // Default termios: ECHO|ECHOCTL|ICANON|ISIG; ^C flushes the input and the
  // pending echo and echoes as ^C; ONLCR turns the echoed newline into \r\n.
  EXPECT_EQ(DrainMaster(p.master.get()), "^Cx\r\n");
  char buf[16];
  ASSERT_THAT(read(p.slave.get(), buf, sizeof buf), SyscallSucceedsWithValue(2));
  EXPECT_EQ(std::string(buf, 2), "x\n");
}

TEST(Pty, CanonicalEraseAndKill) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.slave.valid());
  struct termios t;
  ASSERT_THAT(tcgetattr(p.slave.get(), &t), SyscallSucceeds());
  t.c_lflag &= ~ECHO;
  ASSERT_THAT(tcsetattr(p.slave.get(), TCSANOW, &t), SyscallSucceeds());
  // ERASE (DEL) removes one character, KILL (^U) the line, WERASE (^W) a
  // word; EOF (^D) ends a line without a delimiter.
  ASSERT_THAT(write(p.master.get(), "abc\x7f" "d\n", 6), SyscallSucceeds());
  ASSERT_THAT(write(p.master.get(), "junk\x15ok\n", 8), SyscallSucceeds());
  ASSERT_THAT(write(p.master.get(), "one two\x17three\x04", 14), SyscallSucceeds());
  char buf[32];
  ASSERT_THAT(read(p.slave.get(), buf, sizeof buf), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buf, 4), "abd\n");
  ASSERT_THAT(read(p.slave.get(), buf, sizeof buf), SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(buf, 3), "ok\n");
  ASSERT_THAT(read(p.slave.get(), buf, sizeof buf), SyscallSucceedsWithValue(9));
  EXPECT_EQ(std::string(buf, 9), "one three");
  // ^D on an empty line reads as end of file.
  ASSERT_THAT(write(p.master.get(), "\x04", 1), SyscallSucceeds());
  EXPECT_THAT(read(p.slave.get(), buf, sizeof buf), SyscallSucceedsWithValue(0));
}

TEST(Pty, InputCarriageReturnTranslation) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.slave.valid());
  struct termios t;
  ASSERT_THAT(tcgetattr(p.slave.get(), &t), SyscallSucceeds());
  t.c_lflag &= ~(ECHO | ICANON);
  t.c_iflag |= ICRNL;
  ASSERT_THAT(tcsetattr(p.slave.get(), TCSANOW, &t), SyscallSucceeds());
  ASSERT_THAT(write(p.master.get(), "a\r", 2), SyscallSucceeds());
  char buf[8];
  ASSERT_THAT(read(p.slave.get(), buf, sizeof buf), SyscallSucceedsWithValue(2));
  EXPECT_EQ(std::string(buf, 2), "a\n");
  t.c_iflag = (t.c_iflag & ~ICRNL) | IGNCR;
  ASSERT_THAT(tcsetattr(p.slave.get(), TCSANOW, &t), SyscallSucceeds());
  ASSERT_THAT(write(p.master.get(), "b\r", 2), SyscallSucceeds());
  ASSERT_THAT(read(p.slave.get(), buf, sizeof buf), SyscallSucceedsWithValue(1));
  EXPECT_EQ(buf[0], 'b');
}

TEST(Pty, InterruptCharacterSignalsForegroundGroup) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.slave.valid());
  pid_t child = ForkSessionLeader(p, nullptr);
  ASSERT_GT(child, 0);
  ASSERT_THAT(write(p.master.get(), "\x03", 1), SyscallSucceeds());
  int status = 0;
  ASSERT_THAT(waitpid(child, &status, 0), SyscallSucceedsWithValue(child));
  EXPECT_TRUE(KilledBy(status, SIGINT)) << DescribeWaitStatus(status);
}

TEST(Pty, SuspendAndQuitCharacters) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.slave.valid());
  // The job runs in a group of its own whose parent (the session leader)
  // is in the same session: a group that is not orphaned, so that SIGTSTP
  // stops it.
  int status = RunInChild([&] {
    CHILD_CHECK(setsid() > 0);
    CHILD_CHECK(ioctl(p.slave.get(), TIOCSCTTY, 0) == 0);
    int ready[2];
    CHILD_CHECK(pipe(ready) == 0);
    pid_t job = fork();
    CHILD_CHECK(job >= 0);
    if (job == 0) {
      setpgid(0, 0);
      char c;
      read(ready[0], &c, 1);
      for (;;) pause();
    }
    setpgid(job, job);
    signal(SIGTTOU, SIG_IGN);
    CHILD_CHECK(tcsetpgrp(p.slave.get(), job) == 0);
    CHILD_CHECK(write(ready[1], "x", 1) == 1);
    CHILD_CHECK(write(p.master.get(), "\x1a", 1) == 1);  // ^Z
    int st = 0;
    CHILD_CHECK(waitpid(job, &st, WUNTRACED) == job);
    CHILD_CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP);
    kill(job, SIGCONT);
    CHILD_CHECK(write(p.master.get(), "\x1c", 1) == 1);  // ^\ .
    CHILD_CHECK(waitpid(job, &st, 0) == job);
    CHILD_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGQUIT);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Pty, VminWaitsForBytes) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.slave.valid());
  SetRaw(p.slave.get(), 3, 0);
  struct pollfd pf = {p.slave.get(), POLLIN, 0};
  ASSERT_THAT(write(p.master.get(), "ab", 2), SyscallSucceeds());
  EXPECT_THAT(poll(&pf, 1, 100), SyscallSucceedsWithValue(0));  // fewer than VMIN
  ASSERT_THAT(write(p.master.get(), "c", 1), SyscallSucceeds());
  EXPECT_THAT(poll(&pf, 1, 1000), SyscallSucceedsWithValue(1));
  char buf[8];
  ASSERT_THAT(read(p.slave.get(), buf, sizeof buf), SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(buf, 3), "abc");
}

TEST(Pty, VtimeTimesOut) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.slave.valid());
  SetRaw(p.slave.get(), 0, 2);  // 0.2 s
  char buf[8];
  int64_t start = NowMs();
  ASSERT_THAT(read(p.slave.get(), buf, sizeof buf), SyscallSucceedsWithValue(0));
  int64_t took = NowMs() - start;
  EXPECT_GE(took, 150);
  EXPECT_LT(took, 2000);
  ASSERT_THAT(write(p.master.get(), "z", 1), SyscallSucceeds());
  ASSERT_THAT(read(p.slave.get(), buf, sizeof buf), SyscallSucceedsWithValue(1));
  // VMIN 0, VTIME 0: a poll read.
  SetRaw(p.slave.get(), 0, 0);
  EXPECT_THAT(read(p.slave.get(), buf, sizeof buf), SyscallSucceedsWithValue(0));
}

TEST(Pty, InterByteTimerEndsRead) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.slave.valid());
  SetRaw(p.slave.get(), 5, 2);
  ASSERT_THAT(write(p.master.get(), "xy", 2), SyscallSucceeds());
  char buf[8];
  int64_t start = NowMs();
  ASSERT_THAT(read(p.slave.get(), buf, sizeof buf), SyscallSucceedsWithValue(2));
  EXPECT_LT(NowMs() - start, 2000);
}

TEST(Pty, MasterCloseHangsUpSlave) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.slave.valid());
  std::string name = ptsname(p.master.get());
  p.master.reset();
  char c;
  EXPECT_THAT(read(p.slave.get(), &c, 1), SyscallSucceedsWithValue(0));
  EXPECT_THAT(write(p.slave.get(), "x", 1), SyscallFailsWithErrno(EIO));
  struct pollfd pf = {p.slave.get(), POLLIN | POLLOUT, 0};
  ASSERT_THAT(poll(&pf, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_TRUE(pf.revents & POLLHUP);
  EXPECT_THAT(open(name.c_str(), O_RDWR | O_NOCTTY), SyscallFails());
}

TEST(Pty, MasterCloseSendsSighupToSessionLeader) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.slave.valid());
  pid_t child = ForkSessionLeader(p, [&] { p.master.reset(); });
  ASSERT_GT(child, 0);
  p.master.reset();
  int status = 0;
  ASSERT_THAT(waitpid(child, &status, 0), SyscallSucceedsWithValue(child));
  EXPECT_TRUE(KilledBy(status, SIGHUP)) << DescribeWaitStatus(status);
}

TEST(Pty, SlaveCloseGivesMasterDataThenEIO) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.slave.valid());
  ASSERT_THAT(write(p.slave.get(), "hi\n", 3), SyscallSucceeds());
  p.slave.reset();
  struct pollfd pf = {p.master.get(), POLLIN, 0};
  ASSERT_THAT(poll(&pf, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_TRUE(pf.revents & POLLHUP);
  char buf[8];
  ASSERT_THAT(read(p.master.get(), buf, sizeof buf), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buf, 4), "hi\r\n");
  EXPECT_THAT(read(p.master.get(), buf, sizeof buf), SyscallFailsWithErrno(EIO));
}

TEST(Pty, GetPeerOpensSlave) {
  FileDescriptor m(posix_openpt(O_RDWR | O_NOCTTY));
  ASSERT_TRUE(m.valid()) << strerror(errno);
  ASSERT_THAT(unlockpt(m.get()), SyscallSucceeds());
  int fd = ioctl(m.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(fd, 0) << strerror(errno);
  FileDescriptor s(fd);
  EXPECT_EQ(fcntl(s.get(), F_GETFD), FD_CLOEXEC);
  struct stat a, b;
  ASSERT_THAT(fstat(s.get(), &a), SyscallSucceeds());
  ASSERT_THAT(stat(ptsname(m.get()), &b), SyscallSucceeds());
  EXPECT_EQ(a.st_rdev, b.st_rdev);
  // Only a master has a peer.
  EXPECT_THAT(ioctl(s.get(), TIOCGPTPEER, O_RDWR), SyscallFailsWithErrno(EIO));
}

TEST(Pty, TtynameAndNode) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.slave.valid());
  const char* tn = ttyname(p.slave.get());
  ASSERT_NE(tn, nullptr) << strerror(errno);
  EXPECT_EQ(std::string(tn), std::string(ptsname(p.master.get())));
  char link[64] = {};
  std::string fdpath = "/proc/self/fd/" + std::to_string(p.slave.get());
  ASSERT_THAT(readlink(fdpath.c_str(), link, sizeof link - 1), SyscallSucceeds());
  EXPECT_EQ(std::string(link), std::string(tn));
  struct stat st;
  ASSERT_THAT(fstat(p.slave.get(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_uid, geteuid());
  unsigned n = 0;
  ASSERT_THAT(ioctl(p.master.get(), TIOCGPTN, &n), SyscallSucceeds());
  EXPECT_EQ(major(st.st_rdev), 136 + n / 256);
  EXPECT_EQ(minor(st.st_rdev), n % 256);
}

TEST(Pty, WindowChangeSignalsForegroundGroup) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.slave.valid());
  static volatile sig_atomic_t got = 0;
  sigset_t old;
  pid_t child = ForkSessionLeader(
      p,
      [&] {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGWINCH);
        sigprocmask(SIG_BLOCK, &set, &old);
        signal(SIGWINCH, [](int) { got = 1; });
      },
      [&] {
        while (!got) sigsuspend(&old);
        struct winsize ws;
        _exit(ioctl(p.slave.get(), TIOCGWINSZ, &ws) == 0 && ws.ws_row == 50 ? 0 : 3);
      });
  ASSERT_GT(child, 0);
  struct winsize ws = {50, 132, 0, 0};
  ASSERT_THAT(ioctl(p.master.get(), TIOCSWINSZ, &ws), SyscallSucceeds());
  int status = 0;
  ASSERT_THAT(waitpid(child, &status, 0), SyscallSucceedsWithValue(child));
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Pty, BackgroundReadGetsSigttin) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.slave.valid());
  int status = RunInChild([&] {
    CHILD_CHECK(setsid() > 0);
    CHILD_CHECK(ioctl(p.slave.get(), TIOCSCTTY, 0) == 0);
    pid_t bg = fork();
    CHILD_CHECK(bg >= 0);
    if (bg == 0) {
      setpgid(0, 0);
      char c;
      read(p.slave.get(), &c, 1);  // stops with SIGTTIN
      _exit(9);
    }
    int st = 0;
    CHILD_CHECK(waitpid(bg, &st, WUNTRACED) == bg);
    CHILD_CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTIN);
    kill(bg, SIGKILL);
    waitpid(bg, &st, 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Pty, PacketModeReportsFlush) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.slave.valid());
  int on = 1;
  ASSERT_THAT(ioctl(p.master.get(), TIOCPKT, &on), SyscallSucceeds());
  ASSERT_THAT(write(p.slave.get(), "x", 1), SyscallSucceeds());
  char buf[8];
  ASSERT_THAT(read(p.master.get(), buf, sizeof buf), SyscallSucceedsWithValue(2));
  EXPECT_EQ(buf[0], TIOCPKT_DATA);
  EXPECT_EQ(buf[1], 'x');
  ASSERT_THAT(tcflush(p.slave.get(), TCIFLUSH), SyscallSucceeds());
  ASSERT_THAT(read(p.master.get(), buf, sizeof buf), SyscallSucceedsWithValue(1));
  EXPECT_EQ(buf[0], TIOCPKT_FLUSHREAD);
}

TEST(Pty, QueueSizes) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.slave.valid());
  ASSERT_THAT(write(p.master.get(), "abc", 3), SyscallSucceeds());
  int n = -1;
  ASSERT_THAT(ioctl(p.slave.get(), FIONREAD, &n), SyscallSucceeds());
  EXPECT_EQ(n, 0);  // canonical mode: no complete line yet
  ASSERT_THAT(write(p.master.get(), "\n", 1), SyscallSucceeds());
  // Linux hands input to the line discipline asynchronously: wait for it.
  struct pollfd pf = {p.slave.get(), POLLIN, 0};
  ASSERT_THAT(poll(&pf, 1, 1000), SyscallSucceedsWithValue(1));
  ASSERT_THAT(ioctl(p.slave.get(), FIONREAD, &n), SyscallSucceeds());
  EXPECT_EQ(n, 4);
  // Master writes stop (EAGAIN) once the buffers are full.
  ASSERT_THAT(fcntl(p.master.get(), F_SETFL, O_NONBLOCK), SyscallSucceeds());
  std::string chunk(100, 'a');
  size_t total = 0;
  ssize_t w;
  while ((w = write(p.master.get(), chunk.data(), chunk.size())) > 0) total += w;
  EXPECT_EQ(errno, EAGAIN);
  EXPECT_GT(total, 4096u);
  EXPECT_LT(total, 1u << 20);
}

}  // namespace
}  // namespace conformance
