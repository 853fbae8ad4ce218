// sendto(2), recvfrom(2), sendmsg(2), recvmsg(2), sendmmsg(2), recvmmsg(2)
// on unix(7) sockets, with SCM_RIGHTS and SCM_CREDENTIALS (cmsg(3)), on
// internet sockets (socket_inet.cc) and on netlink sockets
// (socket_netlink.cc).
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <time.h>

#include <climits>
#include <cstring>

#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/io_util.h"
#include "sentry/syscalls/linux/socket_util.h"
#include "sentry/syscalls/linux/sys_socket.h"

namespace bulwark::syscalls {

using fsimpl::socket::Creds;
using fsimpl::socket::RecvState;
using fsimpl::socket::SendExtras;
using fsimpl::socket::SockState;
using sock::Address;
using sock::InetSocket;
using sock::GetSocket;
using sock::UnixSocket;

namespace {

constexpr size_t kCmsgHdr = sizeof(cmsghdr);

constexpr size_t CmsgAlign(size_t n) { return (n + sizeof(size_t) - 1) & ~(sizeof(size_t) - 1); }

// import_iovec() for a message: EMSGSIZE above UIO_MAXIOV.
SysResult<std::vector<iovec>> CopyInIov(Task& t, uint64_t uiov, size_t n) {
  if (n > kUioMaxIov) return Err(Errno::kEMSGSIZE);
  return ImportIovecs(t, uiov, n);
}

// scm_check_creds(): only one's own pid and ids, unless capable.
SysResult<void> CheckCreds(const Task& t, const ucred& u) {
  const kernel::Credentials& c = t.creds();
  if (u.uid == static_cast<uid_t>(-1) || u.gid == static_cast<gid_t>(-1))
    return Err(Errno::kEINVAL);
  bool pid_ok = u.pid == t.tgid() || c.HasCap(CAP_SYS_ADMIN);
  bool uid_ok = u.uid == c.ruid || u.uid == c.euid || u.uid == c.suid || c.HasCap(CAP_SETUID);
  bool gid_ok = u.gid == c.rgid || u.gid == c.egid || u.gid == c.sgid || c.HasCap(CAP_SETGID);
  if (pid_ok && uid_ok && gid_ok) return {};
  return Err(Errno::kEPERM);
}

// __scm_send(): the SOL_SOCKET control messages of a send.
// Calls fn(header, data, data_len) for each control message of the
// `len` bytes at `ctl` (the cmsghdr framing of __scm_send()/ip_cmsg_send():
// EINVAL for a length that does not fit; ENOBUFS past INT_MAX).
// The buffer comes from sock_kmalloc(), which refuses more than
// net.core.optmem_max (131072 by default): ENOBUFS, before the copy, so a
// huge msg_controllen costs no memory.
template <typename Fn>
SysResult<void> ForEachCmsg(Task& t, uint64_t ctl, size_t len, Fn fn) {
  constexpr size_t kOptMemMax = 131072;
  if (len > INT_MAX || len > kOptMemMax) return Err(Errno::kENOBUFS);
  if (len == 0) return {};
  std::vector<uint8_t> buf(len);
  TRY(t.CopyInBytes(ctl, buf.data(), len));
  for (size_t off = 0; off + kCmsgHdr <= len;) {
    cmsghdr h;
    memcpy(&h, buf.data() + off, kCmsgHdr);
    if (h.cmsg_len < kCmsgHdr || h.cmsg_len > len - off) return Err(Errno::kEINVAL);
    TRY(fn(h, buf.data() + off + CmsgAlign(kCmsgHdr), h.cmsg_len - CmsgAlign(kCmsgHdr)));
    off += CmsgAlign(h.cmsg_len);
  }
  return {};
}

SysResult<SendExtras> ParseControl(Task& t, uint64_t ctl, size_t len) {
  SendExtras ex;
  TRY(ForEachCmsg(t, ctl, len, [&](const cmsghdr& h, const uint8_t* data,
                                   size_t data_len) -> SysResult<void> {
    if (h.cmsg_level == SOL_SOCKET) {
      switch (h.cmsg_type) {
        case SCM_RIGHTS: {
          size_t n = data_len / sizeof(int);
          if (ex.rights.size() + n > fsimpl::socket::kScmMaxFd) return Err(Errno::kEINVAL);
          for (size_t i = 0; i < n; ++i) {
            int fd;
            memcpy(&fd, data + i * sizeof(int), sizeof(int));
            // fget_raw(): O_PATH descriptors may be passed too.
            ex.rights.push_back(TRY(GetFile(t, fd, /*allow_path=*/true)));
          }
          break;
        }
        case SCM_CREDENTIALS: {
          if (h.cmsg_len != CMSG_LEN(sizeof(ucred))) return Err(Errno::kEINVAL);
          ucred u;
          memcpy(&u, data, sizeof(u));
          TRY(CheckCreds(t, u));
          ex.creds = Creds{u.pid, u.uid, u.gid};
          break;
        }
        default:
          return Err(Errno::kEINVAL);
      }
    }
    return {};
  }));
  return ex;
}

// The control messages of a send on an internet socket: the per-packet
// IP header values of ip_cmsg_send() (IP_TTL, IP_TOS) and
// ip6_datagram_send_ctl() (IPV6_HOPLIMIT, IPV6_TCLASS), with their range
// checks. IP_PKTINFO/IPV6_PKTINFO are checked for size and otherwise have
// no effect: the loopback has one interface and one source address per
// destination. Messages of other levels are skipped, unknown types of the
// socket's IP level are EINVAL, as Linux; TCP takes only SOL_SOCKET ones.
SysResult<InetSocket::SendHeader> ParseInetControl(Task& t, const sock::InetSocket& s,
                                                   uint64_t ctl, size_t len) {
  InetSocket::SendHeader hdr;
  bool udp = s.type() == SOCK_DGRAM;
  int ip_level = s.family() == AF_INET6 ? SOL_IPV6 : SOL_IP;
  TRY(ForEachCmsg(t, ctl, len, [&](const cmsghdr& h, const uint8_t* data,
                                   size_t data_len) -> SysResult<void> {
    int v = 0;
    bool is_int = h.cmsg_len == CMSG_LEN(sizeof(int));
    if (is_int) memcpy(&v, data, sizeof(int));
    if (h.cmsg_level == SOL_SOCKET) {
      // __sock_cmsg_send(): the SOL_UNIX ones are ignored here.
      if (h.cmsg_type == SCM_RIGHTS || h.cmsg_type == SCM_CREDENTIALS) return {};
      return Err(Errno::kEINVAL);
    }
    if (!udp || h.cmsg_level != ip_level) return {};
    if (ip_level == SOL_IP) {
      switch (h.cmsg_type) {
        case IP_TTL:
          if (!is_int || v < 1 || v > 255) return Err(Errno::kEINVAL);
          hdr.ttl = v;
          return {};
        case IP_TOS:
          // An int, or one byte.
          if (h.cmsg_len == CMSG_LEN(sizeof(uint8_t))) v = data[0], is_int = true;
          if (!is_int || v < 0 || v > 255) return Err(Errno::kEINVAL);
          hdr.tos = v;
          return {};
        case IP_PKTINFO:
          return data_len == sizeof(in_pktinfo) ? SysResult<void>{} : Err(Errno::kEINVAL);
        default:
          return Err(Errno::kEINVAL);
      }
    }
    switch (h.cmsg_type) {
      case IPV6_HOPLIMIT:
      case IPV6_TCLASS:
        if (!is_int || v < -1 || v > 255) return Err(Errno::kEINVAL);
        (h.cmsg_type == IPV6_HOPLIMIT ? hdr.ttl : hdr.tos) = v;
        return {};
      case IPV6_PKTINFO:
        return data_len >= sizeof(in6_pktinfo) ? SysResult<void>{} : Err(Errno::kEINVAL);
      default:
        return Err(Errno::kEINVAL);
    }
  }));
  return hdr;
}

// The blocking send loop shared by every send call. `raw_addr`: the
// destination as given (empty: none).
SysResult<size_t> DoSend(Task& t, UnixSocket& s, const std::vector<iovec>& iov, int flags,
                         const std::vector<uint8_t>& raw_addr, SendExtras& extras) {
  if (flags & MSG_OOB) return Err(Errno::kEOPNOTSUPP);
  std::shared_ptr<UnixSocket> to;
  if (!raw_addr.empty()) {
    if (s.type() == SOCK_STREAM)
      return Err(s.state() == SockState::kConnected ? Errno::kEISCONN : Errno::kEOPNOTSUPP);
    if (s.type() == SOCK_DGRAM) {
      Address name = TRY(sock::ParseUnixAddr(raw_addr));
      if (s.passcred) TRY(s.Autobind());
      to = TRY(sock::FindPeer(t, name, SOCK_DGRAM));
    }
  }
  bool nonblock = (s.flags() & O_NONBLOCK) || (flags & MSG_DONTWAIT);
  extras.nosignal = flags & MSG_NOSIGNAL;
  std::optional<timespec> deadline = sock::DeadlineOf(s.sndtimeo);
  size_t total = vfs::TotalLength(iov);
  size_t done = 0;
  for (;;) {
    auto src = TranslateUserIov(t, iov, done, /*write=*/false);
    if (!src) return done > 0 ? SysResult<size_t>(done) : Err(src.error());
    auto r = s.Send(t, *src, extras, to);
    if (r) {
      done += *r;
      extras.rights.clear();
      if (s.type() != SOCK_STREAM || done >= total) return done;
      // SIGPIPE only when nothing was sent (unix_stream_sendmsg()).
      extras.nosignal = true;
      continue;
    }
    if (r.error() != Errno::kEAGAIN) return done > 0 ? SysResult<size_t>(done) : Err(r.error());
    if (nonblock) return done > 0 ? SysResult<size_t>(done) : Err(Errno::kEAGAIN);
    std::shared_ptr<UnixSocket> target = to ? to : s.peer();
    SysResult<void> w;
    if (target && target.get() != &s)
      w = sock::Wait(t, {s.Queue(), &target->PeerWaitQueue()}, fsimpl::socket::kWriteEvents,
                     deadline);
    else
      w = sock::Wait(t, {s.Queue()}, fsimpl::socket::kWriteEvents, deadline);
    if (!w) return done > 0 ? SysResult<size_t>(done) : Err(w.error());
  }
}

// The blocking receive loop. Returns what the call returns: bytes copied,
// or the datagram's full length with MSG_TRUNC.
SysResult<size_t> DoRecv(Task& t, UnixSocket& s, const std::vector<iovec>& iov, int flags,
                         RecvState& st) {
  bool stream = s.type() == SOCK_STREAM;
  if (flags & MSG_OOB) return Err(stream ? Errno::kEINVAL : Errno::kEOPNOTSUPP);
  if (stream && s.state() != SockState::kConnected) return Err(Errno::kEINVAL);
  if (s.type() == SOCK_SEQPACKET && s.state() != SockState::kConnected)
    return Err(Errno::kENOTCONN);
  bool nonblock = (s.flags() & O_NONBLOCK) || (flags & MSG_DONTWAIT);
  std::optional<timespec> deadline = sock::DeadlineOf(s.rcvtimeo);
  size_t total = vfs::TotalLength(iov);
  // sock_rcvlowat()
  size_t target = (stream && (flags & MSG_WAITALL)) ? total : 1;
  if (target == 0) target = 1;
  for (;;) {
    auto dst = TranslateUserIov(t, iov, stream ? st.copied : 0, /*write=*/true);
    if (!dst) {
      if (st.copied > 0) break;
      return Err(dst.error());
    }
    bool eof = false;
    if (TRY(s.Recv(*dst, flags, st, &eof))) break;
    if (stream && st.copied >= target) break;
    if (s.error()) {
      if (st.copied > 0) break;
      return Err(FromInt(s.TakeError()));
    }
    if (eof) break;
    if (nonblock) {
      if (st.copied > 0) break;
      return Err(Errno::kEAGAIN);
    }
    auto w = sock::Wait(t, {s.Queue()}, fsimpl::socket::kReadEvents, deadline);
    if (!w) {
      if (st.copied > 0) break;
      return Err(w.error());
    }
  }
  if (!stream && (flags & MSG_TRUNC)) return st.msg_len;
  return st.copied;
}

// put_cmsg() and scm_detach_fds() into the application's control buffer.
class ControlWriter {
 public:
  ControlWriter(Task& t, uint64_t addr, size_t len) : t_(t), addr_(addr), len_(len) {}

