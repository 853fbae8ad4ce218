// AF_NETLINK sockets of protocol NETLINK_ROUTE: the interface, address and
// route dumps of a network that has only `lo` (up), and the socket
// mechanics (port ids, acks and errors, peek/trunc, readiness, options).
// Natively the process first enters a fresh network namespace and brings
// lo up, so that both sides describe the same world; in the sandbox, where
// unshare(CLONE_NEWNET) is refused, the sandbox must already show only lo.
// syscalls: socket bind connect getsockname getpeername sendto recvfrom sendmsg recvmsg setsockopt getsockopt poll
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "util/test_util.h"

namespace conformance {
namespace {

// Enters a network namespace with only lo, up (once per process).
void IsolateNetwork() {
  static bool done = false;
  if (done) return;
  done = true;
  if (unshare(CLONE_NEWNET) == 0) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    strcpy(ifr.ifr_name, "lo");
    if (s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
      ifr.ifr_flags |= IFF_UP;
      ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    if (s >= 0) close(s);
  }
}

class NetlinkRoute : public ::testing::Test {
 protected:
  void SetUp() override {
    IsolateNetwork();
    // The world the tests expect: lo only.
    char name[IF_NAMESIZE];
    ASSERT_NE(if_indextoname(1, name), nullptr) << strerror(errno);
    ASSERT_STREQ(name, "lo");
  }
};

FileDescriptor Open(int flags = 0) {
  return FileDescriptor(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | flags, NETLINK_ROUTE));
}

// Sends one request: a header and `payload`.
ssize_t Request(int fd, uint16_t type, uint16_t flags, uint32_t seq, const void* payload,
                size_t len) {
  std::vector<uint8_t> b(NLMSG_LENGTH(len));
  nlmsghdr h{};
  h.nlmsg_len = NLMSG_LENGTH(len);
  h.nlmsg_type = type;
  h.nlmsg_flags = flags;
  h.nlmsg_seq = seq;
  memcpy(b.data(), &h, sizeof(h));
  if (len) memcpy(b.data() + NLMSG_HDRLEN, payload, len);
  return send(fd, b.data(), b.size(), 0);
}

ssize_t Dump(int fd, uint16_t type, uint8_t family, uint32_t seq, size_t hdr_len) {
  std::vector<uint8_t> p(hdr_len);
  p[0] = family;
  return Request(fd, type, NLM_F_REQUEST | NLM_F_DUMP, seq, p.data(), p.size());
}

// Every datagram queued now (non-blocking).
std::vector<std::vector<uint8_t>> Drain(int fd) {
  std::vector<std::vector<uint8_t>> out;
  for (;;) {
    std::vector<uint8_t> b(65536);
    ssize_t n = recv(fd, b.data(), b.size(), MSG_DONTWAIT);
    if (n < 0) break;
    b.resize(n);
    out.push_back(b);
  }
  return out;
}

struct Msg {
  nlmsghdr hdr;
  std::vector<uint8_t> payload;
};

std::vector<Msg> Split(const std::vector<uint8_t>& d) {
  std::vector<Msg> out;
  int len = d.size();
  for (auto* h = reinterpret_cast<const nlmsghdr*>(d.data()); NLMSG_OK(h, len);
       h = NLMSG_NEXT(h, len)) {
    auto* p = static_cast<const uint8_t*>(NLMSG_DATA(h));
    out.push_back(Msg{*h, std::vector<uint8_t>(p, p + h->nlmsg_len - NLMSG_HDRLEN)});
  }
  return out;
}

std::map<int, std::vector<uint8_t>> Attrs(const Msg& m, size_t fixed) {
  std::map<int, std::vector<uint8_t>> out;
  int len = m.payload.size() - NLMSG_ALIGN(fixed);
  for (auto* a = reinterpret_cast<const rtattr*>(m.payload.data() + NLMSG_ALIGN(fixed));
       RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    auto* p = static_cast<const uint8_t*>(RTA_DATA(a));
    out[a->rta_type & NLA_TYPE_MASK] = std::vector<uint8_t>(p, p + RTA_PAYLOAD(a));
  }
  return out;
}

uint32_t U32(const std::vector<uint8_t>& v) {
  uint32_t x = 0;
  memcpy(&x, v.data(), std::min(v.size(), sizeof(x)));
  return x;
}

std::string Str(const std::vector<uint8_t>& v) { return std::string(reinterpret_cast<const char*>(v.data())); }

int ErrorOf(const Msg& m) {
  int e;
  memcpy(&e, m.payload.data(), sizeof(e));
  return e;
}

uint32_t PortId(int fd) {
  sockaddr_nl a{};
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return a.nl_pid;
}

// The messages of a dump: every datagram's messages until NLMSG_DONE,
// which must come alone in the last datagram.
std::vector<Msg> DumpMessages(int fd, uint32_t seq) {
  std::vector<Msg> out;
  auto dgrams = Drain(fd);
  EXPECT_GE(dgrams.size(), 2u);
  for (size_t i = 0; i < dgrams.size(); ++i) {
    auto msgs = Split(dgrams[i]);
    for (const Msg& m : msgs) {
      EXPECT_EQ(m.hdr.nlmsg_seq, seq);
      EXPECT_EQ(m.hdr.nlmsg_pid, PortId(fd));
      EXPECT_TRUE(m.hdr.nlmsg_flags & NLM_F_MULTI);
    }
    if (i + 1 == dgrams.size()) {
      EXPECT_EQ(msgs.size(), 1u);
      EXPECT_EQ(msgs.back().hdr.nlmsg_type, NLMSG_DONE);
      EXPECT_EQ(msgs.back().payload.size(), sizeof(int));
      EXPECT_EQ(ErrorOf(msgs.back()), 0);
    } else {
      out.insert(out.end(), msgs.begin(), msgs.end());
    }
  }
  return out;
}

TEST_F(NetlinkRoute, CreateTypesAndProtocols) {
  FileDescriptor raw = Open();
  ASSERT_TRUE(raw.valid()) << strerror(errno);
  FileDescriptor dgram(socket(AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE));
  EXPECT_TRUE(dgram.valid());
  EXPECT_THAT(socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE), SyscallFailsWithErrno(ESOCKTNOSUPPORT));
  EXPECT_THAT(socket(AF_NETLINK, SOCK_SEQPACKET, 0), SyscallFailsWithErrno(ESOCKTNOSUPPORT));
  EXPECT_THAT(socket(AF_NETLINK, SOCK_RAW, 31), SyscallFailsWithErrno(EPROTONOSUPPORT));
  EXPECT_THAT(socket(AF_NETLINK, SOCK_RAW, 32), SyscallFailsWithErrno(EPROTONOSUPPORT));
  int v = -1;
  socklen_t len = sizeof(v);
  ASSERT_THAT(getsockopt(raw.get(), SOL_SOCKET, SO_TYPE, &v, &len), SyscallSucceeds());
  EXPECT_EQ(v, SOCK_RAW);
  ASSERT_THAT(getsockopt(raw.get(), SOL_SOCKET, SO_DOMAIN, &v, &len), SyscallSucceeds());
  EXPECT_EQ(v, AF_NETLINK);
  ASSERT_THAT(getsockopt(raw.get(), SOL_SOCKET, SO_PROTOCOL, &v, &len), SyscallSucceeds());
  EXPECT_EQ(v, NETLINK_ROUTE);
  int sv[2];
  EXPECT_THAT(socketpair(AF_NETLINK, SOCK_RAW, 0, sv), SyscallFailsWithErrno(EOPNOTSUPP));
  EXPECT_THAT(listen(raw.get(), 1), SyscallFailsWithErrno(EOPNOTSUPP));
  EXPECT_THAT(shutdown(raw.get(), SHUT_RD), SyscallFailsWithErrno(EOPNOTSUPP));
}

