#include "sentry/fsimpl/socket/host_inet_socket.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <utility>

#include "base/log.h"
#include "sentry/fsimpl/socket/unix_socket.h"
#include "sentry/kernel/task.h"

namespace bulwark::fsimpl::socket {

namespace {

// Set once at boot, before any task runs; read-only afterwards.
std::shared_ptr<host::Notifier>* g_notifier = nullptr;

// Attempts of one send/receive that keep finding the host socket ready but
// get EAGAIN (another thread took the data in between) before giving up
// with EAGAIN.
constexpr int kReadyRetries = 8;

// UDPLITE_SEND_CSCOV / UDPLITE_RECV_CSCOV (include/net/udplite.h).
constexpr int kUdpliteSendCscov = 10;
constexpr int kUdpliteRecvCscov = 11;

// Options that reach the host socket. `get_only`: setsockopt is refused
// (Linux's own answer for these is ENOPROTOOPT too).
struct HostOpt {
  int level;
  int name;
  bool get_only;
};

// Everything here changes only the host socket's behaviour on the host's
// network, which the sandbox was given. Left out on purpose: options that
// produce control messages the sentry does not relay (IP_PKTINFO,
// IP_RECVERR, SO_TIMESTAMP*, IPV6_RECVPKTINFO, ...), options needing
// capabilities the sentry lacks (SO_BINDTODEVICE, IP_TRANSPARENT,
// SO_MARK), and socket filters (SO_ATTACH_FILTER: BPF from the sandbox).
constexpr HostOpt kHostOpts[] = {
    {SOL_SOCKET, SO_REUSEADDR, false},   {SOL_SOCKET, SO_REUSEPORT, false},
    {SOL_SOCKET, SO_KEEPALIVE, false},   {SOL_SOCKET, SO_RCVBUF, false},
    {SOL_SOCKET, SO_SNDBUF, false},      {SOL_SOCKET, SO_LINGER, false},
    {SOL_SOCKET, SO_BROADCAST, false},   {SOL_SOCKET, SO_OOBINLINE, false},
    {SOL_SOCKET, SO_DONTROUTE, false},   {SOL_SOCKET, SO_PRIORITY, false},
    {SOL_SOCKET, SO_RCVLOWAT, false},    {SOL_SOCKET, SO_SNDLOWAT, true},
    {SOL_SOCKET, SO_ERROR, true},        {SOL_SOCKET, SO_TYPE, true},
    {SOL_SOCKET, SO_DOMAIN, true},       {SOL_SOCKET, SO_PROTOCOL, true},
    {SOL_SOCKET, SO_ACCEPTCONN, true},
    {IPPROTO_IP, IP_TOS, false},         {IPPROTO_IP, IP_TTL, false},
    {IPPROTO_IP, IP_MTU_DISCOVER, false}, {IPPROTO_IP, IP_MTU, true},
    {IPPROTO_IP, IP_FREEBIND, false},    {IPPROTO_IP, IP_MULTICAST_TTL, false},
    {IPPROTO_IP, IP_MULTICAST_LOOP, false}, {IPPROTO_IP, IP_MULTICAST_IF, false},
    {IPPROTO_IP, IP_ADD_MEMBERSHIP, false}, {IPPROTO_IP, IP_DROP_MEMBERSHIP, false},
    {IPPROTO_IP, IP_PKTINFO, false},     {IPPROTO_IP, IP_RECVTTL, false},
    {IPPROTO_IP, IP_RECVTOS, false},
    {IPPROTO_IPV6, IPV6_RECVPKTINFO, false}, {IPPROTO_IPV6, IPV6_RECVHOPLIMIT, false},
    {IPPROTO_IPV6, IPV6_RECVTCLASS, false},
    {IPPROTO_IPV6, IPV6_V6ONLY, false},  {IPPROTO_IPV6, IPV6_UNICAST_HOPS, false},
    {IPPROTO_IPV6, IPV6_TCLASS, false},  {IPPROTO_IPV6, IPV6_MTU_DISCOVER, false},
    {IPPROTO_IPV6, IPV6_MTU, true},      {IPPROTO_IPV6, IPV6_MULTICAST_HOPS, false},
    {IPPROTO_IPV6, IPV6_MULTICAST_LOOP, false}, {IPPROTO_IPV6, IPV6_MULTICAST_IF, false},
    {IPPROTO_IPV6, IPV6_JOIN_GROUP, false}, {IPPROTO_IPV6, IPV6_LEAVE_GROUP, false},
    {IPPROTO_TCP, TCP_NODELAY, false},   {IPPROTO_TCP, TCP_MAXSEG, false},
    {IPPROTO_TCP, TCP_CORK, false},      {IPPROTO_TCP, TCP_KEEPIDLE, false},
    {IPPROTO_TCP, TCP_KEEPINTVL, false}, {IPPROTO_TCP, TCP_KEEPCNT, false},
    {IPPROTO_TCP, TCP_SYNCNT, false},    {IPPROTO_TCP, TCP_LINGER2, false},
    {IPPROTO_TCP, TCP_DEFER_ACCEPT, false}, {IPPROTO_TCP, TCP_WINDOW_CLAMP, false},
    {IPPROTO_TCP, TCP_INFO, true},       {IPPROTO_TCP, TCP_QUICKACK, false},
    {IPPROTO_TCP, TCP_USER_TIMEOUT, false}, {IPPROTO_TCP, TCP_CONGESTION, false},
    {IPPROTO_TCP, TCP_NOTSENT_LOWAT, false}, {IPPROTO_TCP, TCP_FASTOPEN, false},
    {IPPROTO_UDP, UDP_CORK, false},
    // UDP-Lite checksum coverage (udplite(7)), at either level.
    {IPPROTO_UDP, kUdpliteSendCscov, false}, {IPPROTO_UDP, kUdpliteRecvCscov, false},
    {IPPROTO_UDPLITE, kUdpliteSendCscov, false}, {IPPROTO_UDPLITE, kUdpliteRecvCscov, false},
};

// The largest option value relayed (TCP_INFO is ~250 bytes).
constexpr int kMaxHostOptLen = 512;

const HostOpt* FindOpt(int level, int name) {
  for (const HostOpt& o : kHostOpts) {
    if (o.level == level && o.name == name) return &o;
  }
  return nullptr;
}

// ENOPROTOOPT, logged once per (level, name).
SysResult<void> Unsupported(const char* what, int level, int name) {
  static std::set<std::pair<int, int>> logged;  // guarded by the kernel lock
  if (logged.insert({level, name}).second)
    LOG_WARN("host network: %s(level %d, option %d) is not relayed: ENOPROTOOPT", what, level,
             name);
  return Err(Errno::kENOPROTOOPT);
}

// Send and receive flags relayed to the host; MSG_DONTWAIT, MSG_NOSIGNAL,
// MSG_WAITALL and MSG_ERRQUEUE are the syscall layer's.
constexpr int kSendFlags = MSG_OOB | MSG_DONTROUTE | MSG_EOR | MSG_MORE | MSG_CONFIRM;
constexpr int kRecvFlags = MSG_OOB | MSG_PEEK | MSG_TRUNC;

// -errno or the result of `f`, retried on EINTR.
template <typename F>
ssize_t Retry(F&& f) {
  ssize_t n;
  do n = f();
  while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : n;
}

// A data call made with the kernel lock released; EAGAIN only if the host
// socket is not ready for `ready` once the lock is held again (else the
// notifier's wake-up might already have gone to an empty queue).
template <typename F>
SysResult<size_t> DataCall(kernel::Task& t, int fd, uint32_t ready, F&& f) {
  for (int i = 0;; ++i) {
    ssize_t r = t.Unlocked([&] { return Retry(f); });
    if (r >= 0) return static_cast<size_t>(r);
    if (r != -EAGAIN || i >= kReadyRetries || !(host::PollNow(fd, ready) & (ready | POLLERR)))
      return Err(FromInt(static_cast<int>(-r)));
  }
}

}  // namespace

void EnableHostNetwork(std::shared_ptr<host::Notifier> notifier) {
  g_notifier = new std::shared_ptr<host::Notifier>(std::move(notifier));
}

bool HostNetworkEnabled() { return g_notifier != nullptr; }

namespace {
int g_unprivileged_port_start = 1024;
}  // namespace

void ReadUnprivilegedPortStart() {
  UniqueFd fd(::open("/proc/sys/net/ipv4/ip_unprivileged_port_start", O_RDONLY | O_CLOEXEC));
  char buf[16] = {};
  if (fd && ::read(fd.get(), buf, sizeof(buf) - 1) > 0) g_unprivileged_port_start = atoi(buf);
}

bool PortNeedsBindService(uint16_t port) {
  return port != 0 && port < g_unprivileged_port_start;
}

SysResult<void> BringUpLoopback() {
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) return Err(HostErrno());
  ifreq ifr{};
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s.get(), SIOCGIFFLAGS, &ifr) < 0) return Err(HostErrno());
  if (ifr.ifr_flags & IFF_UP) return {};
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (ioctl(s.get(), SIOCSIFFLAGS, &ifr) < 0) return Err(HostErrno());
  return {};
}