  SysResult<void> Put(int level, int type, const void* data, size_t n) {
    if (addr_ == 0 || len_ - used_ < kCmsgHdr) {
      ctrunc = true;
      return {};
    }
    size_t space = len_ - used_;
    size_t cmlen = CMSG_LEN(n);
    if (space < cmlen) {
      ctrunc = true;
      cmlen = space;
    }
    std::vector<uint8_t> buf(cmlen);
    cmsghdr h{};
    h.cmsg_len = cmlen;
    h.cmsg_level = level;
    h.cmsg_type = type;
    memcpy(buf.data(), &h, kCmsgHdr);
    memcpy(buf.data() + kCmsgHdr, data, cmlen - kCmsgHdr);
    TRY(t_.CopyOutBytes(addr_ + used_, buf.data(), cmlen));
    used_ += std::min(CMSG_SPACE(n), space);
    return {};
  }

  // Installs as many of `rights` as fit (and the fd limit allows); the rest
  // are dropped, which closes them unless referenced elsewhere.
  SysResult<void> PutRights(std::vector<std::shared_ptr<vfs::FileDescription>>& rights,
                            bool cloexec) {
    size_t space = addr_ ? len_ - used_ : 0;
    size_t fdmax = space > kCmsgHdr ? (space - kCmsgHdr) / sizeof(int) : 0;
    std::vector<int> fds;
    for (size_t i = 0; i < rights.size() && i < fdmax; ++i) {
      auto fd = t_.fds().Install(rights[i], cloexec, FdLimit(t_));
      if (!fd) break;
      fds.push_back(*fd);
    }
    if (fds.size() < rights.size()) ctrunc = true;
    rights.clear();
    if (fds.empty()) return {};
    return Put(SOL_SOCKET, SCM_RIGHTS, fds.data(), fds.size() * sizeof(int));
  }

