#include "sentry/fsimpl/socket/netlink_socket.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <poll.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "base/log.h"
#include "sentry/fsimpl/socket/inet_socket.h"
#include "sentry/fsimpl/socket/netlink_message.h"
#include "sentry/fsimpl/socket/netlink_route.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/anon_stat.h"

namespace bulwark::fsimpl::socket {

namespace {

// The bound NETLINK_ROUTE sockets of the sandbox by port id.
std::map<uint32_t, NetlinkSocket*>& Ports() {
  static std::map<uint32_t, NetlinkSocket*> ports;
  return ports;
}

// The next negative port id for an autobind whose tgid is taken.
int32_t g_rover = -4096;

// NLMSG_GOODSIZE: the least a dump puts in one datagram; netlink_dump()
// uses the largest receive buffer seen, up to 32 KiB, when larger.
constexpr size_t kDumpGoodSize = 3776;
constexpr size_t kDumpMaxSize = 32768;

}  // namespace

NetlinkSocket::NetlinkSocket(int type, int flags, uint32_t uid, uint32_t gid)
    : vfs::FileDescription(vfs::Path{}, O_RDWR | (flags & O_NONBLOCK)),
      type_(type),
      stat_(NewSocketStat(uid, gid)) {}

NetlinkSocket::~NetlinkSocket() {
  if (bound_) Ports().erase(portid_);
}

SysResult<std::shared_ptr<NetlinkSocket>> NetlinkSocket::Create(
    int type, int protocol, int flags, const kernel::Credentials& creds) {
  if (type != SOCK_RAW && type != SOCK_DGRAM) return Err(FromInt(ESOCKTNOSUPPORT));
  if (protocol != NETLINK_ROUTE) {
    static bool logged = false;
    if (!logged) {
      logged = true;
      LOG_WARN("socket(AF_NETLINK, %d): only NETLINK_ROUTE is offered: EPROTONOSUPPORT",
               protocol);
    }
    return Err(Errno::kEPROTONOSUPPORT);
  }
  return std::make_shared<NetlinkSocket>(type, flags, creds.fsuid, creds.fsgid);
}

SysResult<void> NetlinkSocket::Autobind(int32_t tgid) {
  if (bound_) return {};
  uint32_t id = static_cast<uint32_t>(tgid);
  if (Ports().contains(id)) {
    do {
      if (g_rover > -4096) g_rover = -4096;
      id = static_cast<uint32_t>(g_rover--);
    } while (Ports().contains(id));
  }
  portid_ = id;
  bound_ = true;
  Ports()[id] = this;
  return {};
}

SysResult<void> NetlinkSocket::Bind(uint32_t pid, uint32_t groups, int32_t tgid) {
  if (bound_) {
    if (pid != portid_) return Err(Errno::kEINVAL);
  } else if (pid == 0) {
    TRY(Autobind(tgid));
  } else {
    if (Ports().contains(pid)) return Err(Errno::kEADDRINUSE);
    portid_ = pid;
    bound_ = true;
    Ports()[pid] = this;
  }
  // netlink_bind() replaces the first 32 groups with nl_groups.
  if (groups != 0 || groups_allocated_) {
    groups_allocated_ = true;
    groups_ = (groups_ & ~uint64_t{0xffffffff}) | groups;
  }
  return {};
}

SysResult<void> NetlinkSocket::Connect(uint32_t pid, uint32_t group, int32_t tgid) {
  TRY(Autobind(tgid));
  dst_portid_ = pid;
  dst_group_ = group;
  return {};
}

SysResult<void> NetlinkSocket::SetMembership(uint32_t group, bool join) {
  if (group == 0 || group > kGroups) return Err(Errno::kEINVAL);
  groups_allocated_ = true;
  if (join)
    groups_ |= uint64_t{1} << (group - 1);
  else
    groups_ &= ~(uint64_t{1} << (group - 1));
  return {};
}

std::vector<uint8_t> NetlinkSocket::Memberships() const {
  if (!groups_allocated_) return {};
  // ALIGN(BITS_TO_BYTES(ngroups), sizeof(u32)) bytes of bitmap.
  std::vector<uint8_t> out((kGroups + 31) / 32 * 4);
  for (size_t i = 0; i < out.size() && i < sizeof(groups_); ++i) out[i] = groups_ >> (8 * i);
  return out;
}

void NetlinkSocket::QueueAlways(Datagram d) {
  rx_charge_ += Charge(d);
  rx_.push_back(std::move(d));
  queue_.Notify(POLLIN | POLLRDNORM);
}

void NetlinkSocket::QueueUnicast(Datagram d) {
  if (rx_charge_ > static_cast<size_t>(rcvbuf)) {
    // netlink_overrun()
    if (!no_enobufs) {
      err_ = ENOBUFS;
      queue_.Notify(POLLERR);
    }
    return;
  }
  QueueAlways(std::move(d));
}

void NetlinkSocket::ContinueDump() {
  if (dump_rest_.empty() || rx_charge_ > static_cast<size_t>(rcvbuf) / 2) return;
  Datagram d = std::move(dump_rest_.front());
  dump_rest_.pop_front();
  QueueAlways(std::move(d));
}

void NetlinkSocket::KernelReceive(std::span<const uint8_t> msg, bool net_admin) {
  using netlink::Request;
  for (const Request& req : netlink::SplitRequests(msg)) {
    int err = 0;
    bool started_dump = false;
    // Only requests are handled; control messages are skipped.
    if ((req.hdr.nlmsg_flags & NLM_F_REQUEST) && req.hdr.nlmsg_type >= NLMSG_MIN_TYPE) {
      netlink::RouteAnswer a = netlink::HandleRouteRequest(req, portid_, net_admin, strict_chk);
      err = a.error;
      if (a.dump && !dump_rest_.empty()) {
        err = -EBUSY;  // netlink_dump_start() while cb_running
      } else if (a.dump) {
        started_dump = true;
        size_t limit = std::max(kDumpGoodSize, std::min(max_recvmsg_len_, kDumpMaxSize));
        std::vector<Datagram> parts;
        for (auto& m : a.messages) {
          if (parts.empty() || parts.back().data.size() + m.size() > limit)
            parts.push_back(Datagram{});
          parts.back().data.insert(parts.back().data.end(), m.begin(), m.end());
        }
        std::vector<uint8_t> done = netlink::DoneMessage(req.hdr.nlmsg_seq, portid_);
        if (parts.empty() || a.split_done || parts.back().data.size() + done.size() > limit)
          parts.push_back(Datagram{});
        parts.back().data.insert(parts.back().data.end(), done.begin(), done.end());
        QueueAlways(std::move(parts.front()));
        for (size_t i = 1; i < parts.size(); ++i) dump_rest_.push_back(std::move(parts[i]));
      } else {
        for (auto& m : a.messages) QueueUnicast(Datagram{std::move(m)});
      }
    }
    // A started dump is never acknowledged (rtnetlink's -EINTR).
    if (!started_dump && ((req.hdr.nlmsg_flags & NLM_F_ACK) || err != 0))
      QueueUnicast(Datagram{netlink::ErrorMessage(req, err, portid_, cap_ack)});
  }
}

SysResult<size_t> NetlinkSocket::Send(std::span<const uint8_t> msg, const SendTo& to,
                                      const Creds& sender, bool net_admin) {
  uint32_t pid = to.explicit_to ? to.pid : dst_portid_;
  uint32_t group = to.explicit_to ? to.group : dst_group_;
  TRY(Autobind(sender.pid));
  if (msg.size() + 32 > static_cast<size_t>(sndbuf)) return Err(Errno::kEMSGSIZE);
  Datagram d{std::vector<uint8_t>(msg.begin(), msg.end()), portid_, group, sender};
  if (group != 0) {
    // netlink_broadcast() to the members of the group but the sender; a
    // full member just misses it.
    for (auto& [id, s] : Ports()) {
      if (s == this || !(s->groups_ & (uint64_t{1} << (group - 1)))) continue;
      s->QueueUnicast(d);
    }
  }
  if (pid == 0) {
    KernelReceive(msg, net_admin);
    return msg.size();
  }
  auto it = Ports().find(pid);
  if (it == Ports().end()) return Err(Errno::kECONNREFUSED);
  // Deliberate difference: Linux makes a sender wait for room in a full
  // receiver (EAGAIN when non-blocking); here the datagram is dropped with
  // ENOBUFS for the receiver, as a kernel reply would be, and the send
  // succeeds. (A send never blocks, so write(2) cannot spin on it.)
  d.from_group = 0;
  it->second->QueueUnicast(std::move(d));
  return msg.size();
}

SysResult<NetlinkSocket::RecvResult> NetlinkSocket::Recv(vfs::IoVecs dst, int flags) {
  if (err_) return Err(FromInt(TakeError()));
  if (rx_.empty()) return Err(Errno::kEAGAIN);
  size_t room = vfs::TotalLength(dst);
  max_recvmsg_len_ = std::max(max_recvmsg_len_, std::min(room, kDumpMaxSize));
  Datagram& d = rx_.front();
  RecvResult r;
  for (const iovec& v : dst) {
    if (r.n == d.data.size()) break;
    size_t c = std::min(v.iov_len, d.data.size() - r.n);
    memcpy(v.iov_base, d.data.data() + r.n, c);
    r.n += c;
  }
  r.msg_len = d.data.size();
  r.truncated = d.data.size() > room;
  r.from_portid = d.from_portid;
  r.from_group = d.from_group;
  r.creds = d.creds;
  if (!(flags & MSG_PEEK)) {
    rx_charge_ -= Charge(d);
    rx_.pop_front();
  }
  ContinueDump();
  return r;
}

SysResult<size_t> NetlinkSocket::Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) {
  RecvResult r = TRY(Recv(dst, 0));
  return r.n;
}

