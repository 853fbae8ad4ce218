#include "platform/ptrace/stub_process.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "base/log.h"
#include "platform/ptrace/ptrace_sys.h"

namespace bulwark::platform::ptrace_impl {
namespace {

// pidfd_open flag for a thread pidfd (Linux 6.9); equal to O_EXCL.
constexpr unsigned kPidfdThread = O_EXCL;

std::atomic<uint64_t> next_process_id{1};

struct HeldEntry {
  std::shared_ptr<StubProcess> proc;
  std::shared_ptr<StubThread> thread;
};

// What the calling sentry thread traces: at most one stub thread per stub
// process (the leader only while spawning, instead of an application
// thread).
struct Registry {
  std::vector<HeldEntry> held;
  // A sentry thread that exits with a tracee would kill its stub
  // (PTRACE_O_EXITKILL): park everything first.
  ~Registry() {
    while (!held.empty()) {
      HeldEntry e = held.back();
      e.proc->Release(e.thread);  // always drops the entry
    }
  }
};

thread_local Registry registry;

// Removes the calling thread's entry for `proc`; returns its thread or null.
std::shared_ptr<StubThread> Unregister(const StubProcess* proc) {
  auto& held = registry.held;
  for (size_t i = 0; i < held.size(); i++) {
    if (held[i].proc.get() != proc) continue;
    HeldEntry e = std::move(held[i]);
    held.erase(held.begin() + static_cast<ptrdiff_t>(i));
    return e.thread;  // e.proc dropped here: the caller still holds proc
  }
  return nullptr;
}

UniqueFd OpenThreadPidfd(pid_t tid) {
  // SAFETY: raw pidfd_open; returns a new fd or -1.
  return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, tid, kPidfdThread)));
}

// Waits for the exit of the killed tracee `tid` (never its stop).
void WaitExit(pid_t tid) {
  for (;;) {
    auto status = WaitTracee(tid);
    if (!status) return;  // ECHILD: already reaped
    if (WIFEXITED(*status) || WIFSIGNALED(*status)) return;
  }
}

}  // namespace

pid_t CurrentTid() {
  static thread_local const pid_t tid = static_cast<pid_t>(::gettid());
  return tid;
}

StubProcess::StubProcess(const StubPage& page, FactoryStub stub)
    : page_(page),
      pid_(stub.stub.pid),
      id_(next_process_id.fetch_add(1)),
      inject_regs_(stub.inject_regs),
      pidfd_(std::move(stub.stub.pidfd)) {
  leader_ = std::make_shared<StubThread>(pid_, UniqueFd());
  threads_.push_back(
      std::make_shared<StubThread>(stub.first_thread, OpenThreadPidfd(stub.first_thread)));
}

SysResult<std::shared_ptr<StubProcess>> StubProcess::Create(const StubPage& page,
                                                            int memory_file_fd) {
  FactoryStub stub = TRY(FactoryFork(page, memory_file_fd));
  return std::shared_ptr<StubProcess>(new StubProcess(page, std::move(stub)));
}

StubProcess::~StubProcess() {
  // No registry refers to this process any more, so no sentry thread traces
  // one of its threads: they all die promptly and the wait cannot hang.
  if (!dead_.exchange(true)) KillAndReap(pidfd_.get());
}

std::shared_ptr<StubThread> StubProcess::HeldByCaller() const {
  for (const HeldEntry& e : registry.held) {
    if (e.proc.get() == this) return e.thread;
  }
  return nullptr;
}

SysResult<std::shared_ptr<StubThread>> StubProcess::ThreadForCaller() {
  if (auto t = HeldByCaller()) {
    if (dead()) {
      Kill();
      return Err(Errno::kESRCH);
    }
    return t;
  }
  return Claim();
}