  size_t used() const { return used_; }
  bool ctrunc = false;

 private:
  Task& t_;
  uint64_t addr_;
  size_t len_;
  size_t used_ = 0;
};

// The IP control messages of a received datagram that the socket asked
// for, in Linux's order (ip_cmsg_recv_offset(), ip6_datagram_recv_ctl()).
SysResult<void> PutInetControl(ControlWriter& cw, const sock::InetSocket& s,
                               const InetSocket::RecvResult& h) {
  // Host sockets: what the host delivered, in its order.
  for (size_t off = 0; off + sizeof(cmsghdr) <= h.host_control.size();) {
    cmsghdr c;
    memcpy(&c, h.host_control.data() + off, sizeof(c));
    TRY(cw.Put(c.cmsg_level, c.cmsg_type, h.host_control.data() + off + CMSG_LEN(0),
               c.cmsg_len - CMSG_LEN(0)));
    off += CMSG_SPACE(c.cmsg_len - CMSG_LEN(0));
  }
  if (!h.have_header) return {};
  if (s.family() == AF_INET6) {
    if (s.opts.recvpktinfo6) {
      in6_pktinfo pi{h.to.addr, 1};  // lo is interface 1
      TRY(cw.Put(SOL_IPV6, IPV6_PKTINFO, &pi, sizeof(pi)));
    }
    if (s.opts.recvhoplimit6) TRY(cw.Put(SOL_IPV6, IPV6_HOPLIMIT, &h.ttl, sizeof(int)));
    if (s.opts.recvtclass6) TRY(cw.Put(SOL_IPV6, IPV6_TCLASS, &h.tos, sizeof(int)));
    return {};
  }
  if (s.opts.pktinfo) {
    in_pktinfo pi{};
    pi.ipi_ifindex = 1;
    memcpy(&pi.ipi_spec_dst, &h.to.addr.s6_addr[12], 4);
    memcpy(&pi.ipi_addr, &h.to.addr.s6_addr[12], 4);
    TRY(cw.Put(SOL_IP, IP_PKTINFO, &pi, sizeof(pi)));
  }
  if (s.opts.recvttl) TRY(cw.Put(SOL_IP, IP_TTL, &h.ttl, sizeof(int)));
  if (s.opts.recvtos) {
    uint8_t tos = static_cast<uint8_t>(h.tos);
    TRY(cw.Put(SOL_IP, IP_TOS, &tos, 1));
  }
  return {};
}

// netlink_recvmsg()'s control messages: NETLINK_PKTINFO (the group the
// datagram was sent to) and, with SO_PASSCRED, the sender's credentials
// (zeros for the kernel).
SysResult<void> PutNetlinkControl(ControlWriter& cw, const sock::NetlinkSocket& s,
                                  const sock::NetlinkSocket::RecvResult& r) {
  if (s.pktinfo) {
    nl_pktinfo pi{r.from_group};
    TRY(cw.Put(SOL_NETLINK, NETLINK_PKTINFO, &pi, sizeof(pi)));
  }
  if (s.passcred) {
    ucred u{r.creds.pid, r.creds.uid, r.creds.gid};
    TRY(cw.Put(SOL_SOCKET, SCM_CREDENTIALS, &u, sizeof(u)));
  }
  return {};
}

// The kernel's struct user_msghdr: msg_namelen is an int there.
SysResult<msghdr> CopyInMsghdr(Task& t, UserPtr<msghdr> um) {
  msghdr m = TRY(t.CopyIn(um));
  if (static_cast<int>(m.msg_namelen) < 0) return Err(Errno::kEINVAL);
  if (m.msg_namelen > static_cast<socklen_t>(sock::kMaxAddrLen))
    m.msg_namelen = sock::kMaxAddrLen;
  return m;
}

// A socket of any family: exactly one member is set.
struct AnySocket {
  std::shared_ptr<UnixSocket> un;
  std::shared_ptr<sock::InetSocket> inet;
  std::shared_ptr<sock::NetlinkSocket> nl;
};

// One fd-table lookup for every send and receive call (EBADF, or ENOTSOCK
// for another file, as GetSocket).
SysResult<AnySocket> GetAnySocket(Task& t, int fd) {
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, fd));
  if (auto in = std::dynamic_pointer_cast<sock::InetSocket>(f))
    return AnySocket{nullptr, std::move(in), nullptr};
  if (auto nl = std::dynamic_pointer_cast<sock::NetlinkSocket>(f))
    return AnySocket{nullptr, nullptr, std::move(nl)};
  if (auto un = std::dynamic_pointer_cast<UnixSocket>(f))
    return AnySocket{std::move(un), nullptr, nullptr};
  return Err(Errno::kENOTSOCK);
}