TEST_F(NetlinkRoute, NamesBeforeBind) {
  FileDescriptor fd = Open();
  sockaddr_nl a{};
  socklen_t len = sizeof(a);
  ASSERT_THAT(getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len), SyscallSucceeds());
  EXPECT_EQ(len, sizeof(sockaddr_nl));
  EXPECT_EQ(a.nl_family, AF_NETLINK);
  EXPECT_EQ(a.nl_pid, 0u);
  len = sizeof(a);
  ASSERT_THAT(getpeername(fd.get(), reinterpret_cast<sockaddr*>(&a), &len), SyscallSucceeds());
  EXPECT_EQ(a.nl_pid, 0u);
}

TEST_F(NetlinkRoute, BindAutobindsToTgidThenNegative) {
  FileDescriptor a = Open(), b = Open();
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  ASSERT_THAT(bind(a.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), SyscallSucceeds());
  EXPECT_EQ(PortId(a.get()), static_cast<uint32_t>(getpid()));
  ASSERT_THAT(bind(b.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), SyscallSucceeds());
  EXPECT_LT(static_cast<int32_t>(PortId(b.get())), 0);
  // Rebinding to another id fails; to the same id succeeds.
  addr.nl_pid = 4242;
  EXPECT_THAT(bind(a.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), SyscallFailsWithErrno(EINVAL));
  addr.nl_pid = getpid();
  EXPECT_THAT(bind(a.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), SyscallSucceeds());
  // A taken id.
  FileDescriptor c = Open();
  EXPECT_THAT(bind(c.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), SyscallFailsWithErrno(EADDRINUSE));
  addr.nl_pid = 4242;
  EXPECT_THAT(bind(c.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), SyscallSucceeds());
  EXPECT_EQ(PortId(c.get()), 4242u);
}