HostInetSocket::HostInetSocket(UniqueFd fd, int family, int type, int protocol, int flags,
                               uint32_t uid, uint32_t gid)
    : InetSocket(family, type, protocol, flags, uid, gid), fd_(std::move(fd)) {}

HostInetSocket::~HostInetSocket() {
  if (notify_id_) notifier_->Unregister(fd_.get(), notify_id_);
}

SysResult<std::shared_ptr<HostInetSocket>> HostInetSocket::Wrap(UniqueFd fd, int family, int type,
                                                                int protocol, int flags,
                                                                const kernel::Credentials& creds) {
  std::shared_ptr<HostInetSocket> s(
      new HostInetSocket(std::move(fd), family, type, protocol, flags, creds.fsuid, creds.fsgid));
  s->notifier_ = *g_notifier;
  s->notify_id_ = TRY(s->notifier_->Register(s->fd_.get(), &s->queue_));
  return s;
}

SysResult<std::shared_ptr<InetSocket>> HostInetSocket::Create(int family, int type, int protocol,
                                                              int flags,
                                                              const kernel::Credentials& creds) {
  // inet_create(): TCP, UDP and UDP-Lite are offered (as on the loopback).
  if (type == SOCK_STREAM) {
    if (protocol != 0 && protocol != IPPROTO_TCP) return Err(Errno::kEPROTONOSUPPORT);
    protocol = 0;
  } else if (type == SOCK_DGRAM) {
    if (protocol != 0 && protocol != IPPROTO_UDP && protocol != IPPROTO_UDPLITE)
      return Err(Errno::kEPROTONOSUPPORT);
    if (protocol == IPPROTO_UDP) protocol = 0;
  } else {
    return InetSocket::Create(family, type, protocol, flags, creds);  // its refusals
  }
  // Protocol 0 or UDP-Lite: the seccomp filter allows only those.
  int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) {
    // The sentry's own fd table is full: for the application that is the
    // system-wide limit, not its RLIMIT_NOFILE (checked by the caller).
    if (errno == EMFILE) return Err(Errno::kENFILE);
    return Err(HostErrno());
  }
  return std::shared_ptr<InetSocket>(TRY(Wrap(UniqueFd(fd), family, type, protocol, flags, creds)));
}

