// socket(2), socketpair(2), bind(2), listen(2), accept(2), connect(2),
// getsockname(2), getpeername(2), shutdown(2), getsockopt(2) and
// setsockopt(2) for unix(7) sockets; internet sockets go to socket_inet.cc,
// netlink sockets to socket_netlink.cc.
// sendmsg and friends are in socket_msg.cc.
#include <fcntl.h>
#include <linux/net.h>
#include <time.h>

#include <cstring>

#include "base/log.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/socket_util.h"
#include "sentry/syscalls/linux/sys_socket.h"
#include "sentry/vfs/ops.h"
#include "sentry/vfs/permission.h"

namespace bulwark::syscalls {

using fsimpl::socket::Creds;
using fsimpl::socket::SockState;

namespace sock {

SysResult<std::shared_ptr<UnixSocket>> GetSocket(Task& t, int fd) {
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, fd));
  auto s = std::dynamic_pointer_cast<UnixSocket>(f);
  if (!s) return Err(Errno::kENOTSOCK);
  return s;
}

SysResult<std::vector<uint8_t>> CopyInAddr(Task& t, UserPtr<uint8_t> addr, int len) {
  if (len < 0 || len > kMaxAddrLen) return Err(Errno::kEINVAL);
  std::vector<uint8_t> raw(static_cast<size_t>(len));
  if (len > 0) TRY(t.CopyInBytes(addr.addr, raw.data(), raw.size()));
  return raw;
}

SysResult<Address> ParseUnixAddr(const std::vector<uint8_t>& raw) {
  constexpr size_t kPathOff = offsetof(sockaddr_un, sun_path);
  if (raw.size() <= kPathOff || raw.size() > sizeof(sockaddr_un)) return Err(Errno::kEINVAL);
  sa_family_t family;
  memcpy(&family, raw.data(), sizeof(family));
  if (family != AF_UNIX) return Err(Errno::kEINVAL);
  const char* p = reinterpret_cast<const char*>(raw.data()) + kPathOff;
  size_t n = raw.size() - kPathOff;
  if (p[0] != '\0') return Address(p, strnlen(p, n)) + '\0';
  return Address(p, n);
}

SysResult<std::shared_ptr<UnixSocket>> FindPeer(Task& t, const Address& name, int type) {
  std::shared_ptr<UnixSocket> s;
  if (name[0] != '\0') {
    std::string path = name.substr(0, name.size() - 1);
    vfs::ResolveContext ctx = TRY(vfs::TaskContext(t, AT_FDCWD, path));
    vfs::Path p = TRY(vfs::Resolve(ctx, path, vfs::kFollow));
    vfs::Stat st = TRY(p.ino().GetStat());
    TRY(vfs::CheckPermission(st, t.creds(), vfs::kMayWrite));
    if (!S_ISSOCK(st.mode)) return Err(Errno::kECONNREFUSED);
    s = UnixSocket::FindInode(st);
  } else {
    s = UnixSocket::FindAbstract(name);
  }
  if (!s) return Err(Errno::kECONNREFUSED);
  if (s->type() != type) return Err(Errno::kEPROTOTYPE);
  return s;
}

SysResult<void> CopyOutRawAddr(Task& t, const uint8_t* data, int klen, UserPtr<uint8_t> uaddr,
                               UserPtr<int> ulen) {
  if (uaddr.null()) return {};
  int len = TRY(t.CopyIn(ulen));
  if (len > klen) len = klen;
  if (len < 0) return Err(Errno::kEINVAL);
  if (len > 0) TRY(t.CopyOutBytes(uaddr.addr, data, static_cast<size_t>(len)));
  return t.CopyOut(ulen, klen);
}

SysResult<void> CopyOutAddr(Task& t, const Address& name, UserPtr<uint8_t> uaddr,
                            UserPtr<int> ulen) {
  std::vector<uint8_t> buf(sizeof(sa_family_t) + name.size());
  sa_family_t family = AF_UNIX;
  memcpy(buf.data(), &family, sizeof(family));
  memcpy(buf.data() + sizeof(family), name.data(), name.size());
  return CopyOutRawAddr(t, buf.data(), static_cast<int>(buf.size()), uaddr, ulen);
}

std::optional<timespec> DeadlineOf(const timeval& tv) {
  if (tv.tv_sec == 0 && tv.tv_usec == 0) return std::nullopt;
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  now.tv_sec += tv.tv_sec;
  now.tv_nsec += tv.tv_usec * 1000;
  if (now.tv_nsec >= 1000000000) {
    now.tv_nsec -= 1000000000;
    ++now.tv_sec;
  }
  return now;
}

