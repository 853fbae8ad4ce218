// /proc itself: the process directories, self, and the system-wide files.

#include <dirent.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/random.h>
#include <sys/sysinfo.h>

#include <charconv>
#include <cstdio>
#include <tuple>

#include "sentry/fsimpl/memfs/memfs.h"
#include "sentry/fsimpl/socket/inet_socket.h"
#include "sentry/fsimpl/proc/format.h"
#include "sentry/fsimpl/proc/inode.h"
#include "sentry/fsimpl/proc/procfs.h"
#include "sentry/kernel/task.h"

namespace bulwark::fsimpl::proc {

namespace {

using kernel::Task;

class RootDir : public StaticDir {
 public:
  explicit RootDir(std::shared_ptr<ProcFs> fs) : StaticDir(std::move(fs), 0555, 1) {}

  SysResult<std::shared_ptr<vfs::Inode>> Lookup(std::string_view name) override {
    if (auto child = StaticDir::Lookup(name)) return child;
    pid_t pid = 0;
    auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec != std::errc() || p != name.data() + name.size() || pid <= 0 || name[0] == '0')
      return Err(Errno::kENOENT);
    if (fs_->kernel.ThreadGroupByPid(pid)) return NewPidDir(fs_, Target{pid, 0}, true);
    // A thread's id names it too, though only processes are listed.
    if (Task* t = fs_->kernel.TaskByTid(pid)) return NewPidDir(fs_, Target{t->tgid(), pid}, true);
    return Err(Errno::kENOENT);
  }

