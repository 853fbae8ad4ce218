#include "oci/names.h"

#include <sched.h>

#include <algorithm>
#include <array>

namespace bulwark::oci {
namespace {

// Order is the kernel's numbering (linux/capability.h).
constexpr std::array<std::string_view, 41> kCapabilities = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

// Order is the kernel's numbering (asm-generic/resource.h).
constexpr std::array<std::string_view, 16> kRlimits = {
    "RLIMIT_CPU",      "RLIMIT_FSIZE", "RLIMIT_DATA",   "RLIMIT_STACK",
    "RLIMIT_CORE",     "RLIMIT_RSS",   "RLIMIT_NPROC",  "RLIMIT_NOFILE",
    "RLIMIT_MEMLOCK",  "RLIMIT_AS",    "RLIMIT_LOCKS",  "RLIMIT_SIGPENDING",
    "RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
};

struct NamespaceName {
  std::string_view type;
  int flag;
};

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

constexpr NamespaceName kNamespaces[] = {
    {"pid", CLONE_NEWPID},       {"network", CLONE_NEWNET},
    {"mount", CLONE_NEWNS},      {"ipc", CLONE_NEWIPC},
    {"uts", CLONE_NEWUTS},       {"user", CLONE_NEWUSER},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

constexpr std::string_view kSeccompActions[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY",
};

constexpr std::string_view kSeccompOperators[] = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};

constexpr std::string_view kPropagations[] = {
    "private",  "shared",  "slave",  "unbindable",
    "rprivate", "rshared", "rslave", "runbindable",
};

template <typename Range>
std::optional<int> IndexOf(const Range& names, std::string_view name) {
  auto it = std::find(std::begin(names), std::end(names), name);
  if (it == std::end(names)) return std::nullopt;
  return static_cast<int>(it - std::begin(names));
}

}  // namespace

std::span<const std::string_view> CapabilityNames() { return kCapabilities; }

std::optional<int> CapabilityNumber(std::string_view name) {
  return IndexOf(kCapabilities, name);
}

std::span<const std::string_view> RlimitNames() { return kRlimits; }

std::optional<int> RlimitResource(std::string_view name) {
  return IndexOf(kRlimits, name);
}

bool IsNamespaceType(std::string_view type) {
  return NamespaceCloneFlag(type) != 0;
}

int NamespaceCloneFlag(std::string_view type) {
  for (const NamespaceName& ns : kNamespaces) {
    if (ns.type == type) return ns.flag;
  }
  return 0;
}

bool IsSeccompAction(std::string_view name) {
  return IndexOf(kSeccompActions, name).has_value();
}

bool IsSeccompOperator(std::string_view name) {
  return IndexOf(kSeccompOperators, name).has_value();
}

bool IsRootfsPropagation(std::string_view mode) {
  return IndexOf(kPropagations, mode).has_value();
}

}  // namespace bulwark::oci
