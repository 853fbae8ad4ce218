#include "sentry/boot.h"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

#include "base/log.h"
#include "base/unique_fd.h"
#include "gofer/client.h"
#include "oci/parse.h"
#include "sentry/boot_internal.h"
#include "sentry/control/server.h"
#include "sentry/fsimpl/devpts/console_relay.h"
#include "sentry/fsimpl/gofer/page_cache.h"
#include "sentry/fsimpl/host/host_file.h"
#include "sentry/fsimpl/host/notifier.h"
#include "sentry/fsimpl/socket/host_inet_socket.h"
#include "sentry/kernel/signal_ops.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/seccomp_policy.h"

namespace bulwark::sentry {

namespace {

// Sparse size of the memory file: application memory is bounded by cgroup
// limits and the host, not by this.
constexpr uint64_t kMemoryFileSize = uint64_t{1} << 40;

// Signals the runtime forwards to the sentry for the container's init.
constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1,
                                     SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP, SIGALRM};

// With --control-fd, boot errors go to the runtime's `ready` request.
control::Server* g_control = nullptr;
kernel::Kernel* g_kernel = nullptr;

// How long a failed boot waits for the runtime's `ready` request to take
// the error before printing it on stderr instead.
constexpr int kBootErrorWaitMs = 5000;

[[noreturn]] void Fail(const std::string& msg) {
  LOG_ERROR("%s", msg.c_str());
  bool delivered = false;
  if (g_control != nullptr) {
    std::unique_lock<std::mutex> lock(g_kernel->mu);
    delivered = g_control->BootFailed(lock, msg, kBootErrorWaitMs);
  }
  if (!delivered) fprintf(stderr, "bulwark: %s\n", msg.c_str());
  _exit(1);
}

bool ParseIntFlag(std::string_view arg, std::string_view name, int* out) {
  if (arg.substr(0, name.size()) != name) return false;
  *out = atoi(std::string(arg.substr(name.size())).c_str());
  return true;
}

BootOptions ParseArgs(int argc, char** argv) {
  BootOptions o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "boot") continue;
    if (ParseIntFlag(a, "--spec-fd=", &o.spec_fd)) continue;
    if (ParseIntFlag(a, "--gofer-fd=", &o.gofer_fd)) continue;
    if (ParseIntFlag(a, "--debug-log-fd=", &o.debug_log_fd)) continue;
    if (ParseIntFlag(a, "--control-fd=", &o.control_fd)) continue;
    if (ParseIntFlag(a, "--preserve-fds=", &o.preserve_fds)) continue;
    if (a.starts_with("--platform=")) {
      o.platform = a.substr(11);
    } else if (a.starts_with("--overlay=")) {
      o.overlay = a.substr(10);
    } else if (a.starts_with("--network=")) {
      o.network = a.substr(10);
    } else if (a.starts_with("--seccomp=")) {
      o.seccomp = a.substr(10);
    } else if (a == "--strace") {
      o.strace = true;
    } else {
      Fail("boot: unknown argument " + std::string(a));
    }
  }
  if (o.spec_fd < 0 || o.gofer_fd < 0) Fail("boot: --spec-fd and --gofer-fd are required");
  if (o.overlay != "tmpfs" && o.overlay != "none")
    Fail("--overlay=" + o.overlay + ": must be tmpfs or none");
  if (o.network != "none" && o.network != "host")
    Fail("--network=" + o.network + ": must be none or host");
  return o;
}

std::string ReadAll(int fd) {
  std::string s;
  char buf[65536];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    s.append(buf, static_cast<size_t>(n));
  }
  return s;
}

std::string ReadHostFile(const char* path) {
  UniqueFd fd(open(path, O_RDONLY | O_CLOEXEC));
  return fd ? ReadAll(fd.get()) : std::string();
}

