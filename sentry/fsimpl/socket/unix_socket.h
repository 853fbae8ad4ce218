// Unix domain sockets (unix(7)): SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET.
//
// A UnixSocket is both the socket and its open file description (sockets
// have exactly one description; dup'd fds share it). Every operation is
// non-blocking: it returns EAGAIN when it would block, and the syscall layer
// waits on the right queue (WaitQueueFor*) with SO_RCVTIMEO/SO_SNDTIMEO and
// retries, translating application memory afresh after every wait.
//
// Lifetime: peers refer to each other weakly. A socket lives while an fd,
// an in-flight SCM_RIGHTS message or a listener's backlog (for connections
// not yet accepted) holds it. Destroying a socket does what
// unix_release_sock() does for its peer (SHUTDOWN_MASK, ECONNRESET if data
// was left unread). Deliberate difference: sockets that are only reachable
// through a cycle of in-flight SCM_RIGHTS messages are never collected
// (Linux's unix_gc() would); they leak until the sandbox ends.
//
// Guarded by the kernel lock.
#pragma once

#include <sys/socket.h>
#include <sys/time.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "sentry/kernel/credentials.h"
#include "sentry/kernel/wait_queue.h"
#include "sentry/vfs/file.h"

namespace bulwark::fsimpl::socket {

inline constexpr int kDefaultSockBuf = 212992;  // net.core.{w,r}mem_default
inline constexpr int kMaxSockBuf = 212992;      // net.core.{w,r}mem_max
inline constexpr int kMinSndBuf = 4608;         // SOCK_MIN_SNDBUF on x86-64
inline constexpr int kMinRcvBuf = 2304;         // SOCK_MIN_RCVBUF
inline constexpr int kSoMaxConn = 4096;         // net.core.somaxconn
inline constexpr size_t kMaxDgramQlen = 10;     // net.unix.max_dgram_qlen
inline constexpr size_t kScmMaxFd = 253;        // SCM_MAX_FD
// Per-message overhead Linux charges against SO_SNDBUF for a datagram
// (EMSGSIZE above sndbuf - 32, unix_dgram_sendmsg()).
inline constexpr size_t kDgramOverhead = 32;

// What a message carries as SCM_CREDENTIALS (struct ucred), in the
// sandbox's pid and user namespace (the only ones there are).
struct Creds {
  pid_t pid = 0;
  uid_t uid = 65534;  // overflowuid: no credentials
  gid_t gid = 65534;
  bool operator==(const Creds&) const = default;
};
// SO_PEERCRED of a socket without a peer.
inline constexpr Creds kNoPeerCreds{0, static_cast<uid_t>(-1), static_cast<gid_t>(-1)};

// A socket address as Linux stores it after sun_family: the path and its
// NUL for filesystem names, a NUL and the name for abstract names, empty
// when unnamed. The address length is sizeof(sa_family_t) + size().
using Address = std::string;

struct Message {
  std::vector<uint8_t> data;
  size_t consumed = 0;  // stream: bytes already read
  std::vector<std::shared_ptr<vfs::FileDescription>> rights;
  // Attached when either end had SO_PASSCRED or the sender sent
  // SCM_CREDENTIALS.
  std::optional<Creds> creds;
  Address from;  // the sender's name when sent
  std::weak_ptr<class UnixSocket> sender;
  size_t charge = 0;  // skb truesize counted in the sender's send buffer (Truesize())
  size_t remaining() const { return data.size() - consumed; }
};

// What one send carries besides the bytes.
struct SendExtras {
  std::vector<std::shared_ptr<vfs::FileDescription>> rights;
  std::optional<Creds> creds;  // explicit SCM_CREDENTIALS, already checked
  bool nosignal = false;       // MSG_NOSIGNAL
};

// Receive progress, carried across the waits of one recvmsg.
struct RecvState {
  size_t copied = 0;  // bytes copied to the application
  size_t msg_len = 0;  // datagram length (for MSG_TRUNC)
  bool truncated = false;  // datagram longer than the buffer
  bool have_from = false;
  Address from;
  std::optional<Creds> creds;
  bool check_creds = false;  // stream: stop at a message with other creds
  std::vector<std::shared_ptr<vfs::FileDescription>> rights;
};

enum class SockState { kUnconnected, kListening, kConnected };

// The attributes of a new socket (any family): a fresh sockfs inode number,
// S_IFSOCK|0777, owned by uid/gid.
vfs::Stat NewSocketStat(uint32_t uid, uint32_t gid);
// The first `n` bytes of `src` in one buffer.
std::vector<uint8_t> GatherIov(vfs::IoVecs src, size_t n);
// SO_SNDBUF/SO_RCVBUF (and the *FORCE variants): the doubled value Linux
// stores, capped at kMaxSockBuf unless forced, at least `min`.
int SockBufSize(int val, bool force, int min);
// The SIGPIPE of a send on a broken stream (sk_stream_error()).
void SendSigpipe(kernel::Task& t);

// sk_shutdown bits.
inline constexpr int kRcvShutdown = 1;
inline constexpr int kSendShutdown = 2;

class UnixSocket : public vfs::FileDescription {
 public:
  // type: SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET; `flags` may hold
  // O_NONBLOCK. Owned by `creds`' fsuid/fsgid (fstat).
  static std::shared_ptr<UnixSocket> New(int type, int flags, const kernel::Credentials& creds);
  // socketpair(2): two connected sockets; peer credentials are `peer`.
  static std::pair<std::shared_ptr<UnixSocket>, std::shared_ptr<UnixSocket>> NewPair(
      int type, int flags, const kernel::Credentials& creds, const Creds& peer);

