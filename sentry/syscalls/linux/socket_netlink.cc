// The socket syscalls on netlink sockets (netlink(7), NETLINK_ROUTE only;
// fsimpl/socket/netlink_socket.h). socket.cc and socket_msg.cc hand
// netlink sockets here.
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/netlink.h>

#include <climits>
#include <cstring>

#include "base/log.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/socket_util.h"

namespace bulwark::syscalls::sock {

using fsimpl::socket::Creds;

namespace {

// Every option takes an int (netlink_setsockopt(), sk_setsockopt()); a
// shorter one reads as 0 at SOL_NETLINK.
SysResult<int> IntOpt(Task& t, UserPtr<uint8_t> optval, int optlen) {
  if (optlen < static_cast<int>(sizeof(int))) return 0;
  return t.CopyIn(UserPtr<int>{optval.addr});
}

// The address arguments of bind/connect/sendto: sockaddr_nl, EINVAL when
// short or of another family.
SysResult<sockaddr_nl> ParseNlAddr(const std::vector<uint8_t>& raw) {
  if (raw.size() < sizeof(sockaddr_nl)) return Err(Errno::kEINVAL);
  sockaddr_nl a;
  memcpy(&a, raw.data(), sizeof(a));
  if (a.nl_family != AF_NETLINK) return Err(Errno::kEINVAL);
  return a;
}

// The lowest group of a group mask (ffs()), as a destination group.
uint32_t FirstGroup(uint32_t mask) { return mask ? static_cast<uint32_t>(__builtin_ffs(mask)) : 0; }

// The SOL_NETLINK options that are flags; null for the others.
// NETLINK_EXT_ACK is accepted, but no error carries extended attributes
// (messages, offsets), so answers are those of a socket without it.
bool NetlinkSocket::*FlagOption(int name) {
  switch (name) {
    case NETLINK_PKTINFO:
      return &NetlinkSocket::pktinfo;
    case NETLINK_BROADCAST_ERROR:
      return &NetlinkSocket::broadcast_error;
    case NETLINK_NO_ENOBUFS:
      return &NetlinkSocket::no_enobufs;
    case NETLINK_LISTEN_ALL_NSID:
      return &NetlinkSocket::listen_all_nsid;
    case NETLINK_CAP_ACK:
      return &NetlinkSocket::cap_ack;
    case NETLINK_EXT_ACK:
      return &NetlinkSocket::ext_ack;
    case NETLINK_GET_STRICT_CHK:
      return &NetlinkSocket::strict_chk;
    default:
      return nullptr;
  }
}

Creds CredsOf(const Task& t) { return Creds{t.tgid(), t.creds().euid, t.creds().egid}; }

}  // namespace

std::shared_ptr<NetlinkSocket> AsNetlink(Task& t, int fd) {
  auto f = GetFile(t, fd);
  if (!f) return nullptr;
  return std::dynamic_pointer_cast<NetlinkSocket>(*f);
}

SysResult<int> NetlinkCreate(Task& t, int type, int protocol, int flags) {
  int fl = (flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0;
  auto s = TRY(NetlinkSocket::Create(type, protocol, fl, t.creds()));
  return t.fds().Install(std::move(s), flags & SOCK_CLOEXEC, FdLimit(t));
}

SysResult<void> NetlinkBind(Task& t, NetlinkSocket& s, UserPtr<uint8_t> addr, int addrlen) {
  std::vector<uint8_t> raw = TRY(CopyInAddr(t, addr, addrlen));
  sockaddr_nl a = TRY(ParseNlAddr(raw));
  // NETLINK_ROUTE lets anyone listen (NL_CFG_F_NONROOT_RECV).
  return s.Bind(a.nl_pid, a.nl_groups, t.tgid());
}

SysResult<void> NetlinkConnect(Task& t, NetlinkSocket& s, UserPtr<uint8_t> addr, int addrlen) {
  std::vector<uint8_t> raw = TRY(CopyInAddr(t, addr, addrlen));
  if (raw.size() < sizeof(sa_family_t)) return Err(Errno::kEINVAL);
  sa_family_t family;
  memcpy(&family, raw.data(), sizeof(family));
  if (family == AF_UNSPEC) {
    s.Disconnect();
    return {};
  }
  sockaddr_nl a = TRY(ParseNlAddr(raw));
  // Sending to a group needs CAP_NET_ADMIN (no NL_CFG_F_NONROOT_SEND).
  if (a.nl_groups && !t.creds().HasCap(CAP_NET_ADMIN)) return Err(Errno::kEPERM);
  return s.Connect(a.nl_pid, FirstGroup(a.nl_groups), t.tgid());
}

SysResult<void> NetlinkName(Task& t, NetlinkSocket& s, bool peer, UserPtr<uint8_t> addr,
                            UserPtr<int> addrlen) {
  sockaddr_nl a{};
  a.nl_family = AF_NETLINK;
  if (peer) {
    a.nl_pid = s.dst_portid();
    a.nl_groups = s.dst_group() ? 1u << (s.dst_group() - 1) : 0;
  } else {
    a.nl_pid = s.portid();
    a.nl_groups = s.groups_mask();
  }
  return CopyOutRawAddr(t, reinterpret_cast<const uint8_t*>(&a), sizeof(a), addr, addrlen);
}

SysResult<void> NetlinkSetOpt(Task& t, NetlinkSocket& s, int level, int name,
                              UserPtr<uint8_t> optval, int optlen) {
  if (optlen < 0) return Err(Errno::kEINVAL);
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_RCVTIMEO_OLD:
        s.rcvtimeo = TRY(TimeoutArg(t, optval, optlen));
        return {};
      case SO_SNDTIMEO_OLD:
        s.sndtimeo = TRY(TimeoutArg(t, optval, optlen));
        return {};
      default:
        break;
    }
    if (optlen < static_cast<int>(sizeof(int))) return Err(Errno::kEINVAL);
    int val = TRY(t.CopyIn(UserPtr<int>{optval.addr}));
    bool capable = t.creds().HasCap(CAP_NET_ADMIN);
    switch (name) {
      case SO_PASSCRED:
        s.passcred = val != 0;
        return {};
      case SO_SNDBUFFORCE:
      case SO_SNDBUF:
        if (name == SO_SNDBUFFORCE && !capable) return Err(Errno::kEPERM);
        s.sndbuf = fsimpl::socket::SockBufSize(val, name == SO_SNDBUFFORCE,
                                               fsimpl::socket::kMinSndBuf);
        return {};
      case SO_RCVBUFFORCE:
      case SO_RCVBUF:
        if (name == SO_RCVBUFFORCE && !capable) return Err(Errno::kEPERM);
        s.rcvbuf = fsimpl::socket::SockBufSize(val, name == SO_RCVBUFFORCE,
                                               fsimpl::socket::kMinRcvBuf);
        return {};
      default:
        LOG_DEBUG("setsockopt(SOL_SOCKET, %d) on a netlink socket: ENOPROTOOPT", name);
        return Err(Errno::kENOPROTOOPT);
    }
  }
  if (level != SOL_NETLINK) return Err(Errno::kENOPROTOOPT);
  int val = TRY(IntOpt(t, optval, optlen));
  if (name == NETLINK_ADD_MEMBERSHIP || name == NETLINK_DROP_MEMBERSHIP)
    return s.SetMembership(static_cast<uint32_t>(val), name == NETLINK_ADD_MEMBERSHIP);
  // Listening to every namespace's notifications: accepted as Linux does
  // (there is one namespace, and nothing to hear).
  if (name == NETLINK_LISTEN_ALL_NSID && !t.creds().HasCap(CAP_NET_BROADCAST))
    return Err(Errno::kEPERM);
  // NETLINK_RX_RING/TX_RING (removed from Linux), LIST_MEMBERSHIPS (get
  // only) and unknown options are ENOPROTOOPT.
  bool NetlinkSocket::*flag = FlagOption(name);
  if (!flag) return Err(Errno::kENOPROTOOPT);
  s.*flag = val != 0;
  return {};
}