SysResult<void> HostInetSocket::HostBind(const std::vector<uint8_t>& addr) {
  if (::bind(fd_.get(), reinterpret_cast<const sockaddr*>(addr.data()),
           static_cast<socklen_t>(addr.size())) < 0)
    return Err(HostErrno());
  return {};
}

SysResult<void> HostInetSocket::HostListen(int backlog) {
  if (::listen(fd_.get(), backlog) < 0) return Err(HostErrno());
  return {};
}

SysResult<std::shared_ptr<HostInetSocket>> HostInetSocket::HostAccept(
    int flags, std::vector<uint8_t>* peer, const kernel::Credentials& creds) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  int fd = static_cast<int>(Retry([&] {
    return accept4(fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len,
                   SOCK_NONBLOCK | SOCK_CLOEXEC);
  }));
  if (fd < 0) return Err(FromInt(fd == -EMFILE ? ENFILE : -fd));
  auto s = TRY(Wrap(UniqueFd(fd), family_, type_, protocol_, flags, creds));
  auto* p = reinterpret_cast<const uint8_t*>(&ss);
  peer->assign(p, p + std::min<size_t>(len, sizeof(ss)));
  return s;
}

SysResult<void> HostInetSocket::HostConnect(const std::vector<uint8_t>& addr) {
  // Not retried on EINTR: a second connect would report EALREADY.
  if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(addr.data()),
              static_cast<socklen_t>(addr.size())) < 0)
    return Err(HostErrno());
  return {};
}

