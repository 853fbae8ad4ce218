// Message I/O on a SOCK_SEQPACKET socket, with at most one donated fd.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/result.h"
#include "base/unique_fd.h"

namespace bulwark::gofer {

struct Received {
  size_t len = 0;
  bool eof = false;        // the peer closed (or sent a zero-length message)
  bool truncated = false;  // longer than the buffer (MSG_TRUNC)
  UniqueFd fd;             // the first fd of SCM_RIGHTS, if any (O_CLOEXEC)
  bool extra_fds = false;  // more fds came, or some were dropped; all closed
};

// Receives one message, retrying on EINTR. Fds beyond the first are closed.
SysResult<Received> RecvMessage(int sock, std::span<uint8_t> buf);

// Sends one message, with `fd` in SCM_RIGHTS when it is >= 0 (the caller
// keeps ownership). Never raises SIGPIPE; retries on EINTR.
SysResult<void> SendMessage(int sock, std::span<const uint8_t> msg, int fd = -1);

}  // namespace bulwark::gofer