SysResult<size_t> SendMsg(Task& t, const AnySocket& s, UserPtr<msghdr> um, int flags) {
  msghdr m = TRY(CopyInMsghdr(t, um));
  std::vector<iovec> iov = TRY(CopyInIov(t, reinterpret_cast<uint64_t>(m.msg_iov), m.msg_iovlen));
  std::vector<uint8_t> raw;
  if (m.msg_name && m.msg_namelen > 0)
    raw = TRY(sock::CopyInAddr(t, UserPtr<uint8_t>{reinterpret_cast<uint64_t>(m.msg_name)},
                               static_cast<int>(m.msg_namelen)));
  if (s.inet) {
    InetSocket::SendHeader hdr = TRY(ParseInetControl(
        t, *s.inet, reinterpret_cast<uint64_t>(m.msg_control), m.msg_controllen));
    return sock::InetSend(t, *s.inet, iov, flags, raw, hdr);
  }
  SendExtras extras =
      TRY(ParseControl(t, reinterpret_cast<uint64_t>(m.msg_control), m.msg_controllen));
  // Netlink: checked as __scm_send() does, then unused.
  if (s.nl) return sock::NetlinkSend(t, *s.nl, iov, flags, raw);
  return DoSend(t, *s.un, iov, flags, raw, extras);
}

