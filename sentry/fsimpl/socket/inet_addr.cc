#include "sentry/fsimpl/socket/inet_addr.h"

#include <arpa/inet.h>
#include <sys/socket.h>

namespace bulwark::fsimpl::socket {

namespace {

constexpr size_t kSin6LenRfc2133 = 24;  // SIN6_LEN_RFC2133: sockaddr_in6 without scope id

Endpoint FromV4(uint32_t net_addr, uint16_t net_port) {
  Endpoint e;
  e.addr.s6_addr[10] = 0xff;
  e.addr.s6_addr[11] = 0xff;
  memcpy(&e.addr.s6_addr[12], &net_addr, 4);
  e.port = ntohs(net_port);
  return e;
}

sa_family_t FamilyOf(const std::vector<uint8_t>& raw) {
  sa_family_t f = AF_UNSPEC;
  memcpy(&f, raw.data(), sizeof(f));
  return f;
}

SysResult<Endpoint> ParseV4(const std::vector<uint8_t>& raw) {
  if (raw.size() < sizeof(sockaddr_in)) return Err(Errno::kEINVAL);
  sockaddr_in sin;
  memcpy(&sin, raw.data(), sizeof(sin));
  return FromV4(sin.sin_addr.s_addr, sin.sin_port);
}

SysResult<Endpoint> ParseV6(const std::vector<uint8_t>& raw) {
  if (raw.size() < kSin6LenRfc2133) return Err(Errno::kEINVAL);
  sockaddr_in6 sin6{};
  memcpy(&sin6, raw.data(), std::min(raw.size(), sizeof(sin6)));
  Endpoint e;
  e.addr = sin6.sin6_addr;
  e.port = ntohs(sin6.sin6_port);
  return e;
}

}  // namespace

bool Endpoint::wildcard() const {
  if (v4()) return V4Addr(*this) == htonl(INADDR_ANY);
  return IN6_IS_ADDR_UNSPECIFIED(&addr);
}

Endpoint V4Loopback(uint16_t port) { return FromV4(htonl(INADDR_LOOPBACK), htons(port)); }

Endpoint V6Loopback(uint16_t port) {
  Endpoint e;
  e.addr = in6addr_loopback;
  e.port = port;
  return e;
}

Endpoint AnyAddress(int family, uint16_t port) {
  if (family == AF_INET) return FromV4(htonl(INADDR_ANY), htons(port));
  Endpoint e;
  e.port = port;
  return e;
}

uint32_t V4Addr(const Endpoint& e) {
  uint32_t a;
  memcpy(&a, &e.addr.s6_addr[12], 4);
  return a;
}

bool SameAddr(const in6_addr& a, const in6_addr& b) { return memcmp(&a, &b, sizeof(a)) == 0; }

SysResult<Endpoint> ParseInetAddr(int family, int type, bool v6only, AddrUse use,
                                  const std::vector<uint8_t>& raw, bool* unspec) {
  *unspec = false;
  if (raw.size() < sizeof(sa_family_t)) return Err(Errno::kEINVAL);
  sa_family_t f = FamilyOf(raw);
  if (use == AddrUse::kConnect && f == AF_UNSPEC) {
    // inet_stream_connect()/inet_dgram_connect(): a disconnect request.
    *unspec = true;
    return Endpoint{};
  }
  if (family == AF_INET) {
    Endpoint e = TRY(ParseV4(raw));
    if (f == AF_INET) return e;
    // inet_bind(): AF_UNSPEC only with INADDR_ANY; udp_sendmsg() accepts
    // AF_UNSPEC as AF_INET.
    if (use == AddrUse::kBind && f == AF_UNSPEC && e.wildcard()) return e;
    if (use == AddrUse::kSend && f == AF_UNSPEC) return e;
    return Err(Errno::kEAFNOSUPPORT);
  }
  // AF_INET6 sockets.
  if (use == AddrUse::kSend) {
    // udpv6_sendmsg()
    if (f == AF_UNSPEC) {
      *unspec = true;
      return Endpoint{};
    }
    if (f == AF_INET) {
      if (v6only) return Err(Errno::kENETUNREACH);
      return ParseV4(raw);
    }
    if (f != AF_INET6) return Err(Errno::kEINVAL);
  } else if (use == AddrUse::kConnect && type == SOCK_DGRAM && f == AF_INET) {
    // ip6_datagram_connect() takes IPv4 addresses on dual-stack sockets.
    if (v6only) return Err(Errno::kEAFNOSUPPORT);
    return ParseV4(raw);
  }
  Endpoint e = TRY(ParseV6(raw));
  if (f != AF_INET6) return Err(Errno::kEAFNOSUPPORT);
  if (e.v4() && v6only) return Err(use == AddrUse::kBind ? Errno::kEINVAL : Errno::kENETUNREACH);
  return e;
}

std::vector<uint8_t> FormatInetAddr(int family, const Endpoint& e) {
  if (family == AF_INET) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(e.port);
    sin.sin_addr.s_addr = V4Addr(e);
    auto* p = reinterpret_cast<const uint8_t*>(&sin);
    return {p, p + sizeof(sin)};
  }
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(e.port);
  sin6.sin6_addr = e.addr;
  auto* p = reinterpret_cast<const uint8_t*>(&sin6);
  return {p, p + sizeof(sin6)};
}

SysResult<void> CheckLocal(const Endpoint& e) {
  if (e.wildcard()) return {};
  if (e.v4() && (ntohl(V4Addr(e)) >> 24) == 127) return {};
  if (!e.v4() && IN6_IS_ADDR_LOOPBACK(&e.addr)) return {};
  return Err(Errno::kEADDRNOTAVAIL);
}

SysResult<Endpoint> Destination(const Endpoint& e) {
  if (e.wildcard()) return e.v4() ? V4Loopback(e.port) : V6Loopback(e.port);
  if (!CheckLocal(e)) return Err(Errno::kENETUNREACH);
  return e;
}

Endpoint SourceFor(const Endpoint& local, const Endpoint& dst) {
  Endpoint src = local;
  // A dual-stack socket bound to :: talking IPv4 uses the v4 source.
  if (local.wildcard() || local.v4() != dst.v4())
    src.addr = (dst.v4() ? V4Loopback() : V6Loopback()).addr;
  return src;
}

}  // namespace bulwark::fsimpl::socket
