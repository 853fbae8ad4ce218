#include "runtime/cli/lifecycle.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>

#include "base/log.h"
#include "platform/platform.h"
#include "runtime/bundle.h"
#include "runtime/console.h"
#include "runtime/control_client.h"
#include "runtime/fs.h"
#include "runtime/hooks.h"
#include "runtime/version.h"

namespace bulwark::runtime::cli {
namespace {

// Undo actions run in reverse order unless dismissed.
class Undo {
 public:
  ~Undo() {
    if (dismissed_) return;
    for (auto it = actions_.rbegin(); it != actions_.rend(); ++it) (*it)();
  }
  void Add(std::function<void()> f) { actions_.push_back(std::move(f)); }
  void Dismiss() { dismissed_ = true; }

 private:
  std::vector<std::function<void()>> actions_;
  bool dismissed_ = false;
};

Result<UniqueFd> OpenDebugLog(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640));
  if (!fd) return HostError("--debug-log " + path);
  return fd;
}

// The listening SOCK_SEQPACKET socket `control.sock` (0600) in the state
// directory. Bound through /proc/self/fd so that deep state directories do
// not hit sun_path's 108 bytes.
Result<UniqueFd> ListenControl(const std::string& dir) {
  UniqueFd dirfd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd) return HostError("open " + dir);
  UniqueFd sock(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!sock) return HostError("socket");
  std::string name = "/proc/self/fd/" + std::to_string(dirfd.get()) + "/control.sock";
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, name.c_str(), name.size() + 1);
  // The socket file is created 0600 (umask 0177 for the bind).
  mode_t old = ::umask(0177);
  int r = ::bind(sock.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr));
  ::umask(old);
  if (r != 0) return HostError("bind " + dir + "/control.sock");
  if (::listen(sock.get(), 16) != 0) return HostError("listen " + dir + "/control.sock");
  return sock;
}

Result<std::string> TerminalChecks(const CreateOptions& o, const oci::Spec& spec) {
  bool terminal = spec.process.terminal;
  // runc's wording (utils_linux.go).
  if (!o.console_socket.empty() && !terminal) {
    return MakeError("cannot use console socket if runc will not detach or allocate tty",
                     EINVAL);
  }
  if (terminal && o.console_socket.empty()) {
    if (!o.foreground) {
      return MakeError("cannot allocate tty if runc will detach without setting console socket",
                       EINVAL);
    }
    if (!::isatty(0)) {
      return MakeError(
          "process.terminal is true, but there is no --console-socket and the runtime's stdin "
          "is not a terminal",
          ENOTTY);
    }
  }
  if (o.console_socket.empty()) return std::string();
  return AbsolutePath(o.console_socket);
}

std::string HookState(const State& s, Status status) {
  State copy = s;
  copy.status = status;
  return StateToJson(copy);
}

}  // namespace

Result<void> CheckPlatform(const std::string& name) {
  std::vector<std::string> names = platform::Names();
  if (std::find(names.begin(), names.end(), name) != names.end()) return {};
  std::string known;
  for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
  return MakeError("--platform=" + name + ": unknown platform (available: " +
                       (known.empty() ? "none built in" : known) + ")",
                   EINVAL);
}

Result<std::vector<int>> PreservedFds(const std::string& text) {
  int n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p != text.data() + text.size() || n < 0) {
    return MakeError("--preserve-fds: \"" + text + "\" is not a non-negative number", EINVAL);
  }
  if (n > kMaxPreservedFds) {
    return MakeError("--preserve-fds: " + text + " is more than " +
                         std::to_string(kMaxPreservedFds) + " fds",
                     EINVAL);
  }
  std::vector<int> fds;
  for (int fd = 3; fd < 3 + n; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0) {
      return MakeError("--preserve-fds " + text + ": fd " + std::to_string(fd) + " is not open",
                       EBADF);
    }
    fds.push_back(fd);
  }
  return fds;
}

Result<std::string> OneId(std::string_view command, std::string_view usage,
                          const std::vector<std::string>& positional) {
  std::string u = " (usage: bulwark " + std::string(usage) + ")";
  if (positional.empty()) {
    return MakeError(std::string(command) + ": missing container id" + u, EINVAL);
  }
  if (positional.size() > 1) {
    return MakeError(std::string(command) + ": unexpected argument \"" + positional[1] + "\"" + u,
                     EINVAL);
  }
  return positional[0];
}

