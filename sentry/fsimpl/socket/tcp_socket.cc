#include "sentry/fsimpl/socket/tcp_socket.h"

#include <poll.h>

#include <algorithm>
#include <cstring>

#include "sentry/fsimpl/socket/unix_socket.h"

namespace bulwark::fsimpl::socket {

namespace {

constexpr uint32_t kIn = POLLIN | POLLRDNORM;
constexpr uint32_t kOut = POLLOUT | POLLWRNORM;
// The autotuned buffer sizes (tcp_rmem[2], tcp_wmem[2] are 6 and 4 MiB on
// Linux; smaller here to bound the sentry's memory per connection).
constexpr size_t kAutoBuf = 2 << 20;

}  // namespace

TcpSocket::TcpSocket(int family, int flags, uint32_t uid, uint32_t gid)
    : InetSocket(family, SOCK_STREAM, IPPROTO_TCP, flags, uid, gid) {
  // tcp_wmem[1] and tcp_rmem[1].
  opts.sndbuf = 16384;
  opts.rcvbuf = 131072;
}

// tcp_close(): a FIN, or an RST when data was left unread (RFC 2525), the
// connection was never accepted, or SO_LINGER has a zero timeout.
TcpSocket::~TcpSocket() {
  // Unaccepted connections are reset (inet_csk_listen_stop()).
  backlog_.clear();
  if (state() == InetState::kConnected) {
    if (std::shared_ptr<TcpSocket> peer = peer_.lock()) {
      bool rst = !rx_.empty() || embryo_ ||
                 (opts.lingerv.l_onoff && opts.lingerv.l_linger == 0);
      peer->PeerGone(rst);
    }
  }
  backlog_room_.Notify(~0u);
}

std::weak_ptr<TcpSocket> TcpSocket::Weak() {
  return std::static_pointer_cast<TcpSocket>(weak_from_this().lock());
}

void TcpSocket::PeerGone(bool rst) {
  if (rst) {
    // tcp_reset(): EPIPE in CLOSE_WAIT, else ECONNRESET; the data already
    // received stays readable.
    err_ = fin_received_ ? EPIPE : ECONNRESET;
    shutdown_ = kInetRcvShutdown | kInetSendShutdown;
    set_state(InetState::kClosed);
  } else {
    fin_received_ = true;
    shutdown_ |= kInetRcvShutdown;
  }
  queue_.Notify(~0u);
}

void TcpSocket::Abort() {
  if (std::shared_ptr<TcpSocket> peer = peer_.lock()) peer->PeerGone(true);
  peer_.reset();
  rx_.Clear();
  shutdown_ = 0;
  fin_received_ = false;
  sock_state_ = SockState::kUnconnected;
  set_state(InetState::kClosed);
  queue_.Notify(~0u);
}

SysResult<Endpoint> TcpSocket::PeerName() const {
  if (state() != InetState::kConnected) return Err(Errno::kENOTCONN);
  return peer_addr_;
}

SysResult<void> TcpSocket::Connect(const Endpoint& dst, bool unspec, bool nonblock) {
  if (unspec) {
    // tcp_disconnect()
    if (state() == InetState::kConnected) Abort();
    return {};
  }
  // __inet_stream_connect()
  switch (sock_state_) {
    case SockState::kConnected:
      return Err(Errno::kEISCONN);
    case SockState::kConnecting:
      // The outcome of the earlier non-blocking connect.
      if (state() == InetState::kConnected) {
        sock_state_ = SockState::kConnected;
        return {};
      }
      sock_state_ = SockState::kUnconnected;
      return Err(err_ ? FromInt(TakeError()) : Errno::kECONNABORTED);
    case SockState::kUnconnected:
      if (state() != InetState::kClosed) return Err(Errno::kEISCONN);
      break;
  }
  Endpoint d = TRY(Destination(dst));
  auto* found = PortTable::For(IPPROTO_TCP).Lookup(d, Endpoint{}, /*want_listener=*/true);
  auto* listener = static_cast<TcpSocket*>(found);
  if (!listener) {
    // An RST answers the SYN (tcp_reset() in SYN_SENT).
    if (!nonblock) return Err(Errno::kECONNREFUSED);
    err_ = ECONNREFUSED;
    sock_state_ = SockState::kConnecting;
    queue_.Notify(~0u);
    return Err(Errno::kEINPROGRESS);
  }
  // sk_acceptq_is_full(): a blocking connect waits for room; Linux would
  // retransmit the SYN. Deliberate difference: a non-blocking one is queued
  // beyond the backlog.
  if (!nonblock && listener->backlog_.size() > static_cast<size_t>(listener->max_backlog_))
    return Err(Errno::kEAGAIN);
  if (!bound()) TRY(Autobind());
  Rebind(SourceFor(local(), d));
  vfs::Stat st = *listener->GetStat();
  auto conn = std::make_shared<TcpSocket>(listener->family(), 0, st.uid, st.gid);
  conn->opts = listener->opts;  // inherited by accepted sockets
  Endpoint conn_local = d;
  conn->BindShared(conn_local);
  conn->peer_ = Weak();
  conn->peer_addr_ = local();
  conn->sock_state_ = SockState::kConnected;
  conn->embryo_ = true;
  conn->set_state(InetState::kConnected);
  peer_ = conn;
  peer_addr_ = d;
  set_state(InetState::kConnected);
  listener->backlog_.push_back(std::move(conn));
  listener->queue_.Notify(kIn);
  queue_.Notify(kOut);
  if (nonblock) {
    sock_state_ = SockState::kConnecting;
    return Err(Errno::kEINPROGRESS);
  }
  sock_state_ = SockState::kConnected;
  return {};
}

SysResult<void> TcpSocket::Listen(int backlog) {
  // inet_listen(): only from CLOSE or LISTEN.
  if (sock_state_ != SockState::kUnconnected || state() == InetState::kConnected)
    return Err(Errno::kEINVAL);
  if (state() != InetState::kListening) {
    if (!bound())
      TRY(Autobind());
    else
      TRY(PortTable::For(IPPROTO_TCP).CheckConflict(*this, local(), /*listening=*/true));
    set_state(InetState::kListening);
  }
  max_backlog_ = backlog;
  backlog_room_.Notify(~0u);
  return {};
}

SysResult<std::shared_ptr<InetSocket>> TcpSocket::Accept() {
  if (state() != InetState::kListening) return Err(Errno::kEINVAL);
  if (backlog_.empty()) return Err(Errno::kEAGAIN);
  std::shared_ptr<TcpSocket> conn = std::move(backlog_.front());
  backlog_.pop_front();
  conn->embryo_ = false;
  backlog_room_.Notify(~0u);
  return std::shared_ptr<InetSocket>(std::move(conn));
}

SysResult<void> TcpSocket::Shutdown(int how) {
  // inet_shutdown()
  int mode = how + 1;
  if (how < SHUT_RD || how > SHUT_RDWR) return Err(Errno::kEINVAL);
  switch (state()) {
    case InetState::kConnected:
      shutdown_ |= mode;
      if (mode & kInetSendShutdown) {
        if (std::shared_ptr<TcpSocket> peer = peer_.lock()) peer->PeerGone(false);
      }
      queue_.Notify(~0u);
      return {};
    case InetState::kListening:
      // A listener shut down for reading stops listening (tcp_disconnect()):
      // pending connections are reset, blocked accepts fail with EINVAL.
      if (mode & kInetRcvShutdown) {
        backlog_.clear();
        set_state(InetState::kClosed);
        queue_.Notify(~0u);
        backlog_room_.Notify(~0u);
      }
      return {};
    case InetState::kClosed:
      // ENOTCONN, but the bits are set so that pollers wake up.
      shutdown_ |= mode;
      queue_.Notify(~0u);
      return Err(Errno::kENOTCONN);
  }
  return {};
}

size_t TcpSocket::Window(const TcpSocket& snd, const TcpSocket& rcv) {
  size_t r = rcv.opts.rcvbuf_set ? static_cast<size_t>(rcv.opts.rcvbuf) : kAutoBuf;
  size_t s = snd.opts.sndbuf_set ? static_cast<size_t>(snd.opts.sndbuf) : kAutoBuf;
  return r + s;
}

bool TcpSocket::Writable() const {
  std::shared_ptr<TcpSocket> peer = peer_.lock();
  if (state() != InetState::kConnected || !peer) return true;
  // sk_stream_is_writeable(): with hysteresis, half the window free.
  return peer->rx_.size() <= Window(*this, *peer) / 2;
}

SysResult<size_t> TcpSocket::Send(kernel::Task& t, vfs::IoVecs src, const Endpoint* to,
                                  bool nosignal) {
  // tcp_sendmsg_locked(); the address of a sendto is ignored. EPIPE sends
  // SIGPIPE (sk_stream_error()).
  auto pipe = [&]() -> SysResult<size_t> {
    if (!nosignal) SendSigpipe(t);
    return Err(Errno::kEPIPE);
  };
  if (state() != InetState::kConnected) {
    // sk_stream_wait_connect()
    if (err_) {
      int e = TakeError();
      if (e == EPIPE) return pipe();
      return Err(FromInt(e));
    }
    return pipe();
  }
  if (err_ || (shutdown_ & kInetSendShutdown)) {
    int e = err_ ? TakeError() : EPIPE;
    if (e == EPIPE) return pipe();
    return Err(FromInt(e));
  }
  size_t len = vfs::TotalLength(src);
  if (len == 0) return 0;
  std::shared_ptr<TcpSocket> peer = peer_.lock();
  if (!peer) {
    // The peer closed: the data is lost and its RST makes the next send
    // fail (tcp_reset() in CLOSE_WAIT).
    PeerGone(true);
    return len;
  }
  size_t win = Window(*this, *peer);
  size_t used = peer->rx_.size();
  if (used >= win) return Err(Errno::kEAGAIN);
  size_t n = std::min(len, win - used);
  peer->rx_.Push(src, n);
  peer->queue_.Notify(kIn);
  return n;
}

SysResult<InetSocket::RecvResult> TcpSocket::Recv(vfs::IoVecs dst, int flags,
                                                  size_t peek_skip) {
  // tcp_recvmsg_locked()
  if (state() == InetState::kListening) return Err(Errno::kENOTCONN);
  bool peek = flags & MSG_PEEK;
  size_t skip = peek ? peek_skip : 0;
  RecvResult r;
  if (rx_.size() > skip) {
    std::shared_ptr<TcpSocket> peer = peer_.lock();
    size_t before = rx_.size();
    r.n = rx_.Pop(dst, skip, peek);
    if (peer && !peek) {
      size_t half = Window(*peer, *this) / 2;
      if (before > half && rx_.size() <= half) peer->queue_.Notify(kOut);
    }
    return r;
  }
  if (err_) return Err(FromInt(TakeError()));
  if (shutdown_ & kInetRcvShutdown) return r;
  if (state() != InetState::kConnected) return Err(Errno::kENOTCONN);
  return Err(Errno::kEAGAIN);
}

SysResult<int> TcpSocket::InqLen() const {
  if (state() == InetState::kListening) return Err(Errno::kEINVAL);
  return static_cast<int>(rx_.size());
}

// tcp_poll()
uint32_t TcpSocket::Readiness(uint32_t mask) {
  if (state() == InetState::kListening) return backlog_.empty() ? 0 : (kIn & mask);
  uint32_t ev = 0;
  if (shutdown_ == (kInetRcvShutdown | kInetSendShutdown) || state() == InetState::kClosed)
    ev |= POLLHUP;
  if (shutdown_ & kInetRcvShutdown) ev |= kIn | POLLRDHUP;
  if (!rx_.empty()) ev |= kIn;
  if ((shutdown_ & kInetSendShutdown) || Writable()) ev |= kOut;
  if (err_) ev |= POLLERR;
  return ev & mask;
}

}  // namespace bulwark::fsimpl::socket
