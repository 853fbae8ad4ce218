// Internet-domain sockets (AF_INET, AF_INET6) on the sandbox's own loopback
// network (--network=none): TCP (tcp_socket.h) and UDP (udp_socket.h).
//
// There are no packets: a TCP connection is a pair of sockets that move
// bytes straight into each other's receive buffer, with TCP's observable
// semantics (FIN as EOF, RST as ECONNRESET/EPIPE, flow control); a UDP
// datagram goes straight into the receive queue of the socket bound to its
// destination. Ports live in one table per protocol for the whole sandbox
// (loopback.cc). Like UnixSocket, operations never block: they return EAGAIN
// and the syscall layer waits on Queue() and retries.
//
// Deliberate differences from Linux: no TIME_WAIT (a closed connection's
// port is free at once); no raw or packet sockets; a non-blocking
// connect completes before it returns EINPROGRESS.
//
// Guarded by the kernel lock.
#pragma once

#include <sys/socket.h>
#include <sys/time.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "sentry/fsimpl/socket/inet_addr.h"
#include "sentry/kernel/credentials.h"
#include "sentry/kernel/wait_queue.h"
#include "sentry/vfs/file.h"

namespace bulwark::fsimpl::socket {

// Socket options that are stored and reported back; most have no effect on
// the loopback model (there is no retransmission, no routing, no wire).
struct InetOptions {
  bool reuseaddr = false;
  bool reuseport = false;
  bool keepalive = false;
  bool broadcast = false;
  bool oobinline = false;
  bool dontroute = false;
  int priority = 0;
  int rcvlowat = 1;
  linger lingerv{};
  int sndbuf = 0;  // set by the protocol's constructor
  int rcvbuf = 0;
  bool sndbuf_set = false;  // SOCK_SNDBUF_LOCK: no autotuning
  bool rcvbuf_set = false;
  timeval rcvtimeo{};  // zero: none
  timeval sndtimeo{};
  // IPPROTO_IP / IPPROTO_IPV6
  int tos = 0;
  int ttl = -1;  // -1: the default (64)
  bool recverr = false;
  bool pktinfo = false;
  bool recvtos = false;
  bool v6only = false;
  int tclass = 0;
  int hoplimit = -1;
  bool recvpktinfo6 = false;
  bool recvttl = false;        // IP_RECVTTL
  bool recvhoplimit6 = false;  // IPV6_RECVHOPLIMIT
  bool recvtclass6 = false;    // IPV6_RECVTCLASS
  // IPPROTO_TCP
  bool nodelay = false;
  bool cork = false;
  int keepidle = 7200;
  int keepintvl = 75;
  int keepcnt = 9;
  int maxseg = 0;
  bool quickack = true;
  int user_timeout = 0;
  int syncnt = 6;
  int linger2 = 60;
  int defer_accept = 0;
  int window_clamp = 0;
  int notsent_lowat = 0;
  int fastopen = 0;
  bool fastopen_connect = false;
  // IPPROTO_UDP
  bool udp_cork = false;
  // IPPROTO_UDPLITE: checksum coverage (udplite(7)); recorded only, as
  // loopback datagrams are never damaged.
  int udplite_send_cscov = 0;
  int udplite_recv_cscov = 0;
};

enum class InetState { kClosed, kListening, kConnected };

class InetSocket : public vfs::FileDescription {
 public:
  InetSocket(int family, int type, int protocol, int flags, uint32_t uid, uint32_t gid);
  ~InetSocket() override;

  // socket(2) for AF_INET/AF_INET6: a TcpSocket or UdpSocket, or
  // EPROTONOSUPPORT/ESOCKTNOSUPPORT/EPERM as documented in socket.cc.
  static SysResult<std::shared_ptr<InetSocket>> Create(int family, int type, int protocol,
                                                       int flags,
                                                       const kernel::Credentials& creds);

  int family() const { return family_; }
  int type() const { return type_; }
  int protocol() const { return protocol_; }
  InetState state() const { return state_; }
  bool bound() const { return bound_; }
  // The bound endpoint (all zeros before bind).
  const Endpoint& local() const { return local_; }

  // bind(2) of a parsed address. `can_bind_low`: CAP_NET_BIND_SERVICE.
  SysResult<void> Bind(const Endpoint& e, bool can_bind_low);
  // Binds an ephemeral port on the wildcard address unless bound.
  SysResult<void> Autobind();
  // getpeername(2): ENOTCONN unless connected.
  virtual SysResult<Endpoint> PeerName() const = 0;
  // connect(2) to a parsed destination (`unspec`: AF_UNSPEC). TCP returns
  // EINPROGRESS when `nonblock` (the connection is already made).
  virtual SysResult<void> Connect(const Endpoint& dst, bool unspec, bool nonblock) = 0;
  // listen(2)/accept(2); EOPNOTSUPP for UDP.
  virtual SysResult<void> Listen(int backlog) { return Err(Errno::kEOPNOTSUPP); }
  virtual SysResult<std::shared_ptr<InetSocket>> Accept() { return Err(Errno::kEOPNOTSUPP); }
  virtual SysResult<void> Shutdown(int how) = 0;

