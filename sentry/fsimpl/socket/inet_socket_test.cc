// Internet sockets through the syscall handlers, on the fake platform
// (non-blocking paths only: the fixture's single task never runs), and the
// address and port-table rules directly.
#include "sentry/fsimpl/socket/inet_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "sentry/syscalls/linux/socket_util.h"
#include "sentry/syscalls/linux/sys_socket.h"
#include "sentry/syscalls/linux/task_fixture.h"

namespace bulwark::syscalls {
namespace {

using fsimpl::socket::AddrUse;
using fsimpl::socket::Endpoint;
using fsimpl::socket::ParseInetAddr;

std::vector<uint8_t> Raw(const void* p, size_t n) {
  auto* b = static_cast<const uint8_t*>(p);
  return {b, b + n};
}

TEST(InetAddrTest, ParsesAndFormatsBothFamilies) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(80);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool unspec = false;
  auto e = ParseInetAddr(AF_INET, SOCK_STREAM, false, AddrUse::kBind, Raw(&sin, sizeof sin),
                         &unspec);
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->v4());
  EXPECT_EQ(e->port, 80);
  // An AF_INET6 socket reports an IPv4 endpoint v4-mapped.
  auto b = fsimpl::socket::FormatInetAddr(AF_INET6, *e);
  ASSERT_EQ(b.size(), sizeof(sockaddr_in6));
  sockaddr_in6 sin6;
  memcpy(&sin6, b.data(), sizeof sin6);
  EXPECT_TRUE(IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr));
  // Short, wrong family, v4-mapped on a v6-only socket.
  EXPECT_EQ(ParseInetAddr(AF_INET, SOCK_STREAM, false, AddrUse::kBind, Raw(&sin, 8), &unspec)
                .error(),
            Errno::kEINVAL);
  sin6 = {};
  sin6.sin6_family = AF_INET6;
  EXPECT_EQ(ParseInetAddr(AF_INET, SOCK_STREAM, false, AddrUse::kBind, Raw(&sin6, sizeof sin6),
                          &unspec)
                .error(),
            Errno::kEAFNOSUPPORT);
  memcpy(&sin6.sin6_addr, b.data() + offsetof(sockaddr_in6, sin6_addr), 16);
  EXPECT_EQ(ParseInetAddr(AF_INET6, SOCK_STREAM, true, AddrUse::kBind, Raw(&sin6, sizeof sin6),
                          &unspec)
                .error(),
            Errno::kEINVAL);
  EXPECT_EQ(ParseInetAddr(AF_INET6, SOCK_STREAM, true, AddrUse::kConnect,
                          Raw(&sin6, sizeof sin6), &unspec)
                .error(),
            Errno::kENETUNREACH);
}

TEST(InetAddrTest, OnlyLoopbackIsLocal) {
  Endpoint e = fsimpl::socket::V4Loopback(1);
  EXPECT_TRUE(fsimpl::socket::CheckLocal(e));
  e.addr.s6_addr[12] = 10;  // 10.0.0.1
  EXPECT_EQ(fsimpl::socket::CheckLocal(e).error(), Errno::kEADDRNOTAVAIL);
  EXPECT_EQ(fsimpl::socket::Destination(e).error(), Errno::kENETUNREACH);
  // The wildcard as a destination is loopback.
  auto d = fsimpl::socket::Destination(fsimpl::socket::AnyAddress(AF_INET6, 5));
  ASSERT_TRUE(d);
  EXPECT_TRUE(IN6_IS_ADDR_LOOPBACK(&d->addr));
}

class InetSocketTest : public TaskFixture {
 protected:
  static constexpr uint64_t kAddr = kData;
  static constexpr uint64_t kLen = kData + 256;
  static constexpr uint64_t kBuf = kData + 512;

