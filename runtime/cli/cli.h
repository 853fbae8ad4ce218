// The `bulwark` command line: a table of subcommands, one file each, over the
// runtime library (sandbox, state, bundle, flags).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "runtime/flags.h"

namespace bulwark::runtime::cli {

struct Invocation {
  GlobalFlags flags;               // may be amended by the subcommand's own parse
  std::vector<std::string> args;   // after the subcommand name
  // The raw command line from the subcommand name on, for the internal
  // commands whose mains parse their own flags (argv[0] is "boot"/"gofer").
  int argc = 0;
  char** argv = nullptr;
};

struct Command {
  std::string_view name;
  std::string_view usage;    // after "bulwark "
  std::string_view summary;  // empty: internal, not listed by --help
  int (*main)(Invocation& inv);
};

std::span<const Command> Commands();

// The whole program: global flags, then dispatch.
int Main(int argc, char** argv);

// Prints "bulwark: <message>" as one line on stderr, appends it to --log in
// the chosen format, and returns the exit status for errors (1).
int Fail(const GlobalFlags& flags, const Error& error);
inline constexpr int kExitError = 1;

// Parses a subcommand's flags (its own plus the global ones) into the
// invocation; --help prints the command's help and yields exit status 0.
struct ParsedArgs {
  std::vector<std::string> positional;
  bool help = false;
};
Result<ParsedArgs> ParseCommandArgs(Invocation& inv, const Command& cmd, FlagSet& flags,
                                    FlagSet::Mode mode = FlagSet::Mode::kInterspersed);
const Command& FindCommand(std::string_view name);

int CreateMain(Invocation& inv);
int StartMain(Invocation& inv);
int RunMain(Invocation& inv);
int StateMain(Invocation& inv);
int KillMain(Invocation& inv);
int DeleteMain(Invocation& inv);
int ExecMain(Invocation& inv);
int PsMain(Invocation& inv);
int ListMain(Invocation& inv);
int PauseMain(Invocation& inv);
int ResumeMain(Invocation& inv);
int EventsMain(Invocation& inv);
int UpdateMain(Invocation& inv);
int FeaturesMain(Invocation& inv);
int SpecMain(Invocation& inv);
int VersionMain(Invocation& inv);
int DebugMain(Invocation& inv);
int BootCommandMain(Invocation& inv);
int GoferCommandMain(Invocation& inv);

}  // namespace bulwark::runtime::cli
