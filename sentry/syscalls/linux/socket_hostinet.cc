#include "sentry/syscalls/linux/socket_hostinet.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/socket_util.h"

namespace bulwark::syscalls::sock {

using fsimpl::socket::kReadEvents;
using fsimpl::socket::kWriteEvents;

HostInetSocket* AsHostInet(fsimpl::socket::InetSocket& s) {
  return dynamic_cast<HostInetSocket*>(&s);
}

SysResult<void> HostInetBind(Task& t, HostInetSocket& s, UserPtr<uint8_t> addr, int addrlen) {
  std::vector<uint8_t> raw = TRY(CopyInAddr(t, addr, addrlen));
  // inet_bind_sk()'s privilege check, for the application's capabilities
  // (the host checks only the sentry's). Deliberate difference: it comes
  // before the host's address checks, so an unprivileged bind of a low port
  // on a non-local address is EACCES here, EADDRNOTAVAIL on Linux.
  sa_family_t family = AF_UNSPEC;
  uint16_t port = 0;
  size_t min_len = s.family() == AF_INET ? sizeof(sockaddr_in) : offsetof(sockaddr_in6, sin6_scope_id);
  if (raw.size() >= min_len) {
    memcpy(&family, raw.data(), sizeof(family));
    memcpy(&port, raw.data() + offsetof(sockaddr_in, sin_port), sizeof(port));
  }
  if ((family == s.family() || family == AF_UNSPEC) &&
      fsimpl::socket::PortNeedsBindService(ntohs(port)) &&
      !t.creds().HasCap(CAP_NET_BIND_SERVICE))
    return Err(Errno::kEACCES);
  return s.HostBind(raw);
}

SysResult<int> HostInetAccept(Task& t, HostInetSocket& s, UserPtr<uint8_t> addr,
                              UserPtr<int> addrlen, int flags) {
  TRY(CheckFdAvailable(t));
  std::optional<timespec> deadline = DeadlineOf(s.opts.rcvtimeo);
  std::vector<uint8_t> peer;
  std::shared_ptr<HostInetSocket> conn;
  for (;;) {
    auto r = s.HostAccept((flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0, &peer, t.creds());
    if (r) {
      conn = std::move(*r);
      break;
    }
    if (r.error() != Errno::kEAGAIN || (s.flags() & O_NONBLOCK)) return Err(r.error());
    TRY(Wait(t, {s.Queue()}, kReadEvents, deadline));
  }
  if (!addr.null())
    TRY(CopyOutRawAddr(t, peer.data(), static_cast<int>(peer.size()), addr, addrlen));
  return t.fds().Install(std::move(conn), flags & SOCK_CLOEXEC, FdLimit(t));
}

SysResult<void> HostInetConnect(Task& t, HostInetSocket& s, UserPtr<uint8_t> addr, int addrlen) {
  std::vector<uint8_t> raw = TRY(CopyInAddr(t, addr, addrlen));
  auto r = s.HostConnect(raw);
  if (r || (s.flags() & O_NONBLOCK)) return r;
  // EALREADY: a connect restarted after a signal, or one that follows a
  // non-blocking attempt; Linux's inet_stream_connect() waits for both.
  if (r.error() != Errno::kEINPROGRESS && r.error() != Errno::kEALREADY) return r;
  std::optional<timespec> deadline = DeadlineOf(s.opts.sndtimeo);
  while (!(s.Readiness(POLLOUT) & (POLLOUT | POLLERR | POLLHUP))) {
    auto w = Wait(t, {s.Queue()}, kWriteEvents, deadline);
    // A connect timeout leaves the attempt in progress.
    if (!w) return Err(w.error() == Errno::kEAGAIN ? Errno::kEINPROGRESS : w.error());
  }
  // Connecting again finishes the attempt as the blocking connect would:
  // 0 (the socket is now connected, so a third connect is EISCONN) or the
  // pending error (sock_error() in __inet_stream_connect()).
  r = s.HostConnect(raw);
  if (!r && r.error() == Errno::kEISCONN) return {};
  return r;
}

SysResult<void> HostInetName(Task& t, HostInetSocket& s, bool peer, UserPtr<uint8_t> addr,
                             UserPtr<int> addrlen) {
  std::vector<uint8_t> raw = TRY(s.HostName(peer));
  return CopyOutRawAddr(t, raw.data(), static_cast<int>(raw.size()), addr, addrlen);
}

SysResult<size_t> HostInetSend(Task& t, HostInetSocket& s, const std::vector<iovec>& iov,
                               int flags, const std::vector<uint8_t>& raw_addr,
                               const InetSocket::SendHeader& header) {
  bool stream = s.type() == SOCK_STREAM;
  return InetSendLoop(t, s, iov, flags, [&](vfs::IoVecs src, size_t done) {
    auto r = s.HostSend(t, src, flags, raw_addr, header);
    // sk_stream_error(): SIGPIPE unless MSG_NOSIGNAL or data went out.
    if (!r && r.error() == Errno::kEPIPE && stream && done == 0 && !(flags & MSG_NOSIGNAL))
      fsimpl::socket::SendSigpipe(t);
    return r;
  });
}

SysResult<size_t> HostInetRecv(Task& t, HostInetSocket& s, const std::vector<iovec>& iov,
                               int flags, std::vector<uint8_t>& from, bool& truncated,
                               InetSocket::RecvResult* header) {
  truncated = false;
  if (flags & MSG_ERRQUEUE) return Err(Errno::kEAGAIN);
  bool stream = s.type() == SOCK_STREAM;
  bool nonblock = (s.flags() & O_NONBLOCK) || (flags & MSG_DONTWAIT);
  std::optional<timespec> deadline = DeadlineOf(s.opts.rcvtimeo);
  size_t total = vfs::TotalLength(iov);
  // sock_rcvlowat(); a peek takes what is there.
  size_t target = 1;
  if (stream && !(flags & MSG_PEEK))
    target = (flags & MSG_WAITALL) ? total
                                   : std::min(total, static_cast<size_t>(s.opts.rcvlowat));
  size_t copied = 0;
  auto partial = [&](Errno e) { return copied > 0 ? SysResult<size_t>(copied) : Err(e); };
  for (;;) {
    auto dst = TranslateUserIov(t, iov, stream ? copied : 0, /*write=*/true);
    if (!dst) return partial(dst.error());
    auto r = s.HostRecv(t, *dst, flags);
    if (r) {
      if (!stream) {
        from = std::move(r->from);
        truncated = r->truncated;
        if (header) header->host_control = std::move(r->control);
        return r->n;  // with MSG_TRUNC the host gave the datagram's length
      }
      copied += r->n;
      // End of stream, a zero-length read, or enough.
      if (r->n == 0 || copied >= target) return copied;
      continue;
    }
    if (r.error() != Errno::kEAGAIN) return partial(r.error());
    // tcp_recvmsg() neither copies nor waits for an empty buffer.
    if (stream && total == 0) return 0;
    if (nonblock) return partial(Errno::kEAGAIN);
    auto w = Wait(t, {s.Queue()}, kReadEvents, deadline);
    if (!w) return partial(w.error());
  }
}

}  // namespace bulwark::syscalls::sock
