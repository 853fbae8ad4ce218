// setsockopt/getsockopt of internet sockets: SOL_SOCKET (sk_setsockopt()),
// SOL_IP (ip_setsockopt()), SOL_IPV6 (ipv6_setsockopt()) and SOL_TCP
// (do_tcp_setsockopt()). Options without an effect on the loopback model
// are validated as Linux validates them, stored and reported back.
// SO_RCVTIMEO/SO_SNDTIMEO are handled by the syscall layer (socket.cc).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>

#include <climits>
#include <cstring>

#include "base/log.h"
#include "sentry/fsimpl/socket/inet_socket.h"
#include "sentry/fsimpl/socket/unix_socket.h"

namespace bulwark::fsimpl::socket {

namespace {

std::vector<uint8_t> Bytes(const void* p, size_t n) {
  auto* b = static_cast<const uint8_t*>(p);
  return {b, b + n};
}

std::vector<uint8_t> IntBytes(int v) { return Bytes(&v, sizeof(v)); }

// udplite(7); the values are Linux's (include/net/udplite.h), which no
// userspace header carries.
constexpr int UDPLITE_SEND_CSCOV = 10;
constexpr int UDPLITE_RECV_CSCOV = 11;

// Whether `level` names a datagram socket's own options: SOL_UDP, and for
// UDP-Lite also SOL_UDPLITE (udplite_setsockopt() takes both).
bool IsUdpLevel(int level, int protocol) {
  return level == SOL_UDP || (protocol == IPPROTO_UDPLITE && level == IPPROTO_UDPLITE);
}

SysResult<void> NoOpt(const char* what, int level, int name) {
  LOG_DEBUG("%s(level %d, option %d) on an inet socket: ENOPROTOOPT", what, level, name);
  return Err(Errno::kENOPROTOOPT);
}

}  // namespace

SysResult<void> InetSocket::SetOption(int level, int name, const std::vector<uint8_t>& val,
                                      bool capable) {
  // Most options take an int; IP-level ones also a single byte.
  int v = 0;
  if (val.size() >= sizeof(int))
    memcpy(&v, val.data(), sizeof(int));
  else if (level == SOL_IP && !val.empty())
    v = val[0];
  else if (!(level == SOL_SOCKET && name == SO_LINGER))
    return Err(Errno::kEINVAL);
  bool on = v != 0;
  bool tcp = type_ == SOCK_STREAM;
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_REUSEADDR: opts.reuseaddr = on; return {};
      case SO_REUSEPORT: opts.reuseport = on; return {};
      case SO_KEEPALIVE: opts.keepalive = on; return {};
      case SO_BROADCAST: opts.broadcast = on; return {};
      case SO_OOBINLINE: opts.oobinline = on; return {};
      case SO_DONTROUTE: opts.dontroute = on; return {};
      case SO_PRIORITY:
        if ((v < 0 || v > 6) && !capable) return Err(Errno::kEPERM);
        opts.priority = v;
        return {};
      case SO_RCVLOWAT:
        if (v < 0) v = INT_MAX;
        opts.rcvlowat = v ? v : 1;
        return {};
      case SO_LINGER:
        if (val.size() < sizeof(linger)) return Err(Errno::kEINVAL);
        memcpy(&opts.lingerv, val.data(), sizeof(linger));
        opts.lingerv.l_onoff = opts.lingerv.l_onoff != 0;
        return {};
      case SO_SNDBUF:
      case SO_SNDBUFFORCE:
        if (name == SO_SNDBUFFORCE && !capable) return Err(Errno::kEPERM);
        opts.sndbuf = SockBufSize(v, name == SO_SNDBUFFORCE, kMinSndBuf);
        opts.sndbuf_set = true;
        queue_.Notify(~0u);
        return {};
      case SO_RCVBUF:
      case SO_RCVBUFFORCE:
        if (name == SO_RCVBUFFORCE && !capable) return Err(Errno::kEPERM);
        opts.rcvbuf = SockBufSize(v, name == SO_RCVBUFFORCE, kMinRcvBuf);
        opts.rcvbuf_set = true;
        return {};
      default:
        return NoOpt("setsockopt", level, name);
    }
  }
  if (level == SOL_IP) {
    switch (name) {
      case IP_TOS:
        // do_ip_setsockopt(): TCP keeps its own ECN bits.
        if (tcp) v = (v & ~3) | (opts.tos & 3);
        opts.tos = v & 0xff;
        return {};
      case IP_TTL:
        if (v != -1 && (v < 1 || v > 255)) return Err(Errno::kEINVAL);
        opts.ttl = v;
        return {};
      case IP_RECVERR: opts.recverr = on; return {};
      case IP_PKTINFO: opts.pktinfo = on; return {};
      case IP_RECVTOS: opts.recvtos = on; return {};
      case IP_RECVTTL: opts.recvttl = on; return {};
      default:
        return NoOpt("setsockopt", level, name);
    }
  }
  if (level == SOL_IPV6 && family_ == AF_INET6) {
    switch (name) {
      case IPV6_V6ONLY:
        if (bound()) return Err(Errno::kEINVAL);
        opts.v6only = on;
        return {};
      case IPV6_TCLASS:
        if (v < -1 || v > 0xff) return Err(Errno::kEINVAL);
        opts.tclass = v == -1 ? 0 : v;
        return {};
      case IPV6_UNICAST_HOPS:
        if (v < -1 || v > 255) return Err(Errno::kEINVAL);
        opts.hoplimit = v;
        return {};
      case IPV6_RECVPKTINFO: opts.recvpktinfo6 = on; return {};
      case IPV6_RECVHOPLIMIT: opts.recvhoplimit6 = on; return {};
      case IPV6_RECVTCLASS: opts.recvtclass6 = on; return {};
      default:
        return NoOpt("setsockopt", level, name);
    }
  }
  if (level == SOL_TCP && tcp) {
    switch (name) {
      case TCP_NODELAY: opts.nodelay = on; return {};
      case TCP_CORK: opts.cork = on; return {};
      case TCP_QUICKACK: opts.quickack = on; return {};
      case TCP_KEEPIDLE:
      case TCP_KEEPINTVL:
        if (v < 1 || v > 32767) return Err(Errno::kEINVAL);  // MAX_TCP_KEEPIDLE/INTVL
        (name == TCP_KEEPIDLE ? opts.keepidle : opts.keepintvl) = v;
        return {};
      case TCP_KEEPCNT:
        if (v < 1 || v > 127) return Err(Errno::kEINVAL);  // MAX_TCP_KEEPCNT
        opts.keepcnt = v;
        return {};
      case TCP_SYNCNT:
        if (v < 1 || v > 127) return Err(Errno::kEINVAL);  // MAX_TCP_SYNCNT
        opts.syncnt = v;
        return {};
      case TCP_MAXSEG:
        if (v && (v < 88 || v > 65535)) return Err(Errno::kEINVAL);  // TCP_MIN_MSS, MAX_TCP_WINDOW
        opts.maxseg = v;
        return {};
      case TCP_USER_TIMEOUT:
        if (v < 0) return Err(Errno::kEINVAL);
        opts.user_timeout = v;
        return {};
      case TCP_LINGER2:
        opts.linger2 = v < 0 ? -1 : (v == 0 ? 60 : std::min(v, 120));
        return {};
      case TCP_DEFER_ACCEPT: opts.defer_accept = std::max(v, 0); return {};
      case TCP_WINDOW_CLAMP: opts.window_clamp = v; return {};
      case TCP_NOTSENT_LOWAT: opts.notsent_lowat = v; return {};
      case TCP_FASTOPEN: opts.fastopen = v; return {};
      case TCP_FASTOPEN_CONNECT: opts.fastopen_connect = on; return {};
      default:
        return NoOpt("setsockopt", level, name);
    }
  }
  if (IsUdpLevel(level, protocol_) && !tcp) {
    switch (name) {
      case UDP_CORK: opts.udp_cork = on; return {};
      // udp_lib_setsockopt(): a coverage below the 8-byte header means 8;
      // it is a 16-bit field.
      case UDPLITE_SEND_CSCOV:
      case UDPLITE_RECV_CSCOV:
        if (protocol_ != IPPROTO_UDPLITE) break;
        v = (v != 0 && v < 8) ? 8 : std::min(v, 0xffff);
        (name == UDPLITE_SEND_CSCOV ? opts.udplite_send_cscov : opts.udplite_recv_cscov) = v;
        return {};
      default: break;
    }
  }
  return NoOpt("setsockopt", level, name);
}

