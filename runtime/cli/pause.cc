// `bulwark pause ID` / `bulwark resume ID`: every task in the sandbox
// stops / continues (the sentry freezes them; no host freezer cgroup).
#include "runtime/cli/cli.h"
#include "runtime/cli/lifecycle.h"
#include "runtime/control_client.h"

namespace bulwark::runtime::cli {
namespace {

int PauseOrResume(Invocation& inv, bool pause) {
  const Command& cmd = FindCommand(pause ? "pause" : "resume");
  FlagSet flags;
  auto parsed = ParseCommandArgs(inv, cmd, flags);
  if (!parsed) return Fail(inv.flags, parsed.error());
  if (parsed->help) return 0;
  auto id = OneId(cmd.name, cmd.usage, parsed->positional);
  if (!id) return Fail(inv.flags, id.error());
  auto c = OpenContainer(inv.flags, *id);
  if (!c) return Fail(inv.flags, c.error());
  // runc's wording (libcontainer: ErrNotRunning / ErrNotPaused).
  if (pause && c->state.status != Status::kRunning) {
    return Fail(inv.flags, Error{EINVAL, "container not running"});
  }
  if (!pause && c->state.status != Status::kPaused) {
    return Fail(inv.flags, Error{EINVAL, "container not paused"});
  }
  auto r = pause ? control::Pause(ControlDir(c->dir.path())) : control::Resume(ControlDir(c->dir.path()));
  if (!r) {
    if (control::IsNotRunning(r.error())) {
      return Fail(inv.flags, Error{ESRCH, "container not running"});
    }
    return Fail(inv.flags, r.error());
  }
  c->state.paused = pause;
  c->state.status = Status::kRunning;  // "paused" is derived from the flag
  if (auto s = c->dir.Save(c->state); !s) return Fail(inv.flags, s.error());
  return 0;
}

}  // namespace

int PauseMain(Invocation& inv) { return PauseOrResume(inv, true); }
int ResumeMain(Invocation& inv) { return PauseOrResume(inv, false); }

}  // namespace bulwark::runtime::cli
