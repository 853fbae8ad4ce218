#include "sentry/fsimpl/socket/unix_socket.h"

#include <poll.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "sentry/fsimpl/socket/inet_socket.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/anon_stat.h"

namespace bulwark::fsimpl::socket {

namespace {

// Sockets live in sockfs: its own device and inode numbers.
std::atomic<uint64_t> g_next_sock_ino{1};
const uint64_t kSockFsDev = makedev(0, 9);

constexpr uint32_t kOutEvents = POLLOUT | POLLWRNORM | POLLWRBAND;
constexpr uint32_t kInEvents = POLLIN | POLLRDNORM;

// The skb truesize Linux charges to the sender's sk_wmem_alloc for a
// message of `len` bytes (x86-64, 4 KiB pages): a 256-byte sk_buff plus a
// kmalloc'd head of the 64-aligned linear part and the 320-byte
// skb_shared_info, rounded to its kmalloc cache, plus whole pages for the
// paged part. Streams page everything beyond SKB_MAX_HEAD(0) = 3776 bytes
// (unix_stream_sendmsg()), datagrams beyond SKB_MAX_ALLOC = 16064
// (unix_dgram_sendmsg()). Measured on 6.18: 278 messages of 1..192 bytes
// fill the default 212992-byte buffer, 167 of 193..704 bytes, 44 of 4096.
size_t Truesize(int type, size_t len) {
  constexpr size_t kPage = 4096;
  auto page_align = [](size_t n) { return (n + kPage - 1) & ~(kPage - 1); };
  size_t data_len = 0;
  if (type == SOCK_STREAM) {
    if (len > 3776) data_len = std::min(len, page_align(len - 3776));
  } else if (len > 16064) {
    data_len = page_align(std::min<size_t>(len - 16064, 17 * kPage));  // MAX_SKB_FRAGS
  }
  size_t head = ((len - data_len + 63) & ~size_t{63}) + 320;
  size_t slab = 512;  // the smallest head (384 bytes) is in kmalloc-512
  while (slab < head) slab *= 2;
  return 256 + slab + page_align(data_len);
}

// Copies up to `n` bytes from `src` into `dst` starting `dst_off` bytes in.
// Returns the bytes copied.
size_t CopyToIov(vfs::IoVecs dst, size_t dst_off, const uint8_t* src, size_t n) {
  size_t done = 0;
  for (const iovec& v : dst) {
    if (done == n) break;
    if (dst_off >= v.iov_len) {
      dst_off -= v.iov_len;
      continue;
    }
    size_t chunk = std::min(v.iov_len - dst_off, n - done);
    memcpy(static_cast<uint8_t*>(v.iov_base) + dst_off, src + done, chunk);
    done += chunk;
    dst_off = 0;
  }
  return done;
}


}  // namespace

std::vector<uint8_t> GatherIov(vfs::IoVecs src, size_t n) {
  std::vector<uint8_t> out(n);
  size_t done = 0;
  for (const iovec& v : src) {
    if (done == n) break;
    size_t chunk = std::min(v.iov_len, n - done);
    memcpy(out.data() + done, v.iov_base, chunk);
    done += chunk;
  }
  return out;
}

vfs::Stat NewSocketStat(uint32_t uid, uint32_t gid) {
  vfs::Stat st;
  st.dev = kSockFsDev;
  st.ino = g_next_sock_ino.fetch_add(1);
  st.mode = S_IFSOCK | 0777;
  st.nlink = 1;
  st.uid = uid;
  st.gid = gid;
  st.blksize = 4096;
  st.atime = st.mtime = st.ctime = vfs::Now();
  return st;
}

UnixSocket::UnixSocket(int type, int flags, uint32_t uid, uint32_t gid)
    : vfs::FileDescription(vfs::Path{}, O_RDWR | (flags & O_NONBLOCK)), type_(type) {
  stat_ = NewSocketStat(uid, gid);
  // sk_max_ack_backlog starts as net.unix.max_dgram_qlen (unix_create1()).
  max_backlog_ = static_cast<int>(kMaxDgramQlen);
}

std::shared_ptr<UnixSocket> UnixSocket::New(int type, int flags,
                                            const kernel::Credentials& creds) {
  return std::make_shared<UnixSocket>(type, flags, creds.fsuid, creds.fsgid);
}

std::pair<std::shared_ptr<UnixSocket>, std::shared_ptr<UnixSocket>> UnixSocket::NewPair(
    int type, int flags, const kernel::Credentials& creds, const Creds& peer) {
  auto a = New(type, flags, creds);
  auto b = New(type, flags, creds);
  a->peer_ = b;
  b->peer_ = a;
  a->state_ = b->state_ = SockState::kConnected;
  // unix_socketpair(): both sides see the creator (init_peercred()).
  a->peercred = b->peercred = peer;
  a->own_creds = b->own_creds = peer;
  return {std::move(a), std::move(b)};
}

// unix_release_sock().
UnixSocket::~UnixSocket() {
  std::shared_ptr<UnixSocket> peer = peer_.lock();
  if (peer && ConnectionOriented()) {
    peer->shutdown_ = kRcvShutdown | kSendShutdown;
    if (!rx_.empty() || embryo_) peer->err_ = ECONNRESET;
    peer->queue_.Notify(~0u);
    peer->peer_wait_.Notify(~0u);
  }
  // Senders waiting for room here must notice that the socket is gone.
  peer_wait_.Notify(~0u);
  for (auto& w : peer_wakers_)
    if (auto s = w.lock()) s->queue_.Notify(kOutEvents);
  peer_wakers_.clear();
  // Unaccepted connections are released (their clients get ECONNRESET).
  backlog_.clear();
  while (!rx_.empty()) Dequeue();
}

SysResult<Address> UnixSocket::PeerAddress() const {
  if (state_ != SockState::kConnected) return Err(Errno::kENOTCONN);
  if (auto p = peer_.lock()) return p->addr_;
  // A stream peer that closed: Linux still holds it (unix_peer()), and
  // getpeername keeps answering with its name.
  return peer_addr_;
}

SysResult<void> UnixSocket::Listen(int backlog) {
  if (type_ == SOCK_DGRAM) return Err(Errno::kEOPNOTSUPP);
  if (addr_.empty()) return Err(Errno::kEINVAL);
  if (state_ != SockState::kUnconnected && state_ != SockState::kListening)
    return Err(Errno::kEINVAL);
  if (backlog > max_backlog_) peer_wait_.Notify(~0u);
  max_backlog_ = backlog;
  state_ = SockState::kListening;
  queue_.Notify(~0u);
  return {};
}

SysResult<void> UnixSocket::ConnectStream(const std::shared_ptr<UnixSocket>& server,
                                          const Creds& creds,
                                          const kernel::Credentials& kcreds) {
  // unix_stream_connect(): the listener first, then our own state.
  if (server->state_ != SockState::kListening || (server->shutdown_ & kRcvShutdown))
    return Err(Errno::kECONNREFUSED);
  if (server->backlog_.size() > static_cast<size_t>(server->max_backlog_))
    return Err(Errno::kEAGAIN);
  if (state_ == SockState::kConnected) return Err(Errno::kEISCONN);
  if (state_ != SockState::kUnconnected) return Err(Errno::kEINVAL);
  auto conn = std::make_shared<UnixSocket>(type_, 0, kcreds.fsuid, kcreds.fsgid);
  conn->state_ = SockState::kConnected;
  conn->embryo_ = true;
  conn->peer_ = Weak();
  conn->addr_ = server->addr_;
  conn->peercred = creds;
  conn->own_creds = server->own_creds;
  conn->peer_addr_ = addr_;
  peer_ = conn;
  peer_addr_ = server->addr_;
  state_ = SockState::kConnected;
  peercred = server->own_creds;
  server->backlog_.push_back(std::move(conn));
  server->queue_.Notify(kInEvents);
  queue_.Notify(kOutEvents);
  return {};
}

SysResult<void> UnixSocket::ConnectDgram(const std::shared_ptr<UnixSocket>& peer) {
  if (!peer) {
    peer_.reset();
    state_ = SockState::kUnconnected;
    return {};
  }
  // unix_may_send(): a peer connected elsewhere accepts nothing from us.
  if (auto pp = peer->peer_.lock(); pp && pp.get() != this) return Err(Errno::kEPERM);
  peer_ = peer;
  peer_addr_ = peer->addr_;
  state_ = SockState::kConnected;
  queue_.Notify(kOutEvents);
  return {};
}

SysResult<std::shared_ptr<UnixSocket>> UnixSocket::Accept() {
  if (type_ == SOCK_DGRAM) return Err(Errno::kEOPNOTSUPP);
  if (state_ != SockState::kListening) return Err(Errno::kEINVAL);
  if (backlog_.empty()) return Err(Errno::kEAGAIN);
  std::shared_ptr<UnixSocket> s = std::move(backlog_.front());
  backlog_.pop_front();
  s->embryo_ = false;
  // unix_sock_inherit_flags()
  s->passcred = passcred;
  peer_wait_.Notify(~0u);
  return s;
}

SysResult<void> UnixSocket::Shutdown(int how) {
  if (how < SHUT_RD || how > SHUT_RDWR) return Err(Errno::kEINVAL);
  int mode = (how + 1) & (kRcvShutdown | kSendShutdown);
  shutdown_ |= mode;
  queue_.Notify(~0u);
  peer_wait_.Notify(~0u);
  std::shared_ptr<UnixSocket> peer = peer_.lock();
  if (peer && ConnectionOriented()) {
    int peer_mode = 0;
    if (mode & kRcvShutdown) peer_mode |= kSendShutdown;
    if (mode & kSendShutdown) peer_mode |= kRcvShutdown;
    peer->shutdown_ |= peer_mode;
    peer->queue_.Notify(~0u);
  }
  return {};
}

int UnixSocket::TakeError() {
  int e = err_;
  err_ = 0;
  return e;
}

void UnixSocket::SendPipe(kernel::Task& t, bool nosignal) {
  if (!nosignal) SendSigpipe(t);
}

int SockBufSize(int val, bool force, int min) {
  uint32_t v = static_cast<uint32_t>(val);
  if (!force) v = std::min<uint32_t>(v, kMaxSockBuf);
  v = std::min<uint32_t>(v, INT32_MAX / 2);
  return std::max<int>(static_cast<int>(v) * 2, min);
}

void SendSigpipe(kernel::Task& t) {
  siginfo_t info{};
  info.si_signo = SIGPIPE;
  info.si_code = SI_USER;
  info.si_pid = t.tgid();
  info.si_uid = t.creds().ruid;
  t.SendSignal(info);
}

bool UnixSocket::RecvQueueFull() const {
  size_t n = state_ == SockState::kListening ? backlog_.size() : rx_.size();
  return n > static_cast<size_t>(max_backlog_);
}

bool UnixSocket::Writable() const {
  return state_ != SockState::kListening && wmem_ * 4 <= static_cast<size_t>(sndbuf);
}

void UnixSocket::Enqueue(UnixSocket& to, Message m) {
  m.sender = Weak();
  m.from = addr_;
  wmem_ += m.charge;
  to.rx_bytes_ += m.remaining();
  to.rx_.push_back(std::move(m));
  to.queue_.Notify(kInEvents);
}

SysResult<size_t> UnixSocket::Send(kernel::Task& t, vfs::IoVecs src, SendExtras& extras,
                                   const std::shared_ptr<UnixSocket>& to) {
  size_t len = vfs::TotalLength(src);
  std::shared_ptr<UnixSocket> target;
  if (type_ == SOCK_STREAM) {
    // unix_stream_sendmsg()
    if (state_ != SockState::kConnected) return Err(Errno::kENOTCONN);
    target = peer_.lock();
    if ((shutdown_ & kSendShutdown) || !target || (target->shutdown_ & kRcvShutdown)) {
      SendPipe(t, extras.nosignal);
      return Err(Errno::kEPIPE);
    }
    // Nothing is sent for an empty write, not even the rights.
    if (len == 0) return 0;
    // sock_alloc_send_pskb(): wait while the send buffer is full; one
    // message takes at most half of it (unix_stream_sendmsg()).
    if (wmem_ >= static_cast<size_t>(sndbuf)) return Err(Errno::kEAGAIN);
    len = std::min(len, static_cast<size_t>(sndbuf / 2 - 64));
  } else {
    // unix_dgram_sendmsg() (unix_seqpacket_sendmsg() for SOCK_SEQPACKET,
    // which ignores any address).
    if (type_ == SOCK_SEQPACKET) {
      if (state_ != SockState::kConnected) return Err(Errno::kENOTCONN);
      target = peer_.lock();
      if (!target) return Err(Errno::kEPIPE);
    } else if (to) {
      target = to;
    } else {
      if (state_ != SockState::kConnected) return Err(Errno::kENOTCONN);
      target = peer_.lock();
      if (!target) {
        // The peer was closed: unix_dgram_sendmsg() disconnects.
        peer_.reset();
        state_ = SockState::kUnconnected;
        return Err(Errno::kECONNREFUSED);
      }
    }
    if (len + kDgramOverhead > static_cast<size_t>(sndbuf)) return Err(Errno::kEMSGSIZE);
    if (auto tp = target->peer_.lock(); tp && tp.get() != this) return Err(Errno::kEPERM);
    // No SIGPIPE on this path, unlike streams.
    if ((shutdown_ & kSendShutdown) || (target->shutdown_ & kRcvShutdown))
      return Err(Errno::kEPIPE);
    // A full receive queue blocks senders other than its own peer.
    if (target.get() != this && target->peer_.lock().get() != this &&
        target->RecvQueueFull()) {
      target->AddWaker(*this);
      return Err(Errno::kEAGAIN);
    }
    if (wmem_ >= static_cast<size_t>(sndbuf)) return Err(Errno::kEAGAIN);
  }
  Message m;
  m.data = GatherIov(src, len);
  m.charge = Truesize(type_, len);
  m.rights = std::move(extras.rights);
  extras.rights.clear();
  if (extras.creds) {
    m.creds = extras.creds;
  } else if (passcred || target->passcred) {
    // maybe_add_creds(): the sender's tgid and real ids.
    m.creds = Creds{t.tgid(), t.creds().ruid, t.creds().rgid};
  }
  Enqueue(*target, std::move(m));
  return len;
}

std::weak_ptr<UnixSocket> UnixSocket::Weak() {
  return std::static_pointer_cast<UnixSocket>(weak_from_this().lock());
}

void UnixSocket::AddWaker(UnixSocket& s) {
  for (const auto& w : peer_wakers_)
    if (w.lock().get() == &s) return;
  peer_wakers_.push_back(s.Weak());
}

void UnixSocket::Release(Message& m) {
  if (auto s = m.sender.lock()) {
    s->wmem_ -= std::min(s->wmem_, m.charge);
    s->queue_.Notify(kOutEvents);
  }
}

void UnixSocket::Dequeue() {
  Message m = std::move(rx_.front());
  rx_.pop_front();
  rx_bytes_ -= std::min(rx_bytes_, m.remaining());
  Release(m);
  peer_wait_.Notify(kOutEvents);
  std::vector<std::weak_ptr<UnixSocket>> wakers;
  wakers.swap(peer_wakers_);
  for (auto& w : wakers)
    if (auto s = w.lock()) s->queue_.Notify(kOutEvents);
}

SysResult<bool> UnixSocket::Recv(vfs::IoVecs dst, int flags, RecvState& st, bool* eof) {
  bool peek = flags & MSG_PEEK;
  size_t room = vfs::TotalLength(dst);
  if (eof) *eof = false;
  if (type_ != SOCK_STREAM) {
    // unix_dgram_recvmsg()
    if (rx_.empty()) {
      if (eof) *eof = (shutdown_ & kRcvShutdown) != 0;
      return false;
    }
    Message& m = rx_.front();
    size_t n = CopyToIov(dst, 0, m.data.data(), std::min(room, m.data.size()));
    st.copied = n;
    st.msg_len = m.data.size();
    st.truncated = m.data.size() > room;
    st.have_from = true;
    st.from = m.from;
    st.creds = m.creds;
    if (peek) {
      st.rights = m.rights;
    } else {
      st.rights = std::move(m.rights);
      Dequeue();
    }
    return true;
  }
  // unix_stream_read_generic()
  size_t skip = peek ? st.copied : 0;
  size_t filled = 0;
  size_t i = 0;
  while (i < rx_.size()) {
    Message& m = rx_[i];
    if (skip >= m.remaining()) {
      skip -= m.remaining();
      ++i;
      continue;
    }
    if (st.check_creds) {
      // Never glue messages from different writers.
      if (m.creds != st.creds) return true;
    } else if (passcred) {
      st.creds = m.creds;
      st.check_creds = true;
    }
    if (!st.have_from) {
      st.have_from = true;
      st.from = m.from;
    }
    size_t chunk = std::min(m.remaining() - skip, room - filled);
    CopyToIov(dst, filled, m.data.data() + m.consumed + skip, chunk);
    filled += chunk;
    st.copied += chunk;
    if (!peek) {
      m.consumed += chunk;
      rx_bytes_ -= std::min(rx_bytes_, chunk);
      bool had_rights = !m.rights.empty();
      if (had_rights) {
        st.rights = std::move(m.rights);
        m.rights.clear();
      }
      if (m.remaining() > 0) return true;  // the buffer is full
      Dequeue();
      if (had_rights) return true;
    } else {
      if (!m.rights.empty()) {
        st.rights = m.rights;
        return true;
      }
      skip = 0;
      ++i;
    }
    if (filled == room) return true;
  }
  if (eof) *eof = (shutdown_ & kRcvShutdown) != 0;
  return false;
}

SysResult<int> UnixSocket::InqLen() const {
  // unix_inq_len()
  if (state_ == SockState::kListening) return Err(Errno::kEINVAL);
  if (type_ != SOCK_DGRAM) return static_cast<int>(rx_bytes_);
  return rx_.empty() ? 0 : static_cast<int>(rx_.front().data.size());
}

// read(2) and write(2) on a socket: recvmsg/sendmsg without flags. Rights
// that arrive with the data are dropped (closed), as Linux does.
SysResult<size_t> UnixSocket::Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) {
  if (type_ == SOCK_STREAM && state_ != SockState::kConnected) return Err(Errno::kEINVAL);
  if (type_ == SOCK_SEQPACKET && state_ != SockState::kConnected) return Err(Errno::kENOTCONN);
  RecvState st;
  bool eof = false;
  bool complete = TRY(Recv(dst, 0, st, &eof));
  if (complete || st.copied > 0) return st.copied;
  if (err_) return Err(FromInt(TakeError()));
  if (eof) return 0;
  return Err(Errno::kEAGAIN);
}

