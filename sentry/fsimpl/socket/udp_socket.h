// UDP on the sandbox's loopback (udp(7)); see inet_socket.h for the model.
//
// A datagram is delivered at once into the receive queue of the socket its
// destination reaches, or dropped when that queue is over SO_RCVBUF (as
// Linux drops, without telling the sender). A connected socket that sends
// to a port nobody listens on gets ECONNREFUSED on its next call, as the
// ICMP port-unreachable reply makes Linux do; unconnected senders are not
// told (no IP_RECVERR error queue).
//
// Guarded by the kernel lock.
#pragma once

#include <deque>
#include <optional>
#include <vector>

#include "sentry/fsimpl/socket/inet_socket.h"

namespace bulwark::fsimpl::socket {

class UdpSocket : public InetSocket {
 public:
  // `protocol`: IPPROTO_UDP, or IPPROTO_UDPLITE (the same datagram service
  // with its own ports and the checksum-coverage options).
  UdpSocket(int family, int flags, uint32_t uid, uint32_t gid, int protocol = IPPROTO_UDP);

  SysResult<Endpoint> PeerName() const override;
  SysResult<void> Connect(const Endpoint& dst, bool unspec, bool nonblock) override;
  SysResult<void> Shutdown(int how) override;
  SysResult<size_t> Send(kernel::Task& t, vfs::IoVecs src, const Endpoint* to,
                         bool nosignal) override;
  SysResult<RecvResult> Recv(vfs::IoVecs dst, int flags, size_t peek_skip) override;
  uint32_t Readiness(uint32_t mask) override;

  // The connected peer, if any.
  const std::optional<Endpoint>& peer() const { return peer_; }
  size_t rx_len() const { return rx_bytes_; }

 protected:
  SysResult<int> InqLen() const override;

 private:
  struct Datagram {
    std::vector<uint8_t> data;
    Endpoint from;
    Endpoint to;   // the destination, for IP_PKTINFO/IPV6_PKTINFO
    int ttl = 64;  // TTL or hop limit as sent (loopback does not decrement)
    int tos = 0;   // TOS or traffic class
  };
  // Queues `d` unless the receive buffer is full.
  void Deliver(Datagram d);

  std::optional<Endpoint> peer_;
  std::deque<Datagram> rx_;
  size_t rx_bytes_ = 0;   // payload bytes queued
  size_t rx_charge_ = 0;  // with per-datagram overhead, against SO_RCVBUF
};

}  // namespace bulwark::fsimpl::socket
