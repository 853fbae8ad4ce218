#include "sentry/fsimpl/socket/inet_socket.h"

#include <arpa/inet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>

#include <cstring>

#include "base/log.h"
#include "sentry/fsimpl/socket/tcp_socket.h"
#include "sentry/fsimpl/socket/udp_socket.h"
#include "sentry/fsimpl/socket/unix_socket.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/anon_stat.h"

namespace bulwark::fsimpl::socket {

InetSocket::InetSocket(int family, int type, int protocol, int flags, uint32_t uid, uint32_t gid)
    : vfs::FileDescription(vfs::Path{}, O_RDWR | (flags & O_NONBLOCK)),
      family_(family),
      type_(type),
      protocol_(protocol),
      local_(AnyAddress(family)),
      bind_addr_(AnyAddress(family)),
      stat_(NewSocketStat(uid, gid)) {}

InetSocket::~InetSocket() {
  if (bound_) PortTable::For(protocol_).Remove(this);
}

SysResult<std::shared_ptr<InetSocket>> InetSocket::Create(int family, int type, int protocol,
                                                          int flags,
                                                          const kernel::Credentials& creds) {
  // inet_create(): the protocol must fit the type; 0 picks the default.
  switch (type) {
    case SOCK_STREAM:
      if (protocol != 0 && protocol != IPPROTO_TCP) return Err(Errno::kEPROTONOSUPPORT);
      return std::shared_ptr<InetSocket>(
          std::make_shared<TcpSocket>(family, flags, creds.fsuid, creds.fsgid));
    case SOCK_DGRAM:
      if (protocol != 0 && protocol != IPPROTO_UDP && protocol != IPPROTO_UDPLITE) {
        // ICMP echo ("ping") sockets are not offered.
        LOG_DEBUG("socket(inet, SOCK_DGRAM, %d): EPROTONOSUPPORT", protocol);
        return Err(Errno::kEPROTONOSUPPORT);
      }
      return std::shared_ptr<InetSocket>(std::make_shared<UdpSocket>(
          family, flags, creds.fsuid, creds.fsgid, protocol == 0 ? IPPROTO_UDP : protocol));
    case SOCK_RAW: {
      // Deliberate difference: raw sockets are never offered, even to a
      // sandboxed root with CAP_NET_RAW; EPERM is what applications expect
      // without that capability (ping falls back, test suites skip).
      static bool logged = false;
      if (!logged) {
        logged = true;
        LOG_WARN("socket(inet, SOCK_RAW, %d): raw sockets are not offered: EPERM", protocol);
      }
      return Err(Errno::kEPERM);
    }
    case SOCK_SEQPACKET:
    case SOCK_RDM:
    case SOCK_PACKET:
    case SOCK_DCCP:
      return Err(FromInt(ESOCKTNOSUPPORT));
    default:
      return Err(FromInt(ESOCKTNOSUPPORT));
  }
}

bool InetSocket::Accepts(const in6_addr& dst) const {
  bool v4 = IN6_IS_ADDR_V4MAPPED(&dst);
  if (family_ == AF_INET && !v4) return false;
  if (family_ == AF_INET6 && v4 && opts.v6only) return false;
  if (local_.wildcard()) return local_.v4() ? v4 : (v4 ? family_ == AF_INET6 : true);
  return SameAddr(local_.addr, dst);
}

SysResult<void> InetSocket::Bind(const Endpoint& e, bool can_bind_low) {
  // inet_bind_sk() / __inet6_bind(): address, privilege, state, port.
  TRY(CheckLocal(e));
  if (e.port != 0 && e.port < 1024 && !can_bind_low) return Err(Errno::kEACCES);
  if (bound_ || state_ != InetState::kClosed) return Err(Errno::kEINVAL);
  Endpoint b = e;
  PortTable& table = PortTable::For(protocol_);
  if (b.port == 0)
    b.port = TRY(table.Ephemeral(*this, b));
  else
    TRY(table.CheckConflict(*this, b, /*listening=*/false));
  local_ = bind_addr_ = b;
  bound_ = true;
  bind_explicit_ = true;
  table.Add(this);
  return {};
}

SysResult<void> InetSocket::Autobind() {
  if (bound_) return {};
  PortTable& table = PortTable::For(protocol_);
  Endpoint b = AnyAddress(family_);
  b.port = TRY(table.Ephemeral(*this, b));
  local_ = bind_addr_ = b;
  bound_ = true;
  table.Add(this);
  return {};
}

void InetSocket::Unbind() {
  if (!bound_) return;
  PortTable::For(protocol_).Remove(this);
  bound_ = false;
  local_ = bind_addr_ = AnyAddress(family_);
}

void InetSocket::BindShared(const Endpoint& e) {
  local_ = bind_addr_ = e;
  bound_ = true;
  PortTable::For(protocol_).Add(this);
}

SysResult<size_t> InetSocket::Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) {
  RecvResult r = TRY(Recv(dst, 0, 0));
  return r.n;
}

