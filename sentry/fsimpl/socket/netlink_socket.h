// Netlink sockets (netlink(7)) of protocol NETLINK_ROUTE, answered inside
// the sentry (netlink_route.h): the sandbox's own network, never the
// host's. SOCK_RAW and SOCK_DGRAM (the same service).
//
// Requests are answered when they are sent, as Linux does: the replies are
// datagrams (skbs) queued on the socket. A dump's entries are one datagram
// (or several of at most the dump size) and its NLMSG_DONE a separate one,
// which is queued only once the application received the previous part,
// as netlink_dump() continues a dump from recvmsg(); while a dump is
// unfinished another dump on the socket is EBUSY, as Linux.
//
// Port ids: bind(2) takes a given nl_pid if free (EADDRINUSE), an nl_pid
// of 0, a send or connect binds to the caller's tgid, or, if that is taken,
// to a negative id (Linux picks a random negative one; here they count
// down from -4096). Sockets can send to each other by port id, and to the
// multicast groups they joined (NETLINK_ADD_MEMBERSHIP, nl_groups), which
// also receive nothing from the kernel: the sandbox's network never changes,
// so there are no notifications to send.
//
// Like the other sockets, operations never block: EAGAIN, and the syscall
// layer waits on Queue(). Guarded by the kernel lock.
#pragma once

#include <sys/socket.h>
#include <sys/time.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "base/result.h"
#include "sentry/fsimpl/socket/unix_socket.h"
#include "sentry/kernel/credentials.h"
#include "sentry/kernel/wait_queue.h"
#include "sentry/vfs/file.h"

namespace bulwark::fsimpl::socket {

class NetlinkSocket : public vfs::FileDescription {
 public:
  NetlinkSocket(int type, int flags, uint32_t uid, uint32_t gid);
  ~NetlinkSocket() override;

  // netlink_create(): ESOCKTNOSUPPORT for a type other than SOCK_RAW or
  // SOCK_DGRAM, EPROTONOSUPPORT for a protocol other than NETLINK_ROUTE
  // (deliberate difference: Linux has more protocols; this is its answer
  // for one that is not built).
  static SysResult<std::shared_ptr<NetlinkSocket>> Create(int type, int protocol, int flags,
                                                          const kernel::Credentials& creds);

  int type() const { return type_; }
  bool bound() const { return bound_; }
  uint32_t portid() const { return portid_; }
  // The joined groups as nl_groups shows them (the first 32).
  uint32_t groups_mask() const { return static_cast<uint32_t>(groups_); }
  uint32_t dst_portid() const { return dst_portid_; }
  uint32_t dst_group() const { return dst_group_; }

  // netlink_bind(): `pid` 0 autobinds; EINVAL for another pid once bound,
  // EADDRINUSE for a taken one. `groups` replaces the first 32 groups.
  SysResult<void> Bind(uint32_t pid, uint32_t groups, int32_t tgid);
  SysResult<void> Autobind(int32_t tgid);
  // netlink_connect(): the default destination (autobinds first).
  SysResult<void> Connect(uint32_t pid, uint32_t group, int32_t tgid);
  void Disconnect() { dst_portid_ = dst_group_ = 0; }

  // netlink_sendmsg() of `msg` to port `to_pid` and group `to_group`
  // (those of the connect when `explicit_to` is false). Port 0 is the
  // kernel: every request is answered into this socket's queue. EMSGSIZE
  // above SO_SNDBUF, ECONNREFUSED for a port nobody holds. Never EAGAIN.
  struct SendTo {
    bool explicit_to = false;
    uint32_t pid = 0;
    uint32_t group = 0;
  };
  SysResult<size_t> Send(std::span<const uint8_t> msg, const SendTo& to, const Creds& sender,
                         bool net_admin);

  struct RecvResult {
    size_t n = 0;        // bytes copied
    size_t msg_len = 0;  // the datagram's length
    bool truncated = false;
    uint32_t from_portid = 0;  // 0: the kernel
    uint32_t from_group = 0;   // the multicast group it was sent to
    Creds creds;               // the sender's (zeros for the kernel)
  };
  // One datagram into `dst`: EAGAIN when none, a pending error (ENOBUFS
  // after an overrun) first.
  SysResult<RecvResult> Recv(vfs::IoVecs dst, int flags);

