// The `bulwark` binary: the OCI runtime CLI, and the sentry and gofer when
// re-executed as `bulwark boot` / `bulwark gofer`.
#include <fcntl.h>
#include <unistd.h>

#include "runtime/cli/cli.h"

namespace {

// Any of fds 0-2 that is closed becomes /dev/null, so that no fd the
// runtime opens later is mistaken for stdio (or handed to the container
// as such).
void EnsureStdio() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) >= 0) continue;
    int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd >= 0 && null_fd != fd) {
      ::dup2(null_fd, fd);
      ::close(null_fd);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  EnsureStdio();
  return bulwark::runtime::cli::Main(argc, argv);
}