TEST_F(NetlinkRoute, BindBadAddress) {
  FileDescriptor fd = Open();
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  EXPECT_THAT(bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr) - 1), SyscallFailsWithErrno(EINVAL));
  addr.nl_family = AF_INET;
  EXPECT_THAT(bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), SyscallFailsWithErrno(EINVAL));
}

TEST_F(NetlinkRoute, BindGroupsShowInName) {
  FileDescriptor fd = Open();
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR;
  ASSERT_THAT(bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), SyscallSucceeds());
  sockaddr_nl a{};
  socklen_t len = sizeof(a);
  ASSERT_THAT(getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len), SyscallSucceeds());
  EXPECT_EQ(a.nl_groups, static_cast<uint32_t>(RTMGRP_LINK | RTMGRP_IPV4_IFADDR));
}

TEST_F(NetlinkRoute, SendAutobindsAndRepliesComeFromKernel) {
  FileDescriptor fd = Open();
  ifinfomsg ifi{};
  ASSERT_THAT(Request(fd.get(), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 5, &ifi, sizeof(ifi)), SyscallSucceedsWithValue(NLMSG_LENGTH(sizeof(ifi))));
  EXPECT_EQ(PortId(fd.get()), static_cast<uint32_t>(getpid()));
  std::vector<uint8_t> b(65536);
  sockaddr_nl from{};
  socklen_t len = sizeof(from);
  ASSERT_THAT(recvfrom(fd.get(), b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&from), &len), SyscallSucceeds());
  EXPECT_EQ(len, sizeof(sockaddr_nl));
  EXPECT_EQ(from.nl_family, AF_NETLINK);
  EXPECT_EQ(from.nl_pid, 0u);
  EXPECT_EQ(from.nl_groups, 0u);
}

TEST_F(NetlinkRoute, LinkDumpListsLo) {
  FileDescriptor fd = Open();
  ifinfomsg ifi{};
  ASSERT_THAT(Request(fd.get(), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 7, &ifi, sizeof(ifi)), SyscallSucceeds());
  auto msgs = DumpMessages(fd.get(), 7);
  ASSERT_EQ(msgs.size(), 1u);
  const Msg& m = msgs[0];
  EXPECT_EQ(m.hdr.nlmsg_type, RTM_NEWLINK);
  ifinfomsg got;
  memcpy(&got, m.payload.data(), sizeof(got));
  EXPECT_EQ(got.ifi_index, 1);
  EXPECT_EQ(got.ifi_type, 772);  // ARPHRD_LOOPBACK
  EXPECT_EQ(got.ifi_flags, static_cast<unsigned>(IFF_UP | IFF_LOOPBACK | IFF_RUNNING | 0x10000 /* IFF_LOWER_UP */));
  auto at = Attrs(m, sizeof(ifinfomsg));
  EXPECT_EQ(Str(at[IFLA_IFNAME]), "lo");
  EXPECT_EQ(U32(at[IFLA_MTU]), 65536u);
  EXPECT_EQ(U32(at[IFLA_TXQLEN]), 1000u);
  ASSERT_EQ(at[IFLA_OPERSTATE].size(), 1u);
  EXPECT_EQ(at[IFLA_OPERSTATE][0], 0);  // IF_OPER_UNKNOWN
  EXPECT_EQ(at[IFLA_ADDRESS], std::vector<uint8_t>(6, 0));
  EXPECT_EQ(at[IFLA_BROADCAST], std::vector<uint8_t>(6, 0));
  EXPECT_EQ(Str(at[IFLA_QDISC]), "noqueue");
  EXPECT_EQ(at[IFLA_LINKMODE].size(), 1u);
  EXPECT_GE(at[IFLA_STATS64].size(), 23 * 8u);
  EXPECT_GE(at[IFLA_STATS].size(), 23 * 4u);
}

TEST_F(NetlinkRoute, AddrDumpAllFamilies) {
  FileDescriptor fd = Open();
  ASSERT_THAT(Dump(fd.get(), RTM_GETADDR, AF_UNSPEC, 9, sizeof(ifaddrmsg)), SyscallSucceeds());
  auto msgs = DumpMessages(fd.get(), 9);
  ASSERT_EQ(msgs.size(), 2u);
  ifaddrmsg v4, v6;
  memcpy(&v4, msgs[0].payload.data(), sizeof(v4));
  memcpy(&v6, msgs[1].payload.data(), sizeof(v6));
  EXPECT_EQ(v4.ifa_family, AF_INET);
  EXPECT_EQ(v4.ifa_prefixlen, 8);
  EXPECT_EQ(v4.ifa_scope, RT_SCOPE_HOST);
  EXPECT_EQ(v4.ifa_index, 1u);
  auto a4 = Attrs(msgs[0], sizeof(ifaddrmsg));
  EXPECT_EQ(U32(a4[IFA_ADDRESS]), htonl(INADDR_LOOPBACK));
  EXPECT_EQ(U32(a4[IFA_LOCAL]), htonl(INADDR_LOOPBACK));
  EXPECT_EQ(Str(a4[IFA_LABEL]), "lo");
  EXPECT_EQ(U32(a4[IFA_FLAGS]), static_cast<uint32_t>(IFA_F_PERMANENT));
  EXPECT_EQ(a4[IFA_CACHEINFO].size(), sizeof(ifa_cacheinfo));
  EXPECT_EQ(v6.ifa_family, AF_INET6);
  EXPECT_EQ(v6.ifa_prefixlen, 128);
  EXPECT_EQ(v6.ifa_scope, RT_SCOPE_HOST);
  auto a6 = Attrs(msgs[1], sizeof(ifaddrmsg));
  ASSERT_EQ(a6[IFA_ADDRESS].size(), 16u);
  EXPECT_EQ(memcmp(a6[IFA_ADDRESS].data(), &in6addr_loopback, 16), 0);
}