Result<Container> CreateContainer(const GlobalFlags& flags, const CreateOptions& o) {
  // Everything that can be checked is checked before anything is created.
  TRY(ValidateContainerId(o.id));
  Bundle bundle = TRY(LoadBundle(o.bundle));
  TRY(CheckPlatform(flags.platform));
  std::string root = TRY(AbsolutePath(flags.root));
  std::string pid_file = o.pid_file.empty() ? "" : TRY(AbsolutePath(o.pid_file));
  std::string console_socket = TRY(TerminalChecks(o, bundle.spec));
  if (flags.systemd_cgroup) TRY(CheckSystemd(bundle.spec.linux.cgroups_path));
  UniqueFd debug_log;
  if (!flags.debug_log.empty()) {
    debug_log = TRY(OpenDebugLog(flags.debug_log));
    log::SetComponent("runtime");
    log::SetDebugFd(::fcntl(debug_log.get(), F_DUPFD_CLOEXEC, 3));
  }

  // Declared before `undo`, whose actions use them.
  Container c;
  if (bundle.spec.process.terminal && console_socket.empty()) c.saved_terminal = SavedTerminal::Save(0);
  Cgroups cgroups;
  std::optional<Pty> pty;
  Undo undo;
  c.dir = TRY(StateRoot(root).Create(o.id));
  undo.Add([&c] {
    if (auto r = c.dir.Remove(); !r) {
      fprintf(stderr, "bulwark: warning: %s\n", r.error().message.c_str());
    }
  });
  c.hooks = bundle.spec.hooks;
  State& state = c.state;
  state.oci_version = kSpecVersion;
  state.id = o.id;
  state.status = Status::kCreating;
  state.bundle = bundle.dir;
  state.rootfs = bundle.rootfs;
  state.created = Rfc3339NanoNow();
  state.annotations = bundle.spec.annotations;
  state.hooks_json = HooksToJson(c.hooks);
  TRY(c.dir.Save(state));

  UniqueFd control = TRY(ListenControl(c.dir.path()));

  cgroups = TRY(Cgroups::Create(bundle.spec.linux.cgroups_path, o.id,
                                        bundle.spec.linux.resources));
  undo.Add([&cgroups] {
    if (auto r = cgroups.Remove(); !r) {
      fprintf(stderr, "bulwark: warning: %s\n", r.error().message.c_str());
    }
  });
  state.cgroups = cgroups.dirs();
  state.cgroups_created = cgroups.created();

  if (!console_socket.empty()) pty = TRY(OpenPty());

  SandboxOptions options;
  options.rootfs = bundle.rootfs;
  options.root_readonly = bundle.spec.root.readonly;
  options.gofer_mounts = bundle.gofer_mounts;
  options.config_json = std::move(bundle.config_json);
  options.platform = flags.platform;
  options.strace = flags.strace;
  options.overlay = flags.overlay;
  options.network = flags.network;
  if (const oci::Namespace* ns = bundle.spec.linux.FindNamespace("network"))
    options.netns = ns->path;
  options.debug_log = std::move(debug_log);
  options.die_with_runtime = o.foreground;
  options.child_sigmask = o.child_sigmask;
  options.control_fd = control.get();
  options.preserve_fds = o.preserve_fds;
  if (pty) {
    for (int& fd : options.stdio) fd = pty->replica.get();
  }
  options.cgroup_dirs = cgroups.dirs();
  c.sandbox = TRY(Sandbox::Start(std::move(options)));
  // Sandbox's destructor kills both processes on a failure from here on.
  undo.Add([&c] { c.sandbox.reset(); });
  // Only the sentry may hold the listening socket: once it is gone, a
  // client's connection must fail instead of waiting in the backlog.
  control.reset();
  if (pty) pty->replica.reset();

  state.pid = c.sandbox->pid();
  state.pid_start = TRY(ProcessStartTime(state.pid));
  state.gofer_pid = c.sandbox->gofer_pid();
  if (auto gs = ProcessStartTime(state.gofer_pid)) state.gofer_start = *gs;
  TRY(c.dir.Save(state));

  if (auto ready = control::Ready(ControlDir(c.dir.path())); !ready) {
    // The sentry prints boot errors to the container's stderr as well; the
    // error here is what --log (and so Podman and containerd) sees.
    return std::unexpected(ready.error());
  }
  LOG_DEBUG("sandbox ready: sentry %d, gofer %d", state.pid, state.gofer_pid);

  // prestart (deprecated) and createRuntime run in the runtime's
  // namespaces after the environment exists; createContainer would run in
  // the container's, which a sandbox does not have (see hooks.h).
  TRY(RunHooks("prestart", c.hooks.prestart, HookState(state, Status::kCreating)));
  TRY(RunHooks("createRuntime", c.hooks.create_runtime, HookState(state, Status::kCreating)));
  TRY(RunHooks("createContainer", c.hooks.create_container,
               HookState(state, Status::kCreating)));

  if (pty) TRY(SendConsoleFd(console_socket, pty->master.get()));
  state.status = Status::kCreated;
  TRY(c.dir.Save(state));
  if (!pid_file.empty()) TRY(WriteFileAtomic(pid_file, std::to_string(state.pid), 0644));
  undo.Dismiss();
  return c;
}