SysResult<void> Wait(Task& t, std::initializer_list<kernel::WaitQueue*> queues, uint32_t mask,
                     const std::optional<timespec>& deadline) {
  for (kernel::WaitQueue* q : queues) q->Add(&t, mask | POLLHUP | POLLERR | POLLRDHUP);
  auto r = t.Block(deadline ? &*deadline : nullptr);
  for (kernel::WaitQueue* q : queues) q->Remove(&t);
  if (r) return {};
  if (r.error() == Errno::kETIMEDOUT) return Err(Errno::kEAGAIN);
  if (r.error() == Errno::kERESTARTSYS && deadline) return Err(Errno::kEINTR);
  return Err(r.error());
}

}  // namespace sock

using sock::Address;
using sock::GetSocket;
using sock::UnixSocket;

namespace {

// The caller as SO_PEERCRED shows it: tgid and effective ids.
Creds PeerCredsOf(const Task& t) {
  return Creds{t.tgid(), t.creds().euid, t.creds().egid};
}

// __sys_socket()'s type argument: the type and SOCK_NONBLOCK/SOCK_CLOEXEC.
SysResult<int> SplitType(int& type) {
  int flags = type & ~0xf;  // SOCK_TYPE_MASK
  if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) return Err(Errno::kEINVAL);
  type &= 0xf;
  return flags;
}

// __sock_create() and unix_create(): the unix socket type, or why not.
SysResult<int> CheckCreate(int domain, int type, int protocol) {
  if (domain < 0 || domain >= AF_MAX) return Err(Errno::kEAFNOSUPPORT);
  if (type < 0 || type >= 11 /* SOCK_MAX */) return Err(Errno::kEINVAL);
  if (domain != AF_UNIX) {
    // AF_PACKET and the rest are deliberately absent from the sandbox.
    LOG_DEBUG("socket(%d): address family not supported: EAFNOSUPPORT", domain);
    return Err(Errno::kEAFNOSUPPORT);
  }
  if (protocol != 0 && protocol != PF_UNIX) return Err(Errno::kEPROTONOSUPPORT);
  switch (type) {
    case SOCK_STREAM:
    case SOCK_SEQPACKET:
    case SOCK_DGRAM:
      return type;
    case SOCK_RAW:  // unix_create(): treated as SOCK_DGRAM
      return SOCK_DGRAM;
    default:
      return Err(FromInt(ESOCKTNOSUPPORT));
  }
}

int StatusFlags(int sock_flags) { return (sock_flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0; }

// unix_bind_bsd(): a socket inode at `name` (path + NUL) through the VFS.
SysResult<void> BindPath(Task& t, UnixSocket& s, const Address& name) {
  std::string path = name.substr(0, name.size() - 1);
  vfs::ResolveContext ctx = TRY(vfs::TaskContext(t, AT_FDCWD, path));
  // Permission bits 0777 & ~umask, like Linux's socket inode mode.
  auto made = vfs::Mknod(ctx, path, S_IFSOCK | 0777, 0);
  if (!made) return Err(made.error() == Errno::kEEXIST ? Errno::kEADDRINUSE : made.error());
  auto bound = [&]() -> SysResult<void> {
    vfs::Path p = TRY(vfs::Resolve(ctx, path, 0));
    vfs::Stat st = TRY(p.ino().GetStat());
    return s.BindInode(p.dentry->inode(), st, name);
  }();
  if (!bound) {
    // Already bound (EINVAL): remove what we created, as Linux does.
    (void)vfs::Unlink(ctx, path);
    return Err(bound.error());
  }
  return {};
}

}  // namespace

SysResult<int> sys_socket(Task& t, int domain, int type, int protocol) {
  int flags = TRY(SplitType(type));
  if ((domain == AF_INET || domain == AF_INET6) && type >= 0 && type < 11 /* SOCK_MAX */)
    return sock::InetCreate(t, domain, type, protocol, flags);
  if (domain == AF_NETLINK && type >= 0 && type < 11 /* SOCK_MAX */)
    return sock::NetlinkCreate(t, type, protocol, flags);
  int utype = TRY(CheckCreate(domain, type, protocol));
  auto s = fsimpl::socket::UnixSocket::New(utype, StatusFlags(flags), t.creds());
  return t.fds().Install(std::move(s), flags & SOCK_CLOEXEC, FdLimit(t));
}

