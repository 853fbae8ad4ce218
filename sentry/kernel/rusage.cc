#include "sentry/kernel/rusage.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

namespace bulwark::kernel {

namespace {

// Resident pages of [off, off+len) of the memory file.
uint64_t ResidentPages(int fd, uint64_t off, uint64_t len) {
  uint64_t end = off + len, pos = off, bytes = 0;
  while (pos < end) {
    off_t data = lseek(fd, static_cast<off_t>(pos), SEEK_DATA);
    if (data < 0 || static_cast<uint64_t>(data) >= end) break;
    off_t hole = lseek(fd, data, SEEK_HOLE);
    uint64_t stop = hole < 0 ? end : std::min<uint64_t>(end, static_cast<uint64_t>(hole));
    bytes += stop - static_cast<uint64_t>(data);
    pos = stop;
  }
  return bytes / mm::kPageSize;
}

}  // namespace

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * int64_t{1000000000} + ts.tv_nsec;
}

CpuTime ThreadCpuTime(const Task& t) { return {t.utime_ns, t.stime_ns}; }

CpuTime ProcessCpuTime(const ThreadGroup& tg) {
  CpuTime c{tg.utime_ns, tg.stime_ns};
  for (const Task* th : tg.tasks) {
    c.user += th->utime_ns;
    c.sys += th->stime_ns;
  }
  return c;
}

void ChargeSentryTime(Task& t) {
  if (t.cpu_mark_ns == 0) return;
  int64_t now = MonotonicNs();
  if (now > t.cpu_mark_ns) t.stime_ns += static_cast<uint64_t>(now - t.cpu_mark_ns);
  t.cpu_mark_ns = now;
}

OffCpu::OffCpu(Task& t) : t_(t) {
  ChargeSentryTime(t_);
  t_.cpu_mark_ns = 0;
  ++t_.nvcsw;
}

OffCpu::~OffCpu() { t_.cpu_mark_ns = MonotonicNs(); }

void SampleMemory(ThreadGroup& tg, const mm::MemoryManager& mm, const mm::MemoryFile& mf) {
  uint64_t pages = 0;
  for (const auto& [start, v] : mm.vmas())
    if (v.backing) pages += ResidentPages(mf.fd(), v.FileOffsetOf(v.start), v.end - v.start);
  if (tg.rss_pages_seen != ~uint64_t{0} && pages > tg.rss_pages_seen)
    tg.counts.minflt += pages - tg.rss_pages_seen;
  tg.rss_pages_seen = pages;
  tg.counts.maxrss_kb = std::max(tg.counts.maxrss_kb, pages * (mm::kPageSize / 1024));
}

ResourceCounts ProcessCounts(const ThreadGroup& tg) {
  ResourceCounts c = tg.counts;
  for (const Task* th : tg.tasks) c.nvcsw += th->nvcsw;
  return c;
}

void AccountThreadExit(Task& t) {
  ThreadGroup& tg = t.tg();
  ChargeSentryTime(t);
  t.cpu_mark_ns = 0;
  tg.utime_ns += t.utime_ns;
  tg.stime_ns += t.stime_ns;
  tg.counts.nvcsw += t.nvcsw;
  t.utime_ns = t.stime_ns = t.nvcsw = 0;
  if (tg.tasks.empty() && t.mm_) SampleMemory(tg, *t.mm_, t.kernel().memory_file());
}

}  // namespace bulwark::kernel
