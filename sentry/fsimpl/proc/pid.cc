// /proc/<pid>/ and /proc/<pid>/task/<tid>/.

#include <dirent.h>
#include <sys/sysmacros.h>
#include <time.h>

#include <charconv>
#include <cstring>

#include "sentry/fsimpl/proc/format.h"
#include "sentry/fsimpl/tty/job_control.h"
#include "sentry/fsimpl/proc/inode.h"
#include "sentry/fsimpl/proc/ns.h"
#include "sentry/kernel/task.h"

namespace bulwark::fsimpl::proc {

namespace {

using kernel::Task;

// Largest argument or environment area read for cmdline/environ.
constexpr uint64_t kMaxArea = 4 << 20;

uint64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

bool HasMm(const Task* t) { return t && t->mm_; }

std::string ReadArea(const Task& t, uint64_t start, uint64_t end) {
  if (end <= start) return {};
  std::string s(std::min(end - start, kMaxArea), '\0');
  // Memory the process unmapped reads as nothing, as access_remote_vm().
  if (!t.CopyInBytes(start, s.data(), s.size())) return {};
  return s;
}

std::string CommOf(const Resolved& r) {
  if (r.task) return r.task->comm;
  // Every thread is gone: name the zombie after its executable.
  if (r.tg->exe.valid()) return r.tg->exe.dentry->name().substr(0, 15);
  return {};
}

char StateOf(const Resolved& r, const Task& reader) {
  if (r.tg->zombie || !r.task) return 'Z';
  if (r.task == &reader || r.task->in_app.load()) return 'R';
  return 'S';
}

void SignalMasks(const kernel::ThreadGroup& tg, uint64_t* ignored, uint64_t* caught) {
  *ignored = *caught = 0;
  for (int sig = 1; sig <= kernel::kNumSignals; ++sig) {
    uint64_t h = tg.handlers->actions[sig].handler;
    if (h == reinterpret_cast<uint64_t>(SIG_IGN)) *ignored |= kernel::SigBit(sig);
    else if (h != reinterpret_cast<uint64_t>(SIG_DFL)) *caught |= kernel::SigBit(sig);
  }
}

StatFields BuildStat(ProcFs& fs, const Resolved& r, Target t, const Task& reader) {
  const kernel::ThreadGroup& tg = *r.tg;
  StatFields f;
  f.pid = t.tid ? t.tid : tg.tgid;
  f.comm = CommOf(r);
  f.state = StateOf(r, reader);
  f.ppid = tg.parent ? tg.parent->tgid : 0;
  f.pgrp = tg.pgid;
  f.session = tg.sid;
  // do_task_stat(): the controlling terminal's device, encoded as
  // new_encode_dev() does, and its foreground group (-1: none).
  if (const fsimpl::tty::JobControl* tty = fsimpl::tty::TtyOfSession(tg.sid)) {
    unsigned maj = major(tty->device), min = minor(tty->device);
    f.tty_nr = static_cast<int>((min & 0xff) | (maj << 8) | ((min & ~0xffu) << 12));
    if (tty->foreground_pgid != 0) f.tpgid = tty->foreground_pgid;
  }
  uint64_t utime = t.tid ? 0 : tg.utime_ns, stime = t.tid ? 0 : tg.stime_ns;
  for (const Task* th : tg.tasks) {
    if (t.tid && th != r.task) continue;
    utime += th->utime_ns;
    stime += th->stime_ns;
  }
  f.utime = NsToTicks(utime);
  f.stime = NsToTicks(stime);
  f.cutime = NsToTicks(tg.cutime_ns);
  f.cstime = NsToTicks(tg.cstime_ns);
  f.num_threads = static_cast<int64_t>(tg.tasks.size());
  uint64_t boot = MonotonicNs() - fs.kernel.UptimeNs();
  f.starttime = NsToTicks(tg.start_time_ns > static_cast<int64_t>(boot)
                              ? tg.start_time_ns - boot
                              : 0);
  f.rsslim = tg.rlimits[RLIMIT_RSS].cur;
  f.exit_signal = tg.exit_signal;
  SignalMasks(tg, &f.sigignore, &f.sigcatch);
  f.signal = tg.pending.set;
  if (r.task) {
    f.signal |= r.task->pending.set;
    f.blocked = r.task->sigmask;
  }
  if (HasMm(r.task)) {
    const mm::MemoryManager& mm = r.task->mm();
    f.vsize = mm.VirtualSize();
    f.startcode = mm.start_code;
    f.endcode = mm.end_code;
    f.startstack = mm.start_stack;
    f.start_data = mm.start_data;
    f.arg_start = mm.arg_start;
    f.arg_end = mm.arg_end;
    f.env_start = mm.env_start;
    f.env_end = mm.env_end;
  }
  if (tg.zombie) f.exit_code = tg.wait_status;
  return f;
}

StatusFields BuildStatus(ProcFs& fs, const Resolved& r, Target t, const Task& reader) {
  const kernel::ThreadGroup& tg = *r.tg;
  StatusFields f;
  f.name = CommOf(r);
  switch (StateOf(r, reader)) {
    case 'Z': f.state = "Z (zombie)"; break;
    case 'S': f.state = "S (sleeping)"; break;
    default: f.state = "R (running)"; break;
  }
  f.tgid = tg.tgid;
  f.pid = t.tid ? t.tid : tg.tgid;
  f.ppid = tg.parent ? tg.parent->tgid : 0;
  f.pgid = tg.pgid;
  f.sid = tg.sid;
  f.threads = static_cast<int>(tg.tasks.size());
  f.shd_pending = tg.pending.set;
  f.sigq_queued = tg.pending.queue.size();
  f.sigq_limit = tg.rlimits[RLIMIT_SIGPENDING].cur;
  SignalMasks(tg, &f.sig_ignored, &f.sig_caught);
  f.ncpus = fs.ncpus;
  if (const Task* task = r.task) {
    const kernel::Credentials& c = task->creds();
    uint32_t uid[4] = {c.ruid, c.euid, c.suid, c.fsuid}, gid[4] = {c.rgid, c.egid, c.sgid, c.fsgid};
    std::memcpy(f.uid, uid, sizeof(uid));
    std::memcpy(f.gid, gid, sizeof(gid));
    f.groups = c.groups;
    f.cap_inh = c.cap_inheritable;
    f.cap_prm = c.cap_permitted;
    f.cap_eff = c.cap_effective;
    f.cap_bnd = c.cap_bounding;
    f.cap_amb = c.cap_ambient;
    f.no_new_privs = task->no_new_privs;
    f.seccomp_mode = task->seccomp.mode;
    for (const kernel::SeccompFilter* s = task->seccomp.filter.get(); s; s = s->prev.get())
      ++f.seccomp_filters;
    f.sig_pending = task->pending.set;
    f.sigq_queued += task->pending.queue.size();
    f.sig_blocked = task->sigmask;
    if (task->fs_) f.umask = task->fs().umask;
    if (task->fds_ && !task->fds().entries().empty()) {
      int highest = task->fds().entries().rbegin()->first;
      while (f.fd_size <= highest) f.fd_size *= 2;
    }
    if (HasMm(task)) f.mem = ComputeMem(task->mm());
  }
  return f;
}

std::vector<MountLine> MountLines(ProcFs& fs, const Resolved& r) {
  const vfs::MountTable& mounts = fs.kernel.mounts();
  vfs::Path root = r.task && r.task->fs_ ? r.task->fs().root : mounts.RootPath();
  std::vector<MountLine> lines;
  for (const auto& m : mounts.All()) {
    std::string where = mounts.PathString(vfs::Path{m, m->root()}, root);
    if (where.starts_with("(unreachable)")) continue;
    MountLine l;
    l.id = m->id();
    l.parent_id = m->parent ? m->parent->id() : 0;
    if (auto st = m->root()->ino().GetStat()) l.dev = st->dev;
    l.mount_point = std::move(where);
    l.options = m->OptionsString();
    l.fs_type = m->fs_type();
    l.source = m->source().empty() ? "none" : m->source();
    l.super_options = m->ReadOnly() ? "ro" : "rw";
    lines.push_back(std::move(l));
  }
  return lines;
}

SysResult<int> ParseInt(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return Err(Errno::kEINVAL);
  return v;
}

// A per-process file's generator: runs `f` on the resolved target.
template <typename F>
Generator Gen(ProcFs* fs, Target t, F f) {
  return [fs, t, f](Task& reader) -> SysResult<std::string> {
    Resolved r = TRY(ResolveTarget(*fs, t));
    return f(*fs, r, t, reader);
  };
}

vfs::Path ReaderRoot(ProcFs& fs, Task* reader, const Resolved& r) {
  if (reader && reader->fs_) return reader->fs().root;
  if (r.task && r.task->fs_) return r.task->fs().root;
  return fs.kernel.mounts().RootPath();
}

using PathOf = SysResult<vfs::Path> (*)(const Resolved& r);

std::shared_ptr<vfs::Inode> PathLink(const std::shared_ptr<ProcFs>& fs, Target t, uint64_t ino,
                                     PathOf path_of) {
  ProcFs* raw = fs.get();
  auto text = [raw, t, path_of](Task* reader) -> SysResult<std::string> {
    Resolved r = TRY(ResolveTarget(*raw, t));
    vfs::Path p = TRY(path_of(r));
    return raw->kernel.mounts().PathString(p, ReaderRoot(*raw, reader, r));
  };
  auto magic = [raw, t, path_of](Task& task) -> SysResult<vfs::Path> {
    Resolved r = TRY(ResolveTarget(*raw, t));
    return path_of(r);
  };
  return std::make_shared<ProcLink>(fs, ino, text, magic, t);
}

struct EntrySpec {
  const char* name;
  uint8_t dtype;
  bool process_only;
};

// The entries of a pid directory, in listing order; index = inode number
// within the directory's space.
constexpr EntrySpec kEntries[] = {
    {"auxv", DT_REG, false},        {"cgroup", DT_REG, false},     {"cmdline", DT_REG, false},
    {"comm", DT_REG, false},        {"cwd", DT_LNK, false},        {"environ", DT_REG, false},
    {"exe", DT_LNK, false},         {"fd", DT_DIR, false},         {"fdinfo", DT_DIR, false},
    {"gid_map", DT_REG, false},     {"limits", DT_REG, false},     {"maps", DT_REG, false},
    {"mountinfo", DT_REG, false},   {"mounts", DT_REG, false},     {"ns", DT_DIR, false},
    {"oom_score", DT_REG, false},
    {"oom_score_adj", DT_REG, false}, {"root", DT_LNK, false},     {"setgroups", DT_REG, false},
    {"stat", DT_REG, false},        {"statm", DT_REG, false},      {"status", DT_REG, false},
    {"task", DT_DIR, true},         {"uid_map", DT_REG, false},
};

// Thread entries differ from their process's, so they get their own numbers.
uint64_t EntryIno(Target t, size_t index) {
  return t.tid ? PidIno(t.tid, Space::kPidFile, 64 + index + 1)
               : PidIno(t.tgid, Space::kPidFile, index + 1);
}
uint64_t DirIno(Target t) {
  return t.tid ? PidIno(t.tid, Space::kPidDir, 1) : PidIno(t.tgid, Space::kPidDir, 0);
}

std::shared_ptr<vfs::Inode> MakeEntry(const std::shared_ptr<ProcFs>& fs, Target t, size_t index) {
  ProcFs* raw = fs.get();
  std::string_view name = kEntries[index].name;
  uint64_t ino = EntryIno(t, index);
  auto file = [&](uint32_t perm, Generator gen, WriteHandler write = nullptr) {
    return std::make_shared<ProcFile>(fs, perm, ino, std::move(gen), std::move(write),
                                      Errno::kEINVAL, t);
  };
  auto text = [&](std::string s) {
    return file(0444, [s](Task&) -> SysResult<std::string> { return s; });
  };

  if (name == "stat")
    return file(0444, Gen(raw, t, [](ProcFs& fs, const Resolved& r, Target t, Task& reader) {
                  return SysResult<std::string>(FormatStat(BuildStat(fs, r, t, reader)));
                }));
  if (name == "status")
    return file(0444, Gen(raw, t, [](ProcFs& fs, const Resolved& r, Target t, Task& reader) {
                  return SysResult<std::string>(FormatStatus(BuildStatus(fs, r, t, reader)));
                }));
  if (name == "statm")
    return file(0444, Gen(raw, t, [](ProcFs&, const Resolved& r, Target, Task&) {
                  MemFields m;
                  if (HasMm(r.task)) m = ComputeMem(r.task->mm());
                  return SysResult<std::string>(FormatStatm(m));
                }));
  if (name == "cmdline")
    return file(0444, Gen(raw, t, [](ProcFs&, const Resolved& r, Target, Task&) {
                  if (!HasMm(r.task)) return SysResult<std::string>("");
                  const mm::MemoryManager& mm = r.task->mm();
                  std::string s = ReadArea(*r.task, mm.arg_start, mm.arg_end);
                  if (!s.empty() && s.back() != '\0') {
                    // setproctitle(3) overwrote the final NUL: the title runs
                    // on into the environment area up to a NUL.
                    s += ReadArea(*r.task, mm.arg_end, mm.env_end);
                    s.resize(strnlen(s.data(), s.size()));
                  }
                  return SysResult<std::string>(std::move(s));
                }));
  if (name == "environ")
    return file(0400, Gen(raw, t, [](ProcFs&, const Resolved& r, Target, Task&) {
                  if (!HasMm(r.task)) return SysResult<std::string>("");
                  const mm::MemoryManager& mm = r.task->mm();
                  return SysResult<std::string>(ReadArea(*r.task, mm.env_start, mm.env_end));
                }));
  if (name == "auxv")
    return file(0400, Gen(raw, t, [](ProcFs&, const Resolved& r, Target, Task&) {
                  std::vector<uint64_t> v;
                  if (HasMm(r.task)) v = r.task->mm().auxv;
                  if (v.size() < 2 || v[v.size() - 2] != 0) v.insert(v.end(), {0, 0});
                  return SysResult<std::string>(
                      std::string(reinterpret_cast<const char*>(v.data()), v.size() * 8));
                }));
  if (name == "maps")
    return file(0444, Gen(raw, t, [](ProcFs&, const Resolved& r, Target, Task&) {
                  if (!HasMm(r.task)) return SysResult<std::string>("");
                  return SysResult<std::string>(FormatMaps(
                      r.task->mm().vmas(), r.task->kernel().platform().Caps().special_mappings));
                }));
  if (name == "comm") {
    auto write = [raw, t](Task& writer, std::string_view data) -> SysResult<size_t> {
      Resolved r = TRY(ResolveTarget(*raw, t));
      // comm_write(): only threads of the same process may rename.
      if (!r.task || writer.tgid() != t.tgid) return Err(Errno::kEINVAL);
      std::string_view name = data.substr(0, 15);
      r.task->comm = std::string(name.substr(0, name.find('\0')));
      return data.size();
    };
    return file(0644, Gen(raw, t, [](ProcFs&, const Resolved& r, Target, Task&) {
                  return SysResult<std::string>(CommOf(r) + "\n");
                }), write);
  }
  if (name == "mounts")
    return file(0444, Gen(raw, t, [](ProcFs& fs, const Resolved& r, Target, Task&) {
                  return SysResult<std::string>(FormatMounts(MountLines(fs, r)));
                }));
  if (name == "mountinfo")
    return file(0444, Gen(raw, t, [](ProcFs& fs, const Resolved& r, Target, Task&) {
                  return SysResult<std::string>(FormatMountinfo(MountLines(fs, r)));
                }));
  if (name == "limits")
    return file(0444, Gen(raw, t, [](ProcFs&, const Resolved& r, Target, Task&) {
                  return SysResult<std::string>(FormatLimits(r.tg->rlimits));
                }));
  if (name == "oom_score_adj") {
    auto write = [raw, t](Task& writer, std::string_view data) -> SysResult<size_t> {
      TRY(ResolveTarget(*raw, t));
      int v = TRY(ParseInt(data));
      if (v < -1000 || v > 1000) return Err(Errno::kEINVAL);
      raw->oom_score_adj[t.tgid] = v;
      return data.size();
    };
    return file(0644, Gen(raw, t, [](ProcFs& fs, const Resolved& r, Target t, Task&) {
                  auto it = fs.oom_score_adj.find(t.tgid);
                  return SysResult<std::string>(
                      std::to_string(it == fs.oom_score_adj.end() ? 0 : it->second) + "\n");
                }), write);
  }
  if (name == "oom_score") return text("0\n");
  if (name == "cgroup") return text("0::/\n");
  if (name == "setgroups") return text("allow\n");
  // The sandbox has one user namespace: the identity map of user_namespaces(7).
  if (name == "uid_map" || name == "gid_map") return text("         0          0 4294967295\n");
  if (name == "exe")
    return PathLink(fs, t, ino, [](const Resolved& r) -> SysResult<vfs::Path> {
      if (!r.tg->exe.valid()) return Err(Errno::kENOENT);
      return r.tg->exe;
    });
  if (name == "cwd")
    return PathLink(fs, t, ino, [](const Resolved& r) -> SysResult<vfs::Path> {
      if (!r.task || !r.task->fs_) return Err(Errno::kENOENT);
      return r.task->fs().cwd;
    });
  if (name == "root")
    return PathLink(fs, t, ino, [](const Resolved& r) -> SysResult<vfs::Path> {
      if (!r.task || !r.task->fs_) return Err(Errno::kENOENT);
      return r.task->fs().root;
    });
  if (name == "fd") return NewFdDir(fs, t, false, ino);
  if (name == "fdinfo") return NewFdDir(fs, t, true, ino);
  if (name == "ns") return NewNsDir(fs, t, ino);
  return nullptr;  // "task": see PidDir::Lookup
}

class TaskDir : public ProcDir {
 public:
  TaskDir(std::shared_ptr<ProcFs> fs, pid_t tgid)
      : ProcDir(std::move(fs), S_IFDIR | 0555, PidIno(tgid, Space::kMisc, 0), Target{tgid, 0}),
        tgid_(tgid) {}

