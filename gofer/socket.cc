#include "gofer/socket.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace bulwark::gofer {
namespace {

// Room for a few fds so that a peer sending several is detected and all of
// them are closed; the kernel drops (and releases) whatever does not fit.
constexpr size_t kMaxFdsAccepted = 8;

}  // namespace

SysResult<Received> RecvMessage(int sock, std::span<uint8_t> buf) {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsAccepted)];
  iovec iov{buf.data(), buf.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Err(HostErrno());

  Received r;
  r.len = static_cast<size_t>(n);
  r.eof = n == 0;
  r.truncated = (msg.msg_flags & MSG_TRUNC) != 0;
  r.extra_fds = (msg.msg_flags & MSG_CTRUNC) != 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      // SAFETY: the kernel wrote `count` ints after the cmsg header, inside
      // `control`; memcpy avoids an unaligned int read.
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (!r.fd.valid()) {
        r.fd.reset(fd);
      } else {
        ::close(fd);
        r.extra_fds = true;
      }
    }
  }
  // A message with fds and no bytes is not an EOF.
  if (r.fd.valid()) r.eof = false;
  return r;
}

SysResult<void> SendMessage(int sock, std::span<const uint8_t> msg, int fd) {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  iovec iov{const_cast<uint8_t*>(msg.data()), msg.size()};
  msghdr hdr{};
  hdr.msg_iov = &iov;
  hdr.msg_iovlen = 1;
  if (fd >= 0) {
    hdr.msg_control = control;
    hdr.msg_controllen = sizeof(control);
    cmsghdr* c = CMSG_FIRSTHDR(&hdr);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    // SAFETY: `control` has CMSG_SPACE(sizeof(int)) bytes for this one cmsg.
    std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  ssize_t n;
  do {
    n = ::sendmsg(sock, &hdr, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Err(HostErrno());
  // SOCK_SEQPACKET sends whole messages or fails.
  if (static_cast<size_t>(n) != msg.size()) return Err(Errno::kEIO);
  return {};
}

}  // namespace bulwark::gofer
