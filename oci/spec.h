// Typed OCI runtime-spec (1.0+) configuration, as read from config.json.
//
// Fields keep the spec's meaning; JSON keys are camelCase, members are
// snake_case. Optional scalars whose absence differs from their zero value
// are std::optional. Fields that only apply to other platforms (Windows,
// Solaris, VM, z/OS) are not represented.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

// GNU dialects predefine `linux` as 1, which would break Spec::linux. It is
// an obsolete spelling of __linux__, which is what code should test.
#undef linux

namespace bulwark::oci {

// The runtime-spec version bulwark writes into new configs.
inline constexpr char kOciVersion[] = "1.0.2";

struct ConsoleSize {
  uint64_t height = 0;
  uint64_t width = 0;
};

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
};

// Each entry is a validated "CAP_*" name (see names.h).
struct Capabilities {
  std::vector<std::string> bounding;
  std::vector<std::string> effective;
  std::vector<std::string> inheritable;
  std::vector<std::string> permitted;
  std::vector<std::string> ambient;
};

struct Rlimit {
  std::string type;  // validated "RLIMIT_*" name; unique within the process
  uint64_t hard = 0;
  uint64_t soft = 0;  // <= hard
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size;
  User user;
  std::vector<std::string> args;  // non-empty
  std::vector<std::string> env;   // each "NAME=VALUE"
  std::string cwd;                // absolute
  Capabilities capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::string apparmor_profile;
  std::optional<int> oom_score_adj;  // -1000..1000
  std::string selinux_label;
};

struct Root {
  std::string path;  // non-empty; relative paths are relative to the bundle
  bool readonly = false;
};

struct Mount {
  std::string destination;  // absolute
  std::string type;
  std::string source;
  std::vector<std::string> options;

  // True for bind mounts: type "bind", or a "bind"/"rbind" option.
  bool IsBind() const;
};

struct Namespace {
  std::string type;  // pid, network, mount, ipc, uts, user, cgroup, time
  std::string path;  // empty: create a new namespace; else absolute
};

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

struct MemoryResources {
  std::optional<int64_t> limit;
  std::optional<int64_t> reservation;
  std::optional<int64_t> swap;
  std::optional<int64_t> kernel;
  std::optional<int64_t> kernel_tcp;
  std::optional<uint64_t> swappiness;
  std::optional<bool> disable_oom_killer;
};

struct CpuResources {
  std::optional<uint64_t> shares;
  std::optional<int64_t> quota;
  std::optional<uint64_t> period;
  std::optional<int64_t> realtime_runtime;
  std::optional<uint64_t> realtime_period;
  std::string cpus;
  std::string mems;
};

struct PidsResources {
  int64_t limit = 0;
};

// A device cgroup rule (linux.resources.devices[]).
struct DeviceRule {
  bool allow = false;
  std::string type;  // "a", "b" or "c"; empty means all
  std::optional<int64_t> major;
  std::optional<int64_t> minor;
  std::string access;  // subset of "rwm"
};

struct Resources {
  MemoryResources memory;
  CpuResources cpu;
  std::optional<PidsResources> pids;
  std::vector<DeviceRule> devices;
};

struct SeccompArg {
  uint32_t index = 0;
  uint64_t value = 0;
  uint64_t value_two = 0;
  std::string op;  // "SCMP_CMP_*"
};

struct SeccompSyscall {
  std::vector<std::string> names;  // non-empty
  std::string action;              // "SCMP_ACT_*"
  std::optional<uint32_t> errno_ret;
  std::vector<SeccompArg> args;
};

struct Seccomp {
  std::string default_action;  // "SCMP_ACT_*"
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // "SCMP_ARCH_*", not validated
  std::vector<std::string> flags;
  std::vector<SeccompSyscall> syscalls;
};

// A device node to create in the container (linux.devices[]).
struct Device {
  std::string type;  // "c", "b", "u" or "p"
  std::string path;  // absolute
  std::optional<int64_t> major;
  std::optional<int64_t> minor;
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
};

struct Linux {
  std::vector<Namespace> namespaces;  // types are unique
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
  Resources resources;
  std::string cgroups_path;
  std::map<std::string, std::string> sysctl;
  std::optional<Seccomp> seccomp;
  std::string rootfs_propagation;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::string mount_label;
  std::vector<Device> devices;

  const Namespace* FindNamespace(const std::string& type) const;
};

struct Hook {
  std::string path;  // absolute
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;  // seconds, > 0
};

struct Hooks {
  std::vector<Hook> prestart;
  std::vector<Hook> create_runtime;
  std::vector<Hook> create_container;
  std::vector<Hook> start_container;
  std::vector<Hook> poststart;
  std::vector<Hook> poststop;
};

struct Spec {
  std::string oci_version;  // "1.x..."
  // Optional in the runtime-spec, but bulwark only runs specs that have
  // one, so ParseSpec requires it and this is always true after parsing.
  bool has_process = false;
  Process process;
  Root root;
  std::vector<Mount> mounts;
  std::string hostname;
  std::string domainname;
  Linux linux;
  Hooks hooks;
  std::map<std::string, std::string> annotations;
};

}  // namespace bulwark::oci
