#include "oci/parse.h"

namespace bulwark::oci {

// Mirrors `runc spec`: a read-only rootfs at ./rootfs, an interactive shell
// as root, and runc's mount, capability, masking and namespace defaults.
nlohmann::json DefaultSpecJson() {
  using Json = nlohmann::json;
  const Json default_caps = {"CAP_AUDIT_WRITE", "CAP_KILL",
                             "CAP_NET_BIND_SERVICE"};
  Json process = {
      {"terminal", true},
      {"user", {{"uid", 0}, {"gid", 0}}},
      {"args", {"sh"}},
      {"env",
       {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "TERM=xterm"}},
      {"cwd", "/"},
      {"capabilities",
       {{"bounding", default_caps},
        {"effective", default_caps},
        {"permitted", default_caps}}},
      {"rlimits",
       Json::array(
           {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
      {"noNewPrivileges", true},
  };
  auto mount = [](const char* destination, const char* type, const char* source,
                  std::initializer_list<const char*> options) {
    Json m = {{"destination", destination}, {"type", type}, {"source", source}};
    if (options.size() != 0) m["options"] = options;
    return m;
  };
  Json mounts = Json::array({
      mount("/proc", "proc", "proc", {}),
      mount("/dev", "tmpfs", "tmpfs",
            {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
             "gid=5"}),
      mount("/dev/shm", "tmpfs", "shm",
            {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      mount("/sys/fs/cgroup", "cgroup", "cgroup",
            {"nosuid", "noexec", "nodev", "relatime", "ro"}),
  });
  Json namespaces = Json::array();
  for (const char* type : {"pid", "network", "ipc", "uts", "mount"}) {
    namespaces.push_back({{"type", type}});
  }
  Json linux_spec = {
      {"resources",
       {{"devices", Json::array({{{"allow", false}, {"access", "rwm"}}})}}},
      {"namespaces", namespaces},
      {"maskedPaths",
       {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
        "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
      {"readonlyPaths",
       {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
        "/proc/sysrq-trigger"}},
  };
  return {
      {"ociVersion", kOciVersion},
      {"process", process},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "bulwark"},
      {"mounts", mounts},
      {"linux", linux_spec},
  };
}

}  // namespace bulwark::oci
