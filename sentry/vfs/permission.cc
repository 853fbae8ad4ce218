#include "sentry/vfs/permission.h"

#include <linux/capability.h>
#include <sys/stat.h>

namespace bulwark::vfs {

SysResult<void> CheckPermission(const Stat& st, const kernel::Credentials& creds, int may) {
  may &= kMayRead | kMayWrite | kMayExec;
  uint32_t mode = st.mode;
  uint32_t granted;
  if (creds.fsuid == st.uid) {
    granted = (mode >> 6) & 7;
  } else if (creds.InGroup(st.gid)) {
    granted = (mode >> 3) & 7;
  } else {
    granted = mode & 7;
  }
  if ((static_cast<uint32_t>(may) & ~granted) == 0) return {};

  if (S_ISDIR(mode)) {
    if (!(may & kMayWrite) && creds.HasCap(CAP_DAC_READ_SEARCH)) return {};
    if (creds.HasCap(CAP_DAC_OVERRIDE)) return {};
    return Err(Errno::kEACCES);
  }
  if (may == kMayRead && creds.HasCap(CAP_DAC_READ_SEARCH)) return {};
  if (!(may & kMayExec) || (mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
    if (creds.HasCap(CAP_DAC_OVERRIDE)) return {};
  return Err(Errno::kEACCES);
}

bool OwnerOrCapable(const Stat& st, const kernel::Credentials& creds) {
  return creds.fsuid == st.uid || creds.HasCap(CAP_FOWNER);
}

bool MayDeleteSticky(const Stat& dir, const Stat& victim, const kernel::Credentials& creds) {
  if (!(dir.mode & S_ISVTX)) return true;
  if (creds.fsuid == victim.uid || creds.fsuid == dir.uid) return true;
  return creds.HasCap(CAP_FOWNER);
}

}  // namespace bulwark::vfs