  // --- options ---
  int sndbuf = kDefaultSockBuf;
  int rcvbuf = kDefaultSockBuf;
  timeval rcvtimeo{};
  timeval sndtimeo{};
  bool passcred = false;
  // SOL_NETLINK flags.
  bool pktinfo = false;
  bool broadcast_error = false;
  bool no_enobufs = false;
  bool listen_all_nsid = false;
  bool cap_ack = false;
  bool ext_ack = false;
  bool strict_chk = false;
  // NETLINK_ADD_MEMBERSHIP/DROP_MEMBERSHIP: `group` 1..kGroups, else EINVAL.
  SysResult<void> SetMembership(uint32_t group, bool join);
  // NETLINK_LIST_MEMBERSHIPS: the group bitmap (empty before any group was
  // joined, as Linux allocates it on first use).
  std::vector<uint8_t> Memberships() const;
  // The groups NETLINK_ROUTE has on Linux 6.18 (the highest group
  // NETLINK_ADD_MEMBERSHIP accepts there).
  static constexpr uint32_t kGroups = 39;

  // --- FileDescription ---
  bool Seekable() const override { return false; }
  SysResult<size_t> Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) override;
  SysResult<size_t> Write(kernel::Task& t, vfs::IoVecs src, uint64_t off) override;
  SysResult<uint64_t> Seek(kernel::Task& t, int64_t off, int whence) override {
    return Err(Errno::kESPIPE);
  }
  SysResult<std::vector<vfs::DirEntry>> ReadDir(kernel::Task& t) override {
    return Err(Errno::kENOTDIR);
  }
  SysResult<uint64_t> Ioctl(kernel::Task& t, uint32_t cmd, uint64_t arg) override;
  SysResult<vfs::Stat> GetStat() override { return stat_; }
  SysResult<void> SetStat(const vfs::SetStatRequest& req) override;
  SysResult<void> Sync() override { return Err(Errno::kEINVAL); }
  uint32_t Readiness(uint32_t mask) override;
  kernel::WaitQueue* Queue() override { return &queue_; }
  const timeval* IoTimeout(bool write) const override { return write ? &sndtimeo : &rcvtimeo; }
  std::string AnonName() const override;

  int TakeError() {
    int e = err_;
    err_ = 0;
    return e;
  }

 private:
  struct Datagram {
    std::vector<uint8_t> data;
    uint32_t from_portid = 0;
    uint32_t from_group = 0;
    Creds creds{0, 0, 0};
  };
  // Queues a reply of the kernel: dropped with ENOBUFS (unless
  // NETLINK_NO_ENOBUFS) when the receive buffer is over SO_RCVBUF, as
  // netlink_attachskb() drops.
  void QueueUnicast(Datagram d);
  void QueueAlways(Datagram d);
  // Answers the requests in `msg` (netlink_rcv_skb()).
  void KernelReceive(std::span<const uint8_t> msg, bool net_admin);
  // Moves the next part of an unfinished dump to the queue when there is
  // room (netlink_recvmsg() calling netlink_dump()).
  void ContinueDump();
  // The charge of a datagram against SO_RCVBUF (an estimate of the skb's
  // truesize).
  static size_t Charge(const Datagram& d) { return d.data.size() + 256; }

  const int type_;
  bool bound_ = false;
  uint32_t portid_ = 0;
  uint32_t dst_portid_ = 0;
  uint32_t dst_group_ = 0;
  uint64_t groups_ = 0;  // bit g-1 for group g
  bool groups_allocated_ = false;
  int err_ = 0;
  size_t max_recvmsg_len_ = 0;
  std::deque<Datagram> rx_;
  size_t rx_charge_ = 0;
  std::deque<Datagram> dump_rest_;  // parts of a dump not yet queued
  kernel::WaitQueue queue_;
  vfs::Stat stat_;
};

}  // namespace bulwark::fsimpl::socket