SysResult<size_t> InetSocket::Write(kernel::Task& t, vfs::IoVecs src, uint64_t off) {
  return Send(t, src, nullptr, /*nosignal=*/false);
}

namespace {

// The sandbox's only interface.
constexpr char kLoName[] = "lo";
constexpr int kLoIndex = 1;

sockaddr V4Sockaddr(uint32_t host_order) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(host_order);
  sockaddr sa;
  memcpy(&sa, &sin, sizeof(sa));
  return sa;
}

}  // namespace

// dev_ifconf() and dev_ifsioc_locked() for `lo`.
SysResult<uint64_t> InterfaceIoctl(kernel::Task& t, uint32_t cmd, uint64_t arg) {
  switch (cmd) {
    case SIOCGIFCONF:
    case SIOCGIFNAME:
    case SIOCGIFFLAGS:
    case SIOCGIFINDEX:
    case SIOCGIFADDR:
    case SIOCGIFNETMASK:
    case SIOCGIFMTU:
    case SIOCGIFHWADDR:
    case SIOCGIFTXQLEN:
      break;
    default:
      return Err(Errno::kENOTTY);
  }
  if (cmd == SIOCGIFCONF) {
    // struct ifconf: with a null buffer only the length needed.
    ifconf ic = TRY(t.CopyIn(kernel::UserPtr<ifconf>{arg}));
    ifreq lo{};
    strcpy(lo.ifr_name, kLoName);
    lo.ifr_addr = V4Sockaddr(INADDR_LOOPBACK);
    int len = 0;
    if (ic.ifc_buf == nullptr) {
      len = sizeof(ifreq);
    } else if (ic.ifc_len >= static_cast<int>(sizeof(ifreq))) {
      TRY(t.CopyOutBytes(reinterpret_cast<uint64_t>(ic.ifc_buf), &lo, sizeof(lo)));
      len = sizeof(ifreq);
    }
    TRY(t.CopyOut(kernel::UserPtr<int>{arg + offsetof(ifconf, ifc_len)}, len));
    return 0;
  }
  ifreq req = TRY(t.CopyIn(kernel::UserPtr<ifreq>{arg}));
  if (cmd == SIOCGIFNAME) {
    if (req.ifr_ifindex != kLoIndex) return Err(Errno::kENODEV);
    memset(req.ifr_name, 0, sizeof(req.ifr_name));
    strcpy(req.ifr_name, kLoName);
    TRY(t.CopyOut(kernel::UserPtr<ifreq>{arg}, req));
    return 0;
  }
  req.ifr_name[IFNAMSIZ - 1] = '\0';
  if (strcmp(req.ifr_name, kLoName) != 0) return Err(Errno::kENODEV);
  switch (cmd) {
    case SIOCGIFFLAGS:
      req.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
      break;
    case SIOCGIFINDEX:
      req.ifr_ifindex = kLoIndex;
      break;
    case SIOCGIFADDR:
      req.ifr_addr = V4Sockaddr(INADDR_LOOPBACK);
      break;
    case SIOCGIFNETMASK:
      req.ifr_netmask = V4Sockaddr(0xff000000);
      break;
    case SIOCGIFMTU:
      req.ifr_mtu = 65536;
      break;
    case SIOCGIFHWADDR:
      memset(&req.ifr_hwaddr, 0, sizeof(req.ifr_hwaddr));
      req.ifr_hwaddr.sa_family = ARPHRD_LOOPBACK;
      break;
    case SIOCGIFTXQLEN:
      req.ifr_qlen = 1000;
      break;
    default:
      return Err(Errno::kENOTTY);
  }
  TRY(t.CopyOut(kernel::UserPtr<ifreq>{arg}, req));
  return 0;
}

SysResult<uint64_t> InetSocket::Ioctl(kernel::Task& t, uint32_t cmd, uint64_t arg) {
  switch (cmd) {
    case SIOCINQ: {  // == FIONREAD
      int n = TRY(InqLen());
      TRY(t.CopyOut(kernel::UserPtr<int>{arg}, n));
      return 0;
    }
    case SIOCOUTQ:
      TRY(t.CopyOut(kernel::UserPtr<int>{arg}, OutqLen()));
      return 0;
    default:
      return InterfaceIoctl(t, cmd, arg);
  }
}

SysResult<void> InetSocket::SetStat(const vfs::SetStatRequest& req) {
  return vfs::SetAnonStat(stat_, req);
}

std::string InetSocket::AnonName() const { return "socket:[" + std::to_string(stat_.ino) + "]"; }

}  // namespace bulwark::fsimpl::socket
