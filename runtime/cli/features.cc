// `bulwark features`: the OCI runtime features document (runtime-spec
// features.md), what containerd >= 1.7 reads with `<runtime> features`.
// Only what bulwark implements is claimed.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "oci/names.h"
#include "runtime/cli/cli.h"
#include "runtime/version.h"

namespace bulwark::runtime::cli {

int FeaturesMain(Invocation& inv) {
  const Command& cmd = FindCommand("features");
  FlagSet flags;
  auto parsed = ParseCommandArgs(inv, cmd, flags);
  if (!parsed) return Fail(inv.flags, parsed.error());
  if (parsed->help) return 0;
  nlohmann::ordered_json j;
  j["ociVersionMin"] = "1.0.0";
  j["ociVersionMax"] = kSpecVersion;
  j["hooks"] = {"prestart",        "createRuntime", "createContainer",
                "startContainer", "poststart",     "poststop"};
  // Mount options the sentry's mount code understands.
  j["mountOptions"] = {"bind",   "defaults", "dev",     "exec",    "mode",   "nodev",
                       "noexec", "nosuid",   "rbind",   "relatime", "ro",    "rw",
                       "size",   "strictatime", "suid", "newinstance", "ptmxmode", "gid"};
  nlohmann::ordered_json lin;
  lin["namespaces"] = {"cgroup", "ipc", "mount", "network", "pid", "user", "uts"};
  nlohmann::ordered_json caps = nlohmann::ordered_json::array();
  for (std::string_view c : oci::CapabilityNames()) caps.push_back(std::string(c));
  lin["capabilities"] = std::move(caps);
  lin["cgroup"] = {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}};
  // TODO(#7): the container's seccomp profile is not enforced yet.
  lin["seccomp"] = {{"enabled", false}};
  lin["apparmor"] = {{"enabled", false}};
  lin["selinux"] = {{"enabled", false}};
  j["linux"] = std::move(lin);
  j["annotations"] = {{"io.github.bulwark.version", kVersion},
                      {"io.github.bulwark.commit", kCommit}};
  printf("%s\n", j.dump(4).c_str());
  return 0;
}

}  // namespace bulwark::runtime::cli