SysResult<std::vector<uint8_t>> HostInetSocket::HostName(bool peer) const {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  int r = peer ? getpeername(fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len)
               : getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len);
  if (r < 0) return Err(HostErrno());
  auto* p = reinterpret_cast<const uint8_t*>(&ss);
  return std::vector<uint8_t>(p, p + std::min<size_t>(len, sizeof(ss)));
}

SysResult<void> HostInetSocket::HostSetOpt(int level, int name, const std::vector<uint8_t>& val) {
  const HostOpt* o = FindOpt(level, name);
  if (!o || o->get_only) return Unsupported("setsockopt", level, name);
  if (setsockopt(fd_.get(), level, name, val.data(), static_cast<socklen_t>(val.size())) < 0)
    return Err(HostErrno());
  // The syscall layer's receive loop waits for this much (sock_rcvlowat()).
  if (level == SOL_SOCKET && name == SO_RCVLOWAT && val.size() >= sizeof(int)) {
    int v;
    memcpy(&v, val.data(), sizeof(v));
    opts.rcvlowat = std::max(v, 1);
  }
  return {};
}

SysResult<std::vector<uint8_t>> HostInetSocket::HostGetOpt(int level, int name, int len) const {
  const HostOpt* o = FindOpt(level, name);
  if (!o) return Err(Unsupported("getsockopt", level, name).error());
  std::vector<uint8_t> v(static_cast<size_t>(std::clamp(len, 0, kMaxHostOptLen)));
  socklen_t n = static_cast<socklen_t>(v.size());
  if (getsockopt(fd_.get(), level, name, v.data(), &n) < 0) return Err(HostErrno());
  v.resize(std::min<size_t>(n, v.size()));
  return v;
}

SysResult<size_t> HostInetSocket::HostSend(kernel::Task& t, vfs::IoVecs src, int flags,
                                           const std::vector<uint8_t>& to,
                                           const SendHeader& header) {
  msghdr m{};
  alignas(cmsghdr) uint8_t ctl[2 * CMSG_SPACE(sizeof(int))] = {};
  bool v6 = family() == AF_INET6;
  size_t used = 0;
  for (auto [type, value] : {std::pair{v6 ? IPV6_HOPLIMIT : IP_TTL, header.ttl},
                             std::pair{v6 ? IPV6_TCLASS : IP_TOS, header.tos}}) {
    if (value < 0) continue;
    auto* c = reinterpret_cast<cmsghdr*>(ctl + used);
    c->cmsg_level = v6 ? SOL_IPV6 : SOL_IP;
    c->cmsg_type = type;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &value, sizeof(int));
    used += CMSG_SPACE(sizeof(int));
  }
  if (used > 0) {
    m.msg_control = ctl;
    m.msg_controllen = used;
  }
  m.msg_iov = const_cast<iovec*>(src.data());
  m.msg_iovlen = std::min<size_t>(src.size(), IOV_MAX);
  if (!to.empty()) {
    m.msg_name = const_cast<uint8_t*>(to.data());
    m.msg_namelen = static_cast<socklen_t>(to.size());
  }
  int hf = (flags & kSendFlags) | MSG_DONTWAIT | MSG_NOSIGNAL;
  int fd = fd_.get();
  return DataCall(t, fd, POLLOUT, [&] { return sendmsg(fd, &m, hf); });
}

