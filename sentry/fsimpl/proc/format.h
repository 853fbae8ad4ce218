// procfs file formats, as pure functions of plain data (fs/proc/*.c).
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "platform/platform.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/mm/mm.h"

namespace bulwark::fsimpl::proc {

// USER_HZ: the unit of times in /proc/<pid>/stat and /proc/stat.
inline constexpr uint64_t kClockTicks = 100;
inline uint64_t NsToTicks(uint64_t ns) { return ns / (1000000000 / kClockTicks); }

// /proc/<pid>/maps: the VMAs, then the platform's own mappings (the vDSO,
// platform::Capabilities::special_mappings), which lie above them.
std::string FormatMaps(const std::map<uint64_t, mm::Vma>& vmas,
                       std::span<const platform::SpecialMapping> special = {});

// /proc/<pid>/stat (proc_pid_stat()).
struct StatFields {
  pid_t pid = 0;
  std::string comm;
  char state = 'R';
  pid_t ppid = 0, pgrp = 0, session = 0;
  int tty_nr = 0;
  pid_t tpgid = -1;
  uint64_t flags = 0x400000;  // PF_RANDOMIZE, as for every user process
  uint64_t utime = 0, stime = 0, cutime = 0, cstime = 0;  // ticks
  int64_t num_threads = 1;
  uint64_t starttime = 0;  // ticks after boot
  uint64_t vsize = 0;      // bytes
  uint64_t rss = 0;        // pages
  uint64_t rsslim = RLIM_INFINITY;
  uint64_t startcode = 0, endcode = 0, startstack = 0;
  uint64_t signal = 0, blocked = 0, sigignore = 0, sigcatch = 0;
  int exit_signal = 17;
  uint64_t start_data = 0, end_data = 0, start_brk = 0;
  uint64_t arg_start = 0, arg_end = 0, env_start = 0, env_end = 0;
  int exit_code = 0;
};
std::string FormatStat(const StatFields& f);

// Memory figures in KiB for status (task_mem()); has_mm false for zombies.
struct MemFields {
  bool has_mm = false;
  uint64_t vm_size = 0, vm_rss = 0, vm_data = 0, vm_stk = 0, vm_exe = 0, vm_lib = 0;
};
MemFields ComputeMem(const mm::MemoryManager& mm);

// /proc/<pid>/status (proc_pid_status()).
struct StatusFields {
  std::string name;
  uint32_t umask = 022;
  std::string state = "R (running)";
  pid_t tgid = 0, pid = 0, ppid = 0, pgid = 0, sid = 0;
  uint32_t uid[4] = {}, gid[4] = {};  // real, effective, saved, fs
  int fd_size = 64;
  std::vector<gid_t> groups;
  MemFields mem;
  int threads = 1;
  uint64_t sigq_queued = 0, sigq_limit = 0;
  uint64_t sig_pending = 0, shd_pending = 0, sig_blocked = 0, sig_ignored = 0, sig_caught = 0;
  uint64_t cap_inh = 0, cap_prm = 0, cap_eff = 0, cap_bnd = 0, cap_amb = 0;
  bool no_new_privs = false;
  int seccomp_mode = 0, seccomp_filters = 0;
  int ncpus = 1;
};
std::string FormatStatus(const StatusFields& f);

// /proc/<pid>/statm (in pages).
std::string FormatStatm(const MemFields& m);

// /proc/<pid>/limits.
std::string FormatLimits(const std::array<kernel::Rlimit, RLIM_NLIMITS>& rl);

// One line of /proc/<pid>/mounts and mountinfo.
struct MountLine {
  uint64_t id = 0, parent_id = 0;
  uint64_t dev = 0;
  std::string root = "/";  // within the filesystem
  std::string mount_point;
  std::string options;  // per-mount ("rw,nosuid,relatime")
  std::string fs_type, source;
  std::string super_options;  // per-filesystem ("rw", "rw,size=...")
};
std::string FormatMounts(const std::vector<MountLine>& lines);
std::string FormatMountinfo(const std::vector<MountLine>& lines);
// Escapes space, tab, newline and backslash as octal (mangle()).
std::string EscapeMountField(std::string_view s);

// /proc/meminfo from sizes in bytes.
std::string FormatMeminfo(uint64_t total, uint64_t used);

// "0-3" (Cpus_allowed_list) and "f" (Cpus_allowed, comma every 32 bits)
// for CPUs 0..n-1.
std::string CpuList(int n);
std::string CpuMask(int n);

}  // namespace bulwark::fsimpl::proc