  SysResult<std::vector<vfs::DirEntry>> ReadDir() override {
    std::vector<vfs::DirEntry> out = TRY(StaticDir::ReadDir());
    for (const auto& [pid, tg] : fs_->kernel.thread_groups())
      out.push_back(vfs::DirEntry{PidIno(pid, Space::kPidDir, 0), DT_DIR, std::to_string(pid)});
    return out;
  }
};

Generator Text(std::string s) {
  return [s = std::move(s)](Task&) -> SysResult<std::string> { return s; };
}

// A /proc/sys entry. Writes without a handler fail with EACCES, as sysctl
// files that are not writable (Linux refuses them already at open).
std::shared_ptr<vfs::Inode> Sysctl(const std::shared_ptr<ProcFs>& fs, Generator gen,
                                   WriteHandler write = nullptr) {
  return std::make_shared<ProcFile>(fs, write ? 0644 : 0444, fs->next_ino++, std::move(gen),
                                    std::move(write), Errno::kEACCES);
}

std::string RandomUuid() {
  uint8_t b[16] = {};
  if (getrandom(b, sizeof(b), 0) != sizeof(b)) {
    // The host's pool is ready by the time the sentry runs.
  }
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  char s[40];
  snprintf(s, sizeof(s),
           "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n", b[0], b[1],
           b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
           b[15]);
  return s;
}

// hostname and domainname: CAP_SYS_ADMIN may set them; the text ends at a
// newline and is cut at 64 bytes (proc_dostring()).
WriteHandler UtsWriter(std::string kernel::KernelOptions::*field, ProcFs* fs) {
  return [field, fs](Task& w, std::string_view data) -> SysResult<size_t> {
    if (!w.creds().HasCap(CAP_SYS_ADMIN)) return Err(Errno::kEPERM);
    std::string_view v = data.substr(0, data.find('\n')).substr(0, 64);
    fs->kernel.opts().*field = std::string(v);
    return data.size();
  };
}

struct CpuTimes {
  uint64_t user = 0, system = 0;
};

CpuTimes TotalCpu(ProcFs& fs) {
  CpuTimes c;
  for (const auto& [pid, tg] : fs.kernel.thread_groups()) {
    c.user += tg->utime_ns + tg->cutime_ns;
    c.system += tg->stime_ns + tg->cstime_ns;
    for (const Task* t : tg->tasks) {
      c.user += t->utime_ns;
      c.system += t->stime_ns;
    }
  }
  return c;
}

void AddSys(const std::shared_ptr<ProcFs>& fs, StaticDir& root) {
  ProcFs* raw = fs.get();
  auto sys = std::make_shared<StaticDir>(fs, 0555, fs->next_ino++);
  auto kern = std::make_shared<StaticDir>(fs, 0555, fs->next_ino++);
  kern->Add("cap_last_cap", Sysctl(fs, Text(std::to_string(CAP_LAST_CAP) + "\n")));
  kern->Add("domainname",
            Sysctl(fs, [raw](Task&) -> SysResult<std::string> {
              return raw->kernel.opts().domainname + "\n";
            }, UtsWriter(&kernel::KernelOptions::domainname, raw)));
  kern->Add("hostname",
            Sysctl(fs, [raw](Task&) -> SysResult<std::string> {
              return raw->kernel.opts().hostname + "\n";
            }, UtsWriter(&kernel::KernelOptions::hostname, raw)));
  kern->Add("ngroups_max", Sysctl(fs, Text("65536\n")));
  kern->Add("osrelease", Sysctl(fs, Text(std::string(kernel::kUnameRelease) + "\n")));
  kern->Add("ostype", Sysctl(fs, Text("Linux\n")));
  kern->Add("overflowgid", Sysctl(fs, Text("65534\n")));
  kern->Add("overflowuid", Sysctl(fs, Text("65534\n")));
  kern->Add("pid_max", Sysctl(fs, Text("4194304\n")));
  auto random = std::make_shared<StaticDir>(fs, 0555, fs->next_ino++);
  random->Add("boot_id", Sysctl(fs, Text(fs->boot_id)));
  random->Add("uuid", Sysctl(fs, [](Task&) -> SysResult<std::string> { return RandomUuid(); }));
  kern->Add("random", random);
  kern->Add("version", Sysctl(fs, Text(std::string(kernel::kUnameVersion) + "\n")));
  sys->Add("kernel", kern);

  auto fsdir = std::make_shared<StaticDir>(fs, 0555, fs->next_ino++);
  fsdir->Add("file-max", Sysctl(fs, Text("9223372036854775807\n")));
  fsdir->Add("nr_open", Sysctl(fs, Text("1048576\n")));
  fsdir->Add("pipe-max-size", Sysctl(fs, Text("1048576\n")));
  sys->Add("fs", fsdir);

  auto vm = std::make_shared<StaticDir>(fs, 0555, fs->next_ino++);
  vm->Add("max_map_count", Sysctl(fs, Text("65530\n")));
  vm->Add("mmap_min_addr", Sysctl(fs, Text("65536\n")));
  vm->Add("overcommit_memory", Sysctl(fs, Text("0\n")));
  sys->Add("vm", vm);
  root.Add("sys", sys);
}

void AddSystemFiles(const std::shared_ptr<ProcFs>& fs, StaticDir& root) {
  ProcFs* raw = fs.get();
  root.Add("cpuinfo", StaticFile(fs, Text(fs->cpuinfo)));
  root.Add("filesystems",
           StaticFile(fs, Text("nodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\nnodev\toverlay\n")));
  root.Add("loadavg", StaticFile(fs, [raw](Task&) -> SysResult<std::string> {
             int total = 0;
             pid_t last = 0;
             for (const auto& [pid, tg] : raw->kernel.thread_groups()) {
               total += static_cast<int>(tg->tasks.size());
               for (const Task* t : tg->tasks) last = std::max(last, t->tid());
               last = std::max(last, pid);
             }
             char buf[96];
             snprintf(buf, sizeof(buf), "0.00 0.00 0.00 1/%d %d\n", total, last);
             return std::string(buf);
           }));
  root.Add("meminfo", StaticFile(fs, [raw](Task&) -> SysResult<std::string> {
             return FormatMeminfo(raw->mem_total, raw->kernel.memory_file().Populated());
           }));
  root.Add("mounts", std::make_shared<ProcLink>(fs, fs->next_ino++, [](Task*) {
             return SysResult<std::string>("self/mounts");
           }));
  root.Add("stat", StaticFile(fs, [raw](Task&) -> SysResult<std::string> {
             CpuTimes c = TotalCpu(*raw);
             uint64_t n = raw->ncpus, user = NsToTicks(c.user), sys = NsToTicks(c.system);
             uint64_t all = NsToTicks(raw->kernel.UptimeNs()) * n;
             uint64_t idle = all > user + sys ? all - user - sys : 0;
             std::string out;
             char buf[160];
             snprintf(buf, sizeof(buf), "cpu  %lu 0 %lu %lu 0 0 0 0 0 0\n", user, sys, idle);
             out += buf;
             for (uint64_t i = 0; i < n; ++i) {
               snprintf(buf, sizeof(buf), "cpu%lu %lu 0 %lu %lu 0 0 0 0 0 0\n", i, user / n,
                        sys / n, idle / n);
               out += buf;
             }
             timespec now = vfs::Now();
             int64_t btime = now.tv_sec - raw->kernel.UptimeNs() / 1000000000;
             snprintf(buf, sizeof(buf),
                      "intr 0\nctxt 0\nbtime %ld\nprocesses %zu\nprocs_running 1\n"
                      "procs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n",
                      btime, raw->kernel.thread_groups().size());
             out += buf;
             return out;
           }));
  root.Add("uptime", StaticFile(fs, [raw](Task&) -> SysResult<std::string> {
             uint64_t up = raw->kernel.UptimeNs() / 10000000;  // centiseconds
             uint64_t idle = up * raw->ncpus;
             char buf[64];
             snprintf(buf, sizeof(buf), "%lu.%02lu %lu.%02lu\n", up / 100, up % 100, idle / 100,
                      idle % 100);
             return std::string(buf);
           }));
  // The loopback network's sockets (issue 8); a directory, not Linux's
  // self/net link, as the sandbox has one network namespace.
  auto net = std::make_shared<StaticDir>(fs, 0555, fs->next_ino++);
  for (auto [name, type, family] : {std::tuple{"tcp", SOCK_STREAM, AF_INET},
                                    std::tuple{"tcp6", SOCK_STREAM, AF_INET6},
                                    std::tuple{"udp", SOCK_DGRAM, AF_INET},
                                    std::tuple{"udp6", SOCK_DGRAM, AF_INET6}})
    net->Add(name, StaticFile(fs, [type, family](Task&) -> SysResult<std::string> {
               return socket::ProcNetTable(type, family);
             }));
  root.Add("net", net);
  root.Add("version",
           StaticFile(fs, Text(std::string("Linux version ") + kernel::kUnameRelease +
                               " (bulwark@bulwark) (bulwark) " + kernel::kUnameVersion + "\n")));
}

}  // namespace

