// AF_INET/AF_INET6 on loopback: TCP and UDP.
// syscalls: socket bind listen accept accept4 connect sendto recvfrom sendmsg recvmsg shutdown getsockname getpeername setsockopt getsockopt ioctl readv writev
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

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

// inet_bind_sk(): a port below net.ipv4.ip_unprivileged_port_start (1024
// unless changed) needs CAP_NET_BIND_SERVICE. Root has it; a process that
// dropped it from its effective set gets EACCES (port 0 is still fine).
TEST(InetSocket, LowPortNeedsNetBindService) {
  FileDescriptor s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(s.valid());
  int bound = -1;
  for (int port = 1023; port >= 900 && bound < 0; --port) {
    sockaddr_in a = Loopback(static_cast<uint16_t>(port));
    if (bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) bound = port;
    else ASSERT_EQ(errno, EADDRINUSE) << "port " << port << ": " << strerror(errno);
  }
  ASSERT_GE(bound, 0) << "no free port in 900..1023";
  int status = RunInChild([] {
    __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2];
    CHILD_CHECK(syscall(SYS_capget, &hdr, data) == 0);
    data[0].effective &= ~(1u << CAP_NET_BIND_SERVICE);
    CHILD_CHECK(syscall(SYS_capset, &hdr, data) == 0);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHILD_CHECK(fd >= 0);
    sockaddr_in low = Loopback(1000);
    CHILD_CHECK(bind(fd, reinterpret_cast<sockaddr*>(&low), sizeof low) == -1 && errno == EACCES);
    sockaddr_in any = Loopback(0);
    CHILD_CHECK(bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof any) == 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
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

// UDP-Lite (udplite(7)): datagrams like UDP, a port space of its own, and
// the checksum-coverage options at SOL_UDPLITE (or SOL_UDP).
TEST(InetSocket, UdpLite) {
  constexpr int kSendCscov = 10, kRecvCscov = 11;  // include/net/udplite.h
  FileDescriptor a(socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE));
  FileDescriptor b(socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE));
  ASSERT_TRUE(a.valid() && b.valid()) << strerror(errno);
  int v = 0;
  socklen_t vl = sizeof v;
  ASSERT_THAT(getsockopt(a.get(), SOL_SOCKET, SO_PROTOCOL, &v, &vl), SyscallSucceeds());
  EXPECT_EQ(v, IPPROTO_UDPLITE);
  sockaddr_in addr = Loopback();
  ASSERT_THAT(bind(b.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), SyscallSucceeds());
  socklen_t len = sizeof addr;
  ASSERT_THAT(getsockname(b.get(), reinterpret_cast<sockaddr*>(&addr), &len), SyscallSucceeds());
  // The same port is free for plain UDP.
  FileDescriptor udp(socket(AF_INET, SOCK_DGRAM, 0));
  EXPECT_THAT(bind(udp.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), SyscallSucceeds());
  ASSERT_THAT(sendto(a.get(), "lite", 4, 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr),
              SyscallSucceedsWithValue(4));
  char buf[8];
  EXPECT_THAT(recv(b.get(), buf, sizeof buf, 0), SyscallSucceedsWithValue(4));
  EXPECT_THAT(recv(udp.get(), buf, sizeof buf, MSG_DONTWAIT), SyscallFailsWithErrno(EAGAIN));
  // Coverage below the 8-byte header becomes 8; it is a 16-bit field.
  v = 3;
  ASSERT_THAT(setsockopt(a.get(), IPPROTO_UDPLITE, kSendCscov, &v, sizeof v), SyscallSucceeds());
  vl = sizeof v;
  ASSERT_THAT(getsockopt(a.get(), IPPROTO_UDPLITE, kSendCscov, &v, &vl), SyscallSucceeds());
  EXPECT_EQ(v, 8);
  v = 70000;
  ASSERT_THAT(setsockopt(a.get(), SOL_UDP, kRecvCscov, &v, sizeof v), SyscallSucceeds());
  ASSERT_THAT(getsockopt(a.get(), IPPROTO_UDPLITE, kRecvCscov, &v, &vl), SyscallSucceeds());
  EXPECT_EQ(v, 65535);
  // Plain UDP has neither the level nor the options.
  v = 8;
  EXPECT_THAT(setsockopt(udp.get(), IPPROTO_UDPLITE, kSendCscov, &v, sizeof v),
              SyscallFailsWithErrno(ENOPROTOOPT));
  EXPECT_THAT(setsockopt(udp.get(), SOL_UDP, kSendCscov, &v, sizeof v),
              SyscallFailsWithErrno(ENOPROTOOPT));
}

// A connected pair of UDP sockets of `family` on loopback: a sends to b.
struct CmsgPair {
  FileDescriptor a, b;
};

