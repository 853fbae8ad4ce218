#include "sentry/kernel/exec.h"

#include <sys/personality.h>

#include "base/log.h"
#include "sentry/kernel/rusage.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/loader/loader.h"
#include "sentry/vfs/ops.h"

namespace bulwark::kernel {

namespace {

// de_thread: kills every other thread of t's group and waits until they
// have left; a non-leader then takes over the leader's tid (execve(2)).
// Fails (the caller is being killed) if the group is exiting or another
// thread is already exec'ing.
SysResult<void> DeThread(Task& t) {
  ThreadGroup& tg = t.tg();
  if (tg.exiting || t.exiting || (tg.exec_task && tg.exec_task != &t))
    return Err(Errno::kEAGAIN);
  if (tg.tasks.size() > 1) {
    tg.exec_task = &t;
    for (Task* o : tg.tasks) {
      if (o == &t) continue;
      o->exiting = true;
      o->Kick();
    }
    tg.thread_exited.Add(&t);
    // Killable only, like Linux's wait in de_thread.
    while (tg.tasks.size() > 1 && !tg.exiting && !t.exiting) t.WaitForEvent();
    tg.thread_exited.Remove(&t);
    tg.exec_task = nullptr;
    if (tg.tasks.size() > 1) return Err(Errno::kEAGAIN);
  }
  if (t.tid() != tg.tgid) {
    // The old leader is gone (its Task deleted): take its tid.
    t.kernel().RenameTask(&t, tg.tgid);
  }
  return {};
}

}  // namespace

SysResult<void> Exec(Task& t, const vfs::ResolveContext& ctx, const std::string& path,
                     std::vector<std::string> argv, std::vector<std::string> envp) {
  auto new_mm = std::make_shared<mm::MemoryManager>(t.kernel().memory_file(), t.kernel().platform());
  auto open = [&ctx](const std::string& p) { return vfs::OpenExecutable(ctx, p); };
  loader::LoadedImage img = TRY(loader::LoadExecutable(t, *new_mm, path, std::move(argv),
                                                       std::move(envp), open));
  // Point of no return (begin_new_exec): the other threads die first.
  TRY(DeThread(t));
  ReleaseThreadMm(t);  // exec_mm_release: robust list, clear_child_tid
  if (t.mm_) SampleMemory(t.tg(), *t.mm_, t.kernel().memory_file());
  t.tg().rss_pages_seen = ~uint64_t{0};  // the new image starts a new baseline
  t.tg().did_exec = true;
  // Reuse the old image's platform address space when nothing else (a
  // vfork parent, a CLONE_VM sibling) still runs in it.
  if (t.mm_ && t.mm_.use_count() == 1) {
    if (auto r = new_mm->TakeAddressSpace(*t.mm_); !r)
      LOG_DEBUG("exec: reusing the address space: %s", ErrnoName(r.error()));
  }
  t.mm_ = std::move(new_mm);
  if (t.fds_.use_count() > 1) t.fds_ = t.fds().Fork();  // unshare_files
  t.fds().CloseOnExec();
  if (t.tg().handlers.use_count() > 1)
    t.tg().handlers = std::make_shared<SignalHandlers>(*t.tg().handlers);
  t.tg().handlers->Flush();
  t.altstack = stack_t{nullptr, SS_DISABLE, 0};
  t.creds().keep_caps = false;  // prctl(2): cleared on execve
  // SET_PERSONALITY(): a 64-bit image never keeps READ_IMPLIES_EXEC.
  t.personality &= ~static_cast<uint32_t>(READ_IMPLIES_EXEC);
  t.tg().exe = img.exe;
  t.tg().exe_deny = img.exe_deny;
  size_t slash = path.rfind('/');
  t.comm = path.substr(slash == std::string::npos ? 0 : slash + 1, 15);
  auto& r = t.regs().regs;
  uint64_t cs = r.cs, ss = r.ss;
  r = user_regs_struct{};
  r.rip = img.entry;
  r.rsp = img.rsp;
  r.cs = cs ? cs : 0x33;
  r.ss = ss ? ss : 0x2b;
  r.eflags = 0x202;  // IF and the always-one bit
  t.fp().Reset();
  t.fp_dirty = true;
  if (t.vfork_parent && !t.vfork_done) {
    t.vfork_done = true;
    t.vfork_parent->vfork_done.Notify();
  }
  t.vfork_parent.reset();
  return {};
}

}  // namespace bulwark::kernel
