// `bulwark kill [--all] ID [SIGNAL]`: sends a signal (default SIGTERM) to
// the container's init, or with --all to every process in the sandbox.
#include <csignal>

#include "runtime/cli/cli.h"
#include "runtime/cli/lifecycle.h"
#include "runtime/control_client.h"
#include "runtime/fs.h"
#include "runtime/signals.h"

namespace bulwark::runtime::cli {

int KillMain(Invocation& inv) {
  const Command& cmd = FindCommand("kill");
  bool all = false;
  FlagSet flags;
  flags.Bool("all", &all, "send the signal to every process in the container", 'a');
  auto parsed = ParseCommandArgs(inv, cmd, flags);
  if (!parsed) return Fail(inv.flags, parsed.error());
  if (parsed->help) return 0;
  auto& pos = parsed->positional;
  std::string usage = " (usage: bulwark " + std::string(cmd.usage) + ")";
  if (pos.empty()) return Fail(inv.flags, Error{EINVAL, "kill: missing container id" + usage});
  if (pos.size() > 2) {
    return Fail(inv.flags, Error{EINVAL, "kill: unexpected argument \"" + pos[2] + "\"" + usage});
  }
  int sig = SIGTERM;
  if (pos.size() == 2) {
    auto s = ParseSignal(pos[1]);
    if (!s) return Fail(inv.flags, s.error());
    sig = *s;
  }
  auto root = AbsolutePath(inv.flags.root);
  if (!root) return Fail(inv.flags, root.error());
  auto stored = StateRoot(*root).Read(pos[0]);
  if (!stored) return Fail(inv.flags, stored.error());
  State s = CurrentState(std::move(*stored));
  // runc: a stopped container is an error for a plain kill (the words
  // containerd maps to NotFound) and nothing to do for --all.
  if (s.status == Status::kStopped || s.status == Status::kCreating) {
    if (all) return 0;
    return Fail(inv.flags, Error{ESRCH, "container not running"});
  }
  std::string dir = StateRoot(*root).DirOf(pos[0]);
  Result<void> r;
  if (sig == SIGKILL && !all) {
    // Init's death ends the sandbox; killing the sentry directly also works
    // when the sandbox is paused or its control thread is stuck.
    if (auto fd = SignalHostProcess(s.pid, s.pid_start, SIGKILL); !fd) r = std::unexpected(fd.error());
  } else {
    r = control::Signal(ControlDir(dir), sig, all);
  }
  if (!r) {
    if (control::IsNotRunning(r.error())) {
      if (all) return 0;
      return Fail(inv.flags, Error{ESRCH, "container not running"});
    }
    return Fail(inv.flags, r.error());
  }
  return 0;
}

}  // namespace bulwark::runtime::cli