  UnixSocket(int type, int flags, uint32_t uid, uint32_t gid);
  ~UnixSocket() override;

  int type() const { return type_; }
  SockState state() const { return state_; }
  bool ConnectionOriented() const { return type_ != SOCK_DGRAM; }
  const Address& address() const { return addr_; }
  // The peer's name (getpeername); ENOTCONN without a peer.
  SysResult<Address> PeerAddress() const;
  std::shared_ptr<UnixSocket> peer() const { return peer_.lock(); }

  // --- Names (unix_names.cc) ---
  // Binds an abstract name (starting with NUL): EADDRINUSE if taken,
  // EINVAL if this socket already has a name.
  SysResult<void> BindAbstract(const Address& name);
  // Picks a free 5-hex-digit abstract name (unix_autobind()); no-op if
  // already bound.
  SysResult<void> Autobind();
  // Records that this socket is bound to the socket inode `inode` whose
  // attributes are `st`, under `name` (path + NUL). EINVAL if already bound.
  SysResult<void> BindInode(std::shared_ptr<vfs::Inode> inode, const vfs::Stat& st,
                            const Address& name);
  // The socket bound to an abstract name / to the socket inode with `st`.
  static std::shared_ptr<UnixSocket> FindAbstract(const Address& name);
  static std::shared_ptr<UnixSocket> FindInode(const vfs::Stat& st);

  // --- Connections ---
  // listen(2). `backlog` already capped at somaxconn.
  SysResult<void> Listen(int backlog);
  // Connection-oriented connect to `server` (a listener of the same type):
  // EISCONN, EINVAL (listening), ECONNREFUSED, EAGAIN when the backlog is
  // full (wait on server->PeerWaitQueue()). `creds` are the caller's for
  // SO_PEERCRED.
  SysResult<void> ConnectStream(const std::shared_ptr<UnixSocket>& server, const Creds& creds,
                                const kernel::Credentials& kcreds);
  // Datagram connect (sets the default destination; null disconnects).
  SysResult<void> ConnectDgram(const std::shared_ptr<UnixSocket>& peer);
  // accept(2): the next pending connection, EAGAIN if none, EINVAL unless
  // listening.
  SysResult<std::shared_ptr<UnixSocket>> Accept();
  // shutdown(2); `how` as SHUT_RD/WR/RDWR.
  SysResult<void> Shutdown(int how);

