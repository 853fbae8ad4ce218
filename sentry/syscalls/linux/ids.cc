// Credential syscalls. Each changes only the calling thread's credentials,
// as the Linux syscalls do (libc broadcasts to the other threads).
#include <algorithm>
#include <vector>

#include "sentry/kernel/credentials.h"
#include "sentry/syscalls/linux/sys_ids.h"

namespace bulwark::syscalls {

namespace {

using kernel::Credentials;

constexpr uint32_t kInvalidId = static_cast<uint32_t>(-1);
constexpr size_t kNGroupsMax = 65536;
constexpr int kCapLastCap = 40;  // CAP_CHECKPOINT_RESTORE in Linux 6.1
constexpr uint64_t kCapValid = (uint64_t{2} << kCapLastCap) - 1;

// Effective capabilities dropped when the fs uid leaves 0 (capabilities(7)).
constexpr uint64_t kFsCaps = (uint64_t{1} << CAP_CHOWN) | (uint64_t{1} << CAP_DAC_OVERRIDE) |
                             (uint64_t{1} << CAP_DAC_READ_SEARCH) | (uint64_t{1} << CAP_FOWNER) |
                             (uint64_t{1} << CAP_FSETID) | (uint64_t{1} << CAP_LINUX_IMMUTABLE) |
                             (uint64_t{1} << CAP_MAC_OVERRIDE) | (uint64_t{1} << CAP_MKNOD);

bool AnyRoot(const Credentials& c) { return c.ruid == 0 || c.euid == 0 || c.suid == 0; }

// Capability changes when uids change ("Effect of user ID changes on
// capabilities" in capabilities(7)).
void FixCapsAfterUidChange(Credentials& n, const Credentials& old) {
  if (AnyRoot(old) && !AnyRoot(n)) {
    if (!n.keep_caps) n.cap_permitted = n.cap_effective = 0;
    n.cap_ambient = 0;
  }
  if (old.euid == 0 && n.euid != 0) n.cap_effective = 0;
  if (old.euid != 0 && n.euid == 0) n.cap_effective = n.cap_permitted;
}

void FixCapsAfterFsuidChange(Credentials& n, uid_t old_fsuid) {
  if (old_fsuid == 0 && n.fsuid != 0) n.cap_effective &= ~kFsCaps;
  if (old_fsuid != 0 && n.fsuid == 0) n.cap_effective |= n.cap_permitted & kFsCaps;
}

bool OneOf(uint32_t id, uint32_t a, uint32_t b, uint32_t c) {
  return id == a || id == b || id == c;
}

void CommitUids(Task& t, Credentials n) {
  FixCapsAfterUidChange(n, t.creds());
  t.creds() = std::move(n);
}

}  // namespace

SysResult<uid_t> sys_getuid(Task& t) { return t.creds().ruid; }
SysResult<uid_t> sys_geteuid(Task& t) { return t.creds().euid; }
SysResult<gid_t> sys_getgid(Task& t) { return t.creds().rgid; }
SysResult<gid_t> sys_getegid(Task& t) { return t.creds().egid; }

SysResult<void> sys_getresuid(Task& t, UserPtr<uid_t> ruid, UserPtr<uid_t> euid,
                              UserPtr<uid_t> suid) {
  const Credentials& c = t.creds();
  TRY(t.CopyOut(ruid, c.ruid));
  TRY(t.CopyOut(euid, c.euid));
  return t.CopyOut(suid, c.suid);
}

SysResult<void> sys_getresgid(Task& t, UserPtr<gid_t> rgid, UserPtr<gid_t> egid,
                              UserPtr<gid_t> sgid) {
  const Credentials& c = t.creds();
  TRY(t.CopyOut(rgid, c.rgid));
  TRY(t.CopyOut(egid, c.egid));
  return t.CopyOut(sgid, c.sgid);
}

SysResult<void> sys_setuid(Task& t, uid_t uid) {
  if (uid == kInvalidId) return Err(Errno::kEINVAL);
  Credentials n = t.creds();
  if (n.HasCap(CAP_SETUID)) {
    n.ruid = n.suid = uid;
  } else if (uid != n.ruid && uid != n.suid) {
    return Err(Errno::kEPERM);
  }
  n.euid = n.fsuid = uid;
  CommitUids(t, std::move(n));
  return {};
}

SysResult<void> sys_setgid(Task& t, gid_t gid) {
  if (gid == kInvalidId) return Err(Errno::kEINVAL);
  Credentials& c = t.creds();
  if (c.HasCap(CAP_SETGID)) {
    c.rgid = c.sgid = gid;
  } else if (gid != c.rgid && gid != c.sgid) {
    return Err(Errno::kEPERM);
  }
  c.egid = c.fsgid = gid;
  return {};
}

SysResult<void> sys_setreuid(Task& t, uid_t ruid, uid_t euid) {
  const Credentials& old = t.creds();
  Credentials n = old;
  bool cap = old.HasCap(CAP_SETUID);
  if (ruid != kInvalidId) {
    if (ruid != old.ruid && ruid != old.euid && !cap) return Err(Errno::kEPERM);
    n.ruid = ruid;
  }
  if (euid != kInvalidId) {
    if (!OneOf(euid, old.ruid, old.euid, old.suid) && !cap) return Err(Errno::kEPERM);
    n.euid = euid;
  }
  if (ruid != kInvalidId || (euid != kInvalidId && euid != old.ruid)) n.suid = n.euid;
  n.fsuid = n.euid;
  CommitUids(t, std::move(n));
  return {};
}

SysResult<void> sys_setregid(Task& t, gid_t rgid, gid_t egid) {
  Credentials& c = t.creds();
  bool cap = c.HasCap(CAP_SETGID);
  if (rgid != kInvalidId && rgid != c.rgid && rgid != c.egid && !cap) return Err(Errno::kEPERM);
  if (egid != kInvalidId && !OneOf(egid, c.rgid, c.egid, c.sgid) && !cap)
    return Err(Errno::kEPERM);
  gid_t old_rgid = c.rgid;
  if (rgid != kInvalidId) c.rgid = rgid;
  if (egid != kInvalidId) c.egid = egid;
  if (rgid != kInvalidId || (egid != kInvalidId && egid != old_rgid)) c.sgid = c.egid;
  c.fsgid = c.egid;
  return {};
}

SysResult<void> sys_setresuid(Task& t, uid_t ruid, uid_t euid, uid_t suid) {
  const Credentials& old = t.creds();
  if (!old.HasCap(CAP_SETUID)) {
    for (uid_t id : {ruid, euid, suid})
      if (id != kInvalidId && !OneOf(id, old.ruid, old.euid, old.suid)) return Err(Errno::kEPERM);
  }
  Credentials n = old;
  if (ruid != kInvalidId) n.ruid = ruid;
  if (euid != kInvalidId) n.euid = euid;
  if (suid != kInvalidId) n.suid = suid;
  n.fsuid = n.euid;
  CommitUids(t, std::move(n));
  return {};
}

SysResult<void> sys_setresgid(Task& t, gid_t rgid, gid_t egid, gid_t sgid) {
  Credentials& c = t.creds();
  if (!c.HasCap(CAP_SETGID)) {
    for (gid_t id : {rgid, egid, sgid})
      if (id != kInvalidId && !OneOf(id, c.rgid, c.egid, c.sgid)) return Err(Errno::kEPERM);
  }
  if (rgid != kInvalidId) c.rgid = rgid;
  if (egid != kInvalidId) c.egid = egid;
  if (sgid != kInvalidId) c.sgid = sgid;
  c.fsgid = c.egid;
  return {};
}

// setfsuid/setfsgid never fail; they return the previous id.
SysResult<uid_t> sys_setfsuid(Task& t, uid_t uid) {
  Credentials& c = t.creds();
  uid_t old = c.fsuid;
  if (uid == kInvalidId) return old;
  if (OneOf(uid, c.ruid, c.euid, c.suid) || uid == c.fsuid || c.HasCap(CAP_SETUID)) {
    c.fsuid = uid;
    FixCapsAfterFsuidChange(c, old);
  }
  return old;
}

SysResult<gid_t> sys_setfsgid(Task& t, gid_t gid) {
  Credentials& c = t.creds();
  gid_t old = c.fsgid;
  if (gid == kInvalidId) return old;
  if (OneOf(gid, c.rgid, c.egid, c.sgid) || gid == c.fsgid || c.HasCap(CAP_SETGID))
    c.fsgid = gid;
  return old;
}

SysResult<int> sys_getgroups(Task& t, int size, UserPtr<gid_t> list) {
  const std::vector<gid_t>& groups = t.creds().groups;
  if (size < 0) return Err(Errno::kEINVAL);
  int n = static_cast<int>(groups.size());
  if (size == 0) return n;
  if (size < n) return Err(Errno::kEINVAL);
  TRY(t.CopyOutBytes(list.addr, groups.data(), groups.size() * sizeof(gid_t)));
  return n;
}

SysResult<void> sys_setgroups(Task& t, int size, UserPtr<gid_t> list) {
  if (!t.creds().HasCap(CAP_SETGID)) return Err(Errno::kEPERM);
  if (static_cast<unsigned>(size) > kNGroupsMax) return Err(Errno::kEINVAL);
  std::vector<gid_t> groups(size);
  TRY(t.CopyInBytes(list.addr, groups.data(), groups.size() * sizeof(gid_t)));
  for (gid_t g : groups)
    if (g == kInvalidId) return Err(Errno::kEINVAL);
  std::sort(groups.begin(), groups.end());
  t.creds().groups = std::move(groups);
  return {};
}

namespace {

// cap_validate_magic(): the number of u32 words per set, or EINVAL after
// telling the caller the preferred version.
SysResult<int> CapWords(Task& t, UserPtr<__user_cap_header_struct> header) {
  uint32_t version = TRY(t.CopyIn(UserPtr<uint32_t>{header.addr}));
  switch (version) {
    case _LINUX_CAPABILITY_VERSION_1: return _LINUX_CAPABILITY_U32S_1;
    case _LINUX_CAPABILITY_VERSION_2:
    case _LINUX_CAPABILITY_VERSION_3: return _LINUX_CAPABILITY_U32S_3;
    default:
      TRY(t.CopyOut(UserPtr<uint32_t>{header.addr}, uint32_t{_LINUX_CAPABILITY_VERSION_3}));
      return Err(Errno::kEINVAL);
  }
}

SysResult<pid_t> CapPid(Task& t, UserPtr<__user_cap_header_struct> header) {
  return t.CopyIn(UserPtr<pid_t>{header.addr + offsetof(__user_cap_header_struct, pid)});
}

}  // namespace

SysResult<void> sys_capget(Task& t, UserPtr<__user_cap_header_struct> header,
                           UserPtr<__user_cap_data_struct> data) {
  auto words = CapWords(t, header);
  // A NULL data pointer probes the version: that EINVAL is success.
  if (data.null()) {
    if (!words && words.error() == Errno::kEINVAL) return {};
    return words ? SysResult<void>() : Err(words.error());
  }
  int n = TRY(std::move(words));
  pid_t pid = TRY(CapPid(t, header));
  if (pid < 0) return Err(Errno::kEINVAL);
  const Credentials* c = &t.creds();
  if (pid != 0 && pid != t.tid()) {
    kernel::Task* target = t.kernel().TaskByTid(pid);
    if (target == nullptr) return Err(Errno::kESRCH);
    c = &target->creds();
  }
  __user_cap_data_struct out[_LINUX_CAPABILITY_U32S_3] = {};
  for (int i = 0; i < n; ++i) {
    out[i].effective = static_cast<uint32_t>(c->cap_effective >> (32 * i));
    out[i].permitted = static_cast<uint32_t>(c->cap_permitted >> (32 * i));
    out[i].inheritable = static_cast<uint32_t>(c->cap_inheritable >> (32 * i));
  }
  return t.CopyOutBytes(data.addr, out, n * sizeof(out[0]));
}

SysResult<void> sys_capset(Task& t, UserPtr<__user_cap_header_struct> header,
                           UserPtr<__user_cap_data_struct> data) {
  int n = TRY(CapWords(t, header));
  pid_t pid = TRY(CapPid(t, header));
  if (pid != 0 && pid != t.tid()) return Err(Errno::kEPERM);
  __user_cap_data_struct in[_LINUX_CAPABILITY_U32S_3] = {};
  TRY(t.CopyInBytes(data.addr, in, n * sizeof(in[0])));
  uint64_t eff = 0, perm = 0, inh = 0;
  for (int i = 0; i < n; ++i) {
    eff |= uint64_t{in[i].effective} << (32 * i);
    perm |= uint64_t{in[i].permitted} << (32 * i);
    inh |= uint64_t{in[i].inheritable} << (32 * i);
  }
  eff &= kCapValid;
  perm &= kCapValid;
  inh &= kCapValid;
  // cap_capset()'s rules.
  Credentials& c = t.creds();
  auto subset = [](uint64_t a, uint64_t b) { return (a & ~b) == 0; };
  if (!c.HasCap(CAP_SETPCAP) && !subset(inh, c.cap_inheritable | c.cap_permitted))
    return Err(Errno::kEPERM);
  if (!subset(inh, c.cap_inheritable | c.cap_bounding)) return Err(Errno::kEPERM);
  if (!subset(perm, c.cap_permitted)) return Err(Errno::kEPERM);
  if (!subset(eff, perm)) return Err(Errno::kEPERM);
  c.cap_effective = eff;
  c.cap_permitted = perm;
  c.cap_inheritable = inh;
  c.cap_ambient &= perm & inh;
  return {};
}

}  // namespace bulwark::syscalls
