#include "runtime/flags.h"

#include <algorithm>
#include <optional>

namespace bulwark::runtime {
namespace {

// strconv.ParseBool's spellings, which Go-based clients may send.
std::optional<bool> ParseBool(std::string_view v) {
  for (std::string_view t : {"1", "t", "T", "true", "TRUE", "True"})
    if (v == t) return true;
  for (std::string_view f : {"0", "f", "F", "false", "FALSE", "False"})
    if (v == f) return false;
  return std::nullopt;
}

}  // namespace

void FlagSet::String(std::string_view name, std::string* out, std::string_view help,
                     char short_name, std::string_view value_name) {
  flags_.push_back(Flag{std::string(name), short_name, false, std::string(value_name),
                        std::string(help),
                        [out](std::string_view v) -> Result<void> {
                          *out = std::string(v);
                          return {};
                        }});
}

void FlagSet::Bool(std::string_view name, bool* out, std::string_view help, char short_name) {
  flags_.push_back(Flag{std::string(name), short_name, true, "", std::string(help),
                        [out, name = std::string(name)](std::string_view v) -> Result<void> {
                          auto b = ParseBool(v);
                          if (!b)
                            return MakeError("invalid value \"" + std::string(v) + "\" for --" +
                                             name + ": expected true or false");
                          *out = *b;
                          return {};
                        }});
}

void FlagSet::Custom(std::string_view name, std::string_view value_name, Setter set,
                     std::string_view help) {
  flags_.push_back(Flag{std::string(name), 0, false, std::string(value_name), std::string(help),
                        std::move(set)});
}

const FlagSet::Flag* FlagSet::Find(std::string_view name) const {
  for (const Flag& f : flags_) {
    if (f.name == name) return &f;
    if (f.short_name != 0 && name.size() == 1 && name[0] == f.short_name) return &f;
  }
  return nullptr;
}

Result<std::vector<std::string>> FlagSet::Parse(std::span<const std::string> args,
                                                Mode mode) const {
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      positional.insert(positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      if (mode == Mode::kStopAtPositional) {
        positional.insert(positional.end(), args.begin() + i, args.end());
        break;
      }
      positional.push_back(arg);
      continue;
    }
    std::string_view body(arg);
    body.remove_prefix(arg[1] == '-' ? 2 : 1);
    size_t eq = body.find('=');
    std::string_view name = body.substr(0, eq);
    const Flag* flag = (name.empty() || name[0] == '-') ? nullptr : Find(name);
    if (flag == nullptr) {
      return MakeError("unknown flag " + std::string(arg.substr(0, arg.find('='))));
    }
    if (flag->is_bool) {
      TRY(flag->set(eq == std::string_view::npos ? "true" : body.substr(eq + 1)));
      continue;
    }
    std::string_view value;
    if (eq != std::string_view::npos) {
      value = body.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return MakeError("flag --" + flag->name + " needs a value");
    }
    TRY(flag->set(value));
  }
  return positional;
}

std::string FlagSet::Help() const {
  std::vector<std::pair<std::string, std::string>> rows;
  size_t width = 0;
  for (const Flag& f : flags_) {
    std::string left = "  --" + f.name;
    if (f.short_name != 0) left += std::string(", -") + f.short_name;
    if (!f.is_bool) left += " " + f.value_name;
    width = std::max(width, left.size());
    rows.emplace_back(std::move(left), f.help);
  }
  std::string out;
  for (auto& [left, help] : rows) {
    out += left + std::string(width + 2 - left.size(), ' ') + help + "\n";
  }
  return out;
}

std::string_view OverlayModeName(OverlayMode mode) {
  return mode == OverlayMode::kTmpfs ? "tmpfs" : "none";
}

void AddGlobalFlags(FlagSet& set, GlobalFlags& flags) {
  set.Custom(
      "root", "DIR",
      [&flags](std::string_view v) -> Result<void> {
        if (v.empty()) return MakeError("--root: must not be empty");
        flags.root = std::string(v);
        return {};
      },
      "directory for container state (default /run/bulwark)");
  set.Custom(
      "platform", "NAME",
      [&flags](std::string_view v) -> Result<void> {
        if (v.empty()) return MakeError("--platform: must not be empty");
        flags.platform = std::string(v);
        return {};
      },
      "how application code runs: ptrace (default)");
  set.Custom(
      "network", "MODE",
      [&flags](std::string_view v) -> Result<void> {
        if (v != "none" && v != "host")
          return MakeError("--network=" + std::string(v) + ": must be none or host");
        flags.network = std::string(v);
        return {};
      },
      "container networking: none (own loopback) or host (host sockets)");
  set.Bool("strace", &flags.strace, "print every application system call");
  set.Custom(
      "debug-log", "FILE",
      [&flags](std::string_view v) -> Result<void> {
        flags.debug_log = std::string(v);
        return {};
      },
      "append the sentry's debug log to FILE");
  set.Custom(
      "overlay", "MODE",
      [&flags](std::string_view v) -> Result<void> {
        if (v == "tmpfs") {
          flags.overlay = OverlayMode::kTmpfs;
        } else if (v == "none") {
          flags.overlay = OverlayMode::kNone;
        } else {
          return MakeError("--overlay=" + std::string(v) + ": expected tmpfs or none");
        }
        return {};
      },
      "root filesystem writes: tmpfs (kept in the sandbox, default) or none (to the image)");
  set.Custom(
      "log", "FILE",
      [&flags](std::string_view v) -> Result<void> {
        flags.log = std::string(v);
        return {};
      },
      "also append errors to FILE");
  set.Custom(
      "log-format", "FORMAT",
      [&flags](std::string_view v) -> Result<void> {
        if (v == "text") {
          flags.log_format = LogFormat::kText;
        } else if (v == "json") {
          flags.log_format = LogFormat::kJson;
        } else {
          return MakeError("--log-format=" + std::string(v) + ": expected text or json");
        }
        return {};
      },
      "format of --log: text or json");
  set.Bool("debug", &flags.debug, "also write debug lines to --log");
  set.Bool("systemd-cgroup", &flags.systemd_cgroup,
           "cgroupsPath is slice:prefix:name, managed through systemd (needs systemd)");
}

Result<ParsedCommandLine> ParseGlobalFlags(std::span<const std::string> args,
                                           const GlobalFlags& base) {
  ParsedCommandLine parsed;
  parsed.flags = base;
  FlagSet set;
  AddGlobalFlags(set, parsed.flags);
  set.Bool("help", &parsed.flags.help, "show this help", 'h');
  set.Bool("version", &parsed.flags.version, "print the version", 'v');
  parsed.rest = TRY(set.Parse(args, FlagSet::Mode::kStopAtPositional));
  return parsed;
}

}  // namespace bulwark::runtime