  int Socket(int domain, int type) {
    auto fd = sys_socket(t(), domain, type | SOCK_NONBLOCK, 0);
    EXPECT_TRUE(fd);
    return fd.value_or(-1);
  }
  SysResult<void> Bind(int fd, uint16_t port, uint32_t addr = INADDR_LOOPBACK) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(addr);
    EXPECT_TRUE(t().CopyOutBytes(kAddr, &sin, sizeof sin));
    return sys_bind(t(), GuestFd{fd}, UserPtr<uint8_t>{kAddr}, sizeof sin);
  }
  uint16_t Port(int fd) {
    EXPECT_TRUE(t().CopyOut(UserPtr<int>{kLen}, 128));
    EXPECT_TRUE(sys_getsockname(t(), GuestFd{fd}, UserPtr<uint8_t>{kAddr}, UserPtr<int>{kLen}));
    return ntohs(Read<sockaddr_in>(kAddr).sin_port);
  }
  SysResult<void> Connect(int fd, uint16_t port) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_TRUE(t().CopyOutBytes(kAddr, &sin, sizeof sin));
    return sys_connect(t(), GuestFd{fd}, UserPtr<uint8_t>{kAddr}, sizeof sin);
  }
  uint32_t Poll(int fd) {
    return sock::AsInet(t(), fd)->Readiness(~0u);
  }
};

TEST_F(InetSocketTest, PortConflictsFollowReuseRules) {
  int a = Socket(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(Bind(a, 0));
  uint16_t port = Port(a);
  EXPECT_GE(port, fsimpl::socket::kEphemeralLow);
  EXPECT_LE(port, fsimpl::socket::kEphemeralHigh);
  int b = Socket(AF_INET, SOCK_STREAM);
  EXPECT_EQ(Bind(b, port).error(), Errno::kEADDRINUSE);
  EXPECT_EQ(Bind(b, port, INADDR_ANY).error(), Errno::kEADDRINUSE);
  // Another loopback address does not overlap 127.0.0.1.
  EXPECT_TRUE(Bind(b, port, 0x7f000002));
  // UDP ports are a separate table.
  int u = Socket(AF_INET, SOCK_DGRAM);
  EXPECT_TRUE(Bind(u, port));
  for (int fd : {a, b, u}) ASSERT_TRUE(t().fds().Remove(fd));
  // Closed sockets free their port at once (no TIME_WAIT).
  int c = Socket(AF_INET, SOCK_STREAM);
  EXPECT_TRUE(Bind(c, port));
}

TEST_F(InetSocketTest, NonblockingConnectAcceptAndClose) {
  int l = Socket(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(sys_listen(t(), GuestFd{l}, 4));
  uint16_t port = Port(l);
  EXPECT_EQ(Poll(l) & POLLIN, 0u);
  int c = Socket(AF_INET, SOCK_STREAM);
  EXPECT_EQ(Connect(c, port).error(), Errno::kEINPROGRESS);
  EXPECT_TRUE(Poll(l) & POLLIN);
  EXPECT_TRUE(Poll(c) & POLLOUT);
  // The second connect reports the outcome, the third EISCONN.
  EXPECT_TRUE(Connect(c, port));
  EXPECT_EQ(Connect(c, port).error(), Errno::kEISCONN);
  auto s = sys_accept4(t(), GuestFd{l}, {}, {}, SOCK_NONBLOCK);
  ASSERT_TRUE(s);
  EXPECT_EQ(sys_accept4(t(), GuestFd{l}, {}, {}, 0).error(), Errno::kEAGAIN);
  ASSERT_TRUE(t().fds().Remove(c));
  EXPECT_TRUE(Poll(*s) & POLLRDHUP);
  EXPECT_EQ(Poll(*s) & POLLERR, 0u);
}

TEST_F(InetSocketTest, ConnectToNothingIsRefused) {
  int c = Socket(AF_INET, SOCK_STREAM);
  EXPECT_EQ(Connect(c, 1).error(), Errno::kEINPROGRESS);
  EXPECT_TRUE(Poll(c) & POLLERR);
  EXPECT_EQ(Connect(c, 1).error(), Errno::kECONNREFUSED);
}

}  // namespace
}  // namespace bulwark::syscalls
