// The socket syscalls on internet sockets (ip(7), tcp(7), udp(7)): the
// loopback-only network of --network=none (fsimpl/socket/inet_socket.h);
// with --network=host each call hands host-backed sockets to
// socket_hostinet.cc.
// socket.cc and socket_msg.cc hand internet sockets here.
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>

#include <climits>
#include <cstring>

#include "sentry/fsimpl/socket/host_inet_socket.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/socket_hostinet.h"
#include "sentry/syscalls/linux/socket_util.h"

namespace bulwark::syscalls::sock {

using fsimpl::socket::AddrUse;
using fsimpl::socket::Endpoint;
using fsimpl::socket::InetState;

namespace {

SysResult<Endpoint> ParseFor(const InetSocket& s, AddrUse use, const std::vector<uint8_t>& raw,
                             bool* unspec) {
  return fsimpl::socket::ParseInetAddr(s.family(), s.type(), s.opts.v6only, use, raw, unspec);
}

SysResult<void> CopyOutEndpoint(Task& t, int family, const Endpoint& e, UserPtr<uint8_t> uaddr,
                                UserPtr<int> ulen) {
  std::vector<uint8_t> b = fsimpl::socket::FormatInetAddr(family, e);
  return CopyOutRawAddr(t, b.data(), static_cast<int>(b.size()), uaddr, ulen);
}

// Options larger than this are cut (none of the supported ones is).
constexpr int kMaxOptLen = 256;

}  // namespace

std::shared_ptr<InetSocket> AsInet(Task& t, int fd) {
  auto f = GetFile(t, fd);
  if (!f) return nullptr;
  return std::dynamic_pointer_cast<InetSocket>(*f);
}

SysResult<int> InetCreate(Task& t, int domain, int type, int protocol, int flags) {
  int fl = (flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0;
  auto s = TRY(fsimpl::socket::HostNetworkEnabled()
                   ? HostInetSocket::Create(domain, type, protocol, fl, t.creds())
                   : InetSocket::Create(domain, type, protocol, fl, t.creds()));
  return t.fds().Install(std::move(s), flags & SOCK_CLOEXEC, FdLimit(t));
}

SysResult<void> InetBind(Task& t, InetSocket& s, UserPtr<uint8_t> addr, int addrlen) {
  if (auto* h = AsHostInet(s)) return HostInetBind(t, *h, addr, addrlen);
  std::vector<uint8_t> raw = TRY(CopyInAddr(t, addr, addrlen));
  bool unspec = false;
  Endpoint e = TRY(ParseFor(s, AddrUse::kBind, raw, &unspec));
  return s.Bind(e, t.creds().HasCap(CAP_NET_BIND_SERVICE));
}

SysResult<void> InetListen(Task& t, InetSocket& s, int backlog) {
  if (auto* h = AsHostInet(s)) return h->HostListen(backlog);
  if (static_cast<unsigned>(backlog) > static_cast<unsigned>(fsimpl::socket::kSoMaxConn))
    backlog = fsimpl::socket::kSoMaxConn;
  return s.Listen(backlog);
}

SysResult<int> InetAccept(Task& t, InetSocket& s, UserPtr<uint8_t> addr, UserPtr<int> addrlen,
                          int flags) {
  if (auto* h = AsHostInet(s)) return HostInetAccept(t, *h, addr, addrlen, flags);
  TRY(CheckFdAvailable(t));
  std::optional<timespec> deadline = DeadlineOf(s.opts.rcvtimeo);
  std::shared_ptr<InetSocket> conn;
  for (;;) {
    auto r = s.Accept();
    if (r) {
      conn = std::move(*r);
      break;
    }
    if (r.error() != Errno::kEAGAIN || (s.flags() & O_NONBLOCK)) return Err(r.error());
    TRY(Wait(t, {s.Queue()}, fsimpl::socket::kReadEvents, deadline));
  }
  conn->SetStatusFlags((flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0);
  if (!addr.null()) {
    Endpoint peer = conn->PeerName().value_or(Endpoint{});
    TRY(CopyOutEndpoint(t, conn->family(), peer, addr, addrlen));
  }
  return t.fds().Install(std::move(conn), flags & SOCK_CLOEXEC, FdLimit(t));
}

SysResult<void> InetConnect(Task& t, InetSocket& s, UserPtr<uint8_t> addr, int addrlen) {
  if (auto* h = AsHostInet(s)) return HostInetConnect(t, *h, addr, addrlen);
  std::vector<uint8_t> raw = TRY(CopyInAddr(t, addr, addrlen));
  bool unspec = false;
  Endpoint e = TRY(ParseFor(s, AddrUse::kConnect, raw, &unspec));
  bool nonblock = s.flags() & O_NONBLOCK;
  std::optional<timespec> deadline = DeadlineOf(s.opts.sndtimeo);
  for (;;) {
    auto r = s.Connect(e, unspec, nonblock);
    if (r || r.error() != Errno::kEAGAIN) return r;
    // The listener's backlog is full: wait for an accept (a SYN retried).
    auto d = fsimpl::socket::Destination(e);
    InetSocket* l = d ? fsimpl::socket::PortTable::For(SOCK_STREAM).Lookup(*d, Endpoint{}, true)
                      : nullptr;
    if (!l) continue;  // gone: the retry reports ECONNREFUSED
    auto w = Wait(t, {l->ConnectQueue()}, ~0u, deadline);
    // A connect timeout (SO_SNDTIMEO) leaves the attempt in progress.
    if (!w) return Err(w.error() == Errno::kEAGAIN ? Errno::kEINPROGRESS : w.error());
  }
}

SysResult<void> InetName(Task& t, InetSocket& s, bool peer, UserPtr<uint8_t> addr,
                         UserPtr<int> addrlen) {
  if (auto* h = AsHostInet(s)) return HostInetName(t, *h, peer, addr, addrlen);
  Endpoint e = peer ? TRY(s.PeerName()) : s.local();
  return CopyOutEndpoint(t, s.family(), e, addr, addrlen);
}

SysResult<void> InetSetOpt(Task& t, InetSocket& s, int level, int name, UserPtr<uint8_t> optval,
                           int optlen) {
  if (optlen < 0) return Err(Errno::kEINVAL);
  if (level == SOL_SOCKET && name == SO_RCVTIMEO_OLD) {
    s.opts.rcvtimeo = TRY(TimeoutArg(t, optval, optlen));
    return {};
  }
  if (level == SOL_SOCKET && name == SO_SNDTIMEO_OLD) {
    s.opts.sndtimeo = TRY(TimeoutArg(t, optval, optlen));
    return {};
  }
  std::vector<uint8_t> val(static_cast<size_t>(std::min(optlen, kMaxOptLen)));
  if (!val.empty()) TRY(t.CopyInBytes(optval.addr, val.data(), val.size()));
  if (auto* h = AsHostInet(s)) return h->HostSetOpt(level, name, val);
  return s.SetOption(level, name, val, t.creds().HasCap(CAP_NET_ADMIN));
}

SysResult<void> InetGetOpt(Task& t, InetSocket& s, int level, int name, UserPtr<uint8_t> optval,
                           UserPtr<int> optlen) {
  int len = TRY(t.CopyIn(optlen));
  if (len < 0) return Err(Errno::kEINVAL);
  std::vector<uint8_t> v;
  if (level == SOL_SOCKET && (name == SO_RCVTIMEO_OLD || name == SO_SNDTIMEO_OLD)) {
    const timeval& tv = name == SO_RCVTIMEO_OLD ? s.opts.rcvtimeo : s.opts.sndtimeo;
    auto* p = reinterpret_cast<const uint8_t*>(&tv);
    v.assign(p, p + sizeof(tv));
  } else if (auto* h = AsHostInet(s)) {
    v = TRY(h->HostGetOpt(level, name, len));
  } else {
    v = TRY(s.GetOption(level, name));
  }
  // The value cut to the caller's length, which becomes what was copied.
  int n = std::min(len, static_cast<int>(v.size()));
  if (n > 0) TRY(t.CopyOutBytes(optval.addr, v.data(), static_cast<size_t>(n)));
  return t.CopyOut(optlen, n);
}

SysResult<size_t> InetSend(Task& t, InetSocket& s, const std::vector<iovec>& iov, int flags,
                           const std::vector<uint8_t>& raw_addr,
                           const InetSocket::SendHeader& header) {
  if (auto* h = AsHostInet(s)) return HostInetSend(t, *h, iov, flags, raw_addr, header);
  // Urgent data is not modelled.
  if (flags & MSG_OOB) return Err(Errno::kEOPNOTSUPP);
  bool stream = s.type() == SOCK_STREAM;
  Endpoint to;
  bool have_to = false;
  if (!raw_addr.empty() && !stream) {
    bool unspec = false;
    to = TRY(ParseFor(s, AddrUse::kSend, raw_addr, &unspec));
    have_to = !unspec;
  }
  bool nosignal = flags & MSG_NOSIGNAL;
  return InetSendLoop(t, s, iov, flags, [&](vfs::IoVecs src, size_t done) {
    s.next_send = header;
    auto r = s.Send(t, src, have_to ? &to : nullptr, nosignal || done > 0);
    s.next_send = {};
    return r;
  });
}

SysResult<size_t> InetRecv(Task& t, InetSocket& s, const std::vector<iovec>& iov, int flags,
                           std::vector<uint8_t>& from, bool& truncated,
                           InetSocket::RecvResult* header) {
  if (auto* h = AsHostInet(s)) return HostInetRecv(t, *h, iov, flags, from, truncated, header);
  bool stream = s.type() == SOCK_STREAM;
  if (flags & MSG_OOB) return Err(stream ? Errno::kEINVAL : Errno::kEOPNOTSUPP);
  // No ICMP errors are queued (IP_RECVERR): the error queue is empty.
  if (flags & MSG_ERRQUEUE) return Err(Errno::kEAGAIN);
  size_t total = vfs::TotalLength(iov);
  if (stream && total == 0) {
    // tcp_recvmsg() copies nothing and does not wait.
    if (s.state() == InetState::kListening) return Err(Errno::kENOTCONN);
    return 0;
  }
  bool nonblock = (s.flags() & O_NONBLOCK) || (flags & MSG_DONTWAIT);
  std::optional<timespec> deadline = DeadlineOf(s.opts.rcvtimeo);
  // sock_rcvlowat()
  size_t target = 1;
  if (stream)
    target = (flags & MSG_WAITALL) ? total
                                   : std::min(total, static_cast<size_t>(s.opts.rcvlowat));
  size_t copied = 0;
  truncated = false;
  for (;;) {
    // Data already copied is returned before an error or EOF.
    if (copied > 0 && s.error()) break;
    auto dst = TranslateUserIov(t, iov, stream ? copied : 0, /*write=*/true);
    if (!dst) {
      if (copied > 0) break;
      return Err(dst.error());
    }
    auto r = s.Recv(*dst, flags, copied);
    if (r) {
      if (!stream) {
        if (r->have_from) from = fsimpl::socket::FormatInetAddr(s.family(), r->from);
        truncated = r->truncated;
        if (header) *header = *r;
        return (flags & MSG_TRUNC) ? r->msg_len : r->n;
      }
      if (r->n == 0) break;  // end of stream
      copied += r->n;
      if (copied >= target) break;
      continue;
    }
    if (r.error() != Errno::kEAGAIN) {
      if (copied > 0) break;
      return Err(r.error());
    }
    if (nonblock) {
      if (copied > 0) break;
      return Err(Errno::kEAGAIN);
    }
    auto w = Wait(t, {s.Queue()}, fsimpl::socket::kReadEvents, deadline);
    if (!w) {
      if (copied > 0) break;
      return Err(w.error());
    }
  }
  return copied;
}

}  // namespace bulwark::syscalls::sock
