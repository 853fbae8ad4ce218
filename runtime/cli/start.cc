// `bulwark start ID`: lets a created container's init run.
#include "runtime/cli/cli.h"
#include "runtime/cli/lifecycle.h"

namespace bulwark::runtime::cli {

int StartMain(Invocation& inv) {
  const Command& cmd = FindCommand("start");
  FlagSet flags;
  auto parsed = ParseCommandArgs(inv, cmd, flags);
  if (!parsed) return Fail(inv.flags, parsed.error());
  if (parsed->help) return 0;
  auto id = OneId("start", cmd.usage, parsed->positional);
  if (!id) return Fail(inv.flags, id.error());
  auto c = OpenContainer(inv.flags, *id);
  if (!c) return Fail(inv.flags, c.error());
  if (auto r = StartContainer(*c); !r) return Fail(inv.flags, r.error());
  return 0;
}

}  // namespace bulwark::runtime::cli
