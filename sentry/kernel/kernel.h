// Kernel: the sandbox's global kernel state.
//
// Lock order: Kernel::mu (the kernel lock) is the only kernel-wide lock.
// Host-side locks inside the platform and the gofer client are leaves: never
// take the kernel lock while holding them.
#pragma once

#include <sys/types.h>
#include <sys/utsname.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "platform/platform.h"
#include "sentry/kernel/credentials.h"
#include "sentry/kernel/futex.h"
#include "sentry/mm/memory_file.h"
#include "sentry/vfs/mount.h"

namespace bulwark::gofer {
class Client;
}

namespace bulwark::kernel {

class Task;
class ThreadGroup;

// The release the sandbox reports in uname(2) and /proc.
inline constexpr char kUnameRelease[] = "6.1.0-bulwark";
inline constexpr char kUnameVersion[] = "#1 SMP PREEMPT_DYNAMIC bulwark";

struct KernelOptions {
  bool strace = false;
  std::string hostname = "bulwark";
  std::string domainname = "(none)";
  // What sysinfo(2) reports as totalram; 0 = the host's total memory.
  uint64_t total_memory = 0;
  // CPUs the sandbox has (sched_getaffinity, getcpu); 0 = the host's.
  int num_cpus = 0;
};

class Kernel {
 public:
  Kernel(KernelOptions opts, std::unique_ptr<mm::MemoryFile> mf,
         std::unique_ptr<platform::Platform> platform);
  ~Kernel();

  // The kernel lock (see the lock order above).
  std::mutex mu;

  KernelOptions& opts() { return opts_; }
  platform::Platform& platform() { return *platform_; }
  mm::MemoryFile& memory_file() { return *mf_; }
  vfs::MountTable& mounts() { return mounts_; }

  // --- Pids (one pid namespace: the sandbox's) ---
  pid_t AllocPid();
  Task* TaskByTid(pid_t tid) const;
  std::shared_ptr<ThreadGroup> ThreadGroupByPid(pid_t pid) const;
  const std::map<pid_t, std::shared_ptr<ThreadGroup>>& thread_groups() const { return tgs_; }
  ThreadGroup* init() const { return init_.get(); }

  // Registers a new task and starts its host thread. `t` must be fully set
  // up. Precondition: lock held.
  void StartTask(std::unique_ptr<Task> t);
  // Called by a task's thread when it leaves its run loop; deletes `t`.
  // Precondition: lock held.
  void TaskExited(Task* t);
  // Records a new thread group (fork) / forgets a reaped one.
  void AddThreadGroup(std::shared_ptr<ThreadGroup> tg);
  void RemoveThreadGroup(pid_t tgid);
  void SetInit(std::shared_ptr<ThreadGroup> tg) { init_ = tg; }

  // Blocks the calling (non-task) thread until init has exited and every
  // task thread has finished. Returns init's wait status.
  int WaitForInit();

  // Monotonic ns since boot (for /proc/uptime, times, start_time).
  int64_t UptimeNs() const;
  // Wakes a task's host thread sleeping in Task::Block.
  std::condition_variable& idle_cv() { return idle_cv_; }

  // Control "pause"/"resume" (sentry/control): while `paused`, tasks park
  // at the top of their run loop, outside application code (cgroup-freezer
  // semantics). Set `paused` and Kick every task to pause; clear it and
  // notify `resume_cv` to resume. Guarded by mu.
  bool paused = false;
  std::condition_variable resume_cv;

  // linux.resources.pids.limit (0: none), set at boot and by the control
  // "update": like the pids cgroup, clone fails with EAGAIN once this many
  // tasks (threads) exist. Guarded by mu.
  uint64_t pids_limit = 0;
  bool AtPidsLimit() const {
    return pids_limit != 0 && static_cast<uint64_t>(live_threads_) >= pids_limit;
  }

  // Futex waiters of every address space (futex.h). Guarded by the lock.
  FutexTable& futexes() { return futexes_; }
  // Gives a task a new tid (a non-leader thread taking over its leader's
  // tid in execve). Precondition: lock held; `tid` is unused by any task.
  void RenameTask(Task* t, pid_t tid);

  // The connection to the gofer (may be null in unit tests).
  std::shared_ptr<gofer::Client> gofer_client;

 private:
  KernelOptions opts_;
  std::unique_ptr<mm::MemoryFile> mf_;
  std::unique_ptr<platform::Platform> platform_;
  vfs::MountTable mounts_;
  std::map<pid_t, std::unique_ptr<Task>> tasks_;
  std::map<pid_t, std::shared_ptr<ThreadGroup>> tgs_;
  std::shared_ptr<ThreadGroup> init_;
  pid_t last_pid_ = 0;
  int64_t boot_ns_ = 0;
  int live_threads_ = 0;
  std::condition_variable idle_cv_;
  FutexTable futexes_;
};

}  // namespace bulwark::kernel