CmsgPair MakeCmsgPair(int family) {
  CmsgPair p;
  p.a = FileDescriptor(socket(family, SOCK_DGRAM, 0));
  p.b = FileDescriptor(socket(family, SOCK_DGRAM, 0));
  sockaddr_storage ss = {};
  socklen_t len;
  if (family == AF_INET6) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
    a6->sin6_family = AF_INET6;
    a6->sin6_addr = in6addr_loopback;
    len = sizeof(sockaddr_in6);
  } else {
    *reinterpret_cast<sockaddr_in*>(&ss) = Loopback();
    len = sizeof(sockaddr_in);
  }
  if (bind(p.b.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
      getsockname(p.b.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0 ||
      connect(p.a.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    p.a.reset();
  }
  return p;
}

// Sends one byte from a with one int control message (level, type, value;
// type 0: none) and receives it on b; returns b's control messages.
std::vector<std::pair<int, int>> SendRecvCmsg(CmsgPair& p, int level, int type, int value,
                                              std::vector<int>* values) {
  alignas(cmsghdr) char sctl[CMSG_SPACE(sizeof(int))] = {};
  msghdr sm = {};
  iovec iov{const_cast<char*>("x"), 1};
  sm.msg_iov = &iov;
  sm.msg_iovlen = 1;
  if (type != 0) {
    sm.msg_control = sctl;
    sm.msg_controllen = sizeof sctl;
    cmsghdr* c = CMSG_FIRSTHDR(&sm);
    c->cmsg_level = level;
    c->cmsg_type = type;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &value, sizeof(int));
  }
  std::vector<std::pair<int, int>> out;
  if (sendmsg(p.a.get(), &sm, 0) != 1) return out;
  alignas(cmsghdr) char rctl[256];
  char c;
  iovec riov{&c, 1};
  msghdr rm = {};
  rm.msg_iov = &riov;
  rm.msg_iovlen = 1;
  rm.msg_control = rctl;
  rm.msg_controllen = sizeof rctl;
  if (recvmsg(p.b.get(), &rm, 0) != 1) return out;
  for (cmsghdr* h = CMSG_FIRSTHDR(&rm); h != nullptr; h = CMSG_NXTHDR(&rm, h)) {
    out.emplace_back(h->cmsg_level, h->cmsg_type);
    int v = 0;
    if (h->cmsg_len == CMSG_LEN(sizeof(int))) memcpy(&v, CMSG_DATA(h), sizeof(int));
    if (h->cmsg_len == CMSG_LEN(1)) v = *CMSG_DATA(h);
    if (values) values->push_back(v);
  }
  return out;
}

// IPV6_RECVHOPLIMIT/IPV6_RECVTCLASS report the sender's hop limit and
// traffic class (the socket's, or this send's IPV6_HOPLIMIT/IPV6_TCLASS).
TEST(InetSocket, Udp6HopLimitAndTclassControlMessages) {
  CmsgPair p = MakeCmsgPair(AF_INET6);
  ASSERT_TRUE(p.a.valid()) << strerror(errno);
  int on = 1;
  ASSERT_THAT(setsockopt(p.b.get(), SOL_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on), SyscallSucceeds());
  ASSERT_THAT(setsockopt(p.b.get(), SOL_IPV6, IPV6_RECVTCLASS, &on, sizeof on), SyscallSucceeds());
  int hops = 7;
  ASSERT_THAT(setsockopt(p.a.get(), SOL_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof hops),
              SyscallSucceeds());
  std::vector<int> v;
  auto got = SendRecvCmsg(p, 0, 0, 0, &v);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], std::make_pair(int{SOL_IPV6}, int{IPV6_HOPLIMIT}));
  EXPECT_EQ(got[1], std::make_pair(int{SOL_IPV6}, int{IPV6_TCLASS}));
  EXPECT_EQ(v[0], 7);
  EXPECT_EQ(v[1], 0);
  v.clear();
  got = SendRecvCmsg(p, SOL_IPV6, IPV6_HOPLIMIT, 33, &v);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(v[0], 33);
  v.clear();
  got = SendRecvCmsg(p, SOL_IPV6, IPV6_TCLASS, 0x20, &v);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(v[0], 7);
  EXPECT_EQ(v[1], 0x20);
}

TEST(InetSocket, Udp6BadControlMessagesAreEINVAL) {
  CmsgPair p = MakeCmsgPair(AF_INET6);
  ASSERT_TRUE(p.a.valid()) << strerror(errno);
  errno = 0;
  EXPECT_TRUE(SendRecvCmsg(p, SOL_IPV6, IPV6_HOPLIMIT, 256, nullptr).empty());
  EXPECT_EQ(errno, EINVAL);
  errno = 0;
  EXPECT_TRUE(SendRecvCmsg(p, SOL_IPV6, 9999, 1, nullptr).empty());
  EXPECT_EQ(errno, EINVAL);
}

// IP_PKTINFO, IP_RECVTTL and IP_RECVTOS on IPv4.
TEST(InetSocket, UdpPktinfoTtlTosControlMessages) {
  CmsgPair p = MakeCmsgPair(AF_INET);
  ASSERT_TRUE(p.a.valid()) << strerror(errno);
  int on = 1;
  ASSERT_THAT(setsockopt(p.b.get(), SOL_IP, IP_PKTINFO, &on, sizeof on), SyscallSucceeds());
  ASSERT_THAT(setsockopt(p.b.get(), SOL_IP, IP_RECVTTL, &on, sizeof on), SyscallSucceeds());
  ASSERT_THAT(setsockopt(p.b.get(), SOL_IP, IP_RECVTOS, &on, sizeof on), SyscallSucceeds());
  std::vector<int> v;
  auto got = SendRecvCmsg(p, SOL_IP, IP_TTL, 9, &v);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], std::make_pair(int{SOL_IP}, int{IP_PKTINFO}));
  EXPECT_EQ(got[1], std::make_pair(int{SOL_IP}, int{IP_TTL}));
  EXPECT_EQ(got[2], std::make_pair(int{SOL_IP}, int{IP_TOS}));
  EXPECT_EQ(v[1], 9);
  EXPECT_EQ(v[2], 0);
  v.clear();
  got = SendRecvCmsg(p, SOL_IP, IP_TOS, 0x10, &v);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(v[1], 64);
  EXPECT_EQ(v[2], 0x10);
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

sockaddr* SA(void* p) { return reinterpret_cast<sockaddr*>(p); }

// A connected pair: client and accepted server end.
struct Conn {
  FileDescriptor cli, srv;
};

