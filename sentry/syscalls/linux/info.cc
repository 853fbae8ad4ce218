// System information syscalls.
#include <sys/personality.h>
#include <linux/capability.h>
#include <sys/random.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>
#include <vector>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/namespaces.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/linux/sys_info.h"

namespace bulwark::syscalls {

namespace {

constexpr size_t kUtsLen = 64;  // __NEW_UTS_LEN

void SetField(char (&field)[kUtsLen + 1], const std::string& value) {
  memset(field, 0, sizeof(field));
  memcpy(field, value.data(), std::min(value.size(), kUtsLen));
}

// sethostname/setdomainname: the name is `len` raw bytes (not necessarily
// NUL-terminated); readers see it up to the first NUL.
SysResult<std::string> CopyInUtsName(Task& t, UserPtr<char> name, int len) {
  if (!t.creds().HasCap(CAP_SYS_ADMIN)) return Err(Errno::kEPERM);
  if (len < 0 || static_cast<size_t>(len) > kUtsLen) return Err(Errno::kEINVAL);
  char buf[kUtsLen] = {};
  TRY(t.CopyInBytes(name.addr, buf, len));
  return std::string(buf, strnlen(buf, len));
}

uint64_t HostTotalMemory() {
  static const uint64_t total = [] {
    struct sysinfo si {};
    return ::sysinfo(&si) == 0 ? uint64_t{si.totalram} * si.mem_unit : 0;
  }();
  return total;
}

}  // namespace

SysResult<void> sys_uname(Task& t, UserPtr<struct utsname> buf) {
  struct utsname u {};
  SetField(u.sysname, "Linux");
  SetField(u.nodename, kernel::HostnameOf(t));
  SetField(u.release, kernel::kUnameRelease);
  SetField(u.version, kernel::kUnameVersion);
  // override_architecture(): a PER_LINUX32 process (linux32(1)) sees i686.
  SetField(u.machine, (t.personality & PER_MASK) == PER_LINUX32 ? "i686" : "x86_64");
  SetField(u.domainname, kernel::DomainnameOf(t));
  return t.CopyOut(buf, u);
}

SysResult<void> sys_sethostname(Task& t, UserPtr<char> name, int len) {
  kernel::HostnameOf(t) = TRY(CopyInUtsName(t, name, len));
  return {};
}

SysResult<void> sys_setdomainname(Task& t, UserPtr<char> name, int len) {
  kernel::DomainnameOf(t) = TRY(CopyInUtsName(t, name, len));
  return {};
}

// Deliberate differences from Linux: the load averages are 0, and there is
// no swap, shared or buffer memory to report.
SysResult<void> sys_sysinfo(Task& t, UserPtr<struct sysinfo> info) {
  kernel::Kernel& k = t.kernel();
  struct sysinfo si {};
  int64_t up = k.UptimeNs();
  si.uptime = up / 1000000000 + (up % 1000000000 != 0 ? 1 : 0);
  uint64_t total = k.opts().total_memory ? k.opts().total_memory : HostTotalMemory();
  uint64_t used = k.memory_file().Populated();
  si.totalram = total;
  si.freeram = total > used ? total - used : 0;
  size_t threads = 0;
  for (const auto& [pid, tg] : k.thread_groups()) threads += tg->tasks.size();
  si.procs = static_cast<unsigned short>(std::min<size_t>(threads, USHRT_MAX));
  si.mem_unit = 1;
  return t.CopyOut(info, si);
}

SysResult<size_t> sys_getrandom(Task& t, UserPtr<uint8_t> buf, size_t count, unsigned flags) {
  if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) return Err(Errno::kEINVAL);
  if ((flags & (GRND_INSECURE | GRND_RANDOM)) == (GRND_INSECURE | GRND_RANDOM))
    return Err(Errno::kEINVAL);
  count = std::min<size_t>(count, INT_MAX);
  constexpr size_t kChunk = 64 * 1024;
  std::vector<uint8_t> bytes(std::min(count, kChunk));
  size_t done = 0;
  while (done < count) {
    // Like Linux, a long request stops early at a signal.
    if (done > 0 && t.Interrupted()) break;
    size_t n = std::min(count - done, kChunk);
    // The host pool is initialized (the sentry is running), so this does
    // not block for long; GRND_NONBLOCK has nothing to avoid.
    ssize_t got = t.Unlocked([&] { return ::getrandom(bytes.data(), n, 0); });
    if (got < 0) {
      if (errno == EINTR) continue;
      return done > 0 ? SysResult<size_t>(done) : Err(HostErrno());
    }
    // Copy page by page so that a fault returns the bytes before it.
    for (size_t off = 0; off < static_cast<size_t>(got);) {
      uint64_t addr = buf.addr + done;
      size_t piece = std::min<uint64_t>(got - off, mm::kPageSize - addr % mm::kPageSize);
      if (!t.CopyOutBytes(addr, bytes.data() + off, piece))
        return done > 0 ? SysResult<size_t>(done) : Err(Errno::kEFAULT);
      off += piece;
      done += piece;
    }
  }
  return done;
}

}  // namespace bulwark::syscalls