SysResult<void> sys_socketpair(Task& t, int domain, int type, int protocol, UserPtr<int> sv) {
  int flags = TRY(SplitType(type));
  // inet has no socketpair (sock_no_socketpair()).
  if (domain == AF_INET || domain == AF_INET6 || domain == AF_NETLINK)
    return Err(Errno::kEOPNOTSUPP);
  int utype = TRY(CheckCreate(domain, type, protocol));
  auto [a, b] = fsimpl::socket::UnixSocket::NewPair(utype, StatusFlags(flags), t.creds(),
                                                    PeerCredsOf(t));
  bool cloexec = flags & SOCK_CLOEXEC;
  int fa = TRY(t.fds().Install(std::move(a), cloexec, FdLimit(t)));
  auto fb = t.fds().Install(std::move(b), cloexec, FdLimit(t));
  if (!fb) {
    (void)t.fds().Remove(fa);
    return Err(fb.error());
  }
  int out[2] = {fa, *fb};
  if (auto c = t.CopyOutBytes(sv.addr, out, sizeof(out)); !c) {
    (void)t.fds().Remove(fa);
    (void)t.fds().Remove(*fb);
    return Err(c.error());
  }
  return {};
}

SysResult<void> sys_bind(Task& t, GuestFd fd, UserPtr<uint8_t> addr, int addrlen) {
  if (auto in = sock::AsInet(t, fd.value)) return sock::InetBind(t, *in, addr, addrlen);
  if (auto nl = sock::AsNetlink(t, fd.value)) return sock::NetlinkBind(t, *nl, addr, addrlen);
  std::shared_ptr<UnixSocket> s = TRY(GetSocket(t, fd.value));
  std::vector<uint8_t> raw = TRY(sock::CopyInAddr(t, addr, addrlen));
  if (raw.size() == sizeof(sa_family_t)) {
    sa_family_t family;
    memcpy(&family, raw.data(), sizeof(family));
    if (family == AF_UNIX) return s->Autobind();
  }
  Address name = TRY(sock::ParseUnixAddr(raw));
  if (name[0] == '\0') return s->BindAbstract(name);
  return BindPath(t, *s, name);
}

SysResult<void> sys_listen(Task& t, GuestFd fd, int backlog) {
  if (auto in = sock::AsInet(t, fd.value)) return sock::InetListen(t, *in, backlog);
  if (sock::AsNetlink(t, fd.value)) return Err(Errno::kEOPNOTSUPP);
  std::shared_ptr<UnixSocket> s = TRY(GetSocket(t, fd.value));
  if (static_cast<unsigned>(backlog) > static_cast<unsigned>(fsimpl::socket::kSoMaxConn))
    backlog = fsimpl::socket::kSoMaxConn;
  TRY(s->Listen(backlog));
  s->own_creds = PeerCredsOf(t);
  return {};
}

SysResult<int> sys_accept4(Task& t, GuestFd fd, UserPtr<uint8_t> addr, UserPtr<int> addrlen,
                           int flags) {
  if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) return Err(Errno::kEINVAL);
  if (auto in = sock::AsInet(t, fd.value)) return sock::InetAccept(t, *in, addr, addrlen, flags);
  if (sock::AsNetlink(t, fd.value)) return Err(Errno::kEOPNOTSUPP);
  std::shared_ptr<UnixSocket> s = TRY(GetSocket(t, fd.value));
  TRY(CheckFdAvailable(t));
  std::optional<timespec> deadline = sock::DeadlineOf(s->rcvtimeo);
  std::shared_ptr<UnixSocket> conn;
  for (;;) {
    auto r = s->Accept();
    if (r) {
      conn = std::move(*r);
      break;
    }
    if (r.error() != Errno::kEAGAIN || (s->flags() & O_NONBLOCK)) return Err(r.error());
    TRY(sock::Wait(t, {s->Queue()}, fsimpl::socket::kReadEvents, deadline));
  }
  conn->SetStatusFlags(StatusFlags(flags));
  if (!addr.null()) {
    Address peer;
    if (auto p = conn->peer()) peer = p->address();
    TRY(sock::CopyOutAddr(t, peer, addr, addrlen));
  }
  return t.fds().Install(std::move(conn), flags & SOCK_CLOEXEC, FdLimit(t));
}

SysResult<int> sys_accept(Task& t, GuestFd fd, UserPtr<uint8_t> addr, UserPtr<int> addrlen) {
  return sys_accept4(t, fd, addr, addrlen, 0);
}