Result<Container> OpenContainer(const GlobalFlags& flags, const std::string& id) {
  std::string root = TRY(AbsolutePath(flags.root));
  Container c;
  c.dir = TRY(StateRoot(root).Open(id));
  State stored = TRY(c.dir.Load());
  c.state = CurrentState(std::move(stored));
  c.hooks = TRY(HooksFromJson(c.state.hooks_json));
  return c;
}

Result<void> StartContainer(Container& c) {
  switch (c.state.status) {
    case Status::kCreated:
      break;
    case Status::kStopped:
      return MakeError("cannot start a container that has stopped", EINVAL);
    case Status::kRunning:
      return MakeError("cannot start an already running container", EINVAL);
    default:
      return MakeError("cannot start a container in the " +
                           std::string(StatusName(c.state.status)) + " state",
                       EINVAL);
  }
  if (auto hooks = RunHooks("startContainer", c.hooks.start_container,
                            HookState(c.state, Status::kCreated));
      !hooks) {
    // runtime-spec: a failing startContainer hook stops the container.
    if (auto fd = SignalHostProcess(c.state.pid, c.state.pid_start, SIGKILL); fd && *fd) {
      WaitPidfd(fd->get(), std::chrono::seconds(5));
    }
    return hooks;
  }
  if (auto started = control::Start(ControlDir(c.dir.path())); !started) {
    if (control::IsNotRunning(started.error())) {
      return MakeError("cannot start a container that has stopped", EINVAL);
    }
    return started;
  }
  c.state.status = Status::kRunning;
  TRY(c.dir.Save(c.state));
  RunHooksWarnOnly("poststart", c.hooks.poststart, StateToJson(c.state));
  return {};
}

Result<UniqueFd> SignalHostProcess(int pid, unsigned long long start_time, int sig) {
  if (pid <= 0) return UniqueFd();
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!fd) {
    if (errno == ESRCH) return UniqueFd();
    return HostError("pidfd_open " + std::to_string(pid));
  }
  // The pidfd pins the process; if it is not the one recorded, the pid
  // was recycled and ours is gone.
  if (!ProcessAlive(pid, start_time)) return UniqueFd();
  if (::syscall(SYS_pidfd_send_signal, fd.get(), sig, nullptr, 0) != 0 && errno != ESRCH) {
    return HostError("signal " + std::to_string(pid));
  }
  return fd;
}

std::string ControlDir(const std::string& state_dir) {
  static std::map<std::string, int> short_names;
  struct sockaddr_un addr;
  if (state_dir.size() + sizeof("/control.sock") <= sizeof(addr.sun_path)) return state_dir;
  auto it = short_names.find(state_dir);
  if (it == short_names.end()) {
    int fd = ::open(state_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return state_dir;  // the client reports the failure
    it = short_names.emplace(state_dir, fd).first;
  }
  return "/proc/self/fd/" + std::to_string(it->second);
}

bool WaitPidfd(int pidfd, std::chrono::milliseconds timeout) {
  struct pollfd pfd = {pidfd, POLLIN, 0};
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) return false;
    int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

Result<void> DestroyContainer(Container& c) {
  State& s = c.state;
  if (c.sandbox) {
    c.sandbox->Destroy(std::chrono::seconds(1));
    c.sandbox.reset();
  } else {
    // Not our children any more: kill through pidfds and wait for the
    // exits (the caller, a subreaper, reaps them).
    auto sentry = TRY(SignalHostProcess(s.pid, s.pid_start, SIGKILL));
    if (sentry && !WaitPidfd(sentry.get(), std::chrono::seconds(10))) {
      return MakeError("delete: the sandbox (pid " + std::to_string(s.pid) +
                       ") did not exit after SIGKILL");
    }
    // The gofer exits by itself once the sentry is gone.
    if (ProcessAlive(s.gofer_pid, s.gofer_start)) {
      UniqueFd gofer(static_cast<int>(::syscall(SYS_pidfd_open, s.gofer_pid, 0)));
      if (gofer && !WaitPidfd(gofer.get(), std::chrono::seconds(1))) {
        (void)SignalHostProcess(s.gofer_pid, s.gofer_start, SIGKILL);
        WaitPidfd(gofer.get(), std::chrono::seconds(5));
      }
    }
  }
  Cgroups cgroups = Cgroups::FromDirs(s.cgroups, s.cgroups_created);
  Result<void> result = cgroups.Remove();
  s.status = Status::kStopped;
  s.pid = 0;
  RunHooksWarnOnly("poststop", c.hooks.poststop, StateToJson(s));
  if (auto r = c.dir.Remove(); !r && result) result = r;
  return result;
}

}  // namespace bulwark::runtime::cli