Conn Connect(const Listener& l) {
  Conn c;
  c.cli = FileDescriptor(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in a = l.addr;
  if (connect(c.cli.get(), SA(&a), sizeof a) != 0) return c;
  c.srv = FileDescriptor(accept(l.fd.get(), nullptr, nullptr));
  return c;
}

TEST(InetSocket, SocketTypeDomainProtocol) {
  struct Case { int domain, type, proto; } cases[] = {
      {AF_INET, SOCK_STREAM, IPPROTO_TCP}, {AF_INET, SOCK_DGRAM, IPPROTO_UDP},
      {AF_INET6, SOCK_STREAM, IPPROTO_TCP}, {AF_INET6, SOCK_DGRAM, IPPROTO_UDP}};
  for (const Case& c : cases) {
    FileDescriptor s(socket(c.domain, c.type, 0));
    ASSERT_TRUE(s.valid()) << strerror(errno);
    int v = -1;
    socklen_t len = sizeof v;
    ASSERT_THAT(getsockopt(s.get(), SOL_SOCKET, SO_TYPE, &v, &len), SyscallSucceeds());
    EXPECT_EQ(v, c.type);
    ASSERT_THAT(getsockopt(s.get(), SOL_SOCKET, SO_DOMAIN, &v, &len), SyscallSucceeds());
    EXPECT_EQ(v, c.domain);
    ASSERT_THAT(getsockopt(s.get(), SOL_SOCKET, SO_PROTOCOL, &v, &len), SyscallSucceeds());
    EXPECT_EQ(v, c.proto);
  }
  EXPECT_THAT(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), SyscallFailsWithErrno(EPROTONOSUPPORT));
  EXPECT_THAT(socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP), SyscallFailsWithErrno(EPROTONOSUPPORT));
  int sv[2];
  EXPECT_THAT(socketpair(AF_INET, SOCK_STREAM, 0, sv), SyscallFailsWithErrno(EOPNOTSUPP));
}