std::shared_ptr<vfs::Inode> CreateProcFs(kernel::Kernel& kernel, std::string host_cpuinfo,
                                         ProcOptions options) {
  auto fs = std::make_shared<ProcFs>(kernel);
  fs->dev = memfs::AllocAnonDev();
  fs->cpuinfo = std::move(host_cpuinfo);
  fs->mount_time = vfs::Now();
  fs->boot_id = RandomUuid();
  fs->mem_total = options.mem_total;
  if (fs->mem_total == 0) {
    struct sysinfo si {};
    if (sysinfo(&si) == 0) fs->mem_total = static_cast<uint64_t>(si.totalram) * si.mem_unit;
  }
  cpu_set_t cpus;
  if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0) fs->ncpus = std::max(1, CPU_COUNT(&cpus));

  auto root = std::make_shared<RootDir>(fs);
  fs->root = root;
  // Ordinary symlinks whose text depends on the reader (not magic links:
  // RESOLVE_NO_MAGICLINKS lets them through, as on Linux).
  root->Add("self", std::make_shared<ProcLink>(
                        fs, fs->next_ino++, [](Task* reader) -> SysResult<std::string> {
                          // proc_self_get_link(): no caller, no pid.
                          if (!reader) return Err(Errno::kENOENT);
                          return std::to_string(reader->tgid());
                        }));
  root->Add("thread-self",
            std::make_shared<ProcLink>(
                fs, fs->next_ino++, [](Task* reader) -> SysResult<std::string> {
                  if (!reader) return Err(Errno::kENOENT);
                  return std::to_string(reader->tgid()) + "/task/" + std::to_string(reader->tid());
                }));
  AddSystemFiles(fs, *root);
  AddSys(fs, *root);
  return root;
}

}  // namespace bulwark::fsimpl::proc
