// Host pseudo-terminals for `process.terminal: true`, and the hand-over of
// the master side over a `--console-socket` (the runc protocol, see
// shared/design/oci-clients.md §5.6).
#pragma once

#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace bulwark::runtime {

struct Pty {
  UniqueFd master;
  UniqueFd replica;  // opened O_NOCTTY: the runtime never takes it as its own
};

// A new pty pair from the host's /dev/ptmx. The sandbox gets the replica as
// its stdio; the sentry emulates the controlling terminal and job control.
Result<Pty> OpenPty();

// Connects to the AF_UNIX SOCK_STREAM socket at `path` and sends `fd` in one
// sendmsg: exactly one SCM_RIGHTS message with one fd and the payload
// "/dev/ptmx" (what runc sends; conmon and go-runc check the cmsg sizes).
// Does not wait for the receiver: containerd accepts only after the runtime
// has exited. Paths longer than sun_path are reached through
// /proc/self/fd/N of their directory.
Result<void> SendConsoleFd(const std::string& path, int fd);

// Connects a unix stream socket to `path` (see above for long paths).
Result<UniqueFd> ConnectUnix(const std::string& path, int type);

}  // namespace bulwark::runtime
