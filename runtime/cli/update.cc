// `bulwark update [--resources FILE|-] [--memory N ...] ID`: changes a
// container's linux.resources: the host cgroups of the sandbox, and the
// sentry's own pids limit.
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "runtime/cgroup.h"
#include "runtime/cli/cli.h"
#include "runtime/cli/lifecycle.h"
#include "runtime/control_client.h"
#include "runtime/fs.h"

namespace bulwark::runtime::cli {
namespace {

// A byte count with an optional k/m/g/t suffix (binary, like runc's
// units.RAMInBytes), or -1.
Result<int64_t> ParseBytes(const std::string& flag, const std::string& text) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  std::string unit(p, text.data() + text.size());
  for (char& ch : unit) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  int shift = -1;
  if (unit.empty()) shift = 0;
  if (unit == "k") shift = 10;
  if (unit == "m") shift = 20;
  if (unit == "g") shift = 30;
  if (unit == "t") shift = 40;
  if (ec != std::errc() || shift < 0 || (v < 0 && v != -1)) {
    return MakeError("--" + flag + ": invalid value \"" + text + "\"", EINVAL);
  }
  return v < 0 ? v : v << shift;
}

Result<int64_t> ParseInt(const std::string& flag, const std::string& text) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) {
    return MakeError("--" + flag + ": invalid number \"" + text + "\"", EINVAL);
  }
  return v;
}

}  // namespace

int UpdateMain(Invocation& inv) {
  const Command& cmd = FindCommand("update");
  std::string resources_file;
  std::map<std::string, std::string> single;
  FlagSet flags;
  flags.String("resources", &resources_file, "LinuxResources JSON from FILE (- for stdin)", 'r',
               "FILE");
  static constexpr const char* kSingle[][2] = {
      {"memory", "memory limit in bytes (k, m, g suffixes)"},
      {"memory-reservation", "memory soft limit in bytes"},
      {"memory-swap", "memory plus swap limit in bytes (-1: unlimited)"},
      {"cpu-shares", "relative cpu weight"},
      {"cpu-quota", "cpu time in microseconds per period"},
      {"cpu-period", "cpu period in microseconds"},
      {"cpuset-cpus", "cpus to run on (e.g. 0-1)"},
      {"cpuset-mems", "memory nodes (e.g. 0)"},
      {"pids-limit", "maximum number of processes"},
  };
  for (auto& [name, help] : kSingle) {
    flags.Custom(
        name, "VALUE",
        [&single, n = std::string(name)](std::string_view v) -> Result<void> {
          single[n] = std::string(v);
          return {};
        },
        help);
  }
  auto parsed = ParseCommandArgs(inv, cmd, flags);
  if (!parsed) return Fail(inv.flags, parsed.error());
  if (parsed->help) return 0;
  auto id = OneId("update", cmd.usage, parsed->positional);
  if (!id) return Fail(inv.flags, id.error());

  nlohmann::json j = nlohmann::json::object();
  if (!resources_file.empty()) {
    std::string text;
    if (resources_file == "-") {
      std::stringstream ss;
      ss << std::cin.rdbuf();
      text = ss.str();
    } else {
      auto t = ReadFile(resources_file);
      if (!t) return Fail(inv.flags, t.error());
      text = *t;
    }
    j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return Fail(inv.flags, Error{EINVAL, "--resources " + resources_file +
                                               ": not a JSON object"});
    }
  }
  for (auto& [name, value] : single) {
    Result<int64_t> v = (name.starts_with("memory")) ? ParseBytes(name, value)
                        : (name.starts_with("cpuset")) ? Result<int64_t>(0)
                                                       : ParseInt(name, value);
    if (!v) return Fail(inv.flags, v.error());
    if (name == "memory") j["memory"]["limit"] = *v;
    if (name == "memory-reservation") j["memory"]["reservation"] = *v;
    if (name == "memory-swap") j["memory"]["swap"] = *v;
    if (name == "cpu-shares") j["cpu"]["shares"] = *v;
    if (name == "cpu-quota") j["cpu"]["quota"] = *v;
    if (name == "cpu-period") j["cpu"]["period"] = *v;
    if (name == "cpuset-cpus") j["cpu"]["cpus"] = value;
    if (name == "cpuset-mems") j["cpu"]["mems"] = value;
    if (name == "pids-limit") j["pids"]["limit"] = *v;
  }
  auto resources = ParseResourcesJson(j.dump());
  if (!resources) return Fail(inv.flags, resources.error());

  auto c = OpenContainer(inv.flags, *id);
  if (!c) return Fail(inv.flags, c.error());
  if (c->state.status == Status::kStopped) {
    return Fail(inv.flags, Error{ESRCH, "container not running"});
  }
  Cgroups cgroups = Cgroups::FromDirs(c->state.cgroups, c->state.cgroups_created);
  if (auto r = cgroups.Apply(*resources); !r) return Fail(inv.flags, r.error());
  if (auto r = control::Update(ControlDir(c->dir.path()), j.dump()); !r) {
    if (control::IsNotRunning(r.error())) {
      return Fail(inv.flags, Error{ESRCH, "container not running"});
    }
    return Fail(inv.flags, r.error());
  }
  return 0;
}

}  // namespace bulwark::runtime::cli