TEST_F(NetlinkRoute, AddrDumpFamilyFilter) {
  FileDescriptor fd = Open();
  ASSERT_THAT(Dump(fd.get(), RTM_GETADDR, AF_INET, 1, sizeof(ifaddrmsg)), SyscallSucceeds());
  auto v4 = DumpMessages(fd.get(), 1);
  ASSERT_EQ(v4.size(), 1u);
  EXPECT_EQ(v4[0].payload[0], AF_INET);
  // A bare rtgenmsg (one byte) is enough, as glibc sends. The IPv6 dump
  // puts NLMSG_DONE right after its entry.
  ASSERT_THAT(Dump(fd.get(), RTM_GETADDR, AF_INET6, 2, 1), SyscallSucceeds());
  auto d = Drain(fd.get());
  ASSERT_EQ(d.size(), 1u);
  auto v6 = Split(d[0]);
  ASSERT_EQ(v6.size(), 2u);
  EXPECT_EQ(v6[0].hdr.nlmsg_type, RTM_NEWADDR);
  EXPECT_EQ(v6[0].payload[0], AF_INET6);
  EXPECT_EQ(v6[1].hdr.nlmsg_type, NLMSG_DONE);
  EXPECT_EQ(v6[1].hdr.nlmsg_flags, NLM_F_MULTI);
  // Empty dumps: NLMSG_DONE alone (neighbours, bridge ports).
  ASSERT_THAT(Dump(fd.get(), RTM_GETNEIGH, AF_UNSPEC, 3, sizeof(ndmsg)), SyscallSucceeds());
  d = Drain(fd.get());
  ASSERT_EQ(d.size(), 1u);
  ASSERT_EQ(Split(d[0]).size(), 1u);
  EXPECT_EQ(Split(d[0])[0].hdr.nlmsg_type, NLMSG_DONE);
}

TEST_F(NetlinkRoute, RouteDumpLocalTable) {
  FileDescriptor fd = Open();
  ASSERT_THAT(Dump(fd.get(), RTM_GETROUTE, AF_UNSPEC, 3, sizeof(rtmsg)), SyscallSucceeds());
  auto msgs = DumpMessages(fd.get(), 3);
  ASSERT_EQ(msgs.size(), 4u);
  struct Want {
    int family, dst_len, scope, type;
  } want[] = {{AF_INET, 8, RT_SCOPE_HOST, RTN_LOCAL},
              {AF_INET, 32, RT_SCOPE_HOST, RTN_LOCAL},
              {AF_INET, 32, RT_SCOPE_LINK, RTN_BROADCAST},
              {AF_INET6, 128, RT_SCOPE_UNIVERSE, RTN_LOCAL}};
  for (size_t i = 0; i < 4; ++i) {
    rtmsg rt;
    memcpy(&rt, msgs[i].payload.data(), sizeof(rt));
    EXPECT_EQ(rt.rtm_family, want[i].family) << i;
    EXPECT_EQ(rt.rtm_dst_len, want[i].dst_len) << i;
    EXPECT_EQ(rt.rtm_scope, want[i].scope) << i;
    EXPECT_EQ(rt.rtm_type, want[i].type) << i;
    EXPECT_EQ(rt.rtm_table, RT_TABLE_LOCAL) << i;
    EXPECT_EQ(rt.rtm_protocol, RTPROT_KERNEL) << i;
    auto at = Attrs(msgs[i], sizeof(rtmsg));
    EXPECT_EQ(U32(at[RTA_OIF]), 1u) << i;
    EXPECT_EQ(U32(at[RTA_TABLE]), static_cast<uint32_t>(RT_TABLE_LOCAL)) << i;
  }
  ASSERT_THAT(Dump(fd.get(), RTM_GETROUTE, AF_INET6, 4, sizeof(rtmsg)), SyscallSucceeds());
  EXPECT_EQ(DumpMessages(fd.get(), 4).size(), 1u);
}

