// AF_INET/AF_INET6 on loopback: TCP and UDP.
// syscalls: socket bind listen accept accept4 connect sendto recvfrom shutdown getsockname getpeername setsockopt getsockopt
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include "util/test_util.h"

namespace conformance {
namespace {

sockaddr_in Loopback(uint16_t port = 0) {
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A listening TCP socket on 127.0.0.1 with a kernel-chosen port.
struct Listener {
  FileDescriptor fd;
  sockaddr_in addr{};
};

Listener Listen() {
  Listener l;
  l.fd = FileDescriptor(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!l.fd.valid()) return l;
  sockaddr_in a = Loopback();
  socklen_t len = sizeof a;
  if (bind(l.fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      listen(l.fd.get(), 8) != 0 ||
      getsockname(l.fd.get(), reinterpret_cast<sockaddr*>(&l.addr), &len) != 0) {
    l.fd.reset();
  }
  return l;
}

TEST(InetSocket, TcpConnectAcceptRoundTrip) {
  Listener l = Listen();
  ASSERT_TRUE(l.fd.valid()) << strerror(errno);
  EXPECT_NE(l.addr.sin_port, 0);
  FileDescriptor cli(socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_THAT(connect(cli.get(), reinterpret_cast<sockaddr*>(&l.addr), sizeof l.addr), SyscallSucceeds());
  sockaddr_in peer = {};
  socklen_t len = sizeof peer;
  FileDescriptor conn(accept(l.fd.get(), reinterpret_cast<sockaddr*>(&peer), &len));
  ASSERT_TRUE(conn.valid());
  EXPECT_EQ(peer.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
  ASSERT_THAT(send(cli.get(), "tcp", 3, 0), SyscallSucceedsWithValue(3));
  char buf[3];
  ASSERT_THAT(recv(conn.get(), buf, 3, MSG_WAITALL), SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(buf, 3), "tcp");
}

TEST(InetSocket, ConnectToClosedPortIsECONNREFUSED) {
  Listener l = Listen();
  ASSERT_TRUE(l.fd.valid());
  sockaddr_in a = l.addr;
  l.fd.reset();
  FileDescriptor cli(socket(AF_INET, SOCK_STREAM, 0));
  EXPECT_THAT(connect(cli.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), SyscallFailsWithErrno(ECONNREFUSED));
}

TEST(InetSocket, BindSamePortIsEADDRINUSE) {
  Listener l = Listen();
  ASSERT_TRUE(l.fd.valid());
  FileDescriptor s(socket(AF_INET, SOCK_STREAM, 0));
  EXPECT_THAT(bind(s.get(), reinterpret_cast<sockaddr*>(&l.addr), sizeof l.addr),
              SyscallFailsWithErrno(EADDRINUSE));
}

TEST(InetSocket, ReuseaddrOption) {
  FileDescriptor s(socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_TRUE(s.valid());
  int one = 1;
  ASSERT_THAT(setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), SyscallSucceeds());
  int v = 0;
  socklen_t len = sizeof v;
  ASSERT_THAT(getsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &v, &len), SyscallSucceeds());
  EXPECT_EQ(v, 1);
}

TEST(InetSocket, TcpNodelayOption) {
  FileDescriptor s(socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_TRUE(s.valid());
  int one = 1;
  ASSERT_THAT(setsockopt(s.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), SyscallSucceeds());
  int v = 0;
  socklen_t len = sizeof v;
  ASSERT_THAT(getsockopt(s.get(), IPPROTO_TCP, TCP_NODELAY, &v, &len), SyscallSucceeds());
  EXPECT_EQ(v, 1);
}

TEST(InetSocket, UdpSendtoRecvfrom) {
  FileDescriptor a(socket(AF_INET, SOCK_DGRAM, 0));
  FileDescriptor b(socket(AF_INET, SOCK_DGRAM, 0));
  ASSERT_TRUE(a.valid() && b.valid()) << strerror(errno);
  sockaddr_in addr = Loopback();
  ASSERT_THAT(bind(b.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), SyscallSucceeds());
  socklen_t len = sizeof addr;
  ASSERT_THAT(getsockname(b.get(), reinterpret_cast<sockaddr*>(&addr), &len), SyscallSucceeds());
  ASSERT_THAT(sendto(a.get(), "dgram", 5, 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr),
              SyscallSucceedsWithValue(5));
  char buf[16];
  sockaddr_in from = {};
  len = sizeof from;
  ASSERT_THAT(recvfrom(b.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len),
              SyscallSucceedsWithValue(5));
  EXPECT_EQ(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
}

TEST(InetSocket, TcpPeerCloseGivesEOF) {
  Listener l = Listen();
  ASSERT_TRUE(l.fd.valid());
  FileDescriptor cli(socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_THAT(connect(cli.get(), reinterpret_cast<sockaddr*>(&l.addr), sizeof l.addr), SyscallSucceeds());
  FileDescriptor conn(accept(l.fd.get(), nullptr, nullptr));
  ASSERT_TRUE(conn.valid());
  cli.reset();
  char c;
  EXPECT_THAT(recv(conn.get(), &c, 1, 0), SyscallSucceedsWithValue(0));
}

TEST(InetSocket, NonblockingConnectCompletes) {
  Listener l = Listen();
  ASSERT_TRUE(l.fd.valid());
  FileDescriptor cli(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
  int r = connect(cli.get(), reinterpret_cast<sockaddr*>(&l.addr), sizeof l.addr);
  EXPECT_TRUE(r == 0 || errno == EINPROGRESS) << strerror(errno);
  struct pollfd pfd = {cli.get(), POLLOUT, 0};
  ASSERT_THAT(poll(&pfd, 1, 10000), SyscallSucceedsWithValue(1));
  int err = -1;
  socklen_t len = sizeof err;
  ASSERT_THAT(getsockopt(cli.get(), SOL_SOCKET, SO_ERROR, &err, &len), SyscallSucceeds());
  EXPECT_EQ(err, 0);
}

TEST(InetSocket, Ipv6Loopback) {
  FileDescriptor s(socket(AF_INET6, SOCK_STREAM, 0));
  ASSERT_TRUE(s.valid()) << strerror(errno);
  sockaddr_in6 a = {};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  ASSERT_THAT(bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), SyscallSucceeds());
  ASSERT_THAT(listen(s.get(), 1), SyscallSucceeds());
  socklen_t len = sizeof a;
  ASSERT_THAT(getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len), SyscallSucceeds());
  FileDescriptor c(socket(AF_INET6, SOCK_STREAM, 0));
  EXPECT_THAT(connect(c.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), SyscallSucceeds());
}

TEST(InetSocket, ListenOnUnboundPicksPort) {
  FileDescriptor s(socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_TRUE(s.valid());
  ASSERT_THAT(listen(s.get(), 1), SyscallSucceeds());
  sockaddr_in a = {};
  socklen_t len = sizeof a;
  ASSERT_THAT(getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len), SyscallSucceeds());
  EXPECT_NE(a.sin_port, 0);
}

TEST(InetSocket, ShortAddressIsEINVAL) {
  FileDescriptor s(socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_TRUE(s.valid());
  sockaddr_in a = Loopback();
  EXPECT_THAT(bind(s.get(), reinterpret_cast<sockaddr*>(&a), 4), SyscallFailsWithErrno(EINVAL));
}

TEST(InetSocket, UnknownProtocolIsEPROTONOSUPPORT) {
  EXPECT_THAT(socket(AF_INET, SOCK_STREAM, 200), SyscallFailsWithErrno(EPROTONOSUPPORT));
}

}  // namespace
}  // namespace conformance
