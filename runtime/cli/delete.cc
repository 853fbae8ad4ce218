// `bulwark delete [--force] ID`: removes a stopped (or created) container;
// --force kills a running one first. Removes the state directory and the
// cgroups, and runs poststop hooks.
#include "runtime/cli/cli.h"
#include "runtime/cli/lifecycle.h"

namespace bulwark::runtime::cli {

int DeleteMain(Invocation& inv) {
  const Command& cmd = FindCommand("delete");
  bool force = false;
  FlagSet flags;
  flags.Bool("force", &force, "kill the container first if it is running", 'f');
  auto parsed = ParseCommandArgs(inv, cmd, flags);
  if (!parsed) return Fail(inv.flags, parsed.error());
  if (parsed->help) return 0;
  auto id = OneId("delete", cmd.usage, parsed->positional);
  if (!id) return Fail(inv.flags, id.error());
  auto c = OpenContainer(inv.flags, *id);
  if (!c) {
    // runc and runsc: deleting an unknown container with --force succeeds.
    if (force && c.error().errnum == ENOENT) return 0;
    return Fail(inv.flags, c.error());
  }
  Status st = c->state.status;
  // runc (delete.go): created and stopped containers go without --force.
  if (!force && st != Status::kStopped && st != Status::kCreated) {
    return Fail(inv.flags, Error{EBUSY, "cannot delete container " + *id +
                                           " that is not stopped: " +
                                           std::string(StatusName(st))});
  }
  if (auto r = DestroyContainer(*c); !r) return Fail(inv.flags, r.error());
  return 0;
}

}  // namespace bulwark::runtime::cli
