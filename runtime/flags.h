// Command-line flags: a small parser shared by the global flags and every
// subcommand, and the global flags themselves.
//
// Accepted spellings, as Go's flag package (and so runc) accepts them:
// `--name value`, `--name=value`, `-name value`, `-name=value`, and for a
// flag with a short name `-b value`. Boolean flags take no separate value
// (`--debug`, `--debug=false`). `--` ends the flags.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace bulwark::runtime {

class FlagSet {
 public:
  // Where positional arguments may appear.
  enum class Mode {
    kInterspersed,      // flags may follow positional arguments
    kStopAtPositional,  // the first positional argument ends the flags
  };

  using Setter = std::function<Result<void>(std::string_view value)>;

  // `name` is the long name without dashes; `short_name` is 0 or a letter.
  void String(std::string_view name, std::string* out, std::string_view help,
              char short_name = 0, std::string_view value_name = "VALUE");
  void Bool(std::string_view name, bool* out, std::string_view help, char short_name = 0);
  // A value flag whose setter validates and stores the value.
  void Custom(std::string_view name, std::string_view value_name, Setter set,
              std::string_view help);

  // Parses `args` (no program or command name) and returns the positional
  // arguments. In kStopAtPositional mode, everything from the first
  // positional argument on is returned untouched.
  Result<std::vector<std::string>> Parse(std::span<const std::string> args, Mode mode) const;

  // One line per flag, for --help.
  std::string Help() const;

 private:
  struct Flag {
    std::string name;
    char short_name = 0;
    bool is_bool = false;
    std::string value_name;
    std::string help;
    Setter set;
  };
  const Flag* Find(std::string_view name) const;

  std::vector<Flag> flags_;
};

enum class OverlayMode { kTmpfs, kNone };
std::string_view OverlayModeName(OverlayMode mode);

enum class LogFormat { kText, kJson };

// Flags given before the subcommand.
struct GlobalFlags {
  std::string root = "/run/bulwark";  // state directory
  std::string platform = "ptrace";
  std::string network = "none";       // none | host
  bool strace = false;
  std::string debug_log;              // sentry (and runtime) debug log file
  OverlayMode overlay = OverlayMode::kTmpfs;
  // --log receives error (and with --debug, debug) lines in log_format.
  std::string log;
  LogFormat log_format = LogFormat::kText;
  bool debug = false;
  // cgroupsPath is "slice:prefix:name" and systemd manages the cgroups;
  // fails with a clear error where systemd is not running.
  bool systemd_cgroup = false;
  // Not flags of their own: `--help`/`-h` and `--version`/`-v` before any
  // subcommand select these pseudo-commands.
  bool help = false;
  bool version = false;
};

// Registers the global flags (not --help/--version) on `set`, storing into
// `flags`. Subcommands register them too, so that they are accepted after
// the subcommand name as well, as clients sometimes put them.
void AddGlobalFlags(FlagSet& set, GlobalFlags& flags);

// Parses the global flags, --help and --version from argv[1..]; returns them
// and the remaining arguments (the subcommand and its arguments).
struct ParsedCommandLine {
  GlobalFlags flags;
  std::vector<std::string> rest;
};
// `base` holds the defaults (built-in, then the config file's settings).
Result<ParsedCommandLine> ParseGlobalFlags(std::span<const std::string> args,
                                           const GlobalFlags& base = GlobalFlags{});

}  // namespace bulwark::runtime