SysResult<size_t> UnixSocket::Write(kernel::Task& t, vfs::IoVecs src, uint64_t off) {
  SendExtras extras;
  return Send(t, src, extras);
}

SysResult<uint64_t> UnixSocket::Ioctl(kernel::Task& t, uint32_t cmd, uint64_t arg) {
  switch (cmd) {
    case SIOCINQ: {  // == FIONREAD
      int n = TRY(InqLen());
      TRY(t.CopyOut(kernel::UserPtr<int>{arg}, n));
      return 0;
    }
    case SIOCOUTQ: {
      TRY(t.CopyOut(kernel::UserPtr<int>{arg}, OutqLen()));
      return 0;
    }
    default:
      return InterfaceIoctl(t, cmd, arg);
  }
}

SysResult<void> UnixSocket::SetStat(const vfs::SetStatRequest& req) {
  return vfs::SetAnonStat(stat_, req);
}

// unix_poll() for SOCK_STREAM.
uint32_t UnixSocket::StreamEvents() const {
  uint32_t ev = 0;
  if (err_) ev |= POLLERR;
  if (shutdown_ == (kRcvShutdown | kSendShutdown)) ev |= POLLHUP;
  if (shutdown_ & kRcvShutdown) ev |= POLLRDHUP | kInEvents;
  if (!rx_.empty() || !backlog_.empty()) ev |= kInEvents;
  if (state_ == SockState::kUnconnected) ev |= POLLHUP;
  if (Writable()) ev |= kOutEvents;
  return ev;
}

