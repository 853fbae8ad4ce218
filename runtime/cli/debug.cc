// `bulwark debug filters`: prints the host seccomp filters of the sentry,
// the gofer and the ptrace stubs, with their syscall counts (issue 7).
#include <cstdio>
#include <string>

#include "base/seccomp.h"
#include "gofer/seccomp_policy.h"
#include "platform/ptrace/stub_seccomp.h"
#include "runtime/cli/cli.h"
#include "sentry/seccomp_policy.h"

namespace bulwark::runtime::cli {

int DebugMain(Invocation& inv) {
  FlagSet flags;
  const Command& cmd = FindCommand("debug");
  auto parsed = ParseCommandArgs(inv, cmd, flags);
  if (!parsed) return Fail(inv.flags, parsed.error());
  if (parsed->help) return 0;
  if (parsed->positional.size() != 1 || parsed->positional[0] != "filters") {
    return Fail(inv.flags, Error{EINVAL, "usage: bulwark debug filters"});
  }
  sentry::SentryPolicyOptions sentry_opts;
  sentry_opts.host_network = inv.flags.network == "host";
  std::string out = seccomp::Format(sentry::SentryPolicy(sentry_opts));
  out += "\n" + seccomp::Format(gofer::GoferPolicy()) + "\n";
  // Weak: null where the ptrace platform is not linked (runtime tests).
  if (&BulwarkDescribePtraceFilters != nullptr) {
    out += BulwarkDescribePtraceFilters();
  } else {
    out += "# stub: the ptrace platform is not linked into this binary\n";
  }
  fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace bulwark::runtime::cli