SysResult<void> sys_connect(Task& t, GuestFd fd, UserPtr<uint8_t> addr, int addrlen) {
  if (auto in = sock::AsInet(t, fd.value)) return sock::InetConnect(t, *in, addr, addrlen);
  if (auto nl = sock::AsNetlink(t, fd.value)) return sock::NetlinkConnect(t, *nl, addr, addrlen);
  std::shared_ptr<UnixSocket> s = TRY(GetSocket(t, fd.value));
  std::vector<uint8_t> raw = TRY(sock::CopyInAddr(t, addr, addrlen));
  if (s->type() == SOCK_DGRAM) {
    // unix_dgram_connect(): AF_UNSPEC dissolves the association.
    if (raw.size() < sizeof(sa_family_t)) return Err(Errno::kEINVAL);
    sa_family_t family;
    memcpy(&family, raw.data(), sizeof(family));
    if (family == AF_UNSPEC) return s->ConnectDgram(nullptr);
  }
  Address name = TRY(sock::ParseUnixAddr(raw));
  if (s->passcred) TRY(s->Autobind());
  if (s->type() == SOCK_DGRAM) {
    std::shared_ptr<UnixSocket> peer = TRY(sock::FindPeer(t, name, s->type()));
    return s->ConnectDgram(peer);
  }
  std::optional<timespec> deadline = sock::DeadlineOf(s->sndtimeo);
  for (;;) {
    // Looked up again after every wait, as unix_stream_connect() restarts.
    std::shared_ptr<UnixSocket> server = TRY(sock::FindPeer(t, name, s->type()));
    auto r = s->ConnectStream(server, PeerCredsOf(t), t.creds());
    if (r || r.error() != Errno::kEAGAIN || (s->flags() & O_NONBLOCK)) return r;
    TRY(sock::Wait(t, {&server->PeerWaitQueue()}, ~0u, deadline));
  }
}

SysResult<void> sys_getsockname(Task& t, GuestFd fd, UserPtr<uint8_t> addr,
                                UserPtr<int> addrlen) {
  if (auto in = sock::AsInet(t, fd.value)) return sock::InetName(t, *in, false, addr, addrlen);
  if (auto nl = sock::AsNetlink(t, fd.value)) return sock::NetlinkName(t, *nl, false, addr, addrlen);
  std::shared_ptr<UnixSocket> s = TRY(GetSocket(t, fd.value));
  return sock::CopyOutAddr(t, s->address(), addr, addrlen);
}

SysResult<void> sys_getpeername(Task& t, GuestFd fd, UserPtr<uint8_t> addr,
                                UserPtr<int> addrlen) {
  if (auto in = sock::AsInet(t, fd.value)) return sock::InetName(t, *in, true, addr, addrlen);
  if (auto nl = sock::AsNetlink(t, fd.value)) return sock::NetlinkName(t, *nl, true, addr, addrlen);
  std::shared_ptr<UnixSocket> s = TRY(GetSocket(t, fd.value));
  Address peer = TRY(s->PeerAddress());
  return sock::CopyOutAddr(t, peer, addr, addrlen);
}

SysResult<void> sys_shutdown(Task& t, GuestFd fd, int how) {
  if (auto in = sock::AsInet(t, fd.value)) return in->Shutdown(how);
  if (sock::AsNetlink(t, fd.value)) return Err(Errno::kEOPNOTSUPP);
  std::shared_ptr<UnixSocket> s = TRY(GetSocket(t, fd.value));
  return s->Shutdown(how);
}

namespace sock {

SysResult<timeval> TimeoutArg(Task& t, UserPtr<uint8_t> optval, int optlen) {
  // sock_set_timeout() with the old (struct timeval) layout.
  if (optlen < static_cast<int>(sizeof(timeval))) return Err(Errno::kEINVAL);
  timeval tv = TRY(t.CopyIn(UserPtr<timeval>{optval.addr}));
  if (tv.tv_usec < 0 || tv.tv_usec >= 1000000) return Err(Errno::kEDOM);
  // Deliberate difference: Linux makes a negative timeout "do not wait"
  // (a zero sk_rcvtimeo); here it means no timeout, like zero.
  if (tv.tv_sec < 0) return timeval{};
  return tv;
}

}  // namespace sock