// The sender's name as recvfrom/recvmsg report it: nothing (length 0)
// for an unnamed sender.
std::vector<uint8_t> FromAddr(const RecvState& st) {
  if (!st.have_from || st.from.empty()) return {};
  std::vector<uint8_t> buf(sizeof(sa_family_t) + st.from.size());
  sa_family_t family = AF_UNIX;
  memcpy(buf.data(), &family, sizeof(family));
  memcpy(buf.data() + sizeof(family), st.from.data(), st.from.size());
  return buf;
}

SysResult<size_t> RecvMsg(Task& t, const AnySocket& s, UserPtr<msghdr> um, int flags) {
  msghdr m = TRY(CopyInMsghdr(t, um));
  std::vector<iovec> iov = TRY(CopyInIov(t, reinterpret_cast<uint64_t>(m.msg_iov), m.msg_iovlen));
  RecvState st;
  std::vector<uint8_t> from;
  InetSocket::RecvResult header;
  sock::NetlinkSocket::RecvResult nlr;
  size_t n;
  if (s.inet) {
    n = TRY(sock::InetRecv(t, *s.inet, iov, flags, from, st.truncated, &header));
  } else if (s.nl) {
    n = TRY(sock::NetlinkRecv(t, *s.nl, iov, flags, nlr));
    from = sock::NetlinkFromAddr(nlr);
    st.truncated = nlr.truncated;
  } else {
    n = TRY(DoRecv(t, *s.un, iov, flags, st));
    from = FromAddr(st);
  }
  int msg_flags = flags & MSG_CMSG_CLOEXEC;
  if (st.truncated) msg_flags |= MSG_TRUNC;
  if (m.msg_name) {
    int klen = static_cast<int>(from.size());
    int len = std::min(static_cast<int>(m.msg_namelen), klen);
    if (len > 0)
      TRY(t.CopyOutBytes(reinterpret_cast<uint64_t>(m.msg_name), from.data(),
                         static_cast<size_t>(len)));
    TRY(t.CopyOut(UserPtr<socklen_t>{um.addr + offsetof(msghdr, msg_namelen)},
                  static_cast<socklen_t>(klen)));
  }
  ControlWriter cw(t, reinterpret_cast<uint64_t>(m.msg_control), m.msg_controllen);
  if (s.un && s.un->passcred) {
    // scm_recv(): always, with overflow ids when the message had none.
    Creds c = st.creds.value_or(Creds{});
    ucred u{c.pid, c.uid, c.gid};
    TRY(cw.Put(SOL_SOCKET, SCM_CREDENTIALS, &u, sizeof(u)));
  }
  if (!st.rights.empty()) TRY(cw.PutRights(st.rights, flags & MSG_CMSG_CLOEXEC));
  if (s.inet) TRY(PutInetControl(cw, *s.inet, header));
  if (s.nl) TRY(PutNetlinkControl(cw, *s.nl, nlr));
  if (cw.ctrunc) msg_flags |= MSG_CTRUNC;
  TRY(t.CopyOut(UserPtr<size_t>{um.addr + offsetof(msghdr, msg_controllen)}, cw.used()));
  TRY(t.CopyOut(UserPtr<int>{um.addr + offsetof(msghdr, msg_flags)}, msg_flags));
  return n;
}

}  // namespace

