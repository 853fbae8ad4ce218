// Credentials of a task (credentials(7)).
#pragma once

#include <linux/capability.h>
#include <sys/types.h>

#include <cstdint>
#include <vector>

namespace bulwark::kernel {

struct Credentials {
  uid_t ruid = 0, euid = 0, suid = 0, fsuid = 0;
  gid_t rgid = 0, egid = 0, sgid = 0, fsgid = 0;
  std::vector<gid_t> groups;
  // Capability sets as bitmasks of CAP_* numbers.
  uint64_t cap_effective = 0, cap_permitted = 0, cap_inheritable = 0;
  uint64_t cap_bounding = 0, cap_ambient = 0;
  // SECBIT_KEEP_CAPS (PR_SET_KEEPCAPS); cleared by execve.
  bool keep_caps = false;

  bool HasCap(int cap) const { return (cap_effective >> cap) & 1; }
  bool InGroup(gid_t gid) const;
};

inline bool Credentials::InGroup(gid_t gid) const {
  if (gid == fsgid) return true;
  for (gid_t g : groups)
    if (g == gid) return true;
  return false;
}

}  // namespace bulwark::kernel
