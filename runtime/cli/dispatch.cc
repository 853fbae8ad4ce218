#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/unique_fd.h"
#include "runtime/cli/cli.h"
#include "runtime/config_file.h"
#include "runtime/state.h"

namespace bulwark::runtime::cli {
namespace {

constexpr Command kCommands[] = {
    {"create", "create [--bundle DIR] [--pid-file FILE] [--console-socket PATH] ID",
     "create a container; init waits for start", CreateMain},
    {"start", "start ID", "start a created container", StartMain},
    {"run", "run [--bundle DIR] [--pid-file FILE] [-d] [--console-socket PATH] ID",
     "create and start a container; in the foreground, exits with its status", RunMain},
    {"state", "state ID", "print the container's OCI state JSON", StateMain},
    {"kill", "kill [--all] ID [SIGNAL]", "send a signal (default SIGTERM) to the container",
     KillMain},
    {"delete", "delete [--force] ID", "remove a stopped container (--force: any)", DeleteMain},
    {"exec", "exec [flags] ID COMMAND [ARG...] | exec --process FILE ID",
     "run a new process in the container", ExecMain},
    {"ps", "ps [--format table|json] ID", "list the container's processes", PsMain},
    {"list", "list [--format table|json] [-q]", "list the containers", ListMain},
    {"pause", "pause ID", "stop every process of the container", PauseMain},
    {"resume", "resume ID", "continue a paused container", ResumeMain},
    {"events", "events [--stats] [--interval DURATION] ID", "print the container's statistics",
     EventsMain},
    {"update", "update [--resources FILE|-] [--memory N ...] ID",
     "change the container's resource limits", UpdateMain},
    {"features", "features", "print the OCI features JSON", FeaturesMain},
    {"spec", "spec [--bundle DIR]", "write a starter config.json", SpecMain},
    {"version", "version", "print the version", VersionMain},
    {"debug", "debug filters", "print the host seccomp filters (sentry, gofer, stubs)", DebugMain},
    // Internal: re-executed by the runtime itself.
    {"boot", "boot --spec-fd=N --gofer-fd=M ...", "", BootCommandMain},
    {"gofer", "gofer --sock-fd=N --root=DIR ...", "", GoferCommandMain},
};

constexpr Command kUnknown = {"", "", "", nullptr};

void PrintUsage(FILE* out) {
  GlobalFlags defaults;
  FlagSet set;
  AddGlobalFlags(set, defaults);
  fprintf(out,
          "bulwark: an OCI container runtime whose containers run on a user-space kernel\n\n"
          "Usage: bulwark [global flags] COMMAND [flags] [args]\n\nCommands:\n");
  for (const Command& c : kCommands) {
    if (!c.summary.empty()) {
      fprintf(out, "  %-44.*s %.*s\n", static_cast<int>(c.usage.size()), c.usage.data(),
              static_cast<int>(c.summary.size()), c.summary.data());
    }
  }
  fprintf(out, "\nGlobal flags:\n%s  --help, -h / --version, -v\n", set.Help().c_str());
}

void AppendToLog(const GlobalFlags& flags, const std::string& message) {
  if (flags.log.empty()) return;
  UniqueFd fd(::open(flags.log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) return;
  std::string line;
  if (flags.log_format == LogFormat::kJson) {
    nlohmann::ordered_json j;
    j["level"] = "error";
    j["msg"] = message;
    j["time"] = Rfc3339NanoNow();
    line = j.dump() + "\n";
  } else {
    line = "time=\"" + Rfc3339NanoNow() + "\" level=error msg=" + nlohmann::json(message).dump() +
           "\n";
  }
  [[maybe_unused]] ssize_t n = ::write(fd.get(), line.data(), line.size());
}

}  // namespace

std::span<const Command> Commands() { return kCommands; }

const Command& FindCommand(std::string_view name) {
  for (const Command& c : kCommands) {
    if (c.name == name) return c;
  }
  return kUnknown;
}

int Fail(const GlobalFlags& flags, const Error& error) {
  std::string message = error.message;
  // One line, whatever the message holds.
  for (char& c : message) {
    if (c == '\n') c = ' ';
  }
  fprintf(stderr, "bulwark: %s\n", message.c_str());
  AppendToLog(flags, message);
  return kExitError;
}

Result<ParsedArgs> ParseCommandArgs(Invocation& inv, const Command& cmd, FlagSet& flags,
                                    FlagSet::Mode mode) {
  std::string own_help = flags.Help();
  ParsedArgs parsed;
  flags.Bool("help", &parsed.help, "show this help", 'h');
  AddGlobalFlags(flags, inv.flags);
  auto positional = flags.Parse(inv.args, mode);
  if (!positional) {
    return MakeError(positional.error().message + " (see 'bulwark " + std::string(cmd.name) +
                         " --help')",
                     EINVAL);
  }
  if (parsed.help) {
    printf("Usage: bulwark %.*s\n\n%.*s\n", static_cast<int>(cmd.usage.size()), cmd.usage.data(),
           static_cast<int>(cmd.summary.size()), cmd.summary.data());
    if (!own_help.empty()) printf("\nFlags:\n%s", own_help.c_str());
  }
  parsed.positional = std::move(*positional);
  return parsed;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // Internal commands take only their own flags; no config file applies.
  bool internal = !args.empty() && (args[0] == "boot" || args[0] == "gofer");
  GlobalFlags base;
  if (!internal) {
    if (auto r = ApplyConfigFile(ConfigFilePath(), base); !r) return Fail(GlobalFlags{}, r.error());
  }
  auto parsed = ParseGlobalFlags(args, base);
  if (!parsed) {
    return Fail(GlobalFlags{},
                Error{EINVAL, parsed.error().message + " (see 'bulwark --help')"});
  }
  Invocation inv;
  inv.flags = parsed->flags;
  if (inv.flags.help) {
    PrintUsage(stdout);
    return 0;
  }
  if (inv.flags.version) return VersionMain(inv);
  if (parsed->rest.empty()) {
    return Fail(inv.flags, Error{EINVAL, "no command given (see 'bulwark --help')"});
  }
  const Command& cmd = FindCommand(parsed->rest[0]);
  if (cmd.main == nullptr) {
    return Fail(inv.flags, Error{EINVAL, "unknown command \"" + parsed->rest[0] +
                                             "\" (see 'bulwark --help')"});
  }
  inv.args.assign(parsed->rest.begin() + 1, parsed->rest.end());
  inv.argc = static_cast<int>(parsed->rest.size());
  inv.argv = argv + (argc - inv.argc);
  return cmd.main(inv);
}

}  // namespace bulwark::runtime::cli
