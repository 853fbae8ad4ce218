// Internet socket addresses of the sandbox's loopback network (ip(7),
// ipv6(7)): parsing sockaddr_in/sockaddr_in6 as Linux's inet_bind(),
// tcp_v4_connect(), udp_sendmsg() and their IPv6 twins do, and formatting
// them back for getsockname/getpeername/accept/recvfrom.
//
// Only the loopback interface `lo` exists: 127.0.0.0/8 and ::1 are local;
// 0.0.0.0 and :: are the wildcards (and, as destinations, mean loopback as
// on Linux). Every other address is unreachable.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "base/result.h"

namespace bulwark::fsimpl::socket {

// One endpoint. IPv4 addresses are kept v4-mapped (::ffff:a.b.c.d) so both
// families share one representation; `port` is in host order.
struct Endpoint {
  in6_addr addr{};
  uint16_t port = 0;

  bool v4() const { return IN6_IS_ADDR_V4MAPPED(&addr); }
  // 0.0.0.0 (mapped) or ::.
  bool wildcard() const;
  bool operator==(const Endpoint& o) const {
    return port == o.port && memcmp(&addr, &o.addr, sizeof(addr)) == 0;
  }
};

// 127.0.0.1 / ::1 / 0.0.0.0 / :: with `port`.
Endpoint V4Loopback(uint16_t port = 0);
Endpoint V6Loopback(uint16_t port = 0);
Endpoint AnyAddress(int family, uint16_t port = 0);
// The IPv4 address (network order) of a v4 endpoint.
uint32_t V4Addr(const Endpoint& e);
bool SameAddr(const in6_addr& a, const in6_addr& b);

// What an address argument is for: the checks differ per call.
enum class AddrUse { kBind, kConnect, kSend };

// The endpoint in `raw` (an application sockaddr) for a socket of
// `family` (AF_INET/AF_INET6) and `type`. EINVAL for a short length,
// EAFNOSUPPORT (or EINVAL) for another family as Linux; for an AF_INET6
// socket with IPV6_V6ONLY, v4-mapped addresses are EINVAL (bind) or
// ENETUNREACH (connect, send). `*unspec` is set for an AF_UNSPEC address
// that the caller must treat specially (connect: disconnect; send: none).
SysResult<Endpoint> ParseInetAddr(int family, int type, bool v6only, AddrUse use,
                                  const std::vector<uint8_t>& raw, bool* unspec);

// The sockaddr_in (16 bytes) or sockaddr_in6 (28 bytes) of `e` as a socket
// of `family` reports it: an AF_INET6 socket shows IPv4 peers v4-mapped.
std::vector<uint8_t> FormatInetAddr(int family, const Endpoint& e);

// bind(): EADDRNOTAVAIL unless `e` is a wildcard or a loopback address.
SysResult<void> CheckLocal(const Endpoint& e);
// connect()/sendto(): the destination with wildcards turned into loopback;
// ENETUNREACH for an address off the loopback network.
SysResult<Endpoint> Destination(const Endpoint& e);
// The source address a socket bound to `local` uses towards `dst`
// (127.0.0.1 or ::1 unless bound to a specific address).
Endpoint SourceFor(const Endpoint& local, const Endpoint& dst);

// Linux's default net.ipv4.ip_local_port_range.
inline constexpr uint16_t kEphemeralLow = 32768;
inline constexpr uint16_t kEphemeralHigh = 60999;

}  // namespace bulwark::fsimpl::socket
