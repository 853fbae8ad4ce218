#include "runtime/console.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bulwark::runtime {

Result<Pty> OpenPty() {
  Pty pty;
  pty.master = UniqueFd(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.master) return HostError("open /dev/ptmx");
  if (::grantpt(pty.master.get()) != 0) return HostError("grantpt");
  if (::unlockpt(pty.master.get()) != 0) return HostError("unlockpt");
  char name[128];
  if (::ptsname_r(pty.master.get(), name, sizeof(name)) != 0) return HostError("ptsname");
  pty.replica = UniqueFd(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.replica) return HostError(std::string("open ") + name);
  return pty;
}

std::optional<SavedTerminal> SavedTerminal::Save(int fd) {
  termios t;
  if (::tcgetattr(fd, &t) != 0) return std::nullopt;
  return SavedTerminal(fd, t);
}

SavedTerminal::~SavedTerminal() {
  // TCSADRAIN: what the container wrote reaches the screen in the mode it
  // was written for. A hung-up terminal fails; nothing to restore then.
  if (fd_ >= 0) (void)::tcsetattr(fd_, TCSADRAIN, &saved_);
}

SavedTerminal& SavedTerminal::operator=(SavedTerminal&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) (void)::tcsetattr(fd_, TCSADRAIN, &saved_);
    fd_ = o.fd_;
    saved_ = o.saved_;
    o.fd_ = -1;
  }
  return *this;
}

Result<UniqueFd> ConnectUnix(const std::string& path, int type) {
  UniqueFd sock(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  if (!sock) return HostError("socket");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::string target = path;
  UniqueFd dir;
  if (target.size() >= sizeof(addr.sun_path)) {
    size_t slash = path.rfind('/');
    std::string parent = slash == std::string::npos ? "." : path.substr(0, slash);
    dir = UniqueFd(::open(parent.empty() ? "/" : parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return HostError("open " + parent);
    target = "/proc/self/fd/" + std::to_string(dir.get()) + "/" + path.substr(slash + 1);
    if (target.size() >= sizeof(addr.sun_path)) {
      return MakeError("connect " + path + ": socket name too long", ENAMETOOLONG);
    }
  }
  memcpy(addr.sun_path, target.c_str(), target.size() + 1);
  int r;
  do {
    r = ::connect(sock.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr));
  } while (r != 0 && errno == EINTR);
  if (r != 0) return HostError("connect " + path);
  return sock;
}

Result<void> SendConsoleFd(const std::string& path, int fd) {
  UniqueFd sock = TRY(ConnectUnix(path, SOCK_STREAM));
  static const char kPayload[] = "/dev/ptmx";
  struct iovec iov = {const_cast<char*>(kPayload), sizeof(kPayload) - 1};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  ssize_t n;
  do {
    n = ::sendmsg(sock.get(), &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return HostError("send the pty master to --console-socket " + path);
  return {};
}

}  // namespace bulwark::runtime