SysResult<std::vector<uint8_t>> InetSocket::GetOption(int level, int name) {
  bool tcp = type_ == SOCK_STREAM;
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_TYPE: return IntBytes(type_);
      case SO_DOMAIN: return IntBytes(family_);
      case SO_PROTOCOL: return IntBytes(protocol_);
      case SO_ERROR: return IntBytes(TakeError());
      case SO_ACCEPTCONN: return IntBytes(state_ == InetState::kListening);
      case SO_REUSEADDR: return IntBytes(opts.reuseaddr);
      case SO_REUSEPORT: return IntBytes(opts.reuseport);
      case SO_KEEPALIVE: return IntBytes(opts.keepalive);
      case SO_BROADCAST: return IntBytes(opts.broadcast);
      case SO_OOBINLINE: return IntBytes(opts.oobinline);
      case SO_DONTROUTE: return IntBytes(opts.dontroute);
      case SO_PRIORITY: return IntBytes(opts.priority);
      case SO_RCVLOWAT: return IntBytes(opts.rcvlowat);
      case SO_SNDBUF: return IntBytes(opts.sndbuf);
      case SO_RCVBUF: return IntBytes(opts.rcvbuf);
      case SO_LINGER: return Bytes(&opts.lingerv, sizeof(linger));
      default:
        TRY(NoOpt("getsockopt", level, name));
    }
  }
  if (level == SOL_IP) {
    switch (name) {
      case IP_TOS: return IntBytes(opts.tos);
      case IP_TTL: return IntBytes(opts.ttl == -1 ? 64 : opts.ttl);
      case IP_RECVERR: return IntBytes(opts.recverr);
      case IP_PKTINFO: return IntBytes(opts.pktinfo);
      case IP_RECVTOS: return IntBytes(opts.recvtos);
      case IP_RECVTTL: return IntBytes(opts.recvttl);
      default:
        TRY(NoOpt("getsockopt", level, name));
    }
  }
  if (level == SOL_IPV6 && family_ == AF_INET6) {
    switch (name) {
      case IPV6_V6ONLY: return IntBytes(opts.v6only);
      case IPV6_TCLASS: return IntBytes(opts.tclass);
      case IPV6_UNICAST_HOPS: return IntBytes(opts.hoplimit == -1 ? 64 : opts.hoplimit);
      case IPV6_RECVPKTINFO: return IntBytes(opts.recvpktinfo6);
      case IPV6_RECVHOPLIMIT: return IntBytes(opts.recvhoplimit6);
      case IPV6_RECVTCLASS: return IntBytes(opts.recvtclass6);
      default:
        TRY(NoOpt("getsockopt", level, name));
    }
  }
  if (level == SOL_TCP && tcp) {
    switch (name) {
      case TCP_NODELAY: return IntBytes(opts.nodelay);
      case TCP_CORK: return IntBytes(opts.cork);
      case TCP_QUICKACK: return IntBytes(opts.quickack);
      case TCP_KEEPIDLE: return IntBytes(opts.keepidle);
      case TCP_KEEPINTVL: return IntBytes(opts.keepintvl);
      case TCP_KEEPCNT: return IntBytes(opts.keepcnt);
      case TCP_SYNCNT: return IntBytes(opts.syncnt);
      case TCP_MAXSEG:
        // The loopback MSS (MTU 65536 less headers and timestamps) once
        // connected; before, the configured value or 536 (TCP_MSS_DEFAULT).
        if (state_ == InetState::kConnected) return IntBytes(opts.maxseg ? opts.maxseg : 65483);
        return IntBytes(opts.maxseg ? opts.maxseg : 536);
      case TCP_USER_TIMEOUT: return IntBytes(opts.user_timeout);
      case TCP_LINGER2: return IntBytes(opts.linger2);
      case TCP_DEFER_ACCEPT: return IntBytes(opts.defer_accept);
      case TCP_WINDOW_CLAMP: return IntBytes(opts.window_clamp);
      case TCP_NOTSENT_LOWAT: return IntBytes(opts.notsent_lowat);
      case TCP_FASTOPEN: return IntBytes(opts.fastopen);
      case TCP_FASTOPEN_CONNECT: return IntBytes(opts.fastopen_connect);
      case TCP_INFO: {
        // Only the state is meaningful here (TCP_ESTABLISHED, TCP_LISTEN,
        // TCP_CLOSE); the counters stay zero.
        tcp_info info{};
        info.tcpi_state = state_ == InetState::kConnected   ? 1
                          : state_ == InetState::kListening ? 10
                                                             : 7;
        return Bytes(&info, sizeof(info));
      }
      default:
        TRY(NoOpt("getsockopt", level, name));
    }
  }
  if (IsUdpLevel(level, protocol_) && !tcp) {
    if (name == UDP_CORK) return IntBytes(opts.udp_cork);
    if (protocol_ == IPPROTO_UDPLITE && name == UDPLITE_SEND_CSCOV)
      return IntBytes(opts.udplite_send_cscov);
    if (protocol_ == IPPROTO_UDPLITE && name == UDPLITE_RECV_CSCOV)
      return IntBytes(opts.udplite_recv_cscov);
  }
  // ip_getsockopt() refuses levels it does not know with EOPNOTSUPP;
  // ipv6_getsockopt() with ENOPROTOOPT.
  bool own = level == SOL_SOCKET || level == SOL_IP || (tcp ? level == SOL_TCP : IsUdpLevel(level, protocol_));
  if (family_ == AF_INET && !own) return Err(Errno::kEOPNOTSUPP);
  TRY(NoOpt("getsockopt", level, name));
  return std::vector<uint8_t>{};
}

}  // namespace bulwark::fsimpl::socket