TEST_F(NetlinkRoute, GetLinkByIndexAndName) {
  FileDescriptor fd = Open();
  ifinfomsg ifi{};
  ifi.ifi_index = 1;
  ASSERT_THAT(Request(fd.get(), RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, 11, &ifi, sizeof(ifi)), SyscallSucceeds());
  auto d = Drain(fd.get());
  ASSERT_EQ(d.size(), 2u);
  auto m = Split(d[0]);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].hdr.nlmsg_type, RTM_NEWLINK);
  EXPECT_EQ(m[0].hdr.nlmsg_flags, 0);
  EXPECT_EQ(m[0].hdr.nlmsg_seq, 11u);
  EXPECT_EQ(Str(Attrs(m[0], sizeof(ifinfomsg))[IFLA_IFNAME]), "lo");
  auto ack = Split(d[1]);
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].hdr.nlmsg_type, NLMSG_ERROR);
  EXPECT_EQ(ErrorOf(ack[0]), 0);

  // By name: index 0 and IFLA_IFNAME.
  struct {
    ifinfomsg ifi;
    rtattr rta;
    char name[4];
  } req{};
  req.rta.rta_len = RTA_LENGTH(3);
  req.rta.rta_type = IFLA_IFNAME;
  strcpy(req.name, "lo");
  ASSERT_THAT(Request(fd.get(), RTM_GETLINK, NLM_F_REQUEST, 12, &req, sizeof(req)), SyscallSucceeds());
  d = Drain(fd.get());
  ASSERT_EQ(d.size(), 1u);
  m = Split(d[0]);
  ASSERT_EQ(m.size(), 1u);
  ifinfomsg got;
  memcpy(&got, m[0].payload.data(), sizeof(got));
  EXPECT_EQ(got.ifi_index, 1);
}

TEST_F(NetlinkRoute, GetLinkErrors) {
  FileDescriptor fd = Open();
  ifinfomsg ifi{};
  ifi.ifi_index = 99;
  ASSERT_THAT(Request(fd.get(), RTM_GETLINK, NLM_F_REQUEST, 13, &ifi, sizeof(ifi)), SyscallSucceeds());
  auto d = Drain(fd.get());
  ASSERT_EQ(d.size(), 1u);
  auto m = Split(d[0]);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].hdr.nlmsg_type, NLMSG_ERROR);
  EXPECT_EQ(m[0].hdr.nlmsg_flags, 0);
  EXPECT_EQ(m[0].hdr.nlmsg_seq, 13u);
  EXPECT_EQ(m[0].hdr.nlmsg_pid, PortId(fd.get()));
  EXPECT_EQ(ErrorOf(m[0]), -ENODEV);
  // The whole request is echoed after the error.
  EXPECT_EQ(m[0].payload.size(), sizeof(int) + NLMSG_LENGTH(sizeof(ifi)));
  nlmsghdr echoed;
  memcpy(&echoed, m[0].payload.data() + sizeof(int), sizeof(echoed));
  EXPECT_EQ(echoed.nlmsg_type, RTM_GETLINK);
  EXPECT_EQ(echoed.nlmsg_seq, 13u);
  // Neither index nor name.
  ifi.ifi_index = 0;
  ASSERT_THAT(Request(fd.get(), RTM_GETLINK, NLM_F_REQUEST, 14, &ifi, sizeof(ifi)), SyscallSucceeds());
  d = Drain(fd.get());
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(ErrorOf(Split(d[0])[0]), -EINVAL);
}

TEST_F(NetlinkRoute, AckEchoesHeaderOnly) {
  FileDescriptor fd = Open();
  int pad = 0;
  ASSERT_THAT(Request(fd.get(), NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, 21, &pad, sizeof(pad)), SyscallSucceeds());
  auto d = Drain(fd.get());
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].size(), NLMSG_LENGTH(sizeof(nlmsgerr)));
  auto m = Split(d[0]);
  EXPECT_EQ(m[0].hdr.nlmsg_type, NLMSG_ERROR);
  EXPECT_EQ(m[0].hdr.nlmsg_flags, NLM_F_CAPPED);
  EXPECT_EQ(ErrorOf(m[0]), 0);
  // Without NLM_F_ACK a no-op gets no answer.
  ASSERT_THAT(Request(fd.get(), NLMSG_NOOP, NLM_F_REQUEST, 22, &pad, sizeof(pad)), SyscallSucceeds());
  EXPECT_EQ(Drain(fd.get()).size(), 0u);
  // Neither does a message without NLM_F_REQUEST, unless asked to ack.
  ifinfomsg ifi{};
  ASSERT_THAT(Request(fd.get(), RTM_GETLINK, 0, 23, &ifi, sizeof(ifi)), SyscallSucceeds());
  EXPECT_EQ(Drain(fd.get()).size(), 0u);
  ASSERT_THAT(Request(fd.get(), RTM_GETLINK, NLM_F_ACK, 24, &ifi, sizeof(ifi)), SyscallSucceeds());
  d = Drain(fd.get());
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(ErrorOf(Split(d[0])[0]), 0);
}