SysResult<void> NetlinkGetOpt(Task& t, NetlinkSocket& s, int level, int name,
                              UserPtr<uint8_t> optval, UserPtr<int> optlen) {
  int len = TRY(t.CopyIn(optlen));
  if (len < 0) return Err(Errno::kEINVAL);
  auto out = [&](const void* v, int size) -> SysResult<void> {
    int n = std::min(len, size);
    if (n > 0) TRY(t.CopyOutBytes(optval.addr, v, static_cast<size_t>(n)));
    return t.CopyOut(optlen, n);
  };
  auto out_int = [&](int v) { return out(&v, sizeof(v)); };
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_TYPE:
        return out_int(s.type());
      case SO_DOMAIN:
        return out_int(AF_NETLINK);
      case SO_PROTOCOL:
        return out_int(NETLINK_ROUTE);
      case SO_ERROR:
        return out_int(s.TakeError());
      case SO_SNDBUF:
        return out_int(s.sndbuf);
      case SO_RCVBUF:
        return out_int(s.rcvbuf);
      case SO_PASSCRED:
        return out_int(s.passcred ? 1 : 0);
      case SO_RCVTIMEO_OLD:
        return out(&s.rcvtimeo, sizeof(timeval));
      case SO_SNDTIMEO_OLD:
        return out(&s.sndtimeo, sizeof(timeval));
      default:
        LOG_DEBUG("getsockopt(SOL_SOCKET, %d) on a netlink socket: ENOPROTOOPT", name);
        return Err(Errno::kENOPROTOOPT);
    }
  }
  if (level != SOL_NETLINK) return Err(Errno::kENOPROTOOPT);
  if (name == NETLINK_LIST_MEMBERSHIPS) {
    // netlink_getsockopt(): the bitmap in u32 units as far as `len` goes;
    // `len` becomes the bitmap's full size.
    std::vector<uint8_t> bits = s.Memberships();
    size_t n = std::min(static_cast<size_t>(len) / 4 * 4, bits.size());
    if (n > 0) TRY(t.CopyOutBytes(optval.addr, bits.data(), n));
    return t.CopyOut(optlen, static_cast<int>(bits.size()));
  }
  bool NetlinkSocket::*flag = FlagOption(name);
  if (!flag) return Err(Errno::kENOPROTOOPT);
  // These need a whole int (EINVAL otherwise) and report exactly one.
  if (len < static_cast<int>(sizeof(int))) return Err(Errno::kEINVAL);
  len = sizeof(int);
  return out_int(s.*flag ? 1 : 0);
}

