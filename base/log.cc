#include "base/log.h"

#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string_view>
#include <algorithm>

namespace bulwark::log {
namespace {

std::atomic<int> g_debug_fd{-1};
std::atomic<bool> g_stderr{true};
const char* g_component = "bulwark";
std::mutex g_mu;

void WriteAll(int fd, const char* buf, size_t len) {
  while (len > 0) {
    ssize_t n = ::write(fd, buf, len);
    if (n <= 0) return;
    buf += n;
    len -= static_cast<size_t>(n);
  }
}

}  // namespace

void SetDebugFd(int fd) {
  int old = g_debug_fd.exchange(fd);
  if (old >= 0) ::close(old);
}
bool DebugEnabled() { return g_debug_fd.load(std::memory_order_relaxed) >= 0; }
void SetComponent(const char* name) { g_component = name; }
void SetStderr(bool enabled) { g_stderr = enabled; }

void VLogf(Level level, const char* fmt, va_list ap) {
  static const char kLetters[] = {'D', 'I', 'W', 'E'};
  char buf[4096];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int n = snprintf(buf, sizeof(buf), "%c%ld.%06ld %s[%ld] ",
                   kLetters[static_cast<int>(level)], static_cast<long>(ts.tv_sec),
                   ts.tv_nsec / 1000, g_component, static_cast<long>(syscall(SYS_gettid)));
  int m = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
  size_t len = static_cast<size_t>(n) + (m < 0 ? 0 : std::min<size_t>(m, sizeof(buf) - n - 2));
  buf[len++] = '\n';
  std::lock_guard<std::mutex> lock(g_mu);
  int fd = g_debug_fd.load();
  if (fd >= 0) WriteAll(fd, buf, len);
  if (level >= Level::kWarning && g_stderr) {
    // stderr gets the message only, prefixed with the component.
    std::string_view msg(buf + n, len - n);
    char head[64];
    int h = snprintf(head, sizeof(head), "%s: ", g_component);
    WriteAll(2, head, h);
    WriteAll(2, msg.data(), msg.size());
  }
}

void Logf(Level level, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  VLogf(level, fmt, ap);
  va_end(ap);
}

}  // namespace bulwark::log
