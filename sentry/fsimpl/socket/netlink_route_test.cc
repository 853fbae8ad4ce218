// NETLINK_ROUTE answers and the netlink socket's queueing, without a task:
// the framing (netlink_message.h), the route family (netlink_route.h) and
// NetlinkSocket's Send/Recv.
#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "sentry/fsimpl/socket/netlink_message.h"
#include "sentry/fsimpl/socket/netlink_route.h"
#include "sentry/fsimpl/socket/netlink_socket.h"

namespace bulwark::fsimpl::socket {
namespace {

using netlink::Request;

std::vector<uint8_t> Msg(uint16_t type, uint16_t flags, uint32_t seq,
                         const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> b(NLMSG_LENGTH(payload.size()));
  nlmsghdr h{static_cast<uint32_t>(b.size()), type, flags, seq, 0};
  memcpy(b.data(), &h, sizeof(h));
  if (!payload.empty()) memcpy(b.data() + NLMSG_HDRLEN, payload.data(), payload.size());
  return b;
}

nlmsghdr Header(const std::vector<uint8_t>& b, size_t off = 0) {
  nlmsghdr h;
  memcpy(&h, b.data() + off, sizeof(h));
  return h;
}

TEST(NetlinkMessage, SplitStopsAtMalformed) {
  auto a = Msg(NLMSG_NOOP, NLM_F_REQUEST, 1, {1, 2, 3});  // 19 bytes, padded to 20
  auto buf = a;
  buf.resize(NLMSG_ALIGN(buf.size()));
  auto b = Msg(RTM_GETLINK, NLM_F_REQUEST, 2, std::vector<uint8_t>(16));
  buf.insert(buf.end(), b.begin(), b.end());
  auto reqs = netlink::SplitRequests(buf);
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].payload.size(), 3u);
  EXPECT_EQ(reqs[1].hdr.nlmsg_seq, 2u);
  // A length past the buffer ends the walk.
  nlmsghdr bad = Header(buf, 20);
  bad.nlmsg_len = 1000;
  memcpy(buf.data() + 20, &bad, sizeof(bad));
  EXPECT_EQ(netlink::SplitRequests(buf).size(), 1u);
  // So does one shorter than a header.
  bad.nlmsg_len = 8;
  memcpy(buf.data(), &bad, sizeof(bad));
  EXPECT_EQ(netlink::SplitRequests(buf).size(), 0u);
}

TEST(NetlinkMessage, ErrorEchoesRequestUnlessAckOrCapped) {
  auto m = Msg(RTM_GETLINK, NLM_F_REQUEST, 9, std::vector<uint8_t>(16));
  Request r = netlink::SplitRequests(m)[0];
  auto err = netlink::ErrorMessage(r, -ENODEV, 77, false);
  EXPECT_EQ(err.size(), NLMSG_HDRLEN + 4 + m.size());
  EXPECT_EQ(Header(err).nlmsg_flags, 0);
  EXPECT_EQ(Header(err).nlmsg_pid, 77u);
  EXPECT_EQ(Header(err).nlmsg_seq, 9u);
  auto capped = netlink::ErrorMessage(r, -ENODEV, 77, true);
  EXPECT_EQ(capped.size(), NLMSG_LENGTH(sizeof(nlmsgerr)));
  EXPECT_EQ(Header(capped).nlmsg_flags, NLM_F_CAPPED);
  auto ack = netlink::ErrorMessage(r, 0, 77, false);
  EXPECT_EQ(ack.size(), NLMSG_LENGTH(sizeof(nlmsgerr)));
  int e;
  memcpy(&e, ack.data() + NLMSG_HDRLEN, 4);
  EXPECT_EQ(e, 0);
}

TEST(NetlinkRoute, LinkDumpHasLo) {
  ifinfomsg ifi{};
  std::vector<uint8_t> p(sizeof(ifi));
  auto m = Msg(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 3, p);
  auto a = netlink::HandleRouteRequest(netlink::SplitRequests(m)[0], 42, false, false);
  EXPECT_TRUE(a.dump);
  EXPECT_TRUE(a.split_done);
  ASSERT_EQ(a.messages.size(), 1u);
  Request r = netlink::SplitRequests(a.messages[0])[0];
  EXPECT_EQ(r.hdr.nlmsg_type, RTM_NEWLINK);
  EXPECT_EQ(r.hdr.nlmsg_flags, NLM_F_MULTI);
  EXPECT_EQ(r.hdr.nlmsg_pid, 42u);
  auto attrs = netlink::ParseAttrs(r.payload, sizeof(ifinfomsg));
  EXPECT_STREQ(reinterpret_cast<const char*>(attrs.at(IFLA_IFNAME).data()), "lo");
  uint32_t mtu;
  memcpy(&mtu, attrs.at(IFLA_MTU).data(), 4);
  EXPECT_EQ(mtu, 65536u);
}