SysResult<size_t> NetlinkSend(Task& t, NetlinkSocket& s, const std::vector<iovec>& iov,
                              int flags, const std::vector<uint8_t>& raw_addr) {
  if (flags & MSG_OOB) return Err(Errno::kEOPNOTSUPP);
  NetlinkSocket::SendTo to;
  if (!raw_addr.empty()) {
    sockaddr_nl a = TRY(ParseNlAddr(raw_addr));
    to.explicit_to = true;
    to.pid = a.nl_pid;
    to.group = FirstGroup(a.nl_groups);
    if (to.group && !t.creds().HasCap(CAP_NET_ADMIN)) return Err(Errno::kEPERM);
  }
  // The whole message is copied in first (EFAULT for any bad byte).
  size_t total = vfs::TotalLength(iov);
  if (total > INT_MAX) return Err(Errno::kEMSGSIZE);
  if (total + 32 > static_cast<size_t>(s.sndbuf)) return Err(Errno::kEMSGSIZE);
  std::vector<uint8_t> msg(total);
  size_t off = 0;
  for (const iovec& v : iov) {
    if (v.iov_len == 0) continue;
    TRY(t.CopyInBytes(reinterpret_cast<uint64_t>(v.iov_base), msg.data() + off, v.iov_len));
    off += v.iov_len;
  }
  return s.Send(msg, to, CredsOf(t), t.creds().HasCap(CAP_NET_ADMIN));
}

SysResult<size_t> NetlinkRecv(Task& t, NetlinkSocket& s, const std::vector<iovec>& iov,
                              int flags, NetlinkSocket::RecvResult& r) {
  if (flags & MSG_OOB) return Err(Errno::kEOPNOTSUPP);
  bool nonblock = (s.flags() & O_NONBLOCK) || (flags & MSG_DONTWAIT);
  std::optional<timespec> deadline = DeadlineOf(s.rcvtimeo);
  for (;;) {
    std::vector<iovec> dst;
    if (vfs::TotalLength(iov) > 0) dst = TRY(TranslateUserIov(t, iov, 0, /*write=*/true));
    auto got = s.Recv(dst, flags);
    if (got) {
      r = *got;
      // netlink_recvmsg(): with MSG_TRUNC the datagram's full length.
      return (flags & MSG_TRUNC) ? r.msg_len : r.n;
    }
    if (got.error() != Errno::kEAGAIN) return Err(got.error());
    if (nonblock) return Err(Errno::kEAGAIN);
    TRY(Wait(t, {s.Queue()}, fsimpl::socket::kReadEvents, deadline));
  }
}

std::vector<uint8_t> NetlinkFromAddr(const NetlinkSocket::RecvResult& r) {
  sockaddr_nl a{};
  a.nl_family = AF_NETLINK;
  a.nl_pid = r.from_portid;
  a.nl_groups = r.from_group ? 1u << (r.from_group - 1) : 0;
  auto* p = reinterpret_cast<const uint8_t*>(&a);
  return std::vector<uint8_t>(p, p + sizeof(a));
}

}  // namespace bulwark::syscalls::sock
