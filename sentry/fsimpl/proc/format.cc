#include "sentry/fsimpl/proc/format.h"

#include <sys/sysmacros.h>

#include <cinttypes>
#include <cstdarg>
#include <cstdio>

namespace bulwark::fsimpl::proc {

namespace {

__attribute__((format(printf, 2, 3))) void Appendf(std::string& out, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (static_cast<size_t>(n) < sizeof(buf)) {
    out.append(buf, n);
    return;
  }
  std::string big(n + 1, '\0');
  va_start(ap, fmt);
  vsnprintf(big.data(), big.size(), fmt, ap);
  va_end(ap);
  out.append(big.data(), n);
}

// seq_escape_str(..., ESCAPE_SPACE | ESCAPE_SPECIAL, "\n\\") as status's
// Name line uses it.
std::string EscapeComm(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\\') out += "\\\\";
    else out += c;
  }
  return out;
}

}  // namespace

std::string FormatMaps(const std::map<uint64_t, mm::Vma>& vmas,
                       std::span<const platform::SpecialMapping> special) {
  // show_vma_header_prefix(): the name starts after padding to column 72.
  constexpr size_t kNameColumn = 25 + sizeof(void*) * 6 - 1;
  std::string out;
  auto line = [&](uint64_t start, uint64_t end, int prot, bool shared, uint64_t offset,
                  dev_t dev, uint64_t ino, std::string_view name) {
    size_t line_start = out.size();
    Appendf(out, "%08" PRIx64 "-%08" PRIx64 " %c%c%c%c %08" PRIx64 " %02x:%02x %" PRIu64 " ",
            start, end, (prot & PROT_READ) ? 'r' : '-', (prot & PROT_WRITE) ? 'w' : '-',
            (prot & PROT_EXEC) ? 'x' : '-', shared ? 's' : 'p', offset, major(dev), minor(dev),
            ino);
    if (!name.empty()) {
      size_t len = out.size() - line_start;
      if (len < kNameColumn) out.append(kNameColumn - len, ' ');
      out += ' ';
      out += name;
    }
    out += '\n';
  };
  for (const auto& [start, v] : vmas) {
    line(v.start, v.end, v.prot, v.shared, v.ino ? v.file_offset : uint64_t{0}, v.dev, v.ino,
         v.name);
  }
  // The platform's vDSO lies above every application mapping.
  for (const platform::SpecialMapping& m : special)
    line(m.start, m.end, m.prot, false, 0, 0, 0, m.name);
  return out;
}

std::string FormatStat(const StatFields& f) {
  // Pending/blocked/ignored/caught are the obsolete decimal masks of the
  // first 31 signals (do_task_stat()).
  constexpr uint64_t kOld = 0x7fffffff;
  std::string out;
  Appendf(out, "%d (%s) %c %d %d %d %d %d %u %lu %lu %lu %lu %lu %lu %ld %ld %ld %ld %ld %ld ",
          f.pid, f.comm.c_str(), f.state, f.ppid, f.pgrp, f.session, f.tty_nr, f.tpgid,
          static_cast<unsigned>(f.flags), 0ul, 0ul, 0ul, 0ul, f.utime, f.stime,
          static_cast<long>(f.cutime), static_cast<long>(f.cstime), 20l, 0l,
          static_cast<long>(f.num_threads), 0l);
  Appendf(out, "%lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu ", f.starttime,
          f.vsize, f.rss, f.rsslim, f.startcode, f.endcode, f.startstack, 0ul, 0ul,
          f.signal & kOld, f.blocked & kOld, f.sigignore & kOld, f.sigcatch & kOld, 0ul, 0ul,
          0ul);
  Appendf(out, "%d %d %u %u %lu %lu %ld %lu %lu %lu %lu %lu %lu %lu %d\n", f.exit_signal, 0, 0u,
          0u, 0ul, 0ul, 0l, f.start_data, f.end_data, f.start_brk, f.arg_start, f.arg_end,
          f.env_start, f.env_end, f.exit_code);
  return out;
}

MemFields ComputeMem(const mm::MemoryManager& mm) {
  MemFields m;
  m.has_mm = true;
  uint64_t exec = 0;
  for (const auto& [start, v] : mm.vmas()) {
    uint64_t kb = (v.end - v.start) / 1024;
    if (v.growsdown) m.vm_stk += kb;
    else if ((v.prot & PROT_WRITE) && !v.shared) m.vm_data += kb;
    else if ((v.prot & PROT_EXEC) && !(v.prot & PROT_WRITE)) exec += kb;
  }
  m.vm_size = mm.VirtualSize() / 1024;
  if (mm.end_code > mm.start_code)
    m.vm_exe = (mm::PageUp(mm.end_code) - mm::PageDown(mm.start_code)) / 1024;
  m.vm_lib = exec > m.vm_exe ? exec - m.vm_exe : 0;
  return m;
}

