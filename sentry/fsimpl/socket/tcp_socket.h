// TCP on the sandbox's loopback (tcp(7)); see inet_socket.h for the model.
//
// A connection is two TcpSockets referring to each other weakly; each holds
// the bytes sent to it. Closing one end with unread data (or an unaccepted
// connection dying with its listener) resets the connection as Linux does
// with an RST: the other end gets ECONNRESET after the data it had. Closing
// it otherwise is a FIN: the other end reads EOF, and its first write after
// that is discarded and its next ones fail with EPIPE (the RST an orphaned
// Linux socket answers with).
//
// Guarded by the kernel lock.
#pragma once

#include <deque>
#include <memory>
#include <vector>

#include "sentry/fsimpl/socket/byte_queue.h"
#include "sentry/fsimpl/socket/inet_socket.h"

namespace bulwark::fsimpl::socket {

class TcpSocket : public InetSocket {
 public:
  TcpSocket(int family, int flags, uint32_t uid, uint32_t gid);
  ~TcpSocket() override;

  SysResult<Endpoint> PeerName() const override;
  SysResult<void> Connect(const Endpoint& dst, bool unspec, bool nonblock) override;
  SysResult<void> Listen(int backlog) override;
  SysResult<std::shared_ptr<InetSocket>> Accept() override;
  SysResult<void> Shutdown(int how) override;
  SysResult<size_t> Send(kernel::Task& t, vfs::IoVecs src, const Endpoint* to,
                         bool nosignal) override;
  SysResult<RecvResult> Recv(vfs::IoVecs dst, int flags, size_t peek_skip) override;
  kernel::WaitQueue* ConnectQueue() override { return &backlog_room_; }
  uint32_t Readiness(uint32_t mask) override;

  size_t backlog_len() const { return backlog_.size(); }
  size_t rx_len() const { return rx_.size(); }

 protected:
  SysResult<int> InqLen() const override;

 private:
  std::weak_ptr<TcpSocket> Weak();
  // How many bytes may be queued at `rcv` by `snd`: the receive buffer
  // plus the sender's send buffer, autotuned (4 MiB each, tcp_rmem[2] and
  // tcp_wmem[2]) unless set with SO_RCVBUF/SO_SNDBUF.
  static size_t Window(const TcpSocket& snd, const TcpSocket& rcv);
  bool Writable() const;
  // The other end went away: `rst` for a reset, else a FIN.
  void PeerGone(bool rst);
  // Resets the connection from this side (close with unread data, or a
  // connect to AF_UNSPEC).
  void Abort();

  // The socket layer's view (struct socket's state), which connect(2)
  // consults: a non-blocking connect leaves it connecting until the next
  // connect call or use, as __inet_stream_connect() does.
  enum class SockState { kUnconnected, kConnecting, kConnected };

  std::weak_ptr<TcpSocket> peer_;
  Endpoint peer_addr_;
  SockState sock_state_ = SockState::kUnconnected;
  bool fin_received_ = false;  // the peer shut down its sending side or closed
  bool embryo_ = false;       // in a listener's backlog
  ByteQueue rx_;
  std::deque<std::shared_ptr<TcpSocket>> backlog_;
  int max_backlog_ = 0;
  kernel::WaitQueue backlog_room_;
};

}  // namespace bulwark::fsimpl::socket