TEST(NetlinkRoute, ChangesNeedNetAdminAndOnlyNoOpsPass) {
  ifinfomsg ifi{};
  ifi.ifi_index = 1;
  ifi.ifi_flags = IFF_UP;
  ifi.ifi_change = IFF_UP;
  std::vector<uint8_t> p(sizeof(ifi));
  memcpy(p.data(), &ifi, sizeof(ifi));
  auto up = Msg(RTM_NEWLINK, NLM_F_REQUEST, 1, p);
  Request r = netlink::SplitRequests(up)[0];
  EXPECT_EQ(netlink::HandleRouteRequest(r, 1, false, false).error, -EPERM);
  EXPECT_EQ(netlink::HandleRouteRequest(r, 1, true, false).error, 0);
  ifi.ifi_flags = 0;  // down
  memcpy(p.data(), &ifi, sizeof(ifi));
  auto down = Msg(RTM_NEWLINK, NLM_F_REQUEST, 1, p);
  EXPECT_EQ(netlink::HandleRouteRequest(netlink::SplitRequests(down)[0], 1, true, false).error,
            -EOPNOTSUPP);
  auto addr = Msg(RTM_NEWADDR, NLM_F_REQUEST, 1, std::vector<uint8_t>(sizeof(ifaddrmsg)));
  EXPECT_EQ(netlink::HandleRouteRequest(netlink::SplitRequests(addr)[0], 1, true, false).error,
            -EOPNOTSUPP);
}

TEST(NetlinkRoute, StrictRouteDumpFiltersTable) {
  rtmsg rt{};
  rt.rtm_family = AF_INET;
  rt.rtm_table = RT_TABLE_MAIN;
  std::vector<uint8_t> p(sizeof(rt));
  memcpy(p.data(), &rt, sizeof(rt));
  auto m = Msg(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, 1, p);
  Request r = netlink::SplitRequests(m)[0];
  EXPECT_EQ(netlink::HandleRouteRequest(r, 1, false, true).messages.size(), 0u);
  EXPECT_EQ(netlink::HandleRouteRequest(r, 1, false, false).messages.size(), 3u);
}

// Receives one datagram into a 64 KiB buffer.
SysResult<NetlinkSocket::RecvResult> RecvOne(NetlinkSocket& s, std::vector<uint8_t>& out,
                                             int flags = 0) {
  out.assign(65536, 0);
  iovec v{out.data(), out.size()};
  auto r = s.Recv(vfs::IoVecs(&v, 1), flags);
  if (r) out.resize(r->n);
  return r;
}

TEST(NetlinkSocket, DumpDoneFollowsTheEntriesRead) {
  NetlinkSocket s(SOCK_RAW, 0, 0, 0);
  auto m = Msg(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, 5, {AF_UNSPEC});
  ASSERT_TRUE(s.Send(m, {}, Creds{100, 0, 0}, false));
  EXPECT_EQ(s.portid(), 100u);  // autobound to the tgid
  EXPECT_EQ(s.Readiness(POLLIN), static_cast<uint32_t>(POLLIN));
  // A second dump before the first was read is EBUSY.
  ASSERT_TRUE(s.Send(m, {}, Creds{100, 0, 0}, false));
  std::vector<uint8_t> b;
  auto r = RecvOne(s, b);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->from_portid, 0u);
  EXPECT_EQ(Header(b).nlmsg_type, RTM_NEWADDR);
  EXPECT_EQ(netlink::SplitRequests(b).size(), 2u);  // v4 and v6 together
  ASSERT_TRUE(RecvOne(s, b));
  EXPECT_EQ(Header(b).nlmsg_type, NLMSG_ERROR);
  ASSERT_TRUE(RecvOne(s, b));
  EXPECT_EQ(Header(b).nlmsg_type, NLMSG_DONE);
  EXPECT_EQ(RecvOne(s, b).error(), Errno::kEAGAIN);
  EXPECT_EQ(s.Readiness(POLLIN | POLLOUT), static_cast<uint32_t>(POLLOUT));
}

TEST(NetlinkSocket, OverrunDropsRepliesWithEnobufs) {
  NetlinkSocket s(SOCK_RAW, 0, 0, 0);
  s.rcvbuf = 4096;
  auto noop = Msg(NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, 1, {0, 0, 0, 0});
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(s.Send(noop, {}, Creds{7, 0, 0}, false));
  std::vector<uint8_t> b;
  EXPECT_EQ(RecvOne(s, b).error(), Errno::kENOBUFS);
  int got = 0;
  while (RecvOne(s, b)) ++got;
  EXPECT_GT(got, 0);
  EXPECT_LT(got, 100);
}

TEST(NetlinkSocket, PortIdsAndUnicast) {
  NetlinkSocket a(SOCK_RAW, 0, 0, 0), b(SOCK_RAW, 0, 0, 0);
  ASSERT_TRUE(a.Bind(0, 0, 300));
  EXPECT_EQ(a.portid(), 300u);
  ASSERT_TRUE(b.Bind(0, 0, 300));
  EXPECT_LT(static_cast<int32_t>(b.portid()), 0);
  EXPECT_EQ(b.Bind(5, 0, 300).error(), Errno::kEINVAL);
  NetlinkSocket c(SOCK_RAW, 0, 0, 0);
  EXPECT_EQ(c.Bind(300, 0, 301).error(), Errno::kEADDRINUSE);
  const uint8_t hi[] = {'h', 'i'};
  NetlinkSocket::SendTo to{true, 300, 0};
  ASSERT_TRUE(b.Send(hi, to, Creds{300, 0, 0}, false));
  std::vector<uint8_t> got;
  auto r = RecvOne(a, got);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->from_portid, b.portid());
  EXPECT_EQ(got, std::vector<uint8_t>({'h', 'i'}));
  to.pid = 999;
  EXPECT_EQ(b.Send(hi, to, Creds{300, 0, 0}, false).error(), Errno::kECONNREFUSED);
}

}  // namespace
}  // namespace bulwark::fsimpl::socket
