// `bulwark run [--bundle DIR] [--pid-file FILE] ID`: creates the container,
// runs it in the foreground forwarding signals, and exits with its status
// (128+N when it died by signal N). Nothing is left behind in any path.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "base/log.h"
#include "base/unique_fd.h"
#include "platform/platform.h"
#include "runtime/bundle.h"
#include "runtime/cli/cli.h"
#include "runtime/fs.h"
#include "runtime/sandbox.h"
#include "runtime/signals.h"
#include "runtime/state.h"
#include "runtime/version.h"

namespace bulwark::runtime::cli {
namespace {

struct RunRequest {
  std::string id;
  std::string bundle = ".";
  std::string pid_file;
};

// Removes the container's state directory when `run` returns, whichever way.
class RemoveOnExit {
 public:
  explicit RemoveOnExit(ContainerDir& dir) : dir_(dir) {}
  ~RemoveOnExit() {
    if (auto r = dir_.Remove(); !r) {
      fprintf(stderr, "bulwark: warning: %s\n", r.error().message.c_str());
    }
  }

 private:
  ContainerDir& dir_;
};

Result<void> CheckPlatform(const std::string& name) {
  std::vector<std::string> names = platform::Names();
  if (std::find(names.begin(), names.end(), name) != names.end()) return {};
  std::string known;
  for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
  return MakeError("--platform=" + name + ": unknown platform (available: " +
                       (known.empty() ? "none built in" : known) + ")",
                   EINVAL);
}

Result<UniqueFd> OpenDebugLog(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640));
  if (!fd) return HostError("--debug-log " + path);
  return fd;
}

Result<int> Run(const GlobalFlags& flags, const RunRequest& req) {
  // Everything that can be checked is checked before anything is created.
  TRY(ValidateContainerId(req.id));
  Bundle bundle = TRY(LoadBundle(req.bundle));
  TRY(CheckPlatform(flags.platform));
  std::string root = TRY(AbsolutePath(flags.root));
  std::string pid_file = req.pid_file.empty() ? "" : TRY(AbsolutePath(req.pid_file));
  UniqueFd debug_log;
  if (!flags.debug_log.empty()) {
    debug_log = TRY(OpenDebugLog(flags.debug_log));
    log::SetComponent("runtime");
    log::SetDebugFd(::fcntl(debug_log.get(), F_DUPFD_CLOEXEC, 3));
  }

  // From here on a signal waits for the sentry instead of killing the
  // runtime half-way through setup.
  SignalForwarder forwarder;
  ContainerDir dir = TRY(StateRoot(root).Create(req.id));
  RemoveOnExit remove_state(dir);

  State state;
  state.oci_version = kSpecVersion;
  state.id = req.id;
  state.status = Status::kCreating;
  state.bundle = bundle.dir;
  state.rootfs = bundle.rootfs;
  state.created = Rfc3339NanoNow();
  state.annotations = bundle.spec.annotations;
  TRY(dir.Save(state));

  SandboxOptions options;
  options.rootfs = bundle.rootfs;
  options.root_readonly = bundle.spec.root.readonly;
  options.gofer_mounts = bundle.gofer_mounts;
  options.config_json = std::move(bundle.config_json);
  options.platform = flags.platform;
  options.strace = flags.strace;
  options.overlay = flags.overlay;
  options.debug_log = std::move(debug_log);
  options.die_with_runtime = true;
  options.child_sigmask = forwarder.original_mask();
  Sandbox sandbox = TRY(Sandbox::Start(std::move(options)));

  state.pid = sandbox.pid();
  state.status = Status::kRunning;
  TRY(dir.Save(state));
  if (!pid_file.empty()) TRY(WriteFileAtomic(pid_file, std::to_string(sandbox.pid()), 0644));

  int status = forwarder.ForwardUntilExit(sandbox);
  LOG_DEBUG("sentry %d exited, wait status %#x", sandbox.pid(), status);
  sandbox.Destroy(std::chrono::seconds(1));
  return ExitCodeFromWaitStatus(status);
}

}  // namespace

int RunMain(Invocation& inv) {
  const Command& cmd = FindCommand("run");
  RunRequest req;
  FlagSet flags;
  flags.String("bundle", &req.bundle, "bundle directory (default .)", 'b', "DIR");
  flags.String("pid-file", &req.pid_file, "write the sandbox's host pid to FILE", 0, "FILE");
  bool detach = false, no_pivot = false, no_new_keyring = false;
  std::string console_socket, preserve_fds = "0";
  flags.Bool("detach", &detach, "not supported yet: use create and start", 'd');
  flags.String("console-socket", &console_socket, "not supported yet", 0, "PATH");
  flags.String("preserve-fds", &preserve_fds, "not supported yet (only 0)", 0, "N");
  flags.Bool("no-pivot", &no_pivot, "accepted for runc compatibility");
  flags.Bool("no-new-keyring", &no_new_keyring, "accepted for runc compatibility");

  auto parsed = ParseCommandArgs(inv, cmd, flags);
  if (!parsed) return Fail(inv.flags, parsed.error());
  if (parsed->help) return 0;
  std::string usage = " (usage: bulwark " + std::string(cmd.usage) + ")";
  if (parsed->positional.empty()) {
    return Fail(inv.flags, Error{EINVAL, "run: missing container id" + usage});
  }
  if (parsed->positional.size() > 1) {
    return Fail(inv.flags, Error{EINVAL, "run: unexpected argument \"" +
                                             parsed->positional[1] + "\"" + usage});
  }
  // TODO(#3): detached run, terminals and preserved fds.
  if (detach) return Fail(inv.flags, Error{EINVAL, "run --detach: not supported yet"});
  if (!console_socket.empty()) {
    return Fail(inv.flags, Error{EINVAL, "run --console-socket: not supported yet"});
  }
  if (preserve_fds != "0") {
    return Fail(inv.flags, Error{EINVAL, "run --preserve-fds: not supported yet"});
  }
  req.id = parsed->positional[0];

  auto code = Run(inv.flags, req);
  if (!code) return Fail(inv.flags, code.error());
  return *code;
}

}  // namespace bulwark::runtime::cli
