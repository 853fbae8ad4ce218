#include "sentry/fsimpl/socket/udp_socket.h"

#include <poll.h>

#include <algorithm>
#include <cstring>

#include "sentry/fsimpl/socket/unix_socket.h"

namespace bulwark::fsimpl::socket {

namespace {

constexpr uint32_t kIn = POLLIN | POLLRDNORM;
constexpr uint32_t kOut = POLLOUT | POLLWRNORM | POLLWRBAND;
// Largest UDP payloads: 65535 minus the IPv4 and UDP headers; IPv6's
// payload length excludes its own header.
constexpr size_t kMaxV4Payload = 65507;
constexpr size_t kMaxV6Payload = 65527;
// Roughly the skb truesize Linux charges per queued datagram.
constexpr size_t kDatagramOverhead = 768;

}  // namespace

UdpSocket::UdpSocket(int family, int flags, uint32_t uid, uint32_t gid, int protocol)
    : InetSocket(family, SOCK_DGRAM, protocol, flags, uid, gid) {
  // net.core.wmem_default / rmem_default
  opts.sndbuf = 212992;
  opts.rcvbuf = 212992;
}

SysResult<Endpoint> UdpSocket::PeerName() const {
  if (!peer_) return Err(Errno::kENOTCONN);
  return *peer_;
}

SysResult<void> UdpSocket::Connect(const Endpoint& dst, bool unspec, bool nonblock) {
  if (unspec) {
    // udp_disconnect(): an autobound port is released, an address chosen
    // by connect forgotten.
    peer_.reset();
    set_state(InetState::kClosed);
    if (bound() && !bind_explicit()) {
      Unbind();
    } else if (bound()) {
      Rebind(bind_addr());
    }
    return {};
  }
  // ip4_datagram_connect() / ip6_datagram_connect()
  Endpoint d = TRY(Destination(dst));
  if (!bound()) TRY(Autobind());
  Rebind(SourceFor(bind_addr(), d));
  peer_ = d;
  set_state(InetState::kConnected);
  queue_.Notify(kOut);
  return {};
}

SysResult<void> UdpSocket::Shutdown(int how) {
  // inet_shutdown(): ENOTCONN unless connected, but the bits are set anyway.
  if (how < SHUT_RD || how > SHUT_RDWR) return Err(Errno::kEINVAL);
  shutdown_ |= how + 1;
  queue_.Notify(~0u);
  if (!peer_) return Err(Errno::kENOTCONN);
  return {};
}

void UdpSocket::Deliver(Datagram d) {
  // __udp_enqueue_schedule_skb(): drop when the buffer is already over.
  if (rx_charge_ > static_cast<size_t>(opts.rcvbuf)) return;
  rx_bytes_ += d.data.size();
  rx_charge_ += d.data.size() + kDatagramOverhead;
  rx_.push_back(std::move(d));
  queue_.Notify(kIn);
}

SysResult<size_t> UdpSocket::Send(kernel::Task& t, vfs::IoVecs src, const Endpoint* to,
                                  bool nosignal) {
  // udp_sendmsg() / udpv6_sendmsg()
  size_t len = vfs::TotalLength(src);
  const Endpoint* dest = to ? to : (peer_ ? &*peer_ : nullptr);
  if (!dest) return Err(Errno::kEDESTADDRREQ);
  if (dest->port == 0) return Err(Errno::kEINVAL);
  Endpoint d = TRY(Destination(*dest));
  if (len > (d.v4() ? kMaxV4Payload : kMaxV6Payload)) return Err(Errno::kEMSGSIZE);
  // sock_alloc_send_pskb(): a pending error first, then SEND_SHUTDOWN.
  if (err_) return Err(FromInt(TakeError()));
  if (shutdown_ & kInetSendShutdown) return Err(Errno::kEPIPE);
  if (!bound()) TRY(Autobind());
  Endpoint from = SourceFor(local(), d);
  InetSocket* r = PortTable::For(protocol()).Lookup(d, from, /*want_listener=*/false);
  if (!r) {
    // ICMP port unreachable: only a connected socket hears of it.
    if (peer_) {
      err_ = ECONNREFUSED;
      queue_.Notify(POLLERR);
    }
    return len;
  }
  Datagram dg;
  dg.data = GatherIov(src, len);
  dg.from = from;
  dg.to = d;
  // The header the sender's options (or this send's control messages)
  // give: IPv6 hop limit and traffic class for IPv6 packets, TTL and TOS
  // for IPv4 ones (a v4-mapped destination sends IPv4).
  bool v6 = !d.v4();
  int ttl = next_send.ttl >= 0 ? next_send.ttl : (v6 ? opts.hoplimit : opts.ttl);
  dg.ttl = ttl >= 0 ? ttl : 64;
  dg.tos = next_send.tos >= 0 ? next_send.tos : (v6 ? opts.tclass : opts.tos);
  static_cast<UdpSocket*>(r)->Deliver(std::move(dg));
  return len;
}

SysResult<InetSocket::RecvResult> UdpSocket::Recv(vfs::IoVecs dst, int flags,
                                                  size_t peek_skip) {
  // __skb_recv_udp(): a pending error comes before the queue.
  if (err_) return Err(FromInt(TakeError()));
  RecvResult r;
  if (rx_.empty()) {
    if (shutdown_ & kInetRcvShutdown) return r;
    return Err(Errno::kEAGAIN);
  }
  Datagram& d = rx_.front();
  size_t room = vfs::TotalLength(dst);
  size_t done = 0;
  for (const iovec& v : dst) {
    if (done == d.data.size()) break;
    size_t c = std::min(v.iov_len, d.data.size() - done);
    memcpy(v.iov_base, d.data.data() + done, c);
    done += c;
  }
  r.n = done;
  r.msg_len = d.data.size();
  r.truncated = d.data.size() > room;
  r.have_from = true;
  r.from = d.from;
  r.have_header = true;
  r.to = d.to;
  r.ttl = d.ttl;
  r.tos = d.tos;
  if (!(flags & MSG_PEEK)) {
    rx_bytes_ -= d.data.size();
    rx_charge_ -= d.data.size() + kDatagramOverhead;
    rx_.pop_front();
  }
  return r;
}

SysResult<int> UdpSocket::InqLen() const {
  // udp_ioctl(SIOCINQ): the next datagram's payload.
  return rx_.empty() ? 0 : static_cast<int>(rx_.front().data.size());
}

// datagram_poll()
uint32_t UdpSocket::Readiness(uint32_t mask) {
  uint32_t ev = 0;
  if (err_) ev |= POLLERR;
  if (shutdown_ & kInetRcvShutdown) ev |= POLLRDHUP | kIn;
  if (shutdown_ == (kInetRcvShutdown | kInetSendShutdown)) ev |= POLLHUP;
  if (!rx_.empty()) ev |= kIn;
  ev |= kOut;
  return ev & mask;
}

}  // namespace bulwark::fsimpl::socket