  // --- Data ---
  // Sends from `src`. Stream: accepts what fits in the send buffer (EAGAIN
  // if nothing does), so the caller loops; extras go with the first byte.
  // Datagram/seqpacket: all or nothing. `to`: datagram destination (null:
  // the peer). EPIPE (with SIGPIPE to `t` unless extras.nosignal), ENOTCONN,
  // ECONNREFUSED, EMSGSIZE, EPERM (peer connected elsewhere).
  SysResult<size_t> Send(kernel::Task& t, vfs::IoVecs src, SendExtras& extras,
                         const std::shared_ptr<UnixSocket>& to = nullptr);
  // Receives into `dst` (the part of the application buffer not yet
  // filled), updating `st`. Returns true when the receive is complete
  // (message boundary, a message with rights, or other credentials), false
  // when the queue ran dry and the caller may wait for more (stream).
  // EAGAIN: nothing queued; 0 bytes with `eof` set: end of stream. flags:
  // MSG_PEEK, MSG_TRUNC.
  SysResult<bool> Recv(vfs::IoVecs dst, int flags, RecvState& st, bool* eof);
  // Takes the pending socket error (SO_ERROR), 0 if none.
  int TakeError();
  int error() const { return err_; }
  int shutdown_bits() const { return shutdown_; }
  // FIONREAD/SIOCINQ and SIOCOUTQ.
  SysResult<int> InqLen() const;
  int OutqLen() const { return static_cast<int>(wmem_); }

  // --- Options ---
  int sndbuf = kDefaultSockBuf;
  int rcvbuf = kDefaultSockBuf;
  bool passcred = false;
  bool reuseaddr = false;
  timeval rcvtimeo{};  // zero: none
  timeval sndtimeo{};
  // SO_PEERCRED; nullopt: unconnected (pid 0, overflow ids).
  std::optional<Creds> peercred;
  // The credentials (effective ids) recorded at listen()/socketpair for
  // SO_PEERCRED of the other side.
  Creds own_creds;
  // The queue where a sender to / connector of this socket waits for room.
  kernel::WaitQueue& PeerWaitQueue() { return peer_wait_; }
  // Notifies readiness changes of this socket.
  void NotifySelf(uint32_t events) { queue_.Notify(events); }

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

 private:
  // Takes a message out of (or peeks into) the queue and returns its bytes
  // to its sender's budget.
  void Dequeue();
  void Release(Message& m);
  // Registers `s` to be notified (POLLOUT) when this queue has room.
  void AddWaker(UnixSocket& s);
  // This socket as its own type (it is always owned by a shared_ptr).
  std::weak_ptr<UnixSocket> Weak();
  bool RecvQueueFull() const;
  bool Writable() const;
  uint32_t StreamEvents() const;
  uint32_t DgramEvents(uint32_t mask);
  void Enqueue(UnixSocket& to, Message m);
  void SendPipe(kernel::Task& t, bool nosignal);

  const int type_;
  SockState state_ = SockState::kUnconnected;
  int shutdown_ = 0;
  int err_ = 0;
  // A connection not yet accepted: if the client goes away ECONNRESET.
  bool embryo_ = false;
  Address addr_;
  std::shared_ptr<vfs::Inode> bound_inode_;  // keeps (dev, ino) unique
  std::weak_ptr<UnixSocket> peer_;
  Address peer_addr_;  // the peer's name when connected
  std::deque<Message> rx_;
  size_t rx_bytes_ = 0;
  size_t wmem_ = 0;  // bytes this socket sent that are still queued
  std::deque<std::shared_ptr<UnixSocket>> backlog_;
  int max_backlog_ = 0;
  // Datagram senders told about room in this socket's queue
  // (unix_dgram_peer_wake_me()).
  std::vector<std::weak_ptr<UnixSocket>> peer_wakers_;
  vfs::Stat stat_;
  kernel::WaitQueue queue_;
  kernel::WaitQueue peer_wait_;
};

// Events that mean a socket wait is over: readiness plus the errors.
inline constexpr uint32_t kReadEvents = 0x001 /*POLLIN*/ | 0x040 /*POLLRDNORM*/;
inline constexpr uint32_t kWriteEvents = 0x004 /*POLLOUT*/ | 0x100 /*POLLWRNORM*/;

}  // namespace bulwark::fsimpl::socket