// Confines the sentry to an empty, read-only root: the runtime gave us a
// private mount namespace; a fresh tmpfs becomes "/" and the host's tree is
// detached. After this no host path can be opened.
Result<void> EnterEmptyRoot() {
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return HostError("make / private");
  if (mount("bulwark-sentry", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0500") != 0)
    return HostError("mount empty root");
  if (mkdir("/tmp/old", 0500) != 0) return HostError("mkdir old root");
  if (syscall(SYS_pivot_root, "/tmp", "/tmp/old") != 0) return HostError("pivot_root");
  if (chdir("/") != 0) return HostError("chdir /");
  if (umount2("/old", MNT_DETACH) != 0) return HostError("detach old root");
  if (rmdir("/old") != 0) return HostError("rmdir old root");
  if (mount(nullptr, "/", nullptr, MS_REMOUNT | MS_RDONLY | MS_BIND | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    return HostError("remount root read-only");
  return {};
}

// Drops every capability and sets no_new_privs: the sentry needs none to
// trace its own children and use the fds it already holds. With host
// networking it keeps CAP_NET_BIND_SERVICE, so that the application can
// bind ports below ip_unprivileged_port_start when its own capabilities
// allow (socket_hostinet.cc checks them).
Result<void> DropPrivileges(bool keep_net_bind_service) {
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    if (keep_net_bind_service && cap == CAP_NET_BIND_SERVICE) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      return HostError("drop capability from the bounding set");
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
    return HostError("clear ambient capabilities");
  cap_t caps = cap_init();
  if (keep_net_bind_service) {
    cap_value_t keep = CAP_NET_BIND_SERVICE;
    cap_set_flag(caps, CAP_PERMITTED, 1, &keep, CAP_SET);
    cap_set_flag(caps, CAP_EFFECTIVE, 1, &keep, CAP_SET);
  }
  int rc = cap_set_proc(caps);
  cap_free(caps);
  if (rc != 0) return HostError("drop capabilities");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return HostError("set no_new_privs");
  return {};
}

// Installs the sentry's seccomp allow-list (sentry/seccomp_policy.h) on
// this, the only thread so far: every later thread and stub inherits it.
// The mode goes into BULWARK_SECCOMP for the platform (the stubs' filter).
Result<void> InstallSeccomp(const BootOptions& opts) {
  auto mode = TRY(SentrySeccompMode(opts.seccomp));
  if (setenv("BULWARK_SECCOMP", seccomp::ModeName(mode), 1) != 0) return HostError("setenv");
  if (mode != seccomp::Mode::kEnforce)
    LOG_WARN("seccomp: the sentry's filter is in %s mode", seccomp::ModeName(mode));
  SentryPolicyOptions policy;
  policy.host_network = opts.network == "host";
  return seccomp::Install(SentryPolicy(policy), mode);
}

// The gofer serves every file of the sandbox: if it dies (killed on the
// host), the sandbox stops as if SIGKILLed, instead of hanging in the next
// file operation. `fd` is a copy of the sentry's end of the gofer socket;
// POLLHUP is reported without being asked for once the gofer's end closes.
[[noreturn]] void WatchGofer(int fd) {
  struct pollfd p = {fd, 0, 0};
  while (poll(&p, 1, -1) < 0 && errno == EINTR) {
  }
  LOG_ERROR("the gofer exited: stopping the sandbox");
  fflush(nullptr);
  _exit(128 + SIGKILL);
}

// The host terminal that is init's controlling terminal
// (process.terminal), or null. Set before ForwardSignals starts.
std::shared_ptr<fsimpl::host::HostFd> g_console;

void ForwardSignals(kernel::Kernel* k, sigset_t set) {
  while (true) {
    siginfo_t info;
    int sig = sigwaitinfo(&set, &info);
    if (sig < 0) continue;
    std::lock_guard<std::mutex> lock(k->mu);
    // A resize of the host terminal of a console (process.terminal): its
    // sandbox pty signals its own foreground group.
    if (sig == SIGWINCH && fsimpl::devpts::ResizeConsoles()) continue;
    if (sig == SIGWINCH && g_console && g_console->tty()->foreground_pgid != 0) {
      // The console was resized (the host sends SIGWINCH to the sentry, the
      // pty's session leader; or `run` forwards its own): Linux signals the
      // terminal's foreground process group.
      pid_t fg = g_console->tty()->foreground_pgid;
      for (const auto& [pid, tg] : k->thread_groups())
        if (tg->pgid == fg && !tg->zombie)
          kernel::SendGroupSignal(*tg, kernel::MakeSigInfo(SIGWINCH, SI_KERNEL));
      continue;
    }
    kernel::ThreadGroup* init = k->init();
    if (init == nullptr || init->zombie) continue;
    // From outside the sandbox: like Linux, init only takes it with a
    // handler installed (or SIGKILL/SIGSTOP).
    kernel::SendGroupSignal(*init, kernel::MakeSigInfo(sig, SI_USER, 0, 0),
                            kernel::SignalSource::kOutside);
  }
}

}  // namespace

int BootMain(int argc, char** argv) {
  // Large buffers (file contents while loading, gofer replies) are mmapped
  // and go back to the host when freed. glibc's default raises the mmap
  // threshold to the largest freed block, after which such buffers stay
  // resident in a malloc arena: ~1 MiB per idle sandbox.
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  mallopt(M_TRIM_THRESHOLD, 256 * 1024);
  log::SetComponent("sentry");
  BootOptions opts = ParseArgs(argc, argv);
  if (opts.debug_log_fd >= 0) log::SetDebugFd(fcntl(opts.debug_log_fd, F_DUPFD_CLOEXEC, 3));
  if (opts.debug_log_fd >= 0) close(opts.debug_log_fd);
  // Diagnostics belong in the debug log; the sentry's stderr is the
  // container's.
  log::SetStderr(false);

  std::string spec_text = ReadAll(opts.spec_fd);
  close(opts.spec_fd);
  auto spec = oci::ParseSpec(spec_text);
  if (!spec) Fail(spec.error().message);

  // Forwarded signals are taken by one thread with sigwaitinfo; every other
  // thread (and so every stub forked from one) inherits them blocked.
  sigset_t fwd;
  sigemptyset(&fwd);
  for (int s : kForwardedSignals) sigaddset(&fwd, s);
  pthread_sigmask(SIG_BLOCK, &fwd, nullptr);

  // process.terminal: fds 0-2 are the console's replica (from the runtime).
  // Make it the sentry's controlling terminal on the host, so that resizes
  // (SIGWINCH) and hangups (SIGHUP) reach the sentry, which forwards them.
  // A terminal that already belongs to another session (`run -t` on the
  // user's own terminal) is left alone: TIOCSCTTY without force fails.
  if (spec->process.terminal && isatty(0)) {
    if (setsid() >= 0 && ioctl(0, TIOCSCTTY, 0) != 0)
      LOG_DEBUG("console: TIOCSCTTY: %s", strerror(errno));
  }

  HostInfo host;
  host.cpuinfo = ReadHostFile("/proc/cpuinfo");
  struct sysinfo si;
  if (sysinfo(&si) == 0) host.total_memory = static_cast<uint64_t>(si.totalram) * si.mem_unit;

  auto mf = mm::MemoryFile::Create(kMemoryFileSize);
  if (!mf) Fail("memory file: " + mf.error().message);
  auto platform = platform::Create(opts.platform, (*mf)->fd());
  if (!platform) Fail(platform.error().message);

  kernel::KernelOptions kopts;
  kopts.strace = opts.strace;
  kopts.total_memory = host.total_memory;
  if (!spec->hostname.empty()) kopts.hostname = spec->hostname;
  if (!spec->domainname.empty()) kopts.domainname = spec->domainname;
  kernel::Kernel k(kopts, std::move(*mf), std::move(*platform));
  // A copy for WatchGofer, which starts once the seccomp filter is in.
  int gofer_watch = fcntl(opts.gofer_fd, F_DUPFD_CLOEXEC, 3);
  if (gofer_watch < 0) Fail("--gofer-fd: " + std::string(strerror(errno)));
  k.gofer_client = std::make_shared<gofer::Client>(UniqueFd(opts.gofer_fd));
  if (const auto& pids = spec->linux.resources.pids; pids && pids->limit > 0)
    k.pids_limit = static_cast<uint64_t>(pids->limit);

  if (opts.network == "host") {
    if (auto r = fsimpl::socket::BringUpLoopback(); !r)
      Fail(std::string("host network: set lo up: ") + ErrnoName(r.error()));
    fsimpl::socket::ReadUnprivilegedPortStart();
  }
  if (auto r = EnterEmptyRoot(); !r) Fail("confine sentry: " + r.error().message);
  if (auto r = DropPrivileges(opts.network == "host"); !r)
    Fail("confine sentry: " + r.error().message);
  if (auto r = InstallSeccomp(opts); !r) Fail("confine sentry: seccomp: " + r.error().message);
  std::thread(WatchGofer, gofer_watch).detach();

  auto notifier = fsimpl::host::Notifier::Start(k.mu);
  if (!notifier) Fail(std::string("host fd notifier: ") + ErrnoName(notifier.error()));
  if (opts.network == "host") fsimpl::socket::EnableHostNetwork(*notifier);

  // The control server starts after confinement (capabilities are per
  // thread) and before the boot steps whose errors it reports.
  control::Server* server = nullptr;
  if (opts.control_fd >= 0) {
    int lfd = fcntl(opts.control_fd, F_DUPFD_CLOEXEC, 3);
    close(opts.control_fd);
    if (lfd < 0) Fail("--control-fd: " + std::string(strerror(errno)));
    std::shared_ptr<fsimpl::host::Notifier> n = *notifier;
    kernel::Kernel* kp = &k;
    // Never destroyed: its threads run until the sentry exits.
    server = new control::Server(
        k, UniqueFd(lfd),
        [kp, n](const oci::Process& p, std::vector<UniqueFd> fds, bool terminal)
            -> Result<std::unique_ptr<kernel::Task>> {
          ProcessStdio stdio;
          stdio.terminal = terminal;
          // The stdio fds (one with a terminal), then the preserved ones.
          size_t nstdio = terminal ? 1 : 3;
          for (size_t i = 0; i < fds.size(); ++i) {
            if (i < nstdio) stdio.fds[i] = std::move(fds[i]);
            else stdio.extra.push_back(std::move(fds[i]));
          }
          return CreateProcess(*kp, p, std::move(stdio), n);
        });
    g_kernel = &k;
    g_control = server;
    server->Run();
  }
  {
    std::unique_lock<std::mutex> lock(k.mu);
    if (auto r = SetUpMounts(k, *spec, opts, host, *notifier); !r) {
      lock.unlock();
      Fail(r.error().message);
    }
    auto init = CreateInit(k, *spec, *notifier, opts.preserve_fds);
    if (!init) {
      lock.unlock();
      Fail(init.error().message);
    }
    if (spec->process.terminal) {
      if (auto f = (*init)->fds().Get(0); f) {
        auto h = fsimpl::host::HostFdOf(**f);
        if (h && h->is_tty()) g_console = h;
      }
    }
    if (server != nullptr) {
      // Loaded, not running: `start` (or a fatal signal) releases it.
      server->BootDone(std::move(*init));
      g_control = nullptr;  // later failures are not boot errors
    } else {
      k.StartTask(std::move(*init));
    }
  }
  std::thread(ForwardSignals, &k, fwd).detach();
  if (server != nullptr) {
    std::unique_lock<std::mutex> lock(k.mu);
    server->WaitForStart(lock);
  }

  int status = k.WaitForInit();
  LOG_DEBUG("init exited with status %#x", status);
  {
    // What init wrote to its terminal reaches the host before the exit.
    std::unique_lock<std::mutex> lock(k.mu);
    fsimpl::devpts::WaitConsoleOutput(lock, 0, std::chrono::seconds(2));
    fsimpl::devpts::RestoreConsoles();
  }
  // The sentry is pid 1 of its own pid namespace and cannot die by an
  // arbitrary signal sent to itself, so a signal death is reported as
  // 128+N, which is what runc and the containerd shim report for it.
  int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  {
    // Files still mapped shared by processes not yet gone get their pages.
    std::lock_guard<std::mutex> lock(k.mu);
    fsimpl::goferfs::WriteBackPageCaches();
  }
  fflush(nullptr);
  _exit(code);
}

}  // namespace bulwark::sentry
