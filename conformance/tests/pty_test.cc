// Pseudo-terminals: /dev/ptmx, TIOCGPTN/TIOCSPTLCK, termios, window size,
// controlling terminal.
// syscalls: ioctl open read write setsid
#include <pty.h>
#include <sys/ioctl.h>
#include <termios.h>

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

}  // namespace
}  // namespace conformance