  SysResult<std::shared_ptr<vfs::Inode>> Lookup(std::string_view name) override {
    pid_t tid = 0;
    auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), tid);
    if (ec != std::errc() || p != name.data() + name.size() || tid <= 0)
      return Err(Errno::kENOENT);
    TRY(ResolveTarget(*fs_, Target{tgid_, tid}));
    return NewPidDir(fs_, Target{tgid_, tid}, false);
  }

  SysResult<std::vector<vfs::DirEntry>> ReadDir() override {
    Resolved r = TRY(ResolveTarget(*fs_, Target{tgid_, 0}));
    std::vector<vfs::DirEntry> out;
    for (const Task* th : r.tg->tasks)
      out.push_back(vfs::DirEntry{DirIno(Target{tgid_, th->tid()}), DT_DIR,
                                  std::to_string(th->tid())});
    return out;
  }

 private:
  pid_t tgid_;
};

class PidDir : public ProcDir {
 public:
  PidDir(std::shared_ptr<ProcFs> fs, Target t, bool with_tasks)
      : ProcDir(std::move(fs), S_IFDIR | 0555, DirIno(t), t),
        target_(t), with_tasks_(with_tasks) {}

  SysResult<std::shared_ptr<vfs::Inode>> Lookup(std::string_view name) override {
    TRY(ResolveTarget(*fs_, target_));
    for (size_t i = 0; i < std::size(kEntries); ++i) {
      if (name != kEntries[i].name) continue;
      if (kEntries[i].process_only && !with_tasks_) break;
      if (name == "task") return std::shared_ptr<vfs::Inode>(std::make_shared<TaskDir>(fs_, target_.tgid));
      return MakeEntry(fs_, target_, i);
    }
    return Err(Errno::kENOENT);
  }