TEST(InetSocket, BindNonLocalAddressIsEADDRNOTAVAIL) {
  FileDescriptor s(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in a = Loopback();
  a.sin_addr.s_addr = inet_addr("192.0.2.1");  // TEST-NET-1, never local
  EXPECT_THAT(bind(s.get(), SA(&a), sizeof a), SyscallFailsWithErrno(EADDRNOTAVAIL));
}

TEST(InetSocket, BindTwiceIsEINVALAndWrongFamilyEAFNOSUPPORT) {
  FileDescriptor s(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in6 a6 = {};
  a6.sin6_family = AF_INET6;
  EXPECT_THAT(bind(s.get(), SA(&a6), sizeof a6), SyscallFailsWithErrno(EAFNOSUPPORT));
  sockaddr_in a = Loopback();
  ASSERT_THAT(bind(s.get(), SA(&a), sizeof a), SyscallSucceeds());
  EXPECT_THAT(bind(s.get(), SA(&a), sizeof a), SyscallFailsWithErrno(EINVAL));
}

TEST(InetSocket, GetsocknameOfUnboundSockets) {
  FileDescriptor s(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_storage ss;
  memset(&ss, 0xff, sizeof ss);
  socklen_t len = sizeof ss;
  ASSERT_THAT(getsockname(s.get(), SA(&ss), &len), SyscallSucceeds());
  EXPECT_EQ(len, sizeof(sockaddr_in));
  auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
  EXPECT_EQ(sin->sin_family, AF_INET);
  EXPECT_EQ(sin->sin_port, 0);
  EXPECT_EQ(sin->sin_addr.s_addr, 0u);
  FileDescriptor s6(socket(AF_INET6, SOCK_DGRAM, 0));
  len = sizeof ss;
  ASSERT_THAT(getsockname(s6.get(), SA(&ss), &len), SyscallSucceeds());
  EXPECT_EQ(len, sizeof(sockaddr_in6));
  EXPECT_THAT(getpeername(s6.get(), SA(&ss), &len), SyscallFailsWithErrno(ENOTCONN));
}

TEST(InetSocket, AcceptNonblockingAndFlags) {
  Listener l = Listen();
  ASSERT_TRUE(l.fd.valid());
  ASSERT_THAT(fcntl(l.fd.get(), F_SETFL, O_NONBLOCK), SyscallSucceeds());
  EXPECT_THAT(accept(l.fd.get(), nullptr, nullptr), SyscallFailsWithErrno(EAGAIN));
  FileDescriptor cli(socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_THAT(connect(cli.get(), SA(&l.addr), sizeof l.addr), SyscallSucceeds());
  sockaddr_in peer = {}, mine = {};
  socklen_t len = sizeof peer, mlen = sizeof mine;
  FileDescriptor conn(accept4(l.fd.get(), SA(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC));
  ASSERT_TRUE(conn.valid()) << strerror(errno);
  EXPECT_TRUE(fcntl(conn.get(), F_GETFL) & O_NONBLOCK);
  EXPECT_TRUE(fcntl(conn.get(), F_GETFD) & FD_CLOEXEC);
  ASSERT_THAT(getsockname(cli.get(), SA(&mine), &mlen), SyscallSucceeds());
  EXPECT_EQ(peer.sin_port, mine.sin_port);
  EXPECT_EQ(len, sizeof(sockaddr_in));
  char c;
  EXPECT_THAT(recv(conn.get(), &c, 1, 0), SyscallFailsWithErrno(EAGAIN));
}

TEST(InetSocket, ConnectTwiceIsEISCONN) {
  Listener l = Listen();
  ASSERT_TRUE(l.fd.valid());
  Conn c = Connect(l);
  ASSERT_TRUE(c.srv.valid());
  EXPECT_THAT(connect(c.cli.get(), SA(&l.addr), sizeof l.addr), SyscallFailsWithErrno(EISCONN));
  EXPECT_THAT(listen(c.cli.get(), 1), SyscallFailsWithErrno(EINVAL));
}

TEST(InetSocket, NonblockingConnectRefusedReportsSoError) {
  Listener l = Listen();
  ASSERT_TRUE(l.fd.valid());
  sockaddr_in a = l.addr;
  l.fd.reset();
  FileDescriptor cli(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
  int r = connect(cli.get(), SA(&a), sizeof a);
  ASSERT_TRUE(r == -1 && (errno == EINPROGRESS || errno == ECONNREFUSED)) << strerror(errno);
  if (errno == EINPROGRESS) {
    struct pollfd pfd = {cli.get(), POLLOUT, 0};
    ASSERT_THAT(poll(&pfd, 1, 10000), SyscallSucceedsWithValue(1));
    EXPECT_TRUE(pfd.revents & POLLERR);
    int err = 0;
    socklen_t len = sizeof err;
    ASSERT_THAT(getsockopt(cli.get(), SOL_SOCKET, SO_ERROR, &err, &len), SyscallSucceeds());
    EXPECT_EQ(err, ECONNREFUSED);
  }
}

TEST(InetSocket, ShutdownWriteGivesPeerEOFAndEPIPE) {
  Listener l = Listen();
  Conn c = Connect(l);
  ASSERT_TRUE(c.srv.valid());
  ASSERT_THAT(send(c.cli.get(), "ab", 2, 0), SyscallSucceedsWithValue(2));
  ASSERT_THAT(shutdown(c.cli.get(), SHUT_WR), SyscallSucceeds());
  char buf[8];
  EXPECT_THAT(recv(c.srv.get(), buf, sizeof buf, MSG_WAITALL), SyscallSucceedsWithValue(2));
  EXPECT_THAT(recv(c.srv.get(), buf, sizeof buf, 0), SyscallSucceedsWithValue(0));
  EXPECT_THAT(send(c.cli.get(), "x", 1, MSG_NOSIGNAL), SyscallFailsWithErrno(EPIPE));
  // The other direction still works.
  ASSERT_THAT(send(c.srv.get(), "back", 4, 0), SyscallSucceedsWithValue(4));
  EXPECT_THAT(recv(c.cli.get(), buf, 4, MSG_WAITALL), SyscallSucceedsWithValue(4));
  EXPECT_THAT(shutdown(c.cli.get(), 7), SyscallFailsWithErrno(EINVAL));
}

TEST(InetSocket, SendAfterShutdownRaisesSigpipe) {
  Listener l = Listen();
  Conn c = Connect(l);
  ASSERT_TRUE(c.srv.valid());
  ScopedSignalMask mask(SIG_BLOCK, SIGPIPE);
  ASSERT_THAT(shutdown(c.cli.get(), SHUT_WR), SyscallSucceeds());
  EXPECT_THAT(send(c.cli.get(), "x", 1, 0), SyscallFailsWithErrno(EPIPE));
  // Pending, since blocked: taking it proves it was sent.
  sigset_t just;
  sigemptyset(&just);
  sigaddset(&just, SIGPIPE);
  struct timespec zero = {0, 0};
  EXPECT_EQ(sigtimedwait(&just, nullptr, &zero), SIGPIPE);
}

TEST(InetSocket, WriteToClosedPeerThenEPIPE) {
  Listener l = Listen();
  Conn c = Connect(l);
  ASSERT_TRUE(c.srv.valid());
  c.srv.reset();
  char buf[4];
  EXPECT_THAT(recv(c.cli.get(), buf, sizeof buf, 0), SyscallSucceedsWithValue(0));
  EXPECT_THAT(send(c.cli.get(), "x", 1, MSG_NOSIGNAL), SyscallSucceedsWithValue(1));
  EXPECT_THAT(send(c.cli.get(), "x", 1, MSG_NOSIGNAL), SyscallFailsWithErrno(EPIPE));
}

TEST(InetSocket, CloseWithUnreadDataResetsPeer) {
  Listener l = Listen();
  Conn c = Connect(l);
  ASSERT_TRUE(c.srv.valid());
  ASSERT_THAT(send(c.cli.get(), "unread", 6, 0), SyscallSucceedsWithValue(6));
  ASSERT_THAT(send(c.srv.get(), "hi", 2, 0), SyscallSucceedsWithValue(2));
  // Let the data arrive before the close.
  struct pollfd pfd = {c.srv.get(), POLLIN, 0};
  ASSERT_THAT(poll(&pfd, 1, 10000), SyscallSucceedsWithValue(1));
  c.srv.reset();
  pfd = {c.cli.get(), POLLIN, 0};
  ASSERT_THAT(poll(&pfd, 1, 10000), SyscallSucceedsWithValue(1));
  EXPECT_TRUE(pfd.revents & POLLERR);
  EXPECT_TRUE(pfd.revents & POLLHUP);
  char buf[8];
  // What arrived before the reset is still readable, then the error.
  EXPECT_THAT(recv(c.cli.get(), buf, sizeof buf, 0), SyscallSucceedsWithValue(2));
  EXPECT_THAT(recv(c.cli.get(), buf, sizeof buf, 0), SyscallFailsWithErrno(ECONNRESET));
  EXPECT_THAT(recv(c.cli.get(), buf, sizeof buf, 0), SyscallSucceedsWithValue(0));
  EXPECT_THAT(send(c.cli.get(), "x", 1, MSG_NOSIGNAL), SyscallFailsWithErrno(EPIPE));
}

TEST(InetSocket, UnconnectedTcpSendEPIPERecvENOTCONN) {
  FileDescriptor s(socket(AF_INET, SOCK_STREAM, 0));
  char c;
  EXPECT_THAT(send(s.get(), "x", 1, MSG_NOSIGNAL), SyscallFailsWithErrno(EPIPE));
  EXPECT_THAT(recv(s.get(), &c, 1, 0), SyscallFailsWithErrno(ENOTCONN));
  EXPECT_THAT(shutdown(s.get(), SHUT_RDWR), SyscallFailsWithErrno(ENOTCONN));
}

TEST(InetSocket, PeekDontwaitAndFionread) {
  Listener l = Listen();
  Conn c = Connect(l);
  ASSERT_TRUE(c.srv.valid());
  char buf[16];
  EXPECT_THAT(recv(c.srv.get(), buf, sizeof buf, MSG_DONTWAIT), SyscallFailsWithErrno(EAGAIN));
  ASSERT_THAT(send(c.cli.get(), "hello", 5, 0), SyscallSucceedsWithValue(5));
  struct pollfd pfd = {c.srv.get(), POLLIN, 0};
  ASSERT_THAT(poll(&pfd, 1, 10000), SyscallSucceedsWithValue(1));
  int n = -1;
  ASSERT_THAT(ioctl(c.srv.get(), FIONREAD, &n), SyscallSucceeds());
  EXPECT_EQ(n, 5);
  EXPECT_THAT(recv(c.srv.get(), buf, 3, MSG_PEEK), SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(buf, 3), "hel");
  EXPECT_THAT(recv(c.srv.get(), buf, sizeof buf, 0), SyscallSucceedsWithValue(5));
  EXPECT_EQ(std::string(buf, 5), "hello");
  EXPECT_THAT(ioctl(l.fd.get(), FIONREAD, &n), SyscallFailsWithErrno(EINVAL));
}

TEST(InetSocket, PollStates) {
  FileDescriptor fresh(socket(AF_INET, SOCK_STREAM, 0));
  struct pollfd pfd = {fresh.get(), POLLIN | POLLOUT | POLLRDHUP, 0};
  ASSERT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(pfd.revents, POLLOUT | POLLHUP);
  Listener l = Listen();
  pfd = {l.fd.get(), POLLIN | POLLOUT, 0};
  EXPECT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(0));
  Conn c = Connect(l);
  ASSERT_TRUE(c.srv.valid());
  pfd = {c.srv.get(), POLLIN | POLLOUT | POLLRDHUP, 0};
  ASSERT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(pfd.revents, POLLOUT);
  ASSERT_THAT(shutdown(c.cli.get(), SHUT_WR), SyscallSucceeds());
  pfd = {c.srv.get(), POLLIN | POLLOUT | POLLRDHUP, 0};
  ASSERT_THAT(poll(&pfd, 1, 10000), SyscallSucceedsWithValue(1));
  EXPECT_EQ(pfd.revents, POLLIN | POLLOUT | POLLRDHUP);
}

TEST(InetSocket, BufferSizesAreDoubled) {
  FileDescriptor s(socket(AF_INET, SOCK_STREAM, 0));
  int v = 10000;
  ASSERT_THAT(setsockopt(s.get(), SOL_SOCKET, SO_RCVBUF, &v, sizeof v), SyscallSucceeds());
  ASSERT_THAT(setsockopt(s.get(), SOL_SOCKET, SO_SNDBUF, &v, sizeof v), SyscallSucceeds());
  socklen_t len = sizeof v;
  ASSERT_THAT(getsockopt(s.get(), SOL_SOCKET, SO_RCVBUF, &v, &len), SyscallSucceeds());
  EXPECT_EQ(v, 20000);
  ASSERT_THAT(getsockopt(s.get(), SOL_SOCKET, SO_SNDBUF, &v, &len), SyscallSucceeds());
  EXPECT_EQ(v, 20000);
}

TEST(InetSocket, TcpOptionsRoundTrip) {
  FileDescriptor s(socket(AF_INET, SOCK_STREAM, 0));
  int v = 0;
  socklen_t len = sizeof v;
  ASSERT_THAT(getsockopt(s.get(), IPPROTO_TCP, TCP_KEEPIDLE, &v, &len), SyscallSucceeds());
  EXPECT_EQ(v, 7200);
  v = 30;
  ASSERT_THAT(setsockopt(s.get(), IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof v), SyscallSucceeds());
  ASSERT_THAT(getsockopt(s.get(), IPPROTO_TCP, TCP_KEEPIDLE, &v, &len), SyscallSucceeds());
  EXPECT_EQ(v, 30);
  v = 0;
  EXPECT_THAT(setsockopt(s.get(), IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof v), SyscallFailsWithErrno(EINVAL));
  v = 1;
  ASSERT_THAT(setsockopt(s.get(), IPPROTO_TCP, TCP_CORK, &v, sizeof v), SyscallSucceeds());
  ASSERT_THAT(setsockopt(s.get(), SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v), SyscallSucceeds());
  ASSERT_THAT(getsockopt(s.get(), SOL_SOCKET, SO_KEEPALIVE, &v, &len), SyscallSucceeds());
  EXPECT_EQ(v, 1);
  linger lg = {1, 5};
  ASSERT_THAT(setsockopt(s.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg), SyscallSucceeds());
  lg = {};
  len = sizeof lg;
  ASSERT_THAT(getsockopt(s.get(), SOL_SOCKET, SO_LINGER, &lg, &len), SyscallSucceeds());
  EXPECT_EQ(lg.l_onoff, 1);
  EXPECT_EQ(lg.l_linger, 5);
  len = sizeof v;
  ASSERT_THAT(getsockopt(s.get(), IPPROTO_TCP, TCP_MAXSEG, &v, &len), SyscallSucceeds());
  EXPECT_EQ(v, 536);
  ASSERT_THAT(getsockopt(s.get(), IPPROTO_IP, IP_TTL, &v, &len), SyscallSucceeds());
  EXPECT_EQ(v, 64);
  v = 0x10;
  ASSERT_THAT(setsockopt(s.get(), IPPROTO_IP, IP_TOS, &v, sizeof v), SyscallSucceeds());
  ASSERT_THAT(getsockopt(s.get(), IPPROTO_IP, IP_TOS, &v, &len), SyscallSucceeds());
  EXPECT_EQ(v, 0x10);
}

TEST(InetSocket, UnknownOptionIsENOPROTOOPT) {
  FileDescriptor s(socket(AF_INET, SOCK_STREAM, 0));
  FileDescriptor u(socket(AF_INET, SOCK_DGRAM, 0));
  int v = 0;
  socklen_t len = sizeof v;
  EXPECT_THAT(getsockopt(s.get(), IPPROTO_TCP, 9999, &v, &len), SyscallFailsWithErrno(ENOPROTOOPT));
  // Another protocol's level: ip_getsockopt() says EOPNOTSUPP, the setter
  // ENOPROTOOPT.
  EXPECT_THAT(getsockopt(u.get(), IPPROTO_TCP, TCP_NODELAY, &v, &len), SyscallFailsWithErrno(EOPNOTSUPP));
  EXPECT_THAT(setsockopt(u.get(), IPPROTO_TCP, TCP_NODELAY, &v, sizeof v), SyscallFailsWithErrno(ENOPROTOOPT));
  EXPECT_THAT(getsockopt(s.get(), IPPROTO_IP, 9999, &v, &len), SyscallFailsWithErrno(ENOPROTOOPT));
  EXPECT_THAT(getsockopt(s.get(), SOL_SOCKET, 9999, &v, &len), SyscallFailsWithErrno(ENOPROTOOPT));
}

TEST(InetSocket, ReadvWritevRoundTrip) {
  Listener l = Listen();
  Conn c = Connect(l);
  ASSERT_TRUE(c.srv.valid());
  char a[] = "ab", b[] = "cde";
  iovec out[2] = {{a, 2}, {b, 3}};
  ASSERT_THAT(writev(c.cli.get(), out, 2), SyscallSucceedsWithValue(5));
  char x[3], y[2];
  iovec in[2] = {{x, 3}, {y, 2}};
  size_t got = 0;
  while (got < 5) {
    ssize_t n = readv(c.srv.get(), in, 2);
    ASSERT_GT(n, 0);
    got += n;
    if (got < 5) {  // shift the iovecs (rare: data came in pieces)
      in[0] = {x + got, got < 3 ? 3 - got : 0};
      in[1] = got < 3 ? iovec{y, 2} : iovec{y + got - 3, 5 - got};
    }
  }
  EXPECT_EQ(std::string(x, 3) + std::string(y, 2), "abcde");
}

TEST(InetSocket, SendtoAddressIgnoredOnConnectedTcp) {
  Listener l = Listen();
  Conn c = Connect(l);
  ASSERT_TRUE(c.srv.valid());
  sockaddr_in other = Loopback(1);
  EXPECT_THAT(sendto(c.cli.get(), "z", 1, 0, SA(&other), sizeof other), SyscallSucceedsWithValue(1));
  char z;
  sockaddr_in from;
  memset(&from, 0xff, sizeof from);
  socklen_t len = sizeof from;
  EXPECT_THAT(recvfrom(c.srv.get(), &z, 1, 0, SA(&from), &len), SyscallSucceedsWithValue(1));
  EXPECT_EQ(len, 0u);
}

TEST(InetSocket, FlowControlBlocksAndResumes) {
  Listener l = Listen();
  Conn c = Connect(l);
  ASSERT_TRUE(c.srv.valid());
  int small = 4096;
  ASSERT_THAT(setsockopt(c.srv.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small), SyscallSucceeds());
  ASSERT_THAT(setsockopt(c.cli.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small), SyscallSucceeds());
  std::vector<char> chunk(65536, 'f');
  size_t sent = 0;
  for (int i = 0; i < 10000; ++i) {
    ssize_t n = send(c.cli.get(), chunk.data(), chunk.size(), MSG_DONTWAIT);
    if (n < 0) {
      ASSERT_EQ(errno, EAGAIN);
      break;
    }
    sent += n;
  }
  EXPECT_GT(sent, 0u);
  EXPECT_LT(sent, 64u << 20);
  // A blocking writer in a child finishes once we read.
  const size_t kMore = 1 << 20;
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char> more(kMore, 'm');
    size_t done = 0;
    while (done < kMore) {
      ssize_t n = send(c.cli.get(), more.data() + done, kMore - done, 0);
      CHILD_CHECK(n > 0);
      done += n;
    }
    _exit(0);
  }
  ASSERT_GT(pid, 0);
  std::vector<char> buf(1 << 16);
  size_t got = 0;
  while (got < sent + kMore) {
    ssize_t n = recv(c.srv.get(), buf.data(), buf.size(), 0);
    ASSERT_GT(n, 0) << strerror(errno);
    got += n;
  }
  int status = 0;
  ASSERT_THAT(waitpid(pid, &status, 0), SyscallSucceedsWithValue(pid));
  EXPECT_TRUE(ExitedWith(status, 0));
}

TEST(InetSocket, DualStackListenerAcceptsIpv4) {
  FileDescriptor s(socket(AF_INET6, SOCK_STREAM, 0));
  sockaddr_in6 a = {};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_any;
  ASSERT_THAT(bind(s.get(), SA(&a), sizeof a), SyscallSucceeds());
  ASSERT_THAT(listen(s.get(), 4), SyscallSucceeds());
  socklen_t len = sizeof a;
  ASSERT_THAT(getsockname(s.get(), SA(&a), &len), SyscallSucceeds());
  FileDescriptor c(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in v4 = Loopback(ntohs(a.sin6_port));
  ASSERT_THAT(connect(c.get(), SA(&v4), sizeof v4), SyscallSucceeds());
  sockaddr_in6 peer = {};
  len = sizeof peer;
  FileDescriptor conn(accept(s.get(), SA(&peer), &len));
  ASSERT_TRUE(conn.valid());
  EXPECT_EQ(len, sizeof(sockaddr_in6));
  EXPECT_TRUE(IN6_IS_ADDR_V4MAPPED(&peer.sin6_addr));
}

TEST(InetSocket, V6OnlyListenerRefusesIpv4) {
  FileDescriptor s(socket(AF_INET6, SOCK_STREAM, 0));
  int one = 1;
  ASSERT_THAT(setsockopt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one), SyscallSucceeds());
  sockaddr_in6 a = {};
  a.sin6_family = AF_INET6;
  ASSERT_THAT(bind(s.get(), SA(&a), sizeof a), SyscallSucceeds());
  EXPECT_THAT(setsockopt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one), SyscallFailsWithErrno(EINVAL));
  ASSERT_THAT(listen(s.get(), 4), SyscallSucceeds());
  socklen_t len = sizeof a;
  ASSERT_THAT(getsockname(s.get(), SA(&a), &len), SyscallSucceeds());
  FileDescriptor c(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in v4 = Loopback(ntohs(a.sin6_port));
  EXPECT_THAT(connect(c.get(), SA(&v4), sizeof v4), SyscallFailsWithErrno(ECONNREFUSED));
}

TEST(InetSocket, ReuseaddrRebindAfterClose) {
  int one = 1;
  sockaddr_in a = Loopback();
  {
    FileDescriptor s(socket(AF_INET, SOCK_STREAM, 0));
    ASSERT_THAT(setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), SyscallSucceeds());
    ASSERT_THAT(bind(s.get(), SA(&a), sizeof a), SyscallSucceeds());
    ASSERT_THAT(listen(s.get(), 4), SyscallSucceeds());
    socklen_t len = sizeof a;
    ASSERT_THAT(getsockname(s.get(), SA(&a), &len), SyscallSucceeds());
    FileDescriptor c(socket(AF_INET, SOCK_STREAM, 0));
    ASSERT_THAT(connect(c.get(), SA(&a), sizeof a), SyscallSucceeds());
    FileDescriptor conn(accept(s.get(), nullptr, nullptr));
    ASSERT_TRUE(conn.valid());
  }
  FileDescriptor s2(socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_THAT(setsockopt(s2.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), SyscallSucceeds());
  EXPECT_THAT(bind(s2.get(), SA(&a), sizeof a), SyscallSucceeds());
  EXPECT_THAT(listen(s2.get(), 4), SyscallSucceeds());
}

TEST(InetSocket, ReuseportSharesAPort) {
  int one = 1;
  FileDescriptor a(socket(AF_INET, SOCK_STREAM, 0)), b(socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_THAT(setsockopt(a.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one), SyscallSucceeds());
  ASSERT_THAT(setsockopt(b.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one), SyscallSucceeds());
  sockaddr_in addr = Loopback();
  ASSERT_THAT(bind(a.get(), SA(&addr), sizeof addr), SyscallSucceeds());
  socklen_t len = sizeof addr;
  ASSERT_THAT(getsockname(a.get(), SA(&addr), &len), SyscallSucceeds());
  ASSERT_THAT(listen(a.get(), 4), SyscallSucceeds());
  EXPECT_THAT(bind(b.get(), SA(&addr), sizeof addr), SyscallSucceeds());
  EXPECT_THAT(listen(b.get(), 4), SyscallSucceeds());
  FileDescriptor c(socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_THAT(bind(c.get(), SA(&addr), sizeof addr), SyscallFailsWithErrno(EADDRINUSE));
}

// --- UDP ---

struct UdpPair {
  FileDescriptor a, b;
  sockaddr_in aaddr{}, baddr{};
};

UdpPair MakeUdpPair() {
  UdpPair p;
  p.a = FileDescriptor(socket(AF_INET, SOCK_DGRAM, 0));
  p.b = FileDescriptor(socket(AF_INET, SOCK_DGRAM, 0));
  for (auto [fd, addr] : {std::pair{p.a.get(), &p.aaddr}, std::pair{p.b.get(), &p.baddr}}) {
    *addr = Loopback();
    socklen_t len = sizeof *addr;
    if (bind(fd, SA(addr), sizeof *addr) != 0 || getsockname(fd, SA(addr), &len) != 0) return {};
  }
  return p;
}

TEST(InetSocket, UdpDatagramBoundariesAndTrunc) {
  UdpPair p = MakeUdpPair();
  ASSERT_TRUE(p.a.valid());
  ASSERT_THAT(sendto(p.a.get(), "first", 5, 0, SA(&p.baddr), sizeof p.baddr), SyscallSucceedsWithValue(5));
  ASSERT_THAT(sendto(p.a.get(), "second!", 7, 0, SA(&p.baddr), sizeof p.baddr), SyscallSucceedsWithValue(7));
  char buf[16];
  int n = -1;
  ASSERT_THAT(ioctl(p.b.get(), FIONREAD, &n), SyscallSucceeds());
  EXPECT_EQ(n, 5);
  EXPECT_THAT(recv(p.b.get(), buf, 2, MSG_TRUNC), SyscallSucceedsWithValue(5));
  char small[3];
  iovec iov = {small, sizeof small};
  msghdr m = {};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  EXPECT_THAT(recvmsg(p.b.get(), &m, 0), SyscallSucceedsWithValue(3));
  EXPECT_TRUE(m.msg_flags & MSG_TRUNC);
  EXPECT_EQ(std::string(small, 3), "sec");
  EXPECT_THAT(recv(p.b.get(), buf, sizeof buf, MSG_DONTWAIT), SyscallFailsWithErrno(EAGAIN));
}

TEST(InetSocket, UdpConnectFiltersSenders) {
  UdpPair p = MakeUdpPair();
  ASSERT_TRUE(p.a.valid());
  FileDescriptor other(socket(AF_INET, SOCK_DGRAM, 0));
  ASSERT_THAT(connect(p.b.get(), SA(&p.aaddr), sizeof p.aaddr), SyscallSucceeds());
  sockaddr_in peer = {};
  socklen_t len = sizeof peer;
  ASSERT_THAT(getpeername(p.b.get(), SA(&peer), &len), SyscallSucceeds());
  EXPECT_EQ(peer.sin_port, p.aaddr.sin_port);
  ASSERT_THAT(sendto(other.get(), "no", 2, 0, SA(&p.baddr), sizeof p.baddr), SyscallSucceedsWithValue(2));
  ASSERT_THAT(sendto(p.a.get(), "yes", 3, 0, SA(&p.baddr), sizeof p.baddr), SyscallSucceedsWithValue(3));
  char buf[8];
  EXPECT_THAT(recv(p.b.get(), buf, sizeof buf, 0), SyscallSucceedsWithValue(3));
  EXPECT_THAT(recv(p.b.get(), buf, sizeof buf, MSG_DONTWAIT), SyscallFailsWithErrno(EAGAIN));
  // send() without an address goes to the connected peer.
  ASSERT_THAT(send(p.b.get(), "back", 4, 0), SyscallSucceedsWithValue(4));
  sockaddr_in from = {};
  len = sizeof from;
  EXPECT_THAT(recvfrom(p.a.get(), buf, sizeof buf, 0, SA(&from), &len), SyscallSucceedsWithValue(4));
  EXPECT_EQ(from.sin_port, p.baddr.sin_port);
  // AF_UNSPEC dissolves the association.
  sockaddr unspec = {};
  unspec.sa_family = AF_UNSPEC;
  ASSERT_THAT(connect(p.b.get(), &unspec, sizeof unspec), SyscallSucceeds());
  EXPECT_THAT(getpeername(p.b.get(), SA(&peer), &len), SyscallFailsWithErrno(ENOTCONN));
}

TEST(InetSocket, UdpErrors) {
  FileDescriptor s(socket(AF_INET, SOCK_DGRAM, 0));
  EXPECT_THAT(send(s.get(), "x", 1, 0), SyscallFailsWithErrno(EDESTADDRREQ));
  sockaddr_in zero = Loopback(0);
  EXPECT_THAT(sendto(s.get(), "x", 1, 0, SA(&zero), sizeof zero), SyscallFailsWithErrno(EINVAL));
  UdpPair p = MakeUdpPair();
  ASSERT_TRUE(p.a.valid());
  std::vector<char> big(65508);
  EXPECT_THAT(sendto(p.a.get(), big.data(), big.size(), 0, SA(&p.baddr), sizeof p.baddr),
              SyscallFailsWithErrno(EMSGSIZE));
  EXPECT_THAT(sendto(p.a.get(), big.data(), 65507, 0, SA(&p.baddr), sizeof p.baddr),
              SyscallSucceedsWithValue(65507));
  EXPECT_THAT(listen(p.a.get(), 1), SyscallFailsWithErrno(EOPNOTSUPP));
}

TEST(InetSocket, UdpAutobindOnSendto) {
  UdpPair p = MakeUdpPair();
  ASSERT_TRUE(p.a.valid());
  FileDescriptor s(socket(AF_INET, SOCK_DGRAM, 0));
  ASSERT_THAT(sendto(s.get(), "hi", 2, 0, SA(&p.baddr), sizeof p.baddr), SyscallSucceedsWithValue(2));
  sockaddr_in mine = {}, from = {};
  socklen_t len = sizeof mine;
  ASSERT_THAT(getsockname(s.get(), SA(&mine), &len), SyscallSucceeds());
  EXPECT_NE(mine.sin_port, 0);
  char buf[4];
  len = sizeof from;
  ASSERT_THAT(recvfrom(p.b.get(), buf, sizeof buf, 0, SA(&from), &len), SyscallSucceedsWithValue(2));
  EXPECT_EQ(from.sin_port, mine.sin_port);
}

TEST(InetSocket, UdpConnectedToClosedPortGetsECONNREFUSED) {
  UdpPair p = MakeUdpPair();
  ASSERT_TRUE(p.a.valid());
  sockaddr_in gone = p.baddr;
  p.b.reset();
  ASSERT_THAT(connect(p.a.get(), SA(&gone), sizeof gone), SyscallSucceeds());
  ASSERT_THAT(send(p.a.get(), "x", 1, 0), SyscallSucceedsWithValue(1));
  char c;
  EXPECT_THAT(recv(p.a.get(), &c, 1, MSG_DONTWAIT), SyscallFailsWithErrno(ECONNREFUSED));
}

TEST(InetSocket, Ipv6UdpLoopback) {
  FileDescriptor a(socket(AF_INET6, SOCK_DGRAM, 0)), b(socket(AF_INET6, SOCK_DGRAM, 0));
  sockaddr_in6 addr = {};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  ASSERT_THAT(bind(b.get(), SA(&addr), sizeof addr), SyscallSucceeds());
  socklen_t len = sizeof addr;
  ASSERT_THAT(getsockname(b.get(), SA(&addr), &len), SyscallSucceeds());
  ASSERT_THAT(sendto(a.get(), "six", 3, 0, SA(&addr), sizeof addr), SyscallSucceedsWithValue(3));
  sockaddr_in6 from = {};
  len = sizeof from;
  char buf[4];
  ASSERT_THAT(recvfrom(b.get(), buf, sizeof buf, 0, SA(&from), &len), SyscallSucceedsWithValue(3));
  EXPECT_EQ(len, sizeof(sockaddr_in6));
  EXPECT_TRUE(IN6_IS_ADDR_LOOPBACK(&from.sin6_addr));
}

TEST(InetSocket, LoopbackInterfaceIoctls) {
  FileDescriptor s(socket(AF_INET, SOCK_DGRAM, 0));
  ifreq ifr = {};
  strcpy(ifr.ifr_name, "lo");
  ASSERT_THAT(ioctl(s.get(), SIOCGIFINDEX, &ifr), SyscallSucceeds());
  EXPECT_EQ(ifr.ifr_ifindex, 1);
  ASSERT_THAT(ioctl(s.get(), SIOCGIFFLAGS, &ifr), SyscallSucceeds());
  EXPECT_EQ(ifr.ifr_flags & (IFF_UP | IFF_LOOPBACK | IFF_RUNNING), IFF_UP | IFF_LOOPBACK | IFF_RUNNING);
  ASSERT_THAT(ioctl(s.get(), SIOCGIFADDR, &ifr), SyscallSucceeds());
  EXPECT_EQ(reinterpret_cast<sockaddr_in*>(&ifr.ifr_addr)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
  strcpy(ifr.ifr_name, "nosuchif0");
  EXPECT_THAT(ioctl(s.get(), SIOCGIFFLAGS, &ifr), SyscallFailsWithErrno(ENODEV));
}

TEST(InetSocket, UnknownProtocolIsEPROTONOSUPPORT) {
  EXPECT_THAT(socket(AF_INET, SOCK_STREAM, 200), SyscallFailsWithErrno(EPROTONOSUPPORT));
}

}  // namespace
}  // namespace conformance
