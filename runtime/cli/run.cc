// `bulwark run [--bundle DIR] [--pid-file FILE] [-d] [--console-socket P]
// ID`: create + start. In the foreground it forwards signals and exits with
// the container's status (128+N when it died by signal N), and removes
// everything when the container exits. With --detach it returns once the
// container runs, like create + start.
#include <unistd.h>

#include <cstdio>

#include "base/log.h"
#include "runtime/cli/cli.h"
#include "runtime/cli/lifecycle.h"
#include "runtime/signals.h"

namespace bulwark::runtime::cli {

void AddCreateFlags(FlagSet& flags, CreateOptions& o, std::string& preserve_fds);

int RunMain(Invocation& inv) {
  const Command& cmd = FindCommand("run");
  CreateOptions o;
  std::string preserve_fds = "0";
  bool detach = false;
  FlagSet flags;
  AddCreateFlags(flags, o, preserve_fds);
  flags.Bool("detach", &detach, "return once the container runs", 'd');
  auto parsed = ParseCommandArgs(inv, cmd, flags);
  if (!parsed) return Fail(inv.flags, parsed.error());
  if (parsed->help) return 0;
  auto id = OneId("run", cmd.usage, parsed->positional);
  if (!id) return Fail(inv.flags, id.error());
  o.id = *id;
  auto fds = PreservedFds(preserve_fds);
  if (!fds) return Fail(inv.flags, fds.error());
  o.preserve_fds = static_cast<int>(fds->size());
  o.foreground = !detach;

  // From here on a signal waits for the sentry instead of killing the
  // runtime half-way through setup.
  SignalForwarder forwarder;
  o.child_sigmask = forwarder.original_mask();
  auto c = CreateContainer(inv.flags, o);
  if (!c) return Fail(inv.flags, c.error());
  if (auto r = StartContainer(*c); !r) {
    (void)DestroyContainer(*c);
    return Fail(inv.flags, r.error());
  }
  if (detach) {
    c->sandbox->Release();
    return 0;
  }
  // Other commands (kill, exec, ps) may use the container meanwhile.
  c->dir.Unlock();
  int status = forwarder.ForwardUntilExit(*c->sandbox);
  LOG_DEBUG("sentry %d exited, wait status %#x", c->state.pid, status);
  // Relock for the removal; a concurrent `delete` may have removed it.
  auto again = OpenContainer(inv.flags, *id);
  if (again) {
    again->sandbox = std::move(c->sandbox);
    if (auto r = DestroyContainer(*again); !r) {
      fprintf(stderr, "bulwark: warning: %s\n", r.error().message.c_str());
    }
  } else {
    c->sandbox->Destroy(std::chrono::seconds(1));
  }
  return ExitCodeFromWaitStatus(status);
}

}  // namespace bulwark::runtime::cli