  SysResult<std::vector<vfs::DirEntry>> ReadDir() override {
    TRY(ResolveTarget(*fs_, target_));
    std::vector<vfs::DirEntry> out;
    for (size_t i = 0; i < std::size(kEntries); ++i) {
      if (kEntries[i].process_only && !with_tasks_) continue;
      uint64_t ino = kEntries[i].dtype == DT_DIR && std::string_view(kEntries[i].name) == "task"
                         ? PidIno(target_.tgid, Space::kMisc, 0)
                         : EntryIno(target_, i);
      out.push_back(vfs::DirEntry{ino, kEntries[i].dtype, kEntries[i].name});
    }
    return out;
  }

  // /proc/<pid> (not a task/<tid> directory): its process.
  std::optional<pid_t> process() const {
    return with_tasks_ ? std::optional<pid_t>(target_.tgid) : std::nullopt;
  }

 protected:
  uint32_t Nlink() override { return 9; }

 private:
  Target target_;
  bool with_tasks_;
};

}  // namespace

std::shared_ptr<vfs::Inode> NewPidDir(const std::shared_ptr<ProcFs>& fs, Target t,
                                      bool with_tasks) {
  return std::make_shared<PidDir>(fs, t, with_tasks);
}

std::optional<pid_t> ProcessOfPidDir(const vfs::Inode& ino) {
  auto* dir = dynamic_cast<const PidDir*>(&ino);
  return dir ? dir->process() : std::nullopt;
}

}  // namespace bulwark::fsimpl::proc
