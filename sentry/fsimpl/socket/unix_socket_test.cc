// Unix sockets through the syscall handlers, on the fake platform. Only
// non-blocking paths: the fixture has a single task that is not running.
#include "sentry/fsimpl/socket/unix_socket.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "sentry/syscalls/linux/sys_read_write.h"
#include "sentry/syscalls/linux/sys_socket.h"
#include "sentry/syscalls/linux/task_fixture.h"

namespace bulwark::syscalls {
namespace {

using fsimpl::socket::UnixSocket;

class UnixSocketTest : public TaskFixture {
 protected:
  // Scratch areas in the fixture's data mapping.
  static constexpr uint64_t kBuf = kData;             // 4 KiB payload
  static constexpr uint64_t kAddr = kData + 4096;     // sockaddr
  static constexpr uint64_t kLen = kData + 4096 + 256;  // socklen
  static constexpr uint64_t kMsg = kData + 8192;      // msghdr, iovec, control
  static constexpr uint64_t kFds = kData + 12288;

  std::pair<int, int> Pair(int type) {
    EXPECT_TRUE(sys_socketpair(t(), AF_UNIX, type | SOCK_NONBLOCK, 0, UserPtr<int>{kFds}));
    return {Read<int>(kFds), Read<int>(kFds + 4)};
  }
  SysResult<size_t> Send(int fd, const std::string& s, int flags = 0) {
    EXPECT_TRUE(t().CopyOutBytes(kBuf, s.data(), s.size()));
    return sys_sendto(t(), GuestFd{fd}, UserPtr<uint8_t>{kBuf}, s.size(), flags, {}, 0);
  }
  SysResult<std::string> Recv(int fd, size_t n, int flags = 0) {
    size_t got = TRY(sys_recvfrom(t(), GuestFd{fd}, UserPtr<uint8_t>{kBuf}, n, flags, {}, {}));
    std::string s(std::min(got, n), '\0');
    EXPECT_TRUE(t().CopyInBytes(kBuf, s.data(), s.size()));
    if (got > n) s += "+" + std::to_string(got);
    return s;
  }
  int AbstractAddr(const std::string& name) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    memcpy(a.sun_path + 1, name.data(), name.size());
    Write(kAddr, a);
    return static_cast<int>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  }
  // Like poll(2): POLLERR and POLLHUP are always reported.
  uint32_t Poll(int fd, uint32_t events) {
    auto f = t().fds().Get(fd);
    EXPECT_TRUE(f.has_value());
    return (*f)->Readiness(events | POLLERR | POLLHUP);
  }
};

TEST_F(UnixSocketTest, StreamPairRoundTripAndEof) {
  auto [a, b] = Pair(SOCK_STREAM);
  EXPECT_EQ(Send(a, "hello").value(), 5u);
  EXPECT_EQ(Poll(b, POLLIN | POLLOUT), uint32_t(POLLIN | POLLOUT));
  EXPECT_EQ(Recv(b, 3).value(), "hel");
  EXPECT_EQ(Recv(b, 10).value(), "lo");
  EXPECT_ERRNO(Recv(b, 10), kEAGAIN);
  ASSERT_TRUE(t().fds().Remove(a));
  EXPECT_TRUE(Poll(b, POLLIN | POLLRDHUP) & POLLHUP);
  EXPECT_EQ(Recv(b, 10).value(), "");
  // EPIPE, and SIGPIPE unless MSG_NOSIGNAL.
  EXPECT_ERRNO(Send(b, "x", MSG_NOSIGNAL), kEPIPE);
  EXPECT_FALSE(t().pending.set & (kernel::SigSet{1} << (SIGPIPE - 1)));
  EXPECT_ERRNO(Send(b, "x"), kEPIPE);
  EXPECT_TRUE(t().pending.set & (kernel::SigSet{1} << (SIGPIPE - 1)));
}

TEST_F(UnixSocketTest, UnreadDataAtCloseIsECONNRESET) {
  auto [a, b] = Pair(SOCK_STREAM);
  ASSERT_TRUE(Send(b, "unread"));
  ASSERT_TRUE(t().fds().Remove(a));
  EXPECT_TRUE(Poll(b, POLLIN) & POLLERR);
  EXPECT_ERRNO(Recv(b, 10), kECONNRESET);
  EXPECT_EQ(Recv(b, 10).value(), "");
}

TEST_F(UnixSocketTest, DgramKeepsBoundariesAndTruncates) {
  auto [a, b] = Pair(SOCK_DGRAM);
  ASSERT_TRUE(Send(a, "one"));
  ASSERT_TRUE(Send(a, "three"));
  ASSERT_TRUE(Send(a, "abcdef"));
  EXPECT_EQ(Recv(b, 10).value(), "one");
  EXPECT_EQ(Recv(b, 10, MSG_PEEK).value(), "three");
  EXPECT_EQ(Recv(b, 10).value(), "three");
  // MSG_TRUNC returns the real length; the rest is discarded.
  EXPECT_EQ(Recv(b, 2, MSG_TRUNC).value(), "ab+6");
  EXPECT_ERRNO(Recv(b, 10), kEAGAIN);
}

TEST_F(UnixSocketTest, StreamSendBufferFillsAndDrains) {
  auto [a, b] = Pair(SOCK_STREAM);
  int n = 0;
  while (Send(a, "x")) ++n;
  // 278 one-byte messages fit the default 212992-byte buffer, as on Linux.
  EXPECT_EQ(n, 278);
  EXPECT_FALSE(Poll(a, POLLOUT) & POLLOUT);
  EXPECT_ERRNO(Send(a, "x"), kEAGAIN);
  std::string all;
  while (auto r = Recv(b, 4096)) all += *r;
  EXPECT_EQ(all.size(), 278u);
  EXPECT_TRUE(Poll(a, POLLOUT) & POLLOUT);
}

TEST_F(UnixSocketTest, AbstractBindListenConnectAccept) {
  int srv = sys_socket(t(), AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0).value();
  int len = AbstractAddr("ux-test-abstract");
  ASSERT_TRUE(sys_bind(t(), GuestFd{srv}, UserPtr<uint8_t>{kAddr}, len));
  int other = sys_socket(t(), AF_UNIX, SOCK_STREAM, 0).value();
  EXPECT_ERRNO(sys_bind(t(), GuestFd{other}, UserPtr<uint8_t>{kAddr}, len), kEADDRINUSE);
  // Not listening yet.
  EXPECT_ERRNO(sys_connect(t(), GuestFd{other}, UserPtr<uint8_t>{kAddr}, len), kECONNREFUSED);
  ASSERT_TRUE(sys_listen(t(), GuestFd{srv}, 0));
  EXPECT_ERRNO(sys_accept4(t(), GuestFd{srv}, {}, {}, 0), kEAGAIN);
  EXPECT_ERRNO(sys_accept4(t(), GuestFd{srv}, {}, {}, O_RDWR), kEINVAL);
  int cli = sys_socket(t(), AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0).value();
  ASSERT_TRUE(sys_connect(t(), GuestFd{cli}, UserPtr<uint8_t>{kAddr}, len));
  // Even for a connected socket the full backlog is checked first
  // (unix_stream_connect()): Linux 6.18 also answers EAGAIN here.
  EXPECT_ERRNO(sys_connect(t(), GuestFd{cli}, UserPtr<uint8_t>{kAddr}, len), kEAGAIN);
  // Backlog 0 holds one connection; the next is EAGAIN when non-blocking.
  int cli2 = sys_socket(t(), AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0).value();
  EXPECT_ERRNO(sys_connect(t(), GuestFd{cli2}, UserPtr<uint8_t>{kAddr}, len), kEAGAIN);
  EXPECT_TRUE(Poll(srv, POLLIN) & POLLIN);
  ASSERT_TRUE(Send(cli, "early"));
  Write(kLen, 128);
  int conn = sys_accept4(t(), GuestFd{srv}, UserPtr<uint8_t>{kAddr}, UserPtr<int>{kLen},
                         SOCK_NONBLOCK).value();
  // The client is unnamed: only sun_family.
  EXPECT_EQ(Read<int>(kLen), 2);
  EXPECT_EQ(Recv(conn, 10).value(), "early");
  // getsockname of the accepted socket is the listener's name.
  Write(kLen, 128);
  ASSERT_TRUE(sys_getsockname(t(), GuestFd{conn}, UserPtr<uint8_t>{kAddr}, UserPtr<int>{kLen}));
  EXPECT_EQ(Read<int>(kLen), 2 + 1 + 16);
  Write(kLen, 128);
  ASSERT_TRUE(sys_getpeername(t(), GuestFd{cli}, UserPtr<uint8_t>{kAddr}, UserPtr<int>{kLen}));
  EXPECT_EQ(Read<int>(kLen), 2 + 1 + 16);
  // With room in the backlog again, a second connect is EISCONN.
  EXPECT_ERRNO(sys_connect(t(), GuestFd{cli}, UserPtr<uint8_t>{kAddr}, len), kEISCONN);
}

TEST_F(UnixSocketTest, AutobindNamesAreFiveHexDigits) {
  int s = sys_socket(t(), AF_UNIX, SOCK_DGRAM, 0).value();
  sa_family_t fam = AF_UNIX;
  Write(kAddr, fam);
  ASSERT_TRUE(sys_bind(t(), GuestFd{s}, UserPtr<uint8_t>{kAddr}, sizeof(fam)));
  Write(kLen, 128);
  ASSERT_TRUE(sys_getsockname(t(), GuestFd{s}, UserPtr<uint8_t>{kAddr}, UserPtr<int>{kLen}));
  EXPECT_EQ(Read<int>(kLen), 8);
  EXPECT_EQ(Read<char>(kAddr + 2), '\0');
}

TEST_F(UnixSocketTest, ScmRightsPassesAFile) {
  auto [a, b] = Pair(SOCK_DGRAM);
  auto [x, y] = Pair(SOCK_STREAM);
  // msghdr with one iovec and an SCM_RIGHTS carrying x.
  const uint64_t iov_at = kMsg + 64, ctl_at = kMsg + 128;
  ASSERT_TRUE(t().CopyOutBytes(kBuf, "d", 1));
  Write(iov_at, iovec{reinterpret_cast<void*>(kBuf), 1});
  alignas(cmsghdr) uint8_t ctl[CMSG_SPACE(sizeof(int))] = {};
  auto* c = reinterpret_cast<cmsghdr*>(ctl);
  c->cmsg_len = CMSG_LEN(sizeof(int));
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  memcpy(CMSG_DATA(c), &x, sizeof(int));
  ASSERT_TRUE(t().CopyOutBytes(ctl_at, ctl, sizeof(ctl)));
  msghdr m{};
  m.msg_iov = reinterpret_cast<iovec*>(iov_at);
  m.msg_iovlen = 1;
  m.msg_control = reinterpret_cast<void*>(ctl_at);
  m.msg_controllen = sizeof(ctl);
  Write(kMsg, m);
  ASSERT_EQ(sys_sendmsg(t(), GuestFd{a}, UserPtr<msghdr>{kMsg}, 0).value(), 1u);
  ASSERT_TRUE(t().fds().Remove(x));  // in flight, still alive
  // Receive with room for the fd.
  ASSERT_TRUE(t().CopyOutBytes(ctl_at, std::string(sizeof(ctl), '\0').data(), sizeof(ctl)));
  Write(kMsg, m);
  ASSERT_EQ(sys_recvmsg(t(), GuestFd{b}, UserPtr<msghdr>{kMsg}, MSG_CMSG_CLOEXEC).value(), 1u);
  msghdr out = Read<msghdr>(kMsg);
  EXPECT_EQ(out.msg_controllen, CMSG_SPACE(sizeof(int)));
  EXPECT_EQ(out.msg_flags & MSG_CTRUNC, 0);
  ASSERT_TRUE(t().CopyInBytes(ctl_at, ctl, sizeof(ctl)));
  EXPECT_EQ(c->cmsg_type, SCM_RIGHTS);
  int got;
  memcpy(&got, CMSG_DATA(c), sizeof(int));
  ASSERT_NE(t().fds().GetEntry(got), nullptr);
  EXPECT_TRUE(t().fds().GetEntry(got)->cloexec);
  // The received end still talks to y.
  ASSERT_TRUE(Send(y, "via"));
  EXPECT_EQ(Recv(got, 10).value(), "via");
}

TEST_F(UnixSocketTest, ScmRightsWithoutRoomIsCtrunc) {
  auto [a, b] = Pair(SOCK_DGRAM);
  const uint64_t iov_at = kMsg + 64, ctl_at = kMsg + 128;
  Write(iov_at, iovec{reinterpret_cast<void*>(kBuf), 1});
  alignas(cmsghdr) uint8_t ctl[CMSG_SPACE(sizeof(int))] = {};
  auto* c = reinterpret_cast<cmsghdr*>(ctl);
  c->cmsg_len = CMSG_LEN(sizeof(int));
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  memcpy(CMSG_DATA(c), &a, sizeof(int));
  ASSERT_TRUE(t().CopyOutBytes(ctl_at, ctl, sizeof(ctl)));
  msghdr m{};
  m.msg_iov = reinterpret_cast<iovec*>(iov_at);
  m.msg_iovlen = 1;
  m.msg_control = reinterpret_cast<void*>(ctl_at);
  m.msg_controllen = sizeof(ctl);
  Write(kMsg, m);
  ASSERT_TRUE(sys_sendmsg(t(), GuestFd{a}, UserPtr<msghdr>{kMsg}, 0));
  size_t fds_before = t().fds().size();
  m.msg_control = nullptr;
  m.msg_controllen = 0;
  Write(kMsg, m);
  ASSERT_TRUE(sys_recvmsg(t(), GuestFd{b}, UserPtr<msghdr>{kMsg}, 0));
  EXPECT_TRUE(Read<msghdr>(kMsg).msg_flags & MSG_CTRUNC);
  EXPECT_EQ(t().fds().size(), fds_before);
  // A bad fd in SCM_RIGHTS is EBADF.
  int bad = 999;
  memcpy(CMSG_DATA(c), &bad, sizeof(int));
  ASSERT_TRUE(t().CopyOutBytes(ctl_at, ctl, sizeof(ctl)));
  m.msg_control = reinterpret_cast<void*>(ctl_at);
  m.msg_controllen = sizeof(ctl);
  Write(kMsg, m);
  EXPECT_ERRNO(sys_sendmsg(t(), GuestFd{a}, UserPtr<msghdr>{kMsg}, 0), kEBADF);
}

TEST_F(UnixSocketTest, ShutdownWrite) {
  auto [a, b] = Pair(SOCK_STREAM);
  ASSERT_TRUE(sys_shutdown(t(), GuestFd{a}, SHUT_WR));
  EXPECT_TRUE(Poll(b, POLLIN | POLLRDHUP) & POLLRDHUP);
  EXPECT_EQ(Recv(b, 1).value(), "");
  EXPECT_ERRNO(Send(a, "x", MSG_NOSIGNAL), kEPIPE);
  ASSERT_TRUE(Send(b, "y"));
  EXPECT_EQ(Recv(a, 1).value(), "y");
  EXPECT_ERRNO(sys_shutdown(t(), GuestFd{a}, 7), kEINVAL);
}

TEST_F(UnixSocketTest, OptionsAndErrors) {
  auto [a, b] = Pair(SOCK_SEQPACKET);
  Write(kLen, 4);
  ASSERT_TRUE(sys_getsockopt(t(), GuestFd{a}, SOL_SOCKET, SO_TYPE, UserPtr<uint8_t>{kBuf},
                             UserPtr<int>{kLen}));
  EXPECT_EQ(Read<int>(kBuf), SOCK_SEQPACKET);
  Write(kBuf, 1000);
  ASSERT_TRUE(sys_setsockopt(t(), GuestFd{a}, SOL_SOCKET, SO_SNDBUF, UserPtr<uint8_t>{kBuf}, 4));
  Write(kLen, 4);
  ASSERT_TRUE(sys_getsockopt(t(), GuestFd{a}, SOL_SOCKET, SO_SNDBUF, UserPtr<uint8_t>{kBuf},
                             UserPtr<int>{kLen}));
  EXPECT_EQ(Read<int>(kBuf), 4608);  // max(2 * 1000, SOCK_MIN_SNDBUF)
  EXPECT_ERRNO(sys_setsockopt(t(), GuestFd{a}, SOL_SOCKET, SO_BINDTODEVICE,
                              UserPtr<uint8_t>{kBuf}, 4),
               kENOPROTOOPT);
  EXPECT_ERRNO(sys_socket(t(), AF_INET, SOCK_RAW, 0), kEPERM);  // raw sockets are not offered
  EXPECT_ERRNO(sys_socket(t(), AF_PACKET, SOCK_RAW, 0), kEAFNOSUPPORT);
  EXPECT_ERRNO(sys_socket(t(), AF_NETLINK, SOCK_RAW, NETLINK_AUDIT), kEPROTONOSUPPORT);
  EXPECT_ERRNO(sys_socket(t(), AF_UNIX, SOCK_STREAM, 5), kEPROTONOSUPPORT);
  // (fd 0 is `a` here: an unbound socketpair end, EINVAL as on Linux.)
  EXPECT_ERRNO(sys_listen(t(), GuestFd{a}, 1), kEINVAL);
  EXPECT_ERRNO(sys_listen(t(), GuestFd{999}, 1), kEBADF);
  int s = sys_socket(t(), AF_UNIX, SOCK_STREAM, 0).value();
  EXPECT_ERRNO(Recv(s, 1), kEINVAL);
  EXPECT_ERRNO(Send(s, "x"), kENOTCONN);
  EXPECT_ERRNO(sys_listen(t(), GuestFd{s}, 1), kEINVAL);  // unbound
  auto f = t().fds().Get(s);
  EXPECT_EQ((*f)->AnonName().rfind("socket:[", 0), 0u);
  EXPECT_TRUE(S_ISSOCK((*f)->GetStat()->mode));
}

}  // namespace
}  // namespace bulwark::syscalls
