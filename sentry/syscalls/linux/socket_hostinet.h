// The socket syscalls on host-backed internet sockets (--network=host,
// fsimpl/socket/host_inet_socket.h): socket_inet.cc hands them here. The
// host checks addresses and options; the sentry does the blocking (waiting
// on the socket's queue, woken by the host fd notifier), SO_RCVTIMEO/
// SO_SNDTIMEO, MSG_DONTWAIT/MSG_WAITALL and SIGPIPE.
#pragma once

#include <fcntl.h>
#include <sys/socket.h>

#include <optional>
#include <vector>

#include "sentry/fsimpl/socket/host_inet_socket.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/socket_util.h"
#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls::sock {

using fsimpl::socket::HostInetSocket;
using fsimpl::socket::InetSocket;

// The blocking send loop of internet sockets, loopback (InetSend) and host:
// `attempt(src, done)` makes one try with what is left of `iov` (`done`
// bytes went already) and returns the bytes taken or EAGAIN. A datagram
// goes whole or not at all; a stream until everything went, an error, or
// (non-blocking, SO_SNDTIMEO) EAGAIN after a partial send.
template <typename F>
SysResult<size_t> InetSendLoop(Task& t, fsimpl::socket::InetSocket& s,
                               const std::vector<iovec>& iov, int flags, F&& attempt) {
  bool stream = s.type() == SOCK_STREAM;
  bool nonblock = (s.flags() & O_NONBLOCK) || (flags & MSG_DONTWAIT);
  std::optional<timespec> deadline = DeadlineOf(s.opts.sndtimeo);
  size_t total = vfs::TotalLength(iov);
  size_t done = 0;
  auto partial = [&](Errno e) { return done > 0 ? SysResult<size_t>(done) : Err(e); };
  for (;;) {
    auto src = TranslateUserIov(t, iov, done, /*write=*/false);
    if (!src) return partial(src.error());
    if (!stream && vfs::TotalLength(*src) < total) return Err(Errno::kEFAULT);
    SysResult<size_t> r = attempt(*src, done);
    if (r) {
      done += *r;
      if (!stream || done >= total) return done;
      continue;
    }
    if (r.error() != Errno::kEAGAIN || nonblock) return partial(r.error());
    auto w = Wait(t, {s.Queue()}, fsimpl::socket::kWriteEvents, deadline);
    if (!w) return partial(w.error());
  }
}

// The host-backed socket behind `s`, or null (a loopback socket).
HostInetSocket* AsHostInet(fsimpl::socket::InetSocket& s);

SysResult<void> HostInetBind(Task& t, HostInetSocket& s, UserPtr<uint8_t> addr, int addrlen);
SysResult<int> HostInetAccept(Task& t, HostInetSocket& s, UserPtr<uint8_t> addr,
                              UserPtr<int> addrlen, int flags);
// A blocking connect waits for the host's handshake (SO_SNDTIMEO: then
// EINPROGRESS, as Linux) and returns its SO_ERROR.
SysResult<void> HostInetConnect(Task& t, HostInetSocket& s, UserPtr<uint8_t> addr, int addrlen);
SysResult<void> HostInetName(Task& t, HostInetSocket& s, bool peer, UserPtr<uint8_t> addr,
                             UserPtr<int> addrlen);
// As InetSend/InetRecv (socket_util.h). MSG_PEEK returns what one peek
// finds (no waiting for MSG_WAITALL or SO_RCVLOWAT); MSG_ERRQUEUE finds
// nothing (IP_RECVERR is not relayed).
SysResult<size_t> HostInetSend(Task& t, HostInetSocket& s, const std::vector<iovec>& iov,
                               int flags, const std::vector<uint8_t>& raw_addr,
                               const InetSocket::SendHeader& header);
SysResult<size_t> HostInetRecv(Task& t, HostInetSocket& s, const std::vector<iovec>& iov,
                               int flags, std::vector<uint8_t>& from, bool& truncated,
                               InetSocket::RecvResult* header);

}  // namespace bulwark::syscalls::sock
