#include "sentry/kernel/namespaces.h"

#include <sched.h>

#include "sentry/kernel/task.h"

namespace bulwark::kernel {

namespace {

// Linux hands out nsfs inode numbers from PROC_DYNAMIC_FIRST up. Guarded by
// the kernel lock.
uint64_t next_ns_ino = 0xF0000000;

}  // namespace

const char* NsName(NsType type) {
  switch (type) {
    case NsType::kCgroup: return "cgroup";
    case NsType::kIpc: return "ipc";
    case NsType::kMnt: return "mnt";
    case NsType::kNet: return "net";
    case NsType::kPid: return "pid";
    case NsType::kTime: return "time";
    case NsType::kUser: return "user";
    case NsType::kUts: return "uts";
  }
  return "?";
}

int NsCloneFlag(NsType type) {
  switch (type) {
    case NsType::kCgroup: return CLONE_NEWCGROUP;
    case NsType::kIpc: return CLONE_NEWIPC;
    case NsType::kMnt: return CLONE_NEWNS;
    case NsType::kNet: return CLONE_NEWNET;
    case NsType::kPid: return CLONE_NEWPID;
    case NsType::kTime: return CLONE_NEWTIME;
    case NsType::kUser: return CLONE_NEWUSER;
    case NsType::kUts: return CLONE_NEWUTS;
  }
  return 0;
}

std::shared_ptr<Namespace> NewNamespace(NsType type) {
  auto ns = std::make_shared<Namespace>();
  ns->type = type;
  ns->ino = next_ns_ino++;
  return ns;
}

const std::shared_ptr<NsProxy>& NamespacesOf(const Task& t) {
  if (t.nsproxy) return t.nsproxy;
  // One root set per sentry process (there is one Kernel; unit tests that
  // make several share it harmlessly: root UTS names live in each Kernel).
  // Never destroyed: its SysV objects may hold memory-file ranges, which
  // must not be freed after the kernel is gone at exit.
  static const auto* root = new std::shared_ptr<NsProxy>([] {
    auto p = std::make_shared<NsProxy>();
    for (int i = 0; i < kNumNsTypes; ++i) {
      p->ns[i] = NewNamespace(static_cast<NsType>(i));
      p->ns[i]->root = true;
    }
    return p;
  }());
  return *root;
}

std::string& HostnameOf(Task& t) {
  Namespace& uts = NamespacesOf(t)->Get(NsType::kUts);
  return uts.root ? t.kernel().opts().hostname : uts.hostname;
}

std::string& DomainnameOf(Task& t) {
  Namespace& uts = NamespacesOf(t)->Get(NsType::kUts);
  return uts.root ? t.kernel().opts().domainname : uts.domainname;
}

}  // namespace bulwark::kernel
