// Namespaces as the application sees them (namespaces(7)).
//
// The sandbox is one set of namespaces of the host (its own pid, mount,
// IPC, UTS and network namespaces). Inside it, a task's namespaces are
// identities shown by /proc/<pid>/ns and compared by setns(2); only UTS
// namespaces carry state of their own (hostname and domain name), and IPC
// namespaces their own SysV tables. unshare(2) creates only these two kinds
// (syscalls/linux/namespaces.cc); every other kind has one instance.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

namespace bulwark::kernel {

class Task;

enum class NsType { kCgroup, kIpc, kMnt, kNet, kPid, kTime, kUser, kUts };
inline constexpr int kNumNsTypes = 8;

// One namespace. Guarded by the kernel lock.
struct Namespace {
  NsType type;
  uint64_t ino;       // nsfs inode number, shown as "type:[ino]"
  bool root = false;  // the sandbox's own (root UTS names: KernelOptions)
  // UTS namespaces other than the root one.
  std::string hostname, domainname;
  // IPC namespaces: the SysV tables, by kind, created on first use
  // (syscalls/linux/sysv_ipc.h).
  std::array<std::shared_ptr<void>, 3> sysv;
};

// A task's namespaces (struct nsproxy). Shared between tasks until one
// unshares or joins a namespace (copy on write).
struct NsProxy {
  std::array<std::shared_ptr<Namespace>, kNumNsTypes> ns;
  Namespace& Get(NsType t) const { return *ns[static_cast<int>(t)]; }
};

// The name in /proc/<pid>/ns and in the link text ("uts").
const char* NsName(NsType type);
// The CLONE_NEW* flag of a kind.
int NsCloneFlag(NsType type);
// A new namespace of `type` with a fresh inode number.
std::shared_ptr<Namespace> NewNamespace(NsType type);
// The task's namespaces: Task::nsproxy, or the sandbox's root set.
const std::shared_ptr<NsProxy>& NamespacesOf(const Task& t);
// The UTS names the task sees (uname, sethostname).
std::string& HostnameOf(Task& t);
std::string& DomainnameOf(Task& t);

}  // namespace bulwark::kernel
