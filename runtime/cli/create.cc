// `bulwark create [--bundle DIR] [--pid-file FILE] [--console-socket PATH]
// [--preserve-fds N] ID`: sets up the sandbox with init loaded and waiting
// for `start`, then exits; the sentry (the pid in the pid file) becomes the
// caller's child.
#include "runtime/cli/cli.h"
#include "runtime/cli/lifecycle.h"
#include "runtime/signals.h"

namespace bulwark::runtime::cli {

void AddCreateFlags(FlagSet& flags, CreateOptions& o, std::string& preserve_fds) {
  flags.String("bundle", &o.bundle, "bundle directory (default .)", 'b', "DIR");
  flags.String("pid-file", &o.pid_file, "write the sandbox's host pid to FILE", 0, "FILE");
  flags.String("console-socket", &o.console_socket,
               "send the pty master of a terminal container to this unix socket", 0, "PATH");
  flags.String("preserve-fds", &preserve_fds,
               "pass the fds 3..3+N-1 to the container as its fds 3..3+N-1", 0, "N");
  static bool ignored = false;
  flags.Bool("no-pivot", &ignored, "accepted for runc compatibility");
  flags.Bool("no-new-keyring", &ignored, "accepted for runc compatibility");
}

int CreateMain(Invocation& inv) {
  const Command& cmd = FindCommand("create");
  CreateOptions o;
  std::string preserve_fds = "0";
  FlagSet flags;
  AddCreateFlags(flags, o, preserve_fds);
  auto parsed = ParseCommandArgs(inv, cmd, flags);
  if (!parsed) return Fail(inv.flags, parsed.error());
  if (parsed->help) return 0;
  auto id = OneId("create", cmd.usage, parsed->positional);
  if (!id) return Fail(inv.flags, id.error());
  o.id = *id;
  auto fds = PreservedFds(preserve_fds);
  if (!fds) return Fail(inv.flags, fds.error());
  o.preserve_fds = static_cast<int>(fds->size());

  // Signals wait until create has finished or cleaned up; the sandbox
  // starts with the mask the runtime had.
  SignalForwarder block;
  o.child_sigmask = block.original_mask();
  auto c = CreateContainer(inv.flags, o);
  if (!c) return Fail(inv.flags, c.error());
  c->sandbox->Release();
  return 0;
}

}  // namespace bulwark::runtime::cli