TEST_F(NetlinkRoute, CapAckCapsErrors) {
  FileDescriptor fd = Open();
  int one = 1;
  ASSERT_THAT(setsockopt(fd.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)), SyscallSucceeds());
  ifinfomsg ifi{};
  ifi.ifi_index = 99;
  ASSERT_THAT(Request(fd.get(), RTM_GETLINK, NLM_F_REQUEST, 31, &ifi, sizeof(ifi)), SyscallSucceeds());
  auto d = Drain(fd.get());
  ASSERT_EQ(d.size(), 1u);
  auto m = Split(d[0]);
  EXPECT_EQ(m[0].hdr.nlmsg_flags, NLM_F_CAPPED);
  EXPECT_EQ(ErrorOf(m[0]), -ENODEV);
  EXPECT_EQ(m[0].payload.size(), sizeof(nlmsgerr));
}

TEST_F(NetlinkRoute, UnknownTypeIsEopnotsupp) {
  FileDescriptor fd = Open();
  ifinfomsg ifi{};
  ASSERT_THAT(Request(fd.get(), 200, NLM_F_REQUEST, 41, &ifi, sizeof(ifi)), SyscallSucceeds());
  // Below RTM_MAX but not a request rtnetlink knows (a GET: a change
  // would need CAP_NET_ADMIN first).
  ASSERT_THAT(Request(fd.get(), 98, NLM_F_REQUEST, 42, &ifi, sizeof(ifi)), SyscallSucceeds());
  auto d = Drain(fd.get());
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(ErrorOf(Split(d[0])[0]), -EOPNOTSUPP);
  EXPECT_EQ(ErrorOf(Split(d[1])[0]), -EOPNOTSUPP);
}

TEST_F(NetlinkRoute, MalformedRequestsAreDropped) {
  FileDescriptor fd = Open();
  struct {
    nlmsghdr h;
    ifinfomsg ifi;
  } req{};
  req.h.nlmsg_type = RTM_GETLINK;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  req.ifi.ifi_index = 1;
  req.h.nlmsg_len = 10;  // shorter than a header
  EXPECT_THAT(send(fd.get(), &req, sizeof(req), 0), SyscallSucceedsWithValue(sizeof(req)));
  req.h.nlmsg_len = 100;  // longer than what was sent
  EXPECT_THAT(send(fd.get(), &req, sizeof(req), 0), SyscallSucceedsWithValue(sizeof(req)));
  EXPECT_EQ(Drain(fd.get()).size(), 0u);
  // Two requests in one send are both answered.
  struct {
    nlmsghdr h1;
    int p1;
    nlmsghdr h2;
    int p2;
  } two{};
  two.h1 = nlmsghdr{NLMSG_LENGTH(4), NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, 1, 0};
  two.h2 = nlmsghdr{NLMSG_LENGTH(4), NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, 2, 0};
  EXPECT_THAT(send(fd.get(), &two, sizeof(two), 0), SyscallSucceeds());
  auto d = Drain(fd.get());
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(Split(d[0])[0].hdr.nlmsg_seq, 1u);
  EXPECT_EQ(Split(d[1])[0].hdr.nlmsg_seq, 2u);
}

TEST_F(NetlinkRoute, SecondDumpWhileOneIsUnfinishedIsBusy) {
  FileDescriptor fd = Open();
  ifinfomsg ifi{};
  ASSERT_THAT(Request(fd.get(), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1, &ifi, sizeof(ifi)), SyscallSucceeds());
  ASSERT_THAT(Request(fd.get(), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 2, &ifi, sizeof(ifi)), SyscallSucceeds());
  auto d = Drain(fd.get());
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(Split(d[0])[0].hdr.nlmsg_type, RTM_NEWLINK);
  auto busy = Split(d[1])[0];
  EXPECT_EQ(busy.hdr.nlmsg_type, NLMSG_ERROR);
  EXPECT_EQ(busy.hdr.nlmsg_seq, 2u);
  EXPECT_EQ(ErrorOf(busy), -EBUSY);
  EXPECT_EQ(Split(d[2])[0].hdr.nlmsg_type, NLMSG_DONE);
}

