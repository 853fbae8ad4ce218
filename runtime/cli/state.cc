// `bulwark state ID`: the OCI state JSON (runc's fields and key order).
#include <cstdio>

#include "runtime/cli/cli.h"
#include "runtime/cli/lifecycle.h"
#include "runtime/fs.h"

namespace bulwark::runtime::cli {

int StateMain(Invocation& inv) {
  const Command& cmd = FindCommand("state");
  FlagSet flags;
  auto parsed = ParseCommandArgs(inv, cmd, flags);
  if (!parsed) return Fail(inv.flags, parsed.error());
  if (parsed->help) return 0;
  auto id = OneId("state", cmd.usage, parsed->positional);
  if (!id) return Fail(inv.flags, id.error());
  auto root = AbsolutePath(inv.flags.root);
  if (!root) return Fail(inv.flags, root.error());
  // No lock: state.json is replaced atomically, and `state` must answer
  // while a long command (create) holds the lock.
  auto stored = StateRoot(*root).Read(*id);
  if (!stored) return Fail(inv.flags, stored.error());
  State s = CurrentState(std::move(*stored));
  printf("%s\n", StateToJson(s).c_str());
  return 0;
}

}  // namespace bulwark::runtime::cli
