#include "sentry/kernel/pidfd.h"

#include <poll.h>

#include "sentry/kernel/task.h"

namespace bulwark::kernel {

Task* PidFdFile::LiveTask() const {
  for (Task* t : tg_->tasks)
    if (!tid_ || t->tid() == tid_) return t;
  return nullptr;
}

uint32_t PidFdFile::Readiness(uint32_t mask) {
  return Exited() ? mask & (POLLIN | POLLRDNORM) : 0;
}

}  // namespace bulwark::kernel