SysResult<std::shared_ptr<StubThread>> StubProcess::Claim() {
  pid_t self = CurrentTid();
  std::shared_ptr<StubThread> t;
  {
    std::lock_guard lock(mu_);
    if (dead()) return Err(Errno::kESRCH);
    for (auto& candidate : threads_) {
      if (candidate->tracer_tid == 0) {
        t = candidate;
        t->tracer_tid = self;
        break;
      }
    }
  }
  if (!t) t = TRY(Spawn());
  if (auto r = SeizeThread(t->tid); !r) {
    {
      std::lock_guard lock(mu_);
      t->tracer_tid = 0;
    }
    if (r.error() == Errno::kESRCH) {  // gone: the process is dying
      Kill();
      return Err(Errno::kESRCH);
    }
    LOG_ERROR("ptrace: cannot trace stub thread %d of %d: %s", t->tid, pid_,
              ErrnoName(r.error()));
    return Err(r.error());
  }
  registry.held.push_back({shared_from_this(), t});
  t->reaped = false;
  t->regs_valid = false;
  t->owner = nullptr;
  bool reaped = false;
  if (auto r = InterruptStop(t->tid, reaped); !r) {
    t->reaped = reaped;
    Kill();
    return Err(Errno::kESRCH);
  }
  Pin(*t);
  return t;
}

SysResult<std::shared_ptr<StubThread>> StubProcess::Spawn() {
  pid_t self = CurrentTid();
  std::lock_guard spawn_lock(spawn_mu_);
  {
    std::lock_guard lock(mu_);
    if (dead()) return Err(Errno::kESRCH);
    leader_->tracer_tid = self;
  }
  if (auto r = SeizeThread(pid_); !r) {
    {
      std::lock_guard lock(mu_);
      leader_->tracer_tid = 0;
    }
    if (r.error() == Errno::kESRCH) Kill();
    LOG_ERROR("ptrace: cannot trace stub %d: %s", pid_, ErrnoName(r.error()));
    return Err(r.error() == Errno::kESRCH ? Errno::kESRCH : r.error());
  }
  registry.held.push_back({shared_from_this(), leader_});
  bool reaped = false;
  auto spawned = [&]() -> SysResult<uint64_t> {
    TRY(InterruptStop(pid_, reaped));
    uint64_t r = TRY(RunInjected(pid_, CloneRegs(inject_regs_, page_), page_.clone_trap_addr,
                                 reaped));
    TRY(ParkThread(pid_, inject_regs_, page_));
    return r;
  }();
  if (!spawned) {
    // Kill reaps the leader if it can (see ReapCallerThread).
    leader_->reaped = reaped;
    Kill();
    return Err(Errno::kESRCH);
  }
  Unregister(this);
  std::lock_guard lock(mu_);
  leader_->tracer_tid = 0;
  uint64_t tid = *spawned;
  if (tid >= static_cast<uint64_t>(-4095)) {
    Errno e = FromInt(-static_cast<int64_t>(tid));
    LOG_WARN("ptrace: stub %d cannot clone a thread: %s", pid_, ErrnoName(e));
    return Err(e);
  }
  if (dead()) return Err(Errno::kESRCH);  // killed meanwhile, with the new thread
  auto t = std::make_shared<StubThread>(static_cast<pid_t>(tid),
                                        OpenThreadPidfd(static_cast<pid_t>(tid)));
  t->tracer_tid = self;
  threads_.push_back(t);
  return t;
}

void StubProcess::Pin(StubThread& t) {
  int cpu = PinnedCpu();
  if (cpu == t.cpu) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpu >= 0) {
    CPU_SET(cpu, &set);
  } else if (sched_getaffinity(0, sizeof(set), &set) != 0) {
    return;
  }
  // With the tracer on the same CPU, each ptrace stop is a local wake-up.
  if (sched_setaffinity(t.tid, sizeof(set), &set) != 0) {
    LOG_DEBUG("ptrace: setting the affinity of stub thread %d: %s", t.tid, strerror(errno));
    return;
  }
  t.cpu = cpu;
}

