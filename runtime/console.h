// Host pseudo-terminals for `process.terminal: true`, and the hand-over of
// the master side over a `--console-socket` (the runc protocol, see
// shared/design/oci-clients.md §5.6).
#pragma once

#include <termios.h>

#include <optional>
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

// The settings of the user's terminal, put back when this is destroyed.
// With process.terminal and no --console-socket (`run -t`, `exec -t`), the
// sentry's console relay makes the runtime's own terminal raw and restores
// it when the container ends, but a killed sentry restores nothing; runc's
// run and exec likewise put the terminal back on their way out.
class SavedTerminal {
 public:
  // nullopt when `fd` is not a terminal.
  static std::optional<SavedTerminal> Save(int fd);
  SavedTerminal(SavedTerminal&& o) noexcept : fd_(o.fd_), saved_(o.saved_) { o.fd_ = -1; }
  // Restores what this held, then holds what `o` held.
  SavedTerminal& operator=(SavedTerminal&& o) noexcept;
  ~SavedTerminal();

 private:
  SavedTerminal(int fd, const termios& saved) : fd_(fd), saved_(saved) {}
  int fd_;
  termios saved_;
};

// Connects a unix stream socket to `path` (see above for long paths).
Result<UniqueFd> ConnectUnix(const std::string& path, int type);

}  // namespace bulwark::runtime
