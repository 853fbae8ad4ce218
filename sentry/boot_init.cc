// Creating the sandbox's init task from the OCI spec.
#include <sys/resource.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "base/log.h"
#include "oci/names.h"
#include "sentry/boot_internal.h"
#include "sentry/fsimpl/devpts/console_relay.h"
#include "sentry/fsimpl/host/host_file.h"
#include "sentry/fsimpl/host/notifier.h"
#include "sentry/kernel/exec.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/ops.h"

namespace bulwark::sentry {

namespace {

constexpr char kDefaultPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

uint64_t CapMask(const std::vector<std::string>& names) {
  uint64_t m = 0;
  for (const auto& n : names)
    if (auto c = oci::CapabilityNumber(n)) m |= uint64_t{1} << *c;
  return m;
}

kernel::Credentials CredsFromSpec(const oci::Process& p) {
  kernel::Credentials c;
  c.ruid = c.euid = c.suid = c.fsuid = p.user.uid;
  c.rgid = c.egid = c.sgid = c.fsgid = p.user.gid;
  c.groups.assign(p.user.additional_gids.begin(), p.user.additional_gids.end());
  c.cap_bounding = CapMask(p.capabilities.bounding);
  c.cap_effective = CapMask(p.capabilities.effective);
  c.cap_permitted = CapMask(p.capabilities.permitted);
  c.cap_inheritable = CapMask(p.capabilities.inheritable);
  c.cap_ambient = CapMask(p.capabilities.ambient);
  return c;
}

std::string EnvValue(const std::vector<std::string>& env, const std::string& name) {
  for (const auto& e : env)
    if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=')
      return e.substr(name.size() + 1);
  return "";
}

// Finds args[0] like runc (exec.LookPath in the container's PATH): names
// without a slash are searched in PATH, and the error wording is what
// Podman and containerd pattern-match.
Result<std::string> LookPath(const vfs::ResolveContext& ctx, const std::string& file,
                             const std::vector<std::string>& env) {
  auto executable = [&](const std::string& p) -> SysResult<void> {
    auto path = TRY(vfs::Resolve(ctx, p, vfs::kFollow));
    auto st = TRY(path.ino().GetStat());
    if (S_ISDIR(st.mode)) return Err(Errno::kEACCES);
    if (!(st.mode & 0111)) return Err(Errno::kEACCES);
    return {};
  };
  if (file.find('/') != std::string::npos) {
    auto r = executable(file);
    if (!r) {
      LOG_DEBUG("look up %s: %s", file.c_str(), ErrnoName(r.error()));
      if (r.error() == Errno::kEACCES)
        return MakeError("exec: \"" + file + "\": permission denied", EACCES);
      return MakeError("exec: \"" + file + "\": stat " + file + ": no such file or directory", ENOENT);
    }
    return file;
  }
  std::string path = EnvValue(env, "PATH");
  if (path.empty()) path = kDefaultPath;
  for (size_t i = 0; i <= path.size();) {
    size_t j = path.find(':', i);
    if (j == std::string::npos) j = path.size();
    std::string dir = path.substr(i, j - i);
    if (dir.empty()) dir = ".";
    std::string cand = dir + "/" + file;
    if (executable(cand)) return cand;
    i = j + 1;
  }
  return MakeError("exec: \"" + file + "\": executable file not found in $PATH", ENOENT);
}

// The sentry's own limits as defaults, overridden by process.rlimits.
void SetRlimits(kernel::ThreadGroup& tg, const oci::Process& p) {
  for (int r = 0; r < RLIM_NLIMITS; ++r) {
    struct rlimit rl;
    if (getrlimit(r, &rl) == 0) tg.rlimits[r] = kernel::Rlimit{rl.rlim_cur, rl.rlim_max};
  }
  for (const auto& rl : p.rlimits)
    if (auto r = oci::RlimitResource(rl.type)) tg.rlimits[*r] = kernel::Rlimit{rl.soft, rl.hard};
}

// process.terminal: one terminal on fds 0-2, the controlling terminal of
// the session the new process leads (runc: setsid, TIOCSCTTY and the pty
// replica dup'd onto 0-2). It is a pty of the sandbox (/dev/pts/N) relayed
// to the host terminal; without the sandbox's /dev/ptmx (no devpts mount),
// the host terminal itself. Done after the program is loaded, so that a
// failed exec leaves the host terminal's mode alone.
Result<void> InstallTerminal(kernel::Task& t, const vfs::ResolveContext& ctx, UniqueFd host,
                             bool keep, std::shared_ptr<fsimpl::host::Notifier> notifier) {
  kernel::ThreadGroup& tg = t.tg();  // leader of its own session and group
  uint64_t nofile = tg.rlimits[RLIMIT_NOFILE].cur;
  fsimpl::devpts::ConsoleOptions co;
  co.sid = tg.sid;
  co.pgid = tg.pgid;
  co.end_with_replicas = !keep;
  std::shared_ptr<vfs::FileDescription> file;
  if (auto pty = fsimpl::devpts::StartConsole(ctx, host, co)) {
    file = *pty;
  } else {
    LOG_WARN("terminal: no sandbox pty (%s); giving the process the host terminal",
             ErrnoName(pty.error()));
    auto f = fsimpl::host::ImportHostFile(std::move(host), notifier);
    if (!f) return MakeError(std::string("import terminal: ") + ErrnoName(f.error()));
    auto h = fsimpl::host::HostFdOf(**f);
    if (!h || !h->is_tty()) return MakeError("terminal: the fd is not a tty", ENOTTY);
    fsimpl::host::SetControllingTty(*h, tg.sid, tg.pgid);
    file = *f;
  }
  for (int fd = 0; fd <= 2; ++fd) (void)t.fds().InstallAt(fd, file, false, nofile);
  return {};
}

}  // namespace

Result<std::unique_ptr<kernel::Task>> CreateProcess(kernel::Kernel& k, const oci::Process& p,
                                                    ProcessStdio stdio,
                                                    std::shared_ptr<fsimpl::host::Notifier> notifier) {
  if (p.args.empty()) return MakeError("process.args: must not be empty", EINVAL);
  pid_t pid = k.AllocPid();
  if (pid < 0) return MakeError("no free pid in the sandbox", EAGAIN);
  auto tg = std::make_shared<kernel::ThreadGroup>(pid);
  SetRlimits(*tg, p);
  tg->start_time_ns = k.UptimeNs();
  auto t = std::make_unique<kernel::Task>(k, pid, tg);
  t->creds() = CredsFromSpec(p);
  t->no_new_privs = p.no_new_privileges;
  t->mm_ = std::make_shared<mm::MemoryManager>(k.memory_file(), k.platform());
  t->fds_ = std::make_shared<kernel::FdTable>();
  t->fs_ = std::make_shared<kernel::FsContext>();
  t->fs().root = k.mounts().RootPath();
  t->fs().umask = p.user.umask.value_or(022);

  uint64_t nofile = tg->rlimits[RLIMIT_NOFILE].cur;
  // The host terminal, installed once the program is loaded.
  UniqueFd terminal;
  if (stdio.terminal) {
    if (!stdio.fds[0]) return MakeError("terminal: no tty fd", EINVAL);
    if (!isatty(stdio.fds[0].get())) return MakeError("terminal: the fd is not a tty", ENOTTY);
    terminal = std::move(stdio.fds[0]);
  } else {
    for (int fd = 0; fd <= 2; ++fd) {
      if (!stdio.fds[fd]) continue;  // closed stdio stays closed in the sandbox
      auto file = fsimpl::host::ImportHostFile(std::move(stdio.fds[fd]), notifier);
      if (!file) return MakeError("import stdio fd " + std::to_string(fd) + ": " + ErrnoName(file.error()));
      (void)t->fds().InstallAt(fd, *file, false, nofile);
    }
  }
  for (size_t i = 0; i < stdio.extra.size(); ++i) {
    int fd = 3 + static_cast<int>(i);
    auto file = fsimpl::host::ImportHostFile(std::move(stdio.extra[i]), notifier);
    if (!file) return MakeError("import preserved fd " + std::to_string(fd) + ": " + ErrnoName(file.error()));
    if (auto r = t->fds().InstallAt(fd, *file, false, nofile); !r)
      return MakeError("preserved fd " + std::to_string(fd) + ": " + ErrnoName(r.error()) +
                       " (RLIMIT_NOFILE is " + std::to_string(nofile) + ")");
  }

  vfs::ResolveContext ctx;
  ctx.root = ctx.start = t->fs().root;
  ctx.creds = &t->creds();
  ctx.task = t.get();
  ctx.mounts = &k.mounts();
  ctx.umask = t->fs().umask;

  // The working directory; runc creates it when missing.
  auto cwd = vfs::Resolve(ctx, p.cwd, vfs::kFollow | vfs::kDirectory);
  if (!cwd && cwd.error() == Errno::kENOENT) {
    vfs::ResolveContext root_ctx = ctx;
    root_ctx.creds = nullptr;
    std::string prefix;
    for (size_t i = 1; i <= p.cwd.size(); ++i) {
      if (i == p.cwd.size() || p.cwd[i] == '/') {
        prefix = p.cwd.substr(0, i);
        (void)vfs::Mkdir(root_ctx, prefix, 0755);
      }
    }
    cwd = vfs::Resolve(ctx, p.cwd, vfs::kFollow | vfs::kDirectory);
  }
  if (!cwd) return MakeError("process.cwd " + p.cwd + ": " + ErrnoName(cwd.error()));
  t->fs().cwd = *cwd;
  ctx.start = *cwd;

  std::string path = TRY(LookPath(ctx, p.args[0], p.env));
  auto r = kernel::Exec(*t, ctx, path, p.args, p.env);
  if (!r) {
    int e = ToInt(r.error());
    return MakeError("exec: \"" + p.args[0] + "\": " + strerror(e), e);
  }
  if (terminal) TRY(InstallTerminal(*t, ctx, std::move(terminal), stdio.keep_console, notifier));
  return t;
}

Result<std::unique_ptr<kernel::Task>> CreateInit(kernel::Kernel& k, const oci::Spec& spec,
                                                 std::shared_ptr<fsimpl::host::Notifier> notifier,
                                                 int preserve_fds) {
  ProcessStdio stdio;
  // process.terminal: the runtime gave us the pty replica as fds 0-2.
  stdio.terminal = spec.process.terminal && isatty(0);
  stdio.keep_console = true;
  for (int fd = 0; fd <= (stdio.terminal ? 0 : 2); ++fd) {
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (copy >= 0) stdio.fds[fd] = UniqueFd(copy);
  }
  for (int i = 0; i < preserve_fds; ++i) {
    // The runtime checked they are open; keep them out of the stubs.
    int host = kPreservedFdBase + i;
    int copy = fcntl(host, F_DUPFD_CLOEXEC, 3);
    if (copy < 0) return MakeError("--preserve-fds: fd " + std::to_string(3 + i) + ": " + strerror(errno));
    close(host);
    stdio.extra.emplace_back(copy);
  }
  auto t = TRY(CreateProcess(k, spec.process, std::move(stdio), std::move(notifier)));
  k.AddThreadGroup(t->tg_ptr());
  k.SetInit(t->tg_ptr());
  return t;
}


}  // namespace bulwark::sentry
