#include "sentry/kernel/kernel.h"

#include <pthread.h>
#include <time.h>

#include <cstring>

#include "base/log.h"
#include "sentry/kernel/rusage.h"
#include "sentry/kernel/task.h"

namespace bulwark::kernel {

namespace {

// pid_max of the sandbox's namespace (/proc/sys/kernel/pid_max default).
constexpr pid_t kPidMax = 4194304;

}  // namespace

Kernel::Kernel(KernelOptions opts, std::unique_ptr<mm::MemoryFile> mf,
               std::unique_ptr<platform::Platform> platform)
    : opts_(std::move(opts)), mf_(std::move(mf)), platform_(std::move(platform)),
      boot_ns_(MonotonicNs()) {}

Kernel::~Kernel() = default;

int64_t Kernel::UptimeNs() const { return MonotonicNs() - boot_ns_; }

pid_t Kernel::AllocPid() {
  // Linux allocates increasing pids and wraps at pid_max, skipping used ones
  // (including pids still used as a process group or session id).
  for (int tries = 0; tries < kPidMax; ++tries) {
    last_pid_ = last_pid_ >= kPidMax - 1 ? 300 : last_pid_ + 1;
    if (tasks_.count(last_pid_) || tgs_.count(last_pid_)) continue;
    bool used = false;
    for (auto& [pid, tg] : tgs_)
      if (tg->pgid == last_pid_ || tg->sid == last_pid_) used = true;
    if (!used) return last_pid_;
  }
  return -1;
}

Task* Kernel::TaskByTid(pid_t tid) const {
  auto it = tasks_.find(tid);
  return it == tasks_.end() ? nullptr : it->second.get();
}

std::shared_ptr<ThreadGroup> Kernel::ThreadGroupByPid(pid_t pid) const {
  auto it = tgs_.find(pid);
  return it == tgs_.end() ? nullptr : it->second;
}

void Kernel::AddThreadGroup(std::shared_ptr<ThreadGroup> tg) { tgs_[tg->tgid] = std::move(tg); }
void Kernel::RemoveThreadGroup(pid_t tgid) { tgs_.erase(tgid); }

void Kernel::StartTask(std::unique_ptr<Task> t) {
  Task* raw = t.get();
  tasks_[t->tid()] = std::move(t);
  raw->tg().tasks.push_back(raw);
  ++live_threads_;
  // Task threads need little stack: handlers keep large buffers on the heap.
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 1 << 20);
  pthread_t thread;
  int rc = pthread_create(
      &thread, &attr,
      [](void* arg) -> void* {
        static_cast<Task*>(arg)->Run();
        return nullptr;
      },
      raw);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    LOG_ERROR("pthread_create for task %d: %s", raw->tid(), strerror(rc));
    abort();  // out of host resources: the sandbox cannot continue
  }
  pthread_detach(thread);
}

void Kernel::TaskExited(Task* t) {
  tasks_.erase(t->tid());  // destroys t
  --live_threads_;
  idle_cv_.notify_all();
}

void Kernel::RenameTask(Task* t, pid_t tid) {
  auto node = tasks_.extract(t->tid());
  node.key() = tid;
  t->tid_ = tid;
  tasks_.insert(std::move(node));
}

int Kernel::WaitForInit() {
  std::unique_lock<std::mutex> lock(mu);
  idle_cv_.wait(lock, [&] { return live_threads_ == 0; });
  return init_ ? init_->wait_status : 0;
}

}  // namespace bulwark::kernel