// unix_dgram_poll() for SOCK_DGRAM and SOCK_SEQPACKET.
uint32_t UnixSocket::DgramEvents(uint32_t mask) {
  uint32_t ev = 0;
  if (err_) ev |= POLLERR;
  if (shutdown_ & kRcvShutdown) ev |= POLLRDHUP | kInEvents;
  if (shutdown_ == (kRcvShutdown | kSendShutdown)) ev |= POLLHUP;
  if (!rx_.empty() || !backlog_.empty()) ev |= kInEvents;
  if (type_ == SOCK_SEQPACKET && state_ == SockState::kUnconnected) ev |= POLLHUP;
  if (!(mask & kOutEvents)) return ev;
  bool writable = Writable();
  if (writable) {
    std::shared_ptr<UnixSocket> other = peer_.lock();
    if (other && other->peer_.lock().get() != this && other->RecvQueueFull()) {
      // Ask to be told when the peer's queue has room.
      other->AddWaker(*this);
      writable = false;
    }
  }
  if (writable) ev |= kOutEvents;
  return ev;
}

uint32_t UnixSocket::Readiness(uint32_t mask) {
  uint32_t ev = type_ == SOCK_STREAM ? StreamEvents() : DgramEvents(mask);
  return ev & mask;
}

std::string UnixSocket::AnonName() const { return "socket:[" + std::to_string(stat_.ino) + "]"; }

}  // namespace bulwark::fsimpl::socket