TEST_F(NetlinkRoute, PeekAndTrunc) {
  FileDescriptor fd = Open();
  ifinfomsg ifi{};
  ASSERT_THAT(Request(fd.get(), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1, &ifi, sizeof(ifi)), SyscallSucceeds());
  char b[100];
  iovec io{b, sizeof(b)};
  msghdr m{};
  m.msg_iov = &io;
  m.msg_iovlen = 1;
  ASSERT_THAT(recvmsg(fd.get(), &m, MSG_PEEK), SyscallSucceedsWithValue(100));
  EXPECT_TRUE(m.msg_flags & MSG_TRUNC);
  // With MSG_TRUNC the datagram's real length.
  ssize_t full = recvmsg(fd.get(), &m, MSG_PEEK | MSG_TRUNC);
  EXPECT_GT(full, 100);
  nlmsghdr h;
  memcpy(&h, b, sizeof(h));
  EXPECT_EQ(static_cast<ssize_t>(h.nlmsg_len), full);  // one message
  EXPECT_THAT(recv(fd.get(), b, 0, MSG_PEEK), SyscallSucceedsWithValue(0));
  // A short read consumes the datagram; the rest is lost.
  ASSERT_THAT(recvmsg(fd.get(), &m, 0), SyscallSucceedsWithValue(100));
  EXPECT_TRUE(m.msg_flags & MSG_TRUNC);
  ASSERT_THAT(recv(fd.get(), b, sizeof(b), MSG_DONTWAIT), SyscallSucceedsWithValue(NLMSG_LENGTH(sizeof(int))));
  memcpy(&h, b, sizeof(h));
  EXPECT_EQ(h.nlmsg_type, NLMSG_DONE);
}

TEST_F(NetlinkRoute, NonblockingAndTimeout) {
  FileDescriptor fd = Open(SOCK_NONBLOCK);
  char b[64];
  EXPECT_THAT(recv(fd.get(), b, sizeof(b), 0), SyscallFailsWithErrno(EAGAIN));
  FileDescriptor blocking = Open();
  EXPECT_THAT(recv(blocking.get(), b, sizeof(b), MSG_DONTWAIT), SyscallFailsWithErrno(EAGAIN));
  timeval tv{0, 100000};
  ASSERT_THAT(setsockopt(blocking.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), SyscallSucceeds());
  EXPECT_THAT(recv(blocking.get(), b, sizeof(b), 0), SyscallFailsWithErrno(EAGAIN));
}

