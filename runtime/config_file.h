// Defaults for the global flags from a configuration file, so that settings
// hold even when a client leaves the flags out (Podman drops them for
// `state` and for its cleanup `delete`; containerd cannot pass any).
//
// File: $BULWARK_CONFIG if set, else /etc/bulwark/config.toml. A missing
// file is not an error. Format: a small TOML subset, one setting a line:
//
//   # comment
//   root = "/run/bulwark"       # any global flag's long name, without --
//   platform = "ptrace"
//   strace = false              # booleans: true/false
//   log-format = "json"         # '_' may stand for '-': log_format
//
// Values may be quoted ("..." or '...') or bare. `[section]` headers are
// ignored. Flags on the command line override the file.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "runtime/flags.h"

namespace bulwark::runtime {

inline constexpr char kDefaultConfigPath[] = "/etc/bulwark/config.toml";

// The path in use: $BULWARK_CONFIG or kDefaultConfigPath.
std::string ConfigFilePath();

// Applies the settings in `text` to `flags`. Errors name the line:
// "config.toml:3: unknown setting \"plaform\"".
Result<void> ApplyConfigText(std::string_view text, std::string_view file_name,
                             GlobalFlags& flags);

// Reads and applies `path`; a missing file leaves `flags` as they are.
Result<void> ApplyConfigFile(const std::string& path, GlobalFlags& flags);

}  // namespace bulwark::runtime