SysResult<void> sys_setsockopt(Task& t, GuestFd fd, int level, int optname,
                               UserPtr<uint8_t> optval, int optlen) {
  if (auto in = sock::AsInet(t, fd.value))
    return sock::InetSetOpt(t, *in, level, optname, optval, optlen);
  if (auto nl = sock::AsNetlink(t, fd.value))
    return sock::NetlinkSetOpt(t, *nl, level, optname, optval, optlen);
  std::shared_ptr<UnixSocket> s = TRY(GetSocket(t, fd.value));
  if (optlen < 0) return Err(Errno::kEINVAL);
  // unix(7) sockets have no protocol-level options.
  if (level != SOL_SOCKET) return Err(Errno::kEOPNOTSUPP);
  // sk_setsockopt(): every option takes at least an int.
  if (optlen < static_cast<int>(sizeof(int))) return Err(Errno::kEINVAL);
  int val = TRY(t.CopyIn(UserPtr<int>{optval.addr}));
  bool capable = t.creds().HasCap(CAP_NET_ADMIN);
  switch (optname) {
    case SO_REUSEADDR:
      s->reuseaddr = val != 0;
      return {};
    case SO_PASSCRED:
      s->passcred = val != 0;
      return {};
    case SO_SNDBUFFORCE:
    case SO_SNDBUF: {
      if (optname == SO_SNDBUFFORCE && !capable) return Err(Errno::kEPERM);
      s->sndbuf = fsimpl::socket::SockBufSize(val, optname == SO_SNDBUFFORCE,
                                              fsimpl::socket::kMinSndBuf);
      s->NotifySelf(fsimpl::socket::kWriteEvents | POLLWRBAND);
      return {};
    }
    case SO_RCVBUFFORCE:
    case SO_RCVBUF: {
      if (optname == SO_RCVBUFFORCE && !capable) return Err(Errno::kEPERM);
      s->rcvbuf = fsimpl::socket::SockBufSize(val, optname == SO_RCVBUFFORCE,
                                              fsimpl::socket::kMinRcvBuf);
      return {};
    }
    case SO_RCVTIMEO_OLD:
      s->rcvtimeo = TRY(sock::TimeoutArg(t, optval, optlen));
      return {};
    case SO_SNDTIMEO_OLD:
      s->sndtimeo = TRY(sock::TimeoutArg(t, optval, optlen));
      return {};
    default:
      LOG_DEBUG("setsockopt(SOL_SOCKET, %d) on a unix socket: ENOPROTOOPT", optname);
      return Err(Errno::kENOPROTOOPT);
  }
}

SysResult<void> sys_getsockopt(Task& t, GuestFd fd, int level, int optname,
                               UserPtr<uint8_t> optval, UserPtr<int> optlen) {
  if (auto in = sock::AsInet(t, fd.value))
    return sock::InetGetOpt(t, *in, level, optname, optval, optlen);
  if (auto nl = sock::AsNetlink(t, fd.value))
    return sock::NetlinkGetOpt(t, *nl, level, optname, optval, optlen);
  std::shared_ptr<UnixSocket> s = TRY(GetSocket(t, fd.value));
  int len = TRY(t.CopyIn(optlen));
  if (len < 0) return Err(Errno::kEINVAL);
  if (level != SOL_SOCKET) return Err(Errno::kEOPNOTSUPP);
  // sk_getsockopt(): the value, cut to `len` bytes; `len` becomes what was
  // copied.
  auto out = [&](const void* v, int size) -> SysResult<void> {
    int n = std::min(len, size);
    if (n > 0) TRY(t.CopyOutBytes(optval.addr, v, static_cast<size_t>(n)));
    return t.CopyOut(optlen, n);
  };
  auto out_int = [&](int v) { return out(&v, sizeof(v)); };
  switch (optname) {
    case SO_TYPE:
      return out_int(s->type());
    case SO_DOMAIN:
      return out_int(AF_UNIX);
    case SO_PROTOCOL:
      return out_int(0);
    case SO_ERROR:
      return out_int(s->TakeError());
    case SO_ACCEPTCONN:
      return out_int(s->state() == SockState::kListening ? 1 : 0);
    case SO_SNDBUF:
      return out_int(s->sndbuf);
    case SO_RCVBUF:
      return out_int(s->rcvbuf);
    case SO_PASSCRED:
      return out_int(s->passcred ? 1 : 0);
    case SO_REUSEADDR:
      return out_int(s->reuseaddr ? 1 : 0);
    case SO_PEERCRED: {
      Creds c = s->peercred.value_or(fsimpl::socket::kNoPeerCreds);
      ucred u{c.pid, c.uid, c.gid};
      return out(&u, sizeof(u));
    }
    case SO_RCVTIMEO_OLD:
      return out(&s->rcvtimeo, sizeof(timeval));
    case SO_SNDTIMEO_OLD:
      return out(&s->sndtimeo, sizeof(timeval));
    default:
      LOG_DEBUG("getsockopt(SOL_SOCKET, %d) on a unix socket: ENOPROTOOPT", optname);
      return Err(Errno::kENOPROTOOPT);
  }
}

}  // namespace bulwark::syscalls
