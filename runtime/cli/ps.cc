// `bulwark ps [--format table|json] ID [PS-ARGS...]`: the processes in the
// sandbox. Deliberate difference from runc: the pids are the sandbox's own
// (runsc does the same); the sandbox's processes have no host pids of
// their own. Extra ps(1) arguments are accepted and ignored.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "runtime/cli/cli.h"
#include "runtime/cli/lifecycle.h"
#include "runtime/control_client.h"
#include "runtime/fs.h"

namespace bulwark::runtime::cli {

int PsMain(Invocation& inv) {
  const Command& cmd = FindCommand("ps");
  std::string format = "table";
  FlagSet flags;
  flags.String("format", &format, "table or json", 'f', "FORMAT");
  auto parsed = ParseCommandArgs(inv, cmd, flags, FlagSet::Mode::kStopAtPositional);
  if (!parsed) return Fail(inv.flags, parsed.error());
  if (parsed->help) return 0;
  if (parsed->positional.empty()) {
    return Fail(inv.flags, Error{EINVAL, "ps: missing container id"});
  }
  if (format != "table" && format != "json") {
    return Fail(inv.flags, Error{EINVAL, "invalid format option \"" + format +
                                             "\": expected table or json"});
  }
  const std::string& id = parsed->positional[0];
  auto root = AbsolutePath(inv.flags.root);
  if (!root) return Fail(inv.flags, root.error());
  auto stored = StateRoot(*root).Read(id);
  if (!stored) return Fail(inv.flags, stored.error());
  State s = CurrentState(std::move(*stored));
  if (s.status == Status::kStopped) {
    // runc prints an empty list for a stopped container.
    if (format == "json") {
      printf("[]\n");
    } else {
      printf("PID   PPID  UID   STAT  CMD\n");
    }
    return 0;
  }
  auto procs = control::Ps(ControlDir(StateRoot(*root).DirOf(id)));
  if (!procs) {
    if (control::IsNotRunning(procs.error())) {
      printf(format == "json" ? "[]\n" : "PID   PPID  UID   STAT  CMD\n");
      return 0;
    }
    return Fail(inv.flags, procs.error());
  }
  if (format == "json") {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& p : *procs) arr.push_back(p.pid);
    printf("%s\n", arr.dump().c_str());
    return 0;
  }
  printf("PID   PPID  UID   STAT  CMD\n");
  for (const auto& p : *procs) {
    std::string cmdline;
    for (const std::string& a : p.cmdline) cmdline += (cmdline.empty() ? "" : " ") + a;
    if (cmdline.empty()) cmdline = "[" + p.comm + "]";
    printf("%-5d %-5d %-5u %-5s %s\n", p.pid, p.ppid, p.uid, p.state.c_str(), cmdline.c_str());
  }
  return 0;
}

}  // namespace bulwark::runtime::cli
