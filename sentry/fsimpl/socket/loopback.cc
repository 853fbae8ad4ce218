// The sandbox's loopback port tables (one for TCP, one for UDP) and the
// /proc/net/{tcp,udp}{,6} views of them.
//
// A port's sockets are found by a linear scan: sandboxes have few sockets.
// Conflict rules follow inet_csk_bind_conflict()/udp_lib_lport_inuse():
// two sockets clash when their address sets overlap (a wildcard covers its
// family, and an AF_INET6 wildcard without IPV6_V6ONLY covers IPv4 too),
// unless both set SO_REUSEPORT, or both set SO_REUSEADDR and (TCP) the
// other one is not listening.
//
// Guarded by the kernel lock.
#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "sentry/fsimpl/socket/inet_socket.h"
#include "sentry/fsimpl/socket/tcp_socket.h"
#include "sentry/fsimpl/socket/udp_socket.h"

namespace bulwark::fsimpl::socket {

namespace {

// What an endpoint bound by a socket of `family` covers.
struct Cover {
  bool all_v4 = false;
  bool all_v6 = false;
  const in6_addr* one = nullptr;  // a single address
};

Cover CoverOf(int family, bool v6only, const Endpoint& e) {
  Cover c;
  if (!e.wildcard()) {
    c.one = &e.addr;
  } else if (e.v4()) {
    c.all_v4 = true;
  } else {
    c.all_v6 = true;
    c.all_v4 = family == AF_INET6 && !v6only;
  }
  return c;
}

bool Covers(const Cover& c, const in6_addr& a) {
  if (c.one) return SameAddr(*c.one, a);
  return IN6_IS_ADDR_V4MAPPED(&a) ? c.all_v4 : c.all_v6;
}

bool Overlap(const Cover& a, const Cover& b) {
  if (a.one) return Covers(b, *a.one);
  if (b.one) return Covers(a, *b.one);
  return (a.all_v4 && b.all_v4) || (a.all_v6 && b.all_v6);
}

Cover CoverOf(const InetSocket& s) { return CoverOf(s.family(), s.opts.v6only, s.local()); }

std::minstd_rand& Rng() {
  static std::minstd_rand rng(std::random_device{}());
  return rng;
}

}  // namespace

PortTable& PortTable::For(int protocol) {
  static auto* tcp = new PortTable();
  static auto* udp = new PortTable();
  static auto* udplite = new PortTable();
  return protocol == IPPROTO_TCP ? *tcp : protocol == IPPROTO_UDPLITE ? *udplite : *udp;
}

void PortTable::Add(InetSocket* s) { socks_.push_back(s); }

void PortTable::Remove(InetSocket* s) { std::erase(socks_, s); }

std::vector<InetSocket*> PortTable::All() const { return socks_; }

SysResult<void> PortTable::CheckConflict(const InetSocket& s, const Endpoint& e,
                                         bool listening) const {
  Cover mine = CoverOf(s.family(), s.opts.v6only, e);
  for (const InetSocket* o : socks_) {
    if (o == &s || o->local().port != e.port) continue;
    if (!Overlap(mine, CoverOf(*o))) continue;
    if (s.opts.reuseport && o->opts.reuseport) continue;
    if (s.opts.reuseaddr && o->opts.reuseaddr &&
        (s.type() == SOCK_DGRAM || o->state() != InetState::kListening))
      continue;
    (void)listening;
    return Err(Errno::kEADDRINUSE);
  }
  return {};
}

SysResult<uint16_t> PortTable::Ephemeral(const InetSocket& s, const Endpoint& addr) const {
  constexpr uint32_t kRange = kEphemeralHigh - kEphemeralLow + 1;
  uint32_t start = Rng()() % kRange;
  for (uint32_t i = 0; i < kRange; ++i) {
    auto port = static_cast<uint16_t>(kEphemeralLow + (start + i) % kRange);
    bool used = std::any_of(socks_.begin(), socks_.end(),
                            [port](const InetSocket* o) { return o->local().port == port; });
    if (!used) return port;
  }
  return Err(Errno::kEADDRINUSE);
}

InetSocket* PortTable::Lookup(const Endpoint& dst, const Endpoint& src,
                              bool want_listener) const {
  // compute_score(): a specific address beats a wildcard, a connected UDP
  // socket beats an unconnected one, a socket of the packet's own family
  // beats a dual-stack one.
  InetSocket* best = nullptr;
  int best_score = -1;
  for (InetSocket* o : socks_) {
    if (o->local().port != dst.port || !o->Accepts(dst.addr)) continue;
    int score = 0;
    if (want_listener) {
      if (o->state() != InetState::kListening) continue;
    } else {
      const auto& peer = static_cast<UdpSocket*>(o)->peer();
      if (peer) {
        if (!(*peer == src)) continue;
        score += 4;
      }
    }
    if (!o->local().wildcard()) score += 2;
    if ((o->family() == AF_INET) == dst.v4()) score += 1;
    if (score > best_score) {
      best = o;
      best_score = score;
    }
  }
  return best;
}

std::string ProcNetTable(int type, int family) {
  // tcp4_seq_show()/udp4_seq_show() and their IPv6 twins, lines padded as
  // Linux pads them.
  bool tcp = type == SOCK_STREAM;
  std::string out;
  auto pad = [&out](std::string line, size_t width) {
    if (line.size() < width) line.append(width - line.size(), ' ');
    out += line + "\n";
  };
  if (family == AF_INET) {
    pad(tcp ? "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   "
              "uid  timeout inode"
            : "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   "
              "uid  timeout inode ref pointer drops",
        tcp ? 149 : 127);
  } else {
    out += tcp ? "  sl  local_address                         remote_address                        "
                 "st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
               : "  sl  local_address                         remote_address                        "
                 "st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer "
                 "drops\n";
  }
  auto addr_hex = [family](const Endpoint& e) {
    char buf[64];
    if (family == AF_INET) {
      snprintf(buf, sizeof(buf), "%08X:%04X", V4Addr(e), e.port);
    } else {
      uint32_t w[4];
      memcpy(w, &e.addr, sizeof(w));
      snprintf(buf, sizeof(buf), "%08X%08X%08X%08X:%04X", w[0], w[1], w[2], w[3], e.port);
    }
    return std::string(buf);
  };
  int sl = 0;
  for (InetSocket* s : PortTable::For(tcp ? IPPROTO_TCP : IPPROTO_UDP).All()) {
    if (s->family() != family) continue;
    Endpoint peer = AnyAddress(family);
    if (auto p = s->PeerName()) peer = *p;
    int st = 7;  // TCP_CLOSE
    size_t rx = 0;
    if (tcp) {
      auto* t = static_cast<TcpSocket*>(s);
      if (s->state() == InetState::kListening) st = 0x0A;
      if (s->state() == InetState::kConnected) st = 1;
      rx = s->state() == InetState::kListening ? t->backlog_len() : t->rx_len();
    } else {
      auto* u = static_cast<UdpSocket*>(s);
      if (u->peer()) st = 1;
      rx = u->rx_len();
    }
    vfs::Stat stat = *s->GetStat();
    char line[256];
    snprintf(line, sizeof(line), "%4d: %s %s %02X %08X:%08zX 00:00000000 00000000 %5u %8d %lu",
             sl++, addr_hex(s->local()).c_str(), addr_hex(peer).c_str(), st, 0, rx, stat.uid, 0,
             static_cast<unsigned long>(stat.ino));
    std::string l = line;
    l += tcp ? " 1 0000000000000000 100 0 0 10 0" : " 2 0000000000000000 0";
    if (family == AF_INET)
      pad(l, tcp ? 149 : 127);
    else
      out += l + "\n";
  }
  return out;
}

}  // namespace bulwark::fsimpl::socket
