#include "runtime/sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "base/log.h"

namespace bulwark::runtime {
namespace {

constexpr unsigned long kSentryNamespaces =
    CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET;

// Fd numbers in the children (see sentry/boot.h and gofer/gofer_main.h).
constexpr int kGoferSockFd = 3;
constexpr int kSentrySpecFd = 3;
constexpr int kSentryGoferFd = 4;
constexpr int kSentryDebugLogFd = 5;
constexpr int kSentryControlFd = 6;
constexpr int kSentryPreservedFdBase = 10;  // sentry::kPreservedFdBase

Result<std::string> SelfExePath() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n < 0) return HostError("readlink /proc/self/exe");
  return std::string(buf, static_cast<size_t>(n));
}

// A pipe already holding all of `data`, write end closed, so the sentry
// reads it to EOF at its own pace and the runtime never blocks on it.
Result<UniqueFd> PipeWithContent(const std::string& data) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return HostError("pipe");
  UniqueFd r(p[0]), w(p[1]);
  int capacity = ::fcntl(w.get(), F_GETPIPE_SZ);
  if (capacity >= 0 && static_cast<size_t>(capacity) < data.size()) {
    if (data.size() > INT_MAX || ::fcntl(w.get(), F_SETPIPE_SZ, static_cast<int>(data.size())) < 0) {
      return MakeError("config.json: " + std::to_string(data.size()) +
                           " bytes do not fit in the pipe to the sentry",
                       EFBIG);
    }
  }
  std::string_view rest(data);
  while (!rest.empty()) {
    ssize_t n = ::write(w.get(), rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return HostError("write config to the sentry pipe");
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
  return r;
}

// Spawns `o` in the network namespace `netns_fd` (`path` for errors): this
// thread joins it for the clone and returns to its own, as runc's nsexec
// joins the config's namespaces before it forks the container.
Result<Child> SpawnInNetns(const SpawnOptions& o, int netns_fd, const std::string& path) {
  UniqueFd own(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!own) return HostError("open /proc/thread-self/ns/net");
  if (::setns(netns_fd, CLONE_NEWNET) != 0) return HostError("join network namespace " + path);
  auto child = Spawn(o);
  if (::setns(own.get(), CLONE_NEWNET) != 0) {
    // The runtime would go on in the container's namespace: give up.
    if (child) (void)SignalChild(*child, SIGKILL);
    return HostError("return to the runtime's network namespace");
  }
  return child;
}

}  // namespace

std::vector<std::string> GoferArgs(const SandboxOptions& o) {
  std::vector<std::string> args = {"gofer", "--sock-fd=" + std::to_string(kGoferSockFd),
                                   "--root=" + o.rootfs};
  // With the tmpfs overlay the image is only ever read.
  if (o.root_readonly || o.overlay == OverlayMode::kTmpfs) args.push_back("--root-readonly");
  for (const GoferMount& m : o.gofer_mounts) {
    args.push_back("--mount=" + m.source + (m.readonly ? ":ro" : ""));
  }
  return args;
}

std::vector<std::string> SentryArgs(const SandboxOptions& o, bool debug_log) {
  std::vector<std::string> args = {"boot", "--spec-fd=" + std::to_string(kSentrySpecFd),
                                   "--gofer-fd=" + std::to_string(kSentryGoferFd),
                                   "--platform=" + o.platform};
  if (o.strace) args.push_back("--strace");
  args.push_back("--overlay=" + std::string(OverlayModeName(o.overlay)));
  if (o.network != "none") args.push_back("--network=" + o.network);
  if (debug_log) args.push_back("--debug-log-fd=" + std::to_string(kSentryDebugLogFd));
  if (o.control_fd >= 0) args.push_back("--control-fd=" + std::to_string(kSentryControlFd));
  if (o.preserve_fds > 0) args.push_back("--preserve-fds=" + std::to_string(o.preserve_fds));
  return args;
}

