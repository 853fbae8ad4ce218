#include "sentry/fsimpl/socket/netlink_route.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "base/log.h"

namespace bulwark::fsimpl::socket::netlink {

namespace {

// The loopback as InterfaceIoctl describes it.
constexpr int kLoIndex = 1;
constexpr std::string_view kLoName = "lo";
constexpr uint32_t kLoMtu = 65536;
constexpr uint32_t kLoTxQueueLen = 1000;
// dev_get_flags(): IFF_UP|IFF_LOOPBACK|IFF_RUNNING and IFF_LOWER_UP.
constexpr uint32_t kLoFlags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING | 0x10000 /* IFF_LOWER_UP */;

// Attribute numbers newer than the build host's <linux/if_link.h>.
constexpr uint16_t kIflaDevlinkPort = 62;
constexpr uint16_t kIflaGsoIpv4MaxSize = 63;
constexpr uint16_t kIflaGroIpv4MaxSize = 64;
constexpr uint16_t kIflaDpllPin = 65;
constexpr uint16_t kIflaMaxPacingOffloadHorizon = 66;
constexpr uint16_t kIflaNetnsImmutable = 67;
constexpr uint16_t kIflaHeadroom = 68;
constexpr uint16_t kIflaTailroom = 69;

// IFA_CACHEINFO's cstamp/tstamp: hundredths of a second since boot when
// the address appeared; the sandbox's addresses exist from the first time
// anyone asks.
uint32_t AddrStamp() {
  static uint32_t stamp = [] {
    timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return static_cast<uint32_t>(ts.tv_sec * 100 + ts.tv_nsec / 10000000);
  }();
  return stamp;
}

// rtnl_fill_ifinfo() for lo, in Linux's attribute order.
void FillLink(MessageBuilder& b, uint16_t type, uint16_t flags, uint32_t seq, uint32_t portid) {
  b.Begin(type, flags, seq, portid);
  ifinfomsg ifi{AF_UNSPEC, 0, ARPHRD_LOOPBACK, kLoIndex, kLoFlags, 0};
  b.PutStruct(ifi);
  b.AttrStr(IFLA_IFNAME, kLoName);
  b.AttrU32(IFLA_TXQLEN, kLoTxQueueLen);
  b.AttrU8(IFLA_OPERSTATE, IF_OPER_UNKNOWN);  // lo has no carrier state of its own
  b.AttrU8(IFLA_LINKMODE, 0);
  b.AttrU8(kIflaNetnsImmutable, 1);  // lo never changes namespace
  b.AttrU32(IFLA_MTU, kLoMtu);
  b.AttrU32(IFLA_MIN_MTU, 0);
  b.AttrU32(IFLA_MAX_MTU, 0);
  b.AttrU32(IFLA_GROUP, 0);
  b.AttrU32(IFLA_PROMISCUITY, 0);
  b.AttrU32(IFLA_ALLMULTI, 0);
  b.AttrU32(IFLA_NUM_TX_QUEUES, 1);
  b.AttrU32(IFLA_GSO_MAX_SEGS, 65535);
  b.AttrU32(IFLA_GSO_MAX_SIZE, 65536);
  b.AttrU32(IFLA_GRO_MAX_SIZE, 65536);
  b.AttrU32(kIflaGsoIpv4MaxSize, 65536);
  b.AttrU32(kIflaGroIpv4MaxSize, 65536);
  b.AttrU32(IFLA_TSO_MAX_SIZE, 524280);
  b.AttrU32(IFLA_TSO_MAX_SEGS, 65535);
  b.AttrU32(kIflaMaxPacingOffloadHorizon, 0);
  b.AttrU32(IFLA_NUM_RX_QUEUES, 1);
  b.AttrU8(IFLA_CARRIER, 1);
  b.AttrU32(IFLA_CARRIER_CHANGES, 0);
  b.AttrU32(IFLA_CARRIER_UP_COUNT, 0);
  b.AttrU32(IFLA_CARRIER_DOWN_COUNT, 0);
  b.AttrU16(kIflaHeadroom, 0);
  b.AttrU16(kIflaTailroom, 0);
  b.AttrU8(IFLA_PROTO_DOWN, 0);
  const uint8_t zero_mac[6] = {};
  b.Attr(IFLA_ADDRESS, zero_mac, sizeof(zero_mac));
  b.Attr(IFLA_BROADCAST, zero_mac, sizeof(zero_mac));
  // struct rtnl_link_stats64 of Linux 6.18 (25 counters) and the older
  // 32-bit struct rtnl_link_stats (24): no packets are counted.
  const uint8_t stats64[25 * 8] = {};
  b.Attr(IFLA_STATS64, stats64, sizeof(stats64));
  const uint8_t stats[24 * 4] = {};
  b.Attr(IFLA_STATS, stats, sizeof(stats));
  size_t xdp = b.BeginNested(IFLA_XDP);  // nla_nest_start_noflag()
  b.AttrU8(IFLA_XDP_ATTACHED, XDP_ATTACHED_NONE);
  b.EndNested(xdp);
  b.AttrStr(IFLA_QDISC, "noqueue");
  rtnl_link_ifmap map{};
  b.Attr(IFLA_MAP, &map, sizeof(map));
  b.EndNested(b.BeginNested(kIflaDevlinkPort | NLA_F_NESTED));
  b.EndNested(b.BeginNested(kIflaDpllPin | NLA_F_NESTED));
}

// inet_fill_ifaddr() / inet6_fill_ifaddr() for lo's two addresses.
void FillAddr4(MessageBuilder& b, uint32_t seq, uint32_t portid) {
  b.Begin(RTM_NEWADDR, NLM_F_MULTI, seq, portid);
  ifaddrmsg ifa{AF_INET, 8, IFA_F_PERMANENT, RT_SCOPE_HOST, kLoIndex};
  b.PutStruct(ifa);
  in_addr a{htonl(INADDR_LOOPBACK)};
  b.Attr(IFA_ADDRESS, &a, sizeof(a));
  b.Attr(IFA_LOCAL, &a, sizeof(a));
  b.AttrStr(IFA_LABEL, kLoName);
  b.AttrU32(IFA_FLAGS, IFA_F_PERMANENT);
  ifa_cacheinfo ci{0xffffffff, 0xffffffff, AddrStamp(), AddrStamp()};
  b.Attr(IFA_CACHEINFO, &ci, sizeof(ci));
}

void FillAddr6(MessageBuilder& b, uint32_t seq, uint32_t portid) {
  b.Begin(RTM_NEWADDR, NLM_F_MULTI, seq, portid);
  ifaddrmsg ifa{AF_INET6, 128, IFA_F_PERMANENT, RT_SCOPE_HOST, kLoIndex};
  b.PutStruct(ifa);
  b.Attr(IFA_ADDRESS, &in6addr_loopback, sizeof(in6addr_loopback));
  ifa_cacheinfo ci{0xffffffff, 0xffffffff, AddrStamp(), AddrStamp()};
  b.Attr(IFA_CACHEINFO, &ci, sizeof(ci));
  b.AttrU32(IFA_FLAGS, IFA_F_PERMANENT);
  b.AttrU8(IFA_PROTO, IFAPROT_KERNEL_LO);
}

// The routes of the local table Linux adds for lo's addresses
// (fib_add_ifaddr(), addrconf's local route), as `ip route show table all`
// lists them in a fresh namespace: there is no main-table route. Each
// starts with its rtmsg and RTA_TABLE.
void BeginRoute(MessageBuilder& b, uint32_t seq, uint32_t portid, uint8_t family,
                uint8_t dst_len, uint8_t scope, uint8_t rtype) {
  b.Begin(RTM_NEWROUTE, NLM_F_MULTI, seq, portid);
  rtmsg rt{family, dst_len, 0, 0, RT_TABLE_LOCAL, RTPROT_KERNEL, scope, rtype, 0};
  b.PutStruct(rt);
  b.AttrU32(RTA_TABLE, RT_TABLE_LOCAL);
}

void FillRoute4(MessageBuilder& b, uint32_t seq, uint32_t portid, uint8_t dst_len,
                uint8_t scope, uint8_t rtype, uint32_t dst) {
  BeginRoute(b, seq, portid, AF_INET, dst_len, scope, rtype);
  in_addr d{htonl(dst)};
  b.Attr(RTA_DST, &d, sizeof(d));
  in_addr src{htonl(INADDR_LOOPBACK)};
  b.Attr(RTA_PREFSRC, &src, sizeof(src));
  b.AttrU32(RTA_OIF, kLoIndex);
}

void FillRoute6(MessageBuilder& b, uint32_t seq, uint32_t portid) {
  BeginRoute(b, seq, portid, AF_INET6, 128, RT_SCOPE_UNIVERSE, RTN_LOCAL);
  b.Attr(RTA_DST, &in6addr_loopback, sizeof(in6addr_loopback));
  b.AttrU32(RTA_PRIORITY, 0);
  b.AttrU32(RTA_OIF, kLoIndex);
  rta_cacheinfo ci{};
  b.Attr(RTA_CACHEINFO, &ci, sizeof(ci));
  b.AttrU8(RTA_PREF, 0);  // ICMPV6_ROUTER_PREF_MEDIUM
}

// The family a dump asks for: rtnetlink falls back to rtnl_dump_all()
// (every family) for a family that has no dump of its own.
bool Wants(uint8_t asked, uint8_t family) {
  return asked == family || (asked != AF_INET && asked != AF_INET6);
}

// Whether an IFLA_IFNAME attribute names lo (up to its NUL).
bool IsLoName(std::span<const uint8_t> attr) {
  std::string_view name(reinterpret_cast<const char*>(attr.data()), attr.size());
  return name.substr(0, name.find('\0')) == kLoName;
}

// The ifinfomsg and attributes of a link request; false (EINVAL, as
// nlmsg_parse() fails) when the header is short.
bool ParseLinkRequest(const Request& req, ifinfomsg& ifi,
                      std::map<uint16_t, std::span<const uint8_t>>& attrs) {
  if (req.payload.size() < sizeof(ifinfomsg)) return false;
  memcpy(&ifi, req.payload.data(), sizeof(ifi));
  attrs = ParseAttrs(req.payload, sizeof(ifinfomsg));
  return true;
}

// rtnl_getlink(): lo by index or name; ENODEV for anything else, EINVAL
// without either.
RouteAnswer GetLink(const Request& req, uint32_t portid) {
  RouteAnswer a;
  ifinfomsg ifi;
  std::map<uint16_t, std::span<const uint8_t>> attrs;
  if (!ParseLinkRequest(req, ifi, attrs)) {
    a.error = -EINVAL;
    return a;
  }
  if (ifi.ifi_index > 0) {
    if (ifi.ifi_index != kLoIndex) a.error = -ENODEV;
  } else if (auto it = attrs.find(IFLA_IFNAME); it != attrs.end()) {
    if (!IsLoName(it->second)) a.error = -ENODEV;
  } else {
    a.error = -EINVAL;
  }
  if (a.error) return a;
  MessageBuilder b;
  FillLink(b, RTM_NEWLINK, 0, req.hdr.nlmsg_seq, portid);
  a.messages = b.TakeMessages();
  return a;
}

// rtnl_newlink()/rtnl_setlink() on lo. The sandbox's network cannot be
// changed, so only a request that changes nothing is accepted: naming lo
// (by index or IFLA_IFNAME) with flags that are already lo's, as `ip link
// set lo up` sends (container init scripts do). Anything else is
// EOPNOTSUPP rather than a success that did nothing.
RouteAnswer ChangeLink(const Request& req) {
  RouteAnswer a;
  ifinfomsg ifi;
  std::map<uint16_t, std::span<const uint8_t>> attrs;
  if (!ParseLinkRequest(req, ifi, attrs)) {
    a.error = -EINVAL;
    return a;
  }
  a.error = -EOPNOTSUPP;
  bool named_lo = ifi.ifi_index == kLoIndex;
  for (const auto& [type, data] : attrs) {
    if (type != IFLA_IFNAME || !IsLoName(data)) return a;
    if (ifi.ifi_index == 0) named_lo = true;
  }
  if (!named_lo) return a;
  // rtnl_dev_combine_flags() and the bits __dev_change_flags() changes.
  constexpr uint32_t kChangeable = IFF_UP | IFF_DEBUG | IFF_NOTRAILERS | IFF_NOARP | IFF_PROMISC |
                                   IFF_ALLMULTI | IFF_MULTICAST | IFF_PORTSEL | IFF_AUTOMEDIA |
                                   IFF_DYNAMIC;
  uint32_t want = kLoFlags;
  if (ifi.ifi_flags || ifi.ifi_change) {
    want = ifi.ifi_change ? (ifi.ifi_flags & ifi.ifi_change) | (kLoFlags & ~ifi.ifi_change)
                          : ifi.ifi_flags;
  }
  if (((want ^ kLoFlags) & kChangeable) == 0) a.error = 0;
  return a;
}

void LogOnce(uint16_t type, const char* what) {
  static bool logged[RTM_MAX + 1] = {};
  if (type > RTM_MAX || logged[type]) return;
  logged[type] = true;
  LOG_WARN("netlink route: message type %u %s: EOPNOTSUPP", type, what);
}

}  // namespace

RouteAnswer HandleRouteRequest(const Request& req, uint32_t portid, bool net_admin, bool strict) {
  RouteAnswer a;
  uint16_t type = req.hdr.nlmsg_type;
  if (type > RTM_MAX) {
    a.error = -EOPNOTSUPP;
    return a;
  }
  // "All the messages must have at least 1 byte length": shorter ones are
  // ignored (acknowledged if asked).
  if (req.payload.empty()) return a;
  uint8_t family = req.payload[0];
  int kind = (type - RTM_BASE) & 3;  // rtnl_msgtype_kind(): NEW, DEL, GET, SET
  if (kind != 2) {
    if (!net_admin) {
      a.error = -EPERM;
      return a;
    }
    if (type == RTM_NEWLINK || type == RTM_SETLINK) return ChangeLink(req);
    // Addresses, routes, neighbours, rules, qdiscs ... of the sandbox's
    // fixed network cannot be changed.
    LogOnce(type, "(a change of the sandbox's network)");
    a.error = -EOPNOTSUPP;
    return a;
  }
  uint32_t seq = req.hdr.nlmsg_seq;
  MessageBuilder b;
  if (!(req.hdr.nlmsg_flags & NLM_F_DUMP)) {
    if (type == RTM_GETLINK) return GetLink(req, portid);
    // Not offered: RTM_GETADDR of one IPv6 address (IPv4 has no such
    // request either: EOPNOTSUPP is Linux's answer for it), route lookups
    // (RTM_GETROUTE, `ip route get`), and the other objects.
    LogOnce(type, "(a get request)");
    a.error = -EOPNOTSUPP;
    return a;
  }
  a.dump = true;
  switch (type) {
    case RTM_GETLINK:
      // PF_BRIDGE has a dump of its own: bridge ports, of which there are
      // none.
      if (family != AF_BRIDGE) FillLink(b, RTM_NEWLINK, NLM_F_MULTI, seq, portid);
      break;
    case RTM_GETADDR:
      if (Wants(family, AF_INET)) FillAddr4(b, seq, portid);
      if (Wants(family, AF_INET6)) FillAddr6(b, seq, portid);
      a.split_done = family != AF_INET6;
      break;
    case RTM_GETROUTE: {
      // With strict checking the header's table (or RTA_TABLE) filters.
      uint32_t table = 0;
      if (strict && req.payload.size() >= sizeof(rtmsg)) {
        rtmsg rt;
        memcpy(&rt, req.payload.data(), sizeof(rt));
        table = rt.rtm_table;
        auto attrs = ParseAttrs(req.payload, sizeof(rtmsg));
        if (auto it = attrs.find(RTA_TABLE); it != attrs.end() && it->second.size() >= 4)
          memcpy(&table, it->second.data(), 4);
      }
      if (table != 0 && table != RT_TABLE_LOCAL) break;
      // The multicast routing tables have dumps of their own, and are empty.
      if (family == RTNL_FAMILY_IPMR || family == RTNL_FAMILY_IP6MR) break;
      if (Wants(family, AF_INET)) {
        FillRoute4(b, seq, portid, 8, RT_SCOPE_HOST, RTN_LOCAL, 0x7f000000);
        FillRoute4(b, seq, portid, 32, RT_SCOPE_HOST, RTN_LOCAL, INADDR_LOOPBACK);
        FillRoute4(b, seq, portid, 32, RT_SCOPE_LINK, RTN_BROADCAST, 0x7fffffff);
      }
      if (Wants(family, AF_INET6)) FillRoute6(b, seq, portid);
      break;
    }
    case RTM_GETNEIGH:
      // The loopback has no neighbours.
      break;
    default:
      LogOnce(type, "(a dump)");
      a.dump = false;
      a.error = -EOPNOTSUPP;
      return a;
  }
  a.messages = b.TakeMessages();
  return a;
}

}  // namespace bulwark::fsimpl::socket::netlink