SysResult<size_t> NetlinkSocket::Write(kernel::Task& t, vfs::IoVecs src, uint64_t off) {
  std::vector<uint8_t> msg = GatherIov(src, vfs::TotalLength(src));
  Creds c{t.tgid(), t.creds().euid, t.creds().egid};
  return Send(msg, SendTo{}, c, t.creds().HasCap(CAP_NET_ADMIN));
}

SysResult<uint64_t> NetlinkSocket::Ioctl(kernel::Task& t, uint32_t cmd, uint64_t arg) {
  // netlink_ioctl() has none of its own; sock_ioctl() answers the
  // interface requests for every family.
  return InterfaceIoctl(t, cmd, arg);
}

SysResult<void> NetlinkSocket::SetStat(const vfs::SetStatRequest& req) {
  return vfs::SetAnonStat(stat_, req);
}

uint32_t NetlinkSocket::Readiness(uint32_t mask) {
  // datagram_poll(): writable always (replies are never waited for).
  uint32_t ev = POLLOUT | POLLWRNORM | POLLWRBAND;
  if (err_) ev |= POLLERR;
  if (!rx_.empty()) ev |= POLLIN | POLLRDNORM;
  return ev & mask;
}

std::string NetlinkSocket::AnonName() const {
  return "socket:[" + std::to_string(stat_.ino) + "]";
}

}  // namespace bulwark::fsimpl::socket