SysResult<size_t> sys_sendto(Task& t, GuestFd fd, UserPtr<uint8_t> buf, size_t len, int flags,
                             UserPtr<uint8_t> addr, int addrlen) {
  AnySocket any = TRY(GetAnySocket(t, fd.value));
  std::vector<iovec> iov{iovec{reinterpret_cast<void*>(buf.addr), std::min<size_t>(len, INT_MAX)}};
  std::vector<uint8_t> raw;
  if (!addr.null()) raw = TRY(sock::CopyInAddr(t, addr, addrlen));
  if (any.inet) return sock::InetSend(t, *any.inet, iov, flags, raw);
  if (any.nl) return sock::NetlinkSend(t, *any.nl, iov, flags, raw);
  UnixSocket* s = any.un.get();
  SendExtras extras;
  return DoSend(t, *s, iov, flags, raw, extras);
}

SysResult<size_t> sys_recvfrom(Task& t, GuestFd fd, UserPtr<uint8_t> buf, size_t len, int flags,
                               UserPtr<uint8_t> addr, UserPtr<int> addrlen) {
  AnySocket any = TRY(GetAnySocket(t, fd.value));
  std::vector<iovec> iov{iovec{reinterpret_cast<void*>(buf.addr), std::min<size_t>(len, INT_MAX)}};
  RecvState st;
  std::vector<uint8_t> from;
  size_t n;
  if (any.inet) {
    n = TRY(sock::InetRecv(t, *any.inet, iov, flags, from, st.truncated));
  } else if (any.nl) {
    sock::NetlinkSocket::RecvResult r;
    n = TRY(sock::NetlinkRecv(t, *any.nl, iov, flags, r));
    from = sock::NetlinkFromAddr(r);
  } else {
    n = TRY(DoRecv(t, *any.un, iov, flags, st));
    from = FromAddr(st);
  }
  // Rights that come with a recvfrom are dropped (st goes out of scope).
  if (!addr.null()) {
    TRY(sock::CopyOutRawAddr(t, from.data(), static_cast<int>(from.size()), addr, addrlen));
  }
  return n;
}

