#include "sentry/syscalls/linux/sysv_ipc.h"

#include <linux/capability.h>
#include <time.h>

namespace bulwark::syscalls::sysv {

void Perm::FillIpcPerm(ipc_perm* out) const {
  *out = ipc_perm{};
  out->__key = key;
  out->uid = uid;
  out->gid = gid;
  out->cuid = cuid;
  out->cgid = cgid;
  out->mode = static_cast<unsigned short>(mode);
  out->__seq = seq;
}

Perm NewPerm(const kernel::Credentials& creds, key_t key, int flags) {
  Perm p;
  p.key = key;
  p.uid = p.cuid = creds.euid;
  p.gid = p.cgid = creds.egid;
  p.mode = flags & 0777;
  p.ctime = NowSeconds();
  return p;
}

SysResult<void> CheckAccess(const kernel::Credentials& creds, const Perm& p, int flags) {
  int requested = (flags >> 6) | (flags >> 3) | flags;
  int granted = p.mode;
  if (creds.euid == p.cuid || creds.euid == p.uid) {
    granted >>= 6;
  } else if (creds.InGroup(p.cgid) || creds.InGroup(p.gid)) {
    granted >>= 3;
  }
  if ((requested & ~granted & 0007) && !creds.HasCap(CAP_IPC_OWNER)) return Err(Errno::kEACCES);
  return {};
}

SysResult<void> CheckOwner(const kernel::Credentials& creds, const Perm& p) {
  if (creds.euid == p.cuid || creds.euid == p.uid || creds.HasCap(CAP_SYS_ADMIN)) return {};
  return Err(Errno::kEPERM);
}

void SetPerm(Perm& p, const ipc_perm& in) {
  p.uid = in.uid;
  p.gid = in.gid;
  p.mode = (p.mode & ~0777u) | (in.mode & 0777);
  p.ctime = NowSeconds();
}

int64_t NowSeconds() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec;
}

}  // namespace bulwark::syscalls::sysv
