#include "platform/ptrace/factory.h"

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "base/log.h"
#include "platform/ptrace/ptrace_sys.h"
#include "platform/ptrace/stub_process.h"
#include "platform/ptrace/stub_seccomp.h"

namespace bulwark::platform::ptrace_impl {
namespace {

struct ForkRequest {
  const StubPage* page = nullptr;
  int memory_file_fd = -1;
  int cpu = -1;  // the requester's CPU (PinnedCpu), or -1
  SysResult<FactoryStub> result = Err(Errno::kEAGAIN);
  bool done = false;
};

// Runs on the factory thread: the new stub is its child and tracee.
SysResult<FactoryStub> ForkOnFactory(const StubPage& page, int memory_file_fd) {
  FactoryStub out;
  out.stub = TRY(ForkStub(page, memory_file_fd));
  pid_t pid = out.stub.pid;
  auto setup = [&]() -> SysResult<void> {
    TRY(PtraceGetRegs(pid, out.inject_regs));
    TRY(ResetExtendedState(pid));
    // The leader never runs application code (it spawns threads, see
    // stub_process.h); spawn the first application thread now, which saves
    // the caller a claim of the leader. The thread inherits the reset FP
    // state and the leader's (empty) signal mask.
    bool reaped = false;
    uint64_t tid = TRY(RunInjected(pid, CloneRegs(out.inject_regs, page), page.clone_trap_addr,
                                   reaped));
    if (tid >= static_cast<uint64_t>(-4095)) return Err(FromInt(-static_cast<int64_t>(tid)));
    out.first_thread = static_cast<pid_t>(tid);
    return ParkThread(pid, out.inject_regs, page);
  };
  if (auto r = setup(); !r) {
    LOG_ERROR("ptrace: setting up stub %d: %s", pid, ErrnoName(r.error()));
    KillAndReap(out.stub.pidfd.get());
    return Err(r.error());
  }
  return out;
}

class Factory {
 public:
  static Factory& Get() {
    // Never destroyed: the thread runs until the process exits.
    static Factory* factory = new Factory();
    return *factory;
  }

  SysResult<FactoryStub> Fork(const StubPage& page, int memory_file_fd) {
    if (!event_) return Err(Errno::kEAGAIN);
    ForkRequest req;
    req.page = &page;
    req.memory_file_fd = memory_file_fd;
    req.cpu = PinnedCpu();
    std::unique_lock lock(mu_);
    forks_.push_back(&req);
    Wake();
    cv_.wait(lock, [&] { return req.done; });
    return std::move(req.result);
  }

  void Reap(UniqueFd pidfd) {
    if (!event_) return;  // cannot happen once a stub was forked
    std::lock_guard lock(mu_);
    reaps_.push_back(std::move(pidfd));
    Wake();
  }

 private:
  Factory() {
    // Before the first stub exists: the sentry and every stub get the
    // exec-mapping filter (stub_seccomp.h).
    if (auto page = GetStubPage(); page) {
      if (auto r = InstallExecMappingFilter(*page); !r) {
        LOG_ERROR("ptrace: %s", r.error().message.c_str());
        return;  // no factory: every fork fails with EAGAIN
      }
    }
    event_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!event_) {
      LOG_ERROR("ptrace: stub factory eventfd: %s", ErrnoName(HostErrno()));
      return;
    }
    // Block every signal: the thread (and the stubs it forks, until they
    // clear their mask) must run no sentry signal handler.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    std::thread([this] { Loop(); }).detach();
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }

  void Wake() {
    uint64_t one = 1;
    // SAFETY: an 8-byte eventfd write; EAGAIN (counter full) still wakes.
    (void)::write(event_.get(), &one, sizeof(one));
  }

  void Loop() {
    std::vector<UniqueFd> reaping;
    std::vector<pollfd> fds;
    int cpu = -1;  // pinned to, or -1
    for (;;) {
      fds.clear();
      fds.push_back({event_.get(), POLLIN, 0});
      for (const UniqueFd& fd : reaping) fds.push_back({fd.get(), POLLIN, 0});
      if (::poll(fds.data(), fds.size(), -1) < 0) continue;  // EINTR
      if (fds[0].revents != 0) {
        uint64_t count;
        // SAFETY: an 8-byte eventfd read.
        (void)::read(event_.get(), &count, sizeof(count));
        std::deque<ForkRequest*> forks;
        {
          std::lock_guard lock(mu_);
          forks.swap(forks_);
          for (UniqueFd& fd : reaps_) reaping.push_back(std::move(fd));
          reaps_.clear();
        }
        for (ForkRequest* req : forks) {
          // Work on the requester's CPU: the requester then traces the
          // stub, and every wake-up of the set-up handshake stays local.
          if (req->cpu >= 0 && req->cpu != cpu) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(req->cpu, &set);
            if (sched_setaffinity(0, sizeof(set), &set) == 0) cpu = req->cpu;
          }
          auto result = ForkOnFactory(*req->page, req->memory_file_fd);
          std::lock_guard lock(mu_);
          req->result = std::move(result);
          req->done = true;
        }
        if (!forks.empty()) cv_.notify_all();
      }
      // Reap processes whose pidfd reported exit (fds[1..] match the first
      // entries of `reaping`; new ones were appended after them).
      size_t polled = fds.size() - 1;
      std::vector<UniqueFd> still;
      for (size_t i = 0; i < reaping.size(); i++) {
        if (i < polled && fds[i + 1].revents == 0) {
          still.push_back(std::move(reaping[i]));
          continue;
        }
        siginfo_t info{};
        // SAFETY: waitid(P_PIDFD) on a pidfd we own; WNOHANG never blocks.
        int r = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(reaping[i].get()),
                         &info, WEXITED | __WALL | WNOHANG);
        if (r == 0 && info.si_pid == 0) still.push_back(std::move(reaping[i]));  // not yet
        // Otherwise reaped, or ECHILD: someone else reaped it.
      }
      reaping.swap(still);
    }
  }

  UniqueFd event_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ForkRequest*> forks_;  // guarded by mu_
  std::vector<UniqueFd> reaps_;     // guarded by mu_
};

}  // namespace

SysResult<FactoryStub> FactoryFork(const StubPage& page, int memory_file_fd) {
  return Factory::Get().Fork(page, memory_file_fd);
}

void FactoryReap(UniqueFd process_pidfd) { Factory::Get().Reap(std::move(process_pidfd)); }

}  // namespace bulwark::platform::ptrace_impl