SysResult<HostInetSocket::HostRecvResult> HostInetSocket::HostRecv(kernel::Task& t,
                                                                   vfs::IoVecs dst, int flags) {
  sockaddr_storage ss{};
  msghdr m{};
  m.msg_iov = const_cast<iovec*>(dst.data());
  m.msg_iovlen = std::min<size_t>(dst.size(), IOV_MAX);
  m.msg_name = &ss;
  m.msg_namelen = sizeof(ss);
  alignas(cmsghdr) uint8_t ctl[256];
  m.msg_control = ctl;
  m.msg_controllen = sizeof(ctl);
  int hf = (flags & kRecvFlags) | MSG_DONTWAIT;
  int fd = fd_.get();
  HostRecvResult r;
  r.n = TRY(DataCall(t, fd, POLLIN | POLLRDHUP, [&] { return recvmsg(fd, &m, hf); }));
  r.truncated = m.msg_flags & MSG_TRUNC;
  // Only the IP header messages the allow-listed options turn on pass.
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
    bool ip = c->cmsg_level == SOL_IP &&
              (c->cmsg_type == IP_PKTINFO || c->cmsg_type == IP_TTL || c->cmsg_type == IP_TOS);
    bool ip6 = c->cmsg_level == SOL_IPV6 &&
               (c->cmsg_type == IPV6_PKTINFO || c->cmsg_type == IPV6_HOPLIMIT ||
                c->cmsg_type == IPV6_TCLASS);
    if (!ip && !ip6) continue;
    auto* p = reinterpret_cast<const uint8_t*>(c);
    r.control.insert(r.control.end(), p, p + CMSG_SPACE(c->cmsg_len - CMSG_LEN(0)));
  }
  auto* p = reinterpret_cast<const uint8_t*>(&ss);
  r.from.assign(p, p + std::min<size_t>(m.msg_namelen, sizeof(ss)));
  return r;
}

SysResult<void> HostInetSocket::Shutdown(int how) {
  if (::shutdown(fd_.get(), how) < 0) return Err(HostErrno());
  return {};
}

SysResult<size_t> HostInetSocket::Send(kernel::Task& t, vfs::IoVecs src, const Endpoint* to,
                                       bool nosignal) {
  auto r = HostSend(t, src, 0, {}, SendHeader{});
  // sk_stream_error(): EPIPE raises SIGPIPE (the host's went nowhere).
  if (!r && r.error() == Errno::kEPIPE && !nosignal) SendSigpipe(t);
  return r;
}

SysResult<InetSocket::RecvResult> HostInetSocket::Recv(vfs::IoVecs dst, int flags,
                                                       size_t peek_skip) {
  // Only reached through paths that have no task to unlock; read(2) and
  // recv(2) use HostRecv. One attempt with the lock held.
  if (peek_skip > 0) return Err(Errno::kEAGAIN);
  msghdr m{};
  m.msg_iov = const_cast<iovec*>(dst.data());
  m.msg_iovlen = std::min<size_t>(dst.size(), IOV_MAX);
  int hf = (flags & kRecvFlags) | MSG_DONTWAIT;
  ssize_t n = Retry([&] { return recvmsg(fd_.get(), &m, hf); });
  if (n < 0) return Err(FromInt(static_cast<int>(-n)));
  RecvResult r;
  r.n = static_cast<size_t>(n);
  r.msg_len = r.n;
  r.truncated = m.msg_flags & MSG_TRUNC;
  return r;
}

SysResult<size_t> HostInetSocket::Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) {
  HostRecvResult r = TRY(HostRecv(t, dst, 0));
  return r.n;
}

uint32_t HostInetSocket::Readiness(uint32_t mask) {
  return host::PollNow(fd_.get(), mask) & (mask | POLLHUP | POLLERR);
}

SysResult<int> HostInetSocket::InqLen() const {
  int n = 0;
  if (ioctl(fd_.get(), SIOCINQ, &n) < 0) return Err(HostErrno());
  return n;
}

int HostInetSocket::OutqLen() const {
  int n = 0;
  if (ioctl(fd_.get(), SIOCOUTQ, &n) < 0) return 0;
  return n;
}

}  // namespace bulwark::fsimpl::socket
