// The NETLINK_ROUTE (rtnetlink(7)) answers of the sandbox's network: one
// interface, `lo` (index 1, 127.0.0.1/8 and ::1/128, UP|LOOPBACK|RUNNING,
// mtu 65536), the same world the interface ioctls (InterfaceIoctl) and
// /proc/net describe. The messages are those Linux 6.18 sends for `lo` in
// a fresh network namespace after `ip link set lo up` (checked with a dump
// of the raw replies), minus IFLA_AF_SPEC (the per-family device
// configuration: `ip -d link` shows no addrgenmode). Statistics are zeros:
// the loopback model counts no packets.
//
// With --network=host the sandbox's sockets live in a host network
// namespace, but this still describes only `lo`, as the interface ioctls
// and /proc/net do (a known gap of host mode); the host's netlink is never
// used.
#pragma once

#include <cstdint>
#include <vector>

#include "sentry/fsimpl/socket/netlink_message.h"

namespace bulwark::fsimpl::socket::netlink {

struct RouteAnswer {
  // 0, or the negative errno the NLMSG_ERROR reports.
  int error = 0;
  // A dump was started (rtnetlink's -EINTR): `messages` are its entries
  // with NLM_F_MULTI, to be followed by NLMSG_DONE, and no ACK is sent.
  bool dump = false;
  // Whether NLMSG_DONE comes in a datagram of its own. Linux 6.18 keeps
  // it apart for the dumps older applications expect that of
  // (RTNL_FLAG_DUMP_SPLIT_NLM_DONE: links, IPv4 addresses, routes, and
  // every family at once) and puts it after the last entry otherwise
  // (the IPv6 address dump) or when there are no entries.
  bool split_done = true;
  std::vector<std::vector<uint8_t>> messages;
};

// rtnetlink_rcv_msg() for one request whose type is at least
// NLMSG_MIN_TYPE and that has NLM_F_REQUEST. `portid`: the requester's
// port id (the replies' nlmsg_pid). `net_admin`: CAP_NET_ADMIN, needed by
// every request that is not a GET. `strict`: NETLINK_GET_STRICT_CHK, which
// makes a route dump honour the table in its header.
RouteAnswer HandleRouteRequest(const Request& req, uint32_t portid, bool net_admin, bool strict);

}  // namespace bulwark::fsimpl::socket::netlink
