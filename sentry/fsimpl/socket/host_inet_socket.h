// Internet sockets backed by host sockets (--network=host): the sentry
// creates an AF_INET/AF_INET6 TCP, UDP or UDP-Lite socket in its own network
// namespace (the one the config names, see runtime/sandbox.cc) and operates
// it on the application's behalf.
//
// The host fd is always O_NONBLOCK; the application's O_NONBLOCK is the
// description's flag. Blocking is the sentry's: an operation that would
// block returns EAGAIN, the syscall layer (syscalls/linux/socket_hostinet.cc)
// waits on Queue(), and the host fd notifier (fsimpl/host/notifier.h) wakes
// that queue when the host socket becomes ready, so poll/epoll/select in
// the sandbox work on these sockets too.
//
// The object derives from InetSocket so that the socket syscalls find it
// through AsInet(); it never uses the loopback's port table (it is never
// bound in InetSocket's sense) and socket_inet.cc hands every operation to
// the Host* functions.
//
// Deliberate differences from a native socket: only the options in
// host_inet_socket.cc's allow-list reach the host (others ENOPROTOOPT,
// logged once each); no control messages (SCM_*, IP_PKTINFO, timestamps)
// in either direction; the interface ioctls still describe only `lo`;
// /proc/net/{tcp,udp} list only the loopback sockets (none of these).
// Ports below the namespace's net.ipv4.ip_unprivileged_port_start: the
// sentry keeps CAP_NET_BIND_SERVICE in host mode (its only capability) and
// checks the application's own, as inet_bind_sk() does.
//
// Guarded by the kernel lock, except the host fd itself, which the data
// calls use with the lock released.
#pragma once

#include <memory>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "sentry/fsimpl/host/notifier.h"
#include "sentry/fsimpl/socket/inet_socket.h"

namespace bulwark::fsimpl::socket {

// Turns host networking on for the whole sentry (at boot, before any task
// runs): from then on socket(2) makes HostInetSockets for AF_INET/AF_INET6
// stream and datagram sockets. `notifier` wakes their queues.
void EnableHostNetwork(std::shared_ptr<host::Notifier> notifier);
bool HostNetworkEnabled();
// Sets `lo` up in the sentry's network namespace (a new one starts with it
// down; runc brings it up for a new namespace too). Needs CAP_NET_ADMIN:
// call at boot before the capabilities are dropped. No-op if already up.
SysResult<void> BringUpLoopback();
// Reads the namespace's net.ipv4.ip_unprivileged_port_start (default 1024
// if unreadable). Call at boot, before the sentry's root is emptied.
void ReadUnprivilegedPortStart();
// Whether binding `port` needs CAP_NET_BIND_SERVICE
// (inet_port_requires_bind_service()).
bool PortNeedsBindService(uint16_t port);

class HostInetSocket : public InetSocket {
 public:
  // socket(2) with host networking on: a host socket for SOCK_STREAM and
  // SOCK_DGRAM (TCP, UDP, UDP-Lite); other types get InetSocket::Create's
  // errors.
  // `flags`: O_NONBLOCK of the description.
  static SysResult<std::shared_ptr<InetSocket>> Create(int family, int type, int protocol,
                                                       int flags,
                                                       const kernel::Credentials& creds);
  ~HostInetSocket() override;

  int host_fd() const { return fd_.get(); }

  // Host calls, made with the kernel lock held (none of them blocks: the
  // host fd is non-blocking). Errors are the host's.
  SysResult<void> HostBind(const std::vector<uint8_t>& addr);
  SysResult<void> HostListen(int backlog);
  // One accept4 attempt: the new socket (description flags `flags`) and the
  // peer's address, or EAGAIN.
  SysResult<std::shared_ptr<HostInetSocket>> HostAccept(int flags, std::vector<uint8_t>* peer,
                                                        const kernel::Credentials& creds);
  // connect(2): EINPROGRESS/EALREADY are returned as the host gives them.
  SysResult<void> HostConnect(const std::vector<uint8_t>& addr);
  SysResult<std::vector<uint8_t>> HostName(bool peer) const;
  // The option allow-list: ENOPROTOOPT (logged) for anything else.
  SysResult<void> HostSetOpt(int level, int name, const std::vector<uint8_t>& val);
  SysResult<std::vector<uint8_t>> HostGetOpt(int level, int name, int len) const;

  // One send/receive attempt, made with the kernel lock released (`t`
  // drops it). `flags` are the application's; the sentry adds
  // MSG_DONTWAIT|MSG_NOSIGNAL. EAGAIN only when the host socket is not
  // ready with the lock held again, so a waiter cannot miss the wake-up.
  // `header`: IP_TTL/IP_TOS or IPV6_HOPLIMIT/IPV6_TCLASS for this send
  // (-1: none), sent as control messages.
  SysResult<size_t> HostSend(kernel::Task& t, vfs::IoVecs src, int flags,
                             const std::vector<uint8_t>& to, const SendHeader& header);
  struct HostRecvResult {
    size_t n = 0;
    std::vector<uint8_t> from;
    bool truncated = false;
    // The IP header control messages the host delivered (PKTINFO, TTL/
    // HOPLIMIT, TOS/TCLASS), as a cmsghdr buffer; others are dropped.
    std::vector<uint8_t> control;
  };
  SysResult<HostRecvResult> HostRecv(kernel::Task& t, vfs::IoVecs dst, int flags);

  // --- InetSocket (read/write/shutdown and the generic paths) ---
  SysResult<Endpoint> PeerName() const override { return Err(Errno::kENOTCONN); }
  SysResult<void> Connect(const Endpoint& dst, bool unspec, bool nonblock) override {
    return Err(Errno::kEINVAL);  // socket_hostinet.cc connects with HostConnect
  }
  SysResult<void> Shutdown(int how) override;
  SysResult<size_t> Send(kernel::Task& t, vfs::IoVecs src, const Endpoint* to,
                         bool nosignal) override;
  SysResult<RecvResult> Recv(vfs::IoVecs dst, int flags, size_t peek_skip) override;
  SysResult<size_t> Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) override;
  uint32_t Readiness(uint32_t mask) override;

  // FIONREAD/SIOCINQ and SIOCOUTQ (InetSocket::Ioctl) ask the host.
 protected:
  SysResult<int> InqLen() const override;
  int OutqLen() const override;

 private:
  HostInetSocket(UniqueFd fd, int family, int type, int protocol, int flags, uint32_t uid,
                 uint32_t gid);
  static SysResult<std::shared_ptr<HostInetSocket>> Wrap(UniqueFd fd, int family, int type,
                                                         int protocol, int flags,
                                                         const kernel::Credentials& creds);

  UniqueFd fd_;
  std::shared_ptr<host::Notifier> notifier_;
  uint64_t notify_id_ = 0;
};

}  // namespace bulwark::fsimpl::socket