TEST_F(NetlinkRoute, PollReadiness) {
  FileDescriptor fd = Open();
  pollfd p{fd.get(), POLLIN | POLLOUT, 0};
  ASSERT_THAT(poll(&p, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(p.revents, POLLOUT);
  int pad = 0;
  ASSERT_THAT(Request(fd.get(), NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, 1, &pad, sizeof(pad)), SyscallSucceeds());
  ASSERT_THAT(poll(&p, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(p.revents, POLLIN | POLLOUT);
  Drain(fd.get());
  ASSERT_THAT(poll(&p, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(p.revents, POLLOUT);
}

TEST_F(NetlinkRoute, WriteAndReadWork) {
  FileDescriptor fd = Open();
  struct {
    nlmsghdr h;
    int pad;
  } req{{NLMSG_LENGTH(4), NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, 77, 0}, 0};
  ASSERT_THAT(write(fd.get(), &req, sizeof(req)), SyscallSucceedsWithValue(sizeof(req)));
  char b[256];
  ASSERT_THAT(read(fd.get(), b, sizeof(b)), SyscallSucceedsWithValue(NLMSG_LENGTH(sizeof(nlmsgerr))));
  nlmsghdr h;
  memcpy(&h, b, sizeof(h));
  EXPECT_EQ(h.nlmsg_seq, 77u);
}

TEST_F(NetlinkRoute, Options) {
  FileDescriptor fd = Open();
  int v = 4096;
  ASSERT_THAT(setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), SyscallSucceeds());
  socklen_t len = sizeof(v);
  ASSERT_THAT(getsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &v, &len), SyscallSucceeds());
  EXPECT_EQ(v, 8192);
  for (int opt : {NETLINK_PKTINFO, NETLINK_NO_ENOBUFS, NETLINK_CAP_ACK, NETLINK_EXT_ACK,
                  NETLINK_GET_STRICT_CHK, NETLINK_BROADCAST_ERROR}) {
    len = sizeof(v);
    ASSERT_THAT(getsockopt(fd.get(), SOL_NETLINK, opt, &v, &len), SyscallSucceeds()) << opt;
    EXPECT_EQ(v, 0) << opt;
    int one = 1;
    ASSERT_THAT(setsockopt(fd.get(), SOL_NETLINK, opt, &one, sizeof(one)), SyscallSucceeds()) << opt;
    len = sizeof(v);
    ASSERT_THAT(getsockopt(fd.get(), SOL_NETLINK, opt, &v, &len), SyscallSucceeds()) << opt;
    EXPECT_EQ(v, 1) << opt;
    EXPECT_EQ(len, sizeof(int));
  }
  // Memberships: none listed before the first join.
  uint32_t bits[4] = {};
  len = sizeof(bits);
  ASSERT_THAT(getsockopt(fd.get(), SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, bits, &len), SyscallSucceeds());
  EXPECT_EQ(len, 0u);
  int g = RTNLGRP_IPV4_IFADDR;
  ASSERT_THAT(setsockopt(fd.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)), SyscallSucceeds());
  len = sizeof(bits);
  ASSERT_THAT(getsockopt(fd.get(), SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, bits, &len), SyscallSucceeds());
  EXPECT_EQ(len, 8u);
  EXPECT_EQ(bits[0], 1u << (RTNLGRP_IPV4_IFADDR - 1));
  g = 0;
  EXPECT_THAT(setsockopt(fd.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)), SyscallFailsWithErrno(EINVAL));
  g = 1000;
  EXPECT_THAT(setsockopt(fd.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(setsockopt(fd.get(), SOL_NETLINK, NETLINK_RX_RING, &v, sizeof(v)), SyscallFailsWithErrno(ENOPROTOOPT));
  EXPECT_THAT(setsockopt(fd.get(), SOL_NETLINK, 99, &v, sizeof(v)), SyscallFailsWithErrno(ENOPROTOOPT));
  len = sizeof(v);
  EXPECT_THAT(getsockopt(fd.get(), SOL_NETLINK, 99, &v, &len), SyscallFailsWithErrno(ENOPROTOOPT));
  EXPECT_THAT(getsockopt(fd.get(), SOL_IP, 1, &v, &len), SyscallFailsWithErrno(ENOPROTOOPT));
}

TEST_F(NetlinkRoute, UnicastBetweenSockets) {
  FileDescriptor a = Open(), b = Open();
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  addr.nl_pid = 5151;
  ASSERT_THAT(bind(a.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), SyscallSucceeds());
  const char msg[] = "hello";
  ASSERT_THAT(sendto(b.get(), msg, sizeof(msg), 0, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), SyscallSucceedsWithValue(sizeof(msg)));
  char got[16];
  sockaddr_nl from{};
  socklen_t len = sizeof(from);
  ASSERT_THAT(recvfrom(a.get(), got, sizeof(got), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len), SyscallSucceedsWithValue(sizeof(msg)));
  EXPECT_STREQ(got, "hello");
  EXPECT_EQ(from.nl_pid, PortId(b.get()));
  // A port nobody holds.
  addr.nl_pid = 5152;
  ASSERT_THAT(connect(b.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), SyscallSucceeds());
  len = sizeof(from);
  ASSERT_THAT(getpeername(b.get(), reinterpret_cast<sockaddr*>(&from), &len), SyscallSucceeds());
  EXPECT_EQ(from.nl_pid, 5152u);
  EXPECT_THAT(write(b.get(), msg, sizeof(msg)), SyscallFailsWithErrno(ECONNREFUSED));
  // AF_UNSPEC dissolves the association: the kernel again.
  sockaddr unspec{};
  ASSERT_THAT(connect(b.get(), &unspec, sizeof(sa_family_t)), SyscallSucceeds());
  len = sizeof(from);
  ASSERT_THAT(getpeername(b.get(), reinterpret_cast<sockaddr*>(&from), &len), SyscallSucceeds());
  EXPECT_EQ(from.nl_pid, 0u);
}

TEST_F(NetlinkRoute, BringingLoUpIsAccepted) {
  FileDescriptor fd = Open();
  ifinfomsg ifi{};
  ifi.ifi_index = 1;
  ifi.ifi_flags = IFF_UP;
  ifi.ifi_change = IFF_UP;
  ASSERT_THAT(Request(fd.get(), RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 61, &ifi, sizeof(ifi)), SyscallSucceeds());
  auto d = Drain(fd.get());
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(ErrorOf(Split(d[0])[0]), 0);
}

TEST_F(NetlinkRoute, IfNameIndexAndGetifaddrs) {
  struct if_nameindex* ni = if_nameindex();
  ASSERT_NE(ni, nullptr) << strerror(errno);
  ASSERT_EQ(ni[0].if_index, 1u);
  EXPECT_STREQ(ni[0].if_name, "lo");
  EXPECT_EQ(ni[1].if_index, 0u);
  if_freenameindex(ni);
  EXPECT_EQ(if_nametoindex("lo"), 1u);
  ifaddrs* ifa = nullptr;
  ASSERT_THAT(getifaddrs(&ifa), SyscallSucceeds());
  bool v4 = false, v6 = false;
  for (ifaddrs* p = ifa; p; p = p->ifa_next) {
    EXPECT_STREQ(p->ifa_name, "lo");
    if (!p->ifa_addr) continue;
    if (p->ifa_addr->sa_family == AF_INET) {
      v4 = reinterpret_cast<sockaddr_in*>(p->ifa_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
    } else if (p->ifa_addr->sa_family == AF_INET6) {
      v6 = IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<sockaddr_in6*>(p->ifa_addr)->sin6_addr);
    }
  }
  freeifaddrs(ifa);
  EXPECT_TRUE(v4);
  EXPECT_TRUE(v6);
}

}  // namespace
}  // namespace conformance