SysResult<uint64_t> StubProcess::Inject(StubThread& t, uint64_t nr, uint64_t a0, uint64_t a1,
                                        uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5) {
  if (dead()) {
    Kill();
    return Err(Errno::kESRCH);
  }
  user_regs_struct regs = inject_regs_;
  regs.rax = nr;
  regs.rdi = a0;
  regs.rsi = a1;
  regs.rdx = a2;
  regs.r10 = a3;
  regs.r8 = a4;
  regs.r9 = a5;
  regs.rip = page_.syscall_addr;
  t.regs_valid = false;  // the application's registers are gone from the stub
  bool reaped = false;
  auto r = RunInjected(t.tid, regs, page_.trap_addr, reaped);
  if (!r) {
    t.reaped = reaped;
    if (!reaped && !dead()) {
      LOG_ERROR("ptrace: stub %d failed an injected syscall %lu (%s); killed", pid_, nr,
                ErrnoName(r.error()));
    }
    Kill();
    return Err(Errno::kESRCH);
  }
  return *r;
}

void StubProcess::ReapCallerThread() {
  std::shared_ptr<StubThread> t = Unregister(this);
  if (!t) return;
  if (!t->reaped) {
    if (t->tid == pid_) {
      // The leader (we were spawning): a traced leader cannot be reaped
      // before every other thread is (delay_group_leader), and those may be
      // other sentry threads' tracees. Its tracer and parent are in this
      // thread group, so the final waitid(P_PIDFD) reaps it.
      int status;
      (void)::waitpid(pid_, &status, __WALL | WNOHANG);
    } else {
      WaitExit(t->tid);  // killed: exits promptly
    }
    t->reaped = true;
  }
  t->owner = nullptr;
  t->regs_valid = false;
  std::lock_guard lock(mu_);
  t->tracer_tid = 0;
}

void StubProcess::Kill() {
  std::shared_ptr<StubProcess> keep = shared_from_this();
  bool first;
  {
    std::lock_guard lock(mu_);
    first = !dead_.exchange(true);
  }
  // SAFETY: raw pidfd_send_signal on our process pidfd (no pid reuse).
  if (first) ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
  ReapCallerThread();
  if (!first) return;
  bool traced_elsewhere = false;
  {
    std::lock_guard lock(mu_);
    traced_elsewhere = leader_->tracer_tid != 0;
    for (const auto& t : threads_) traced_elsewhere |= t->tracer_tid != 0;
  }
  if (!traced_elsewhere) {
    KillAndReap(pidfd_.get());  // every thread is untraced and dies promptly
    return;
  }
  // SAFETY: F_DUPFD_CLOEXEC on our own fd.
  UniqueFd dup(::fcntl(pidfd_.get(), F_DUPFD_CLOEXEC, 3));
  if (dup) {
    FactoryReap(std::move(dup));
  } else {
    LOG_ERROR("ptrace: cannot hand stub %d to the factory: %s; left a zombie", pid_,
              ErrnoName(HostErrno()));
  }
}

void StubProcess::Reaped(StubThread& t) {
  t.reaped = true;
  Kill();
}

void StubProcess::Release(const std::shared_ptr<StubThread>& t) {
  std::shared_ptr<StubProcess> keep = shared_from_this();
  if (dead() || t->reaped) {
    Kill();  // reaps t
    return;
  }
  t->owner = nullptr;
  t->regs_valid = false;
  if (auto r = ParkThread(t->tid, inject_regs_, page_); !r) {
    // Only a dying thread refuses: finish the process.
    Kill();
    return;
  }
  Unregister(this);
  std::lock_guard lock(mu_);
  t->tracer_tid = 0;
}

void ReleaseHeld(const StubProcess* keep) {
  std::vector<HeldEntry> release;
  for (const HeldEntry& e : registry.held) {
    if (e.proc.get() != keep) release.push_back(e);
  }
  for (HeldEntry& e : release) e.proc->Release(e.thread);
}

size_t HeldCount() { return registry.held.size(); }

}  // namespace bulwark::platform::ptrace_impl