std::string FormatStatus(const StatusFields& f) {
  std::string out;
  Appendf(out, "Name:\t%s\nUmask:\t%04o\nState:\t%s\n", EscapeComm(f.name).c_str(), f.umask,
          f.state.c_str());
  Appendf(out, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n", f.tgid, f.pid, f.ppid);
  Appendf(out, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n", f.uid[0], f.uid[1], f.uid[2],
          f.uid[3], f.gid[0], f.gid[1], f.gid[2], f.gid[3]);
  Appendf(out, "FDSize:\t%d\nGroups:\t", f.fd_size);
  for (size_t i = 0; i < f.groups.size(); ++i) Appendf(out, i ? " %u" : "%u", f.groups[i]);
  Appendf(out, " \nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", f.tgid, f.pid, f.pgid,
          f.sid);
  if (f.mem.has_mm) {
    const MemFields& m = f.mem;
    Appendf(out,
            "VmPeak:\t%8lu kB\nVmSize:\t%8lu kB\nVmLck:\t%8lu kB\nVmPin:\t%8lu kB\n"
            "VmHWM:\t%8lu kB\nVmRSS:\t%8lu kB\nRssAnon:\t%8lu kB\nRssFile:\t%8lu kB\n"
            "RssShmem:\t%8lu kB\nVmData:\t%8lu kB\nVmStk:\t%8lu kB\nVmExe:\t%8lu kB\n"
            "VmLib:\t%8lu kB\nVmPTE:\t%8lu kB\nVmSwap:\t%8lu kB\nHugetlbPages:\t%8lu kB\n",
            m.vm_size, m.vm_size, 0ul, 0ul, m.vm_rss, m.vm_rss, m.vm_rss, 0ul, 0ul, m.vm_data,
            m.vm_stk, m.vm_exe, m.vm_lib, 0ul, 0ul, 0ul);
  }
  Appendf(out, "CoreDumping:\t0\nTHP_enabled:\t1\nThreads:\t%d\nSigQ:\t%lu/%lu\n", f.threads,
          f.sigq_queued, f.sigq_limit);
  Appendf(out, "SigPnd:\t%016lx\nShdPnd:\t%016lx\nSigBlk:\t%016lx\nSigIgn:\t%016lx\nSigCgt:\t%016lx\n",
          f.sig_pending, f.shd_pending, f.sig_blocked, f.sig_ignored, f.sig_caught);
  Appendf(out, "CapInh:\t%016lx\nCapPrm:\t%016lx\nCapEff:\t%016lx\nCapBnd:\t%016lx\nCapAmb:\t%016lx\n",
          f.cap_inh, f.cap_prm, f.cap_eff, f.cap_bnd, f.cap_amb);
  Appendf(out, "NoNewPrivs:\t%d\nSeccomp:\t%d\nSeccomp_filters:\t%d\n", f.no_new_privs ? 1 : 0,
          f.seccomp_mode, f.seccomp_filters);
  out +=
      "Speculation_Store_Bypass:\tthread vulnerable\n"
      "SpeculationIndirectBranch:\tconditional enabled\n";
  Appendf(out, "Cpus_allowed:\t%s\nCpus_allowed_list:\t%s\n", CpuMask(f.ncpus).c_str(),
          CpuList(f.ncpus).c_str());
  // MAX_NUMNODES of a distribution kernel: 1024 bits, one node.
  out += "Mems_allowed:\t";
  for (int i = 0; i < 31; ++i) out += "00000000,";
  out += "00000001\nMems_allowed_list:\t0\n";
  out += "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n";
  return out;
}

std::string FormatStatm(const MemFields& m) {
  std::string out;
  Appendf(out, "%lu %lu %lu %lu 0 %lu 0\n", m.vm_size / 4, m.vm_rss / 4, 0ul, m.vm_exe / 4,
          (m.vm_data + m.vm_stk) / 4);
  return out;
}

std::string FormatLimits(const std::array<kernel::Rlimit, RLIM_NLIMITS>& rl) {
  struct Name {
    const char* name;
    const char* unit;
  };
  // Indexed by RLIMIT_* (fs/proc/base.c lnames[]).
  static constexpr Name kNames[RLIM_NLIMITS] = {
      {"Max cpu time", "seconds"},     {"Max file size", "bytes"},
      {"Max data size", "bytes"},      {"Max stack size", "bytes"},
      {"Max core file size", "bytes"}, {"Max resident set", "bytes"},
      {"Max processes", "processes"},  {"Max open files", "files"},
      {"Max locked memory", "bytes"},  {"Max address space", "bytes"},
      {"Max file locks", "locks"},     {"Max pending signals", "signals"},
      {"Max msgqueue size", "bytes"},  {"Max nice priority", nullptr},
      {"Max realtime priority", nullptr}, {"Max realtime timeout", "us"},
  };
  std::string out;
  Appendf(out, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
  for (int i = 0; i < RLIM_NLIMITS; ++i) {
    Appendf(out, "%-25s ", kNames[i].name);
    for (uint64_t v : {rl[i].cur, rl[i].max}) {
      if (v == RLIM_INFINITY) Appendf(out, "%-20s ", "unlimited");
      else Appendf(out, "%-20lu ", v);
    }
    if (kNames[i].unit) Appendf(out, "%-10s\n", kNames[i].unit);
    else out += '\n';
  }
  return out;
}

std::string EscapeMountField(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\\') {
      Appendf(out, "\\%03o", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatMounts(const std::vector<MountLine>& lines) {
  std::string out;
  for (const MountLine& l : lines) {
    Appendf(out, "%s %s %s %s 0 0\n", EscapeMountField(l.source).c_str(),
            EscapeMountField(l.mount_point).c_str(), EscapeMountField(l.fs_type).c_str(),
            l.options.c_str());
  }
  return out;
}

std::string FormatMountinfo(const std::vector<MountLine>& lines) {
  std::string out;
  for (const MountLine& l : lines) {
    Appendf(out, "%lu %lu %u:%u %s %s %s - %s %s %s\n", l.id, l.parent_id, major(l.dev),
            minor(l.dev), EscapeMountField(l.root).c_str(),
            EscapeMountField(l.mount_point).c_str(), l.options.c_str(),
            EscapeMountField(l.fs_type).c_str(), EscapeMountField(l.source).c_str(),
            l.super_options.c_str());
  }
  return out;
}

std::string FormatMeminfo(uint64_t total, uint64_t used) {
  uint64_t total_kb = total / 1024;
  uint64_t used_kb = std::min(used, total) / 1024;
  uint64_t free_kb = total_kb - used_kb;
  struct Row {
    const char* name;
    uint64_t kb;
  };
  const Row rows[] = {
      {"MemTotal:", total_kb},       {"MemFree:", free_kb},      {"MemAvailable:", free_kb},
      {"Buffers:", 0},               {"Cached:", 0},             {"SwapCached:", 0},
      {"Active:", used_kb},          {"Inactive:", 0},           {"Active(anon):", used_kb},
      {"Inactive(anon):", 0},        {"Active(file):", 0},       {"Inactive(file):", 0},
      {"Unevictable:", 0},           {"Mlocked:", 0},            {"SwapTotal:", 0},
      {"SwapFree:", 0},              {"Zswap:", 0},              {"Zswapped:", 0},
      {"Dirty:", 0},                 {"Writeback:", 0},          {"AnonPages:", used_kb},
      {"Mapped:", 0},                {"Shmem:", 0},              {"KReclaimable:", 0},
      {"Slab:", 0},                  {"SReclaimable:", 0},       {"SUnreclaim:", 0},
      {"KernelStack:", 0},           {"PageTables:", 0},         {"SecPageTables:", 0},
      {"NFS_Unstable:", 0},          {"Bounce:", 0},             {"WritebackTmp:", 0},
      {"CommitLimit:", total_kb},    {"Committed_AS:", used_kb}, {"VmallocTotal:", 34359738367},
      {"VmallocUsed:", 0},           {"VmallocChunk:", 0},       {"Percpu:", 0},
      {"HardwareCorrupted:", 0},     {"AnonHugePages:", 0},      {"ShmemHugePages:", 0},
      {"ShmemPmdMapped:", 0},        {"FileHugePages:", 0},      {"FilePmdMapped:", 0},
  };
  std::string out;
  for (const Row& r : rows) Appendf(out, "%-16s%8lu kB\n", r.name, r.kb);
  Appendf(out,
          "HugePages_Total:   %5lu\nHugePages_Free:    %5lu\nHugePages_Rsvd:    %5lu\n"
          "HugePages_Surp:    %5lu\nHugepagesize:   %8lu kB\nHugetlb:        %8lu kB\n",
          0ul, 0ul, 0ul, 0ul, 2048ul, 0ul);
  Appendf(out, "%-16s%8lu kB\n%-16s%8lu kB\n%-16s%8lu kB\n", "DirectMap4k:", 0ul,
          "DirectMap2M:", total_kb, "DirectMap1G:", 0ul);
  return out;
}

std::string CpuList(int n) {
  if (n <= 1) return "0";
  return "0-" + std::to_string(n - 1);
}

std::string CpuMask(int n) {
  if (n < 1) n = 1;
  std::string out;
  int top = (n - 1) / 32;
  for (int word = top; word >= 0; --word) {
    int bits = word == top ? n - 32 * top : 32;
    uint32_t v = bits == 32 ? 0xffffffffu : (1u << bits) - 1;
    int width = word == top ? (bits + 3) / 4 : 8;
    Appendf(out, "%0*x", width, v);
    if (word) out += ',';
  }
  return out;
}

}  // namespace bulwark::fsimpl::proc