SysResult<size_t> sys_sendmsg(Task& t, GuestFd fd, UserPtr<msghdr> msg, int flags) {
  AnySocket s = TRY(GetAnySocket(t, fd.value));
  return SendMsg(t, s, msg, flags);
}

SysResult<size_t> sys_recvmsg(Task& t, GuestFd fd, UserPtr<msghdr> msg, int flags) {
  AnySocket s = TRY(GetAnySocket(t, fd.value));
  return RecvMsg(t, s, msg, flags);
}

SysResult<int> sys_sendmmsg(Task& t, GuestFd fd, UserPtr<mmsghdr> vec, unsigned vlen, int flags) {
  AnySocket s = TRY(GetAnySocket(t, fd.value));
  if (vlen > kUioMaxIov) vlen = kUioMaxIov;
  int sent = 0;
  for (unsigned i = 0; i < vlen; ++i) {
    uint64_t entry = vec.addr + i * sizeof(mmsghdr);
    auto r = SendMsg(t, s, UserPtr<msghdr>{entry}, flags);
    if (!r) {
      if (sent == 0) return Err(r.error());
      break;
    }
    TRY(t.CopyOut(UserPtr<unsigned>{entry + offsetof(mmsghdr, msg_len)},
                  static_cast<unsigned>(*r)));
    ++sent;
  }
  return sent;
}

// As Linux, the timeout is only checked after each datagram: a blocking
// receive can wait past it (recvmmsg(2) BUGS).
SysResult<int> sys_recvmmsg(Task& t, GuestFd fd, UserPtr<mmsghdr> vec, unsigned vlen, int flags,
                            UserPtr<timespec> timeout) {
  AnySocket s = TRY(GetAnySocket(t, fd.value));
  std::optional<timespec> deadline;
  if (!timeout.null()) {
    timespec ts = TRY(t.CopyIn(timeout));
    if (!ValidTimespec(ts)) return Err(Errno::kEINVAL);
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    now.tv_sec += ts.tv_sec;
    now.tv_nsec += ts.tv_nsec;
    if (now.tv_nsec >= 1000000000) {
      now.tv_nsec -= 1000000000;
      ++now.tv_sec;
    }
    deadline = now;
  }
  if (vlen > kUioMaxIov) vlen = kUioMaxIov;
  int got = 0;
  int f = flags & ~MSG_WAITFORONE;
  for (unsigned i = 0; i < vlen; ++i) {
    uint64_t entry = vec.addr + i * sizeof(mmsghdr);
    auto r = RecvMsg(t, s, UserPtr<msghdr>{entry}, f);
    if (!r) {
      if (got == 0) return Err(r.error());
      break;
    }
    TRY(t.CopyOut(UserPtr<unsigned>{entry + offsetof(mmsghdr, msg_len)},
                  static_cast<unsigned>(*r)));
    ++got;
    if (flags & MSG_WAITFORONE) f |= MSG_DONTWAIT;
    if (deadline) {
      timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      if (now.tv_sec > deadline->tv_sec ||
          (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec))
        break;
    }
  }
  if (deadline) {
    timespec now, left{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    left.tv_sec = deadline->tv_sec - now.tv_sec;
    left.tv_nsec = deadline->tv_nsec - now.tv_nsec;
    if (left.tv_nsec < 0) {
      left.tv_nsec += 1000000000;
      --left.tv_sec;
    }
    if (left.tv_sec < 0) left = timespec{};
    TRY(t.CopyOut(timeout, left));
  }
  return got;
}

}  // namespace bulwark::syscalls