Result<Sandbox> Sandbox::Start(SandboxOptions o) {
  Sandbox sb;
  UniqueFd exe(::open("/proc/self/exe", O_PATH | O_CLOEXEC));
  if (!exe) return HostError("open /proc/self/exe");
  std::string exe_path = TRY(SelfExePath());

  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return HostError("socketpair for the gofer");
  }
  UniqueFd gofer_sock(sv[0]), sentry_sock(sv[1]);

  std::vector<UniqueFd> procs;
  for (const std::string& dir : o.cgroup_dirs) {
    UniqueFd fd(::open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return HostError("open " + dir + "/cgroup.procs");
    procs.push_back(std::move(fd));
  }
  SpawnOptions common;
  common.exe_fd = exe.get();
  common.env = ChildEnvironment();
  common.parent_death_signal = o.die_with_runtime ? SIGKILL : 0;
  common.sigmask = o.child_sigmask;
  for (const UniqueFd& fd : procs) common.cgroup_procs_fds.push_back(fd.get());

  SpawnOptions gofer = common;
  gofer.argv = GoferArgs(o);
  gofer.argv.insert(gofer.argv.begin(), exe_path);
  gofer.fds = {{gofer_sock.get(), kGoferSockFd}};
  // Detached, the gofer must not hold the container's stdin and stdout (a
  // client waits for their EOF); its errors still go to stderr.
  UniqueFd null_fd;
  if (!o.die_with_runtime) {
    null_fd = UniqueFd(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!null_fd) return HostError("open /dev/null");
    gofer.fds.emplace_back(null_fd.get(), 0);
    gofer.fds.emplace_back(null_fd.get(), 1);
    // With a terminal the container's stdio are the pty, and the runtime's
    // own stderr is the client's pipe for this command's output (the
    // containerd shim reads it to EOF before it goes on): the gofer must not
    // keep it open either.
    if (o.stdio[2] >= 0) gofer.fds.emplace_back(null_fd.get(), 2);
  }
  // Its own session: terminal signals (^C) meant for the container must not
  // kill the file server under it.
  gofer.new_session = true;
  sb.gofer_ = TRY(Spawn(gofer));
  sb.gofer_pid_ = sb.gofer_.pid;
  gofer_sock.reset();
  LOG_DEBUG("gofer started, pid %d", sb.gofer_pid_);

  UniqueFd spec = TRY(PipeWithContent(o.config_json));
  SpawnOptions sentry = common;
  sentry.argv = SentryArgs(o, o.debug_log.valid());
  sentry.argv.insert(sentry.argv.begin(), exe_path);
  sentry.fds = {{spec.get(), kSentrySpecFd}, {sentry_sock.get(), kSentryGoferFd}};
  if (o.debug_log) sentry.fds.emplace_back(o.debug_log.get(), kSentryDebugLogFd);
  if (o.control_fd >= 0) sentry.fds.emplace_back(o.control_fd, kSentryControlFd);
  for (int i = 0; i < 3; ++i) {
    if (o.stdio[i] >= 0) sentry.fds.emplace_back(o.stdio[i], i);
  }
  for (int i = 0; i < o.preserve_fds; ++i) sentry.fds.emplace_back(3 + i, kSentryPreservedFdBase + i);
  sentry.namespaces = kSentryNamespaces;
  UniqueFd join_netns;
  if (o.network == "host" && !(o.netns && o.netns->empty())) {
    sentry.namespaces &= ~static_cast<unsigned long>(CLONE_NEWNET);
    if (o.netns) {
      join_netns = UniqueFd(::open(o.netns->c_str(), O_RDONLY | O_CLOEXEC));
      if (!join_netns) return HostError("open network namespace " + *o.netns);
    }
  }
  if (join_netns) {
    sb.sentry_ = TRY(SpawnInNetns(sentry, join_netns.get(), *o.netns));
  } else {
    sb.sentry_ = TRY(Spawn(sentry));
  }
  sb.sentry_pid_ = sb.sentry_.pid;
  LOG_DEBUG("sentry started, pid %d", sb.sentry_pid_);
  return sb;
}

Result<void> Sandbox::Signal(int sig) { return SignalChild(sentry_, sig); }

void Sandbox::Release() {
  sentry_ = Child();
  gofer_ = Child();
}

std::optional<int> Sandbox::Poll() {
  if (gofer_.pid >= 0) {
    if (auto st = ReapChild(gofer_, false); st && *st) {
      LOG_DEBUG("gofer %d exited, wait status %#x", gofer_pid_, **st);
    }
  }
  if (!sentry_status_ && sentry_.pid >= 0) {
    if (auto st = ReapChild(sentry_, false); st && *st) sentry_status_ = **st;
  }
  return sentry_status_;
}

int Sandbox::Wait() {
  if (!sentry_status_ && sentry_.pid >= 0) {
    if (auto st = ReapChild(sentry_, true); st && *st) sentry_status_ = **st;
  }
  return sentry_status_.value_or(W_EXITCODE(1, 0));
}

void Sandbox::Destroy(std::chrono::milliseconds gofer_grace) {
  if (sentry_.pid >= 0) {
    (void)SignalChild(sentry_, SIGKILL);
    if (auto st = ReapChild(sentry_, true); st && *st) sentry_status_ = **st;
  }
  if (gofer_.pid >= 0) {
    if (gofer_grace.count() > 0) {
      struct pollfd pfd = {gofer_.pidfd.get(), POLLIN, 0};
      auto deadline = std::chrono::steady_clock::now() + gofer_grace;
      for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
        if (r > 0 || (r < 0 && errno != EINTR)) break;
      }
    }
    (void)SignalChild(gofer_, SIGKILL);
    (void)ReapChild(gofer_, true);
  }
}

}  // namespace bulwark::runtime