  // One send attempt: bytes taken from `src` or EAGAIN. `to`: the
  // destination of an unconnected send (null: none). EPIPE sends SIGPIPE to
  // `t` unless `nosignal`.
  virtual SysResult<size_t> Send(kernel::Task& t, vfs::IoVecs src, const Endpoint* to,
                                 bool nosignal) = 0;
  // One receive attempt into `dst` (the part of the buffer not yet filled):
  // bytes copied, 0 at end of stream, or EAGAIN. `peek_skip`: bytes to skip
  // for MSG_PEEK continuing a partial peek. Sets *from, *msg_len (the
  // datagram's full length) and *truncated for datagrams.
  struct RecvResult {
    size_t n = 0;
    size_t msg_len = 0;
    bool truncated = false;
    bool have_from = false;
    Endpoint from;
    // A datagram's IP header as the receiver's control messages report it
    // (IP_PKTINFO/IPV6_PKTINFO, IP_TTL/IPV6_HOPLIMIT, IP_TOS/IPV6_TCLASS).
    bool have_header = false;
    Endpoint to;
    int ttl = 0;
    int tos = 0;
    // Host sockets: the IP-level control messages the host delivered (the
    // host socket has the receive options), as a cmsghdr buffer.
    std::vector<uint8_t> host_control;
  };
  // Per-send IP header values from sendmsg's control messages (IP_TTL,
  // IP_TOS, IPV6_HOPLIMIT, IPV6_TCLASS; -1: the socket's option), set by
  // the syscall layer around one Send call.
  struct SendHeader {
    int ttl = -1;
    int tos = -1;
  };
  SendHeader next_send;
  virtual SysResult<RecvResult> Recv(vfs::IoVecs dst, int flags, size_t peek_skip) = 0;
  // SO_ERROR: takes the pending error.
  int TakeError() {
    int e = err_;
    err_ = 0;
    return e;
  }
  int error() const { return err_; }
  // The queue a blocked connect waits on for room in a full backlog.
  virtual kernel::WaitQueue* ConnectQueue() { return nullptr; }

  // setsockopt/getsockopt at SOL_SOCKET, SOL_IP, SOL_IPV6, SOL_TCP
  // (inet_options.cc). `val` is what the application passed.
  SysResult<void> SetOption(int level, int name, const std::vector<uint8_t>& val,
                            bool capable);
  // The option's value (before truncation to the caller's length).
  SysResult<std::vector<uint8_t>> GetOption(int level, int name);

  InetOptions opts;

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
  kernel::WaitQueue* Queue() override { return &queue_; }
  const timeval* IoTimeout(bool write) const override {
    return write ? &opts.sndtimeo : &opts.rcvtimeo;
  }
  std::string AnonName() const override;
  uint64_t ino() const { return stat_.ino; }

  // Whether this socket receives traffic for `dst` (an address, no port)
  // given its bound address and family (IPV6_V6ONLY).
  bool Accepts(const in6_addr& dst) const;

 protected:
  // FIONREAD/SIOCINQ and SIOCOUTQ.
  virtual SysResult<int> InqLen() const = 0;
  virtual int OutqLen() const { return 0; }
  // Moves this socket's table entry to `e` (connect fixing the source
  // address). Precondition: bound.
  void Rebind(const Endpoint& e) { local_ = e; }
  // Releases the port (UDP disconnect of an autobound socket).
  void Unbind();
  // Takes `port` on the wildcard for an accepted connection sharing the
  // listener's port (no conflict check).
  void BindShared(const Endpoint& e);
  void set_state(InetState s) { state_ = s; }
  // Whether bind(2) chose the port (not an autobind), and the address as
  // bound (before connect picked a source address).
  bool bind_explicit() const { return bind_explicit_; }
  const Endpoint& bind_addr() const { return bind_addr_; }

  const int family_;
  const int type_;
  const int protocol_;
  int err_ = 0;
  int shutdown_ = 0;  // kInetRcvShutdown | kInetSendShutdown
  kernel::WaitQueue queue_;

 private:
  InetState state_ = InetState::kClosed;
  bool bound_ = false;
  bool bind_explicit_ = false;
  Endpoint local_;
  Endpoint bind_addr_;
  vfs::Stat stat_;

  friend class PortTable;
};

// sk_shutdown bits, as UnixSocket's.
inline constexpr int kInetRcvShutdown = 1;
inline constexpr int kInetSendShutdown = 2;

// Per-protocol port tables of the sandbox's loopback (loopback.cc).
class PortTable {
 public:
  // IPPROTO_TCP, IPPROTO_UDP or IPPROTO_UDPLITE: UDP-Lite has a port
  // space of its own (udplite(7)).
  static PortTable& For(int protocol);
  // EADDRINUSE if `s` may not use `e` (bind, or listen when `listening`).
  SysResult<void> CheckConflict(const InetSocket& s, const Endpoint& e, bool listening) const;
  // A free port for `s` on `addr`: EADDRINUSE if the range is exhausted.
  SysResult<uint16_t> Ephemeral(const InetSocket& s, const Endpoint& addr) const;
  void Add(InetSocket* s);
  void Remove(InetSocket* s);
  // TCP: the listener for `dst`; UDP: the socket that receives a datagram
  // from `src` to `dst`. Null if none.
  InetSocket* Lookup(const Endpoint& dst, const Endpoint& src, bool want_listener) const;
  // Every socket, for /proc/net.
  std::vector<InetSocket*> All() const;

 private:
  std::vector<InetSocket*> socks_;
};

// The interface ioctls (SIOCGIFCONF, SIOCGIFFLAGS, SIOCGIFINDEX, ...) that
// Linux answers on a socket of any family: only `lo` exists. ENOTTY for
// other commands.
SysResult<uint64_t> InterfaceIoctl(kernel::Task& t, uint32_t cmd, uint64_t arg);

// Lists the UDP/TCP sockets for `family` in /proc/net/{tcp,udp}{,6} format.
std::string ProcNetTable(int type, int family);

}  // namespace bulwark::fsimpl::socket
