// Logging for the sentry, gofer and runtime.
//
// Log lines go to the debug log (--debug-log FILE) when one is set; Warn and
// above also go to stderr of the runtime. Thread-safe.
#pragma once

#include <cstdarg>

namespace bulwark::log {

enum class Level { kDebug, kInfo, kWarning, kError };

// Sets the debug-log fd (takes ownership); -1 disables it.
void SetDebugFd(int fd);
bool DebugEnabled();
// Prefix for every line, e.g. "sentry" or "gofer".
void SetComponent(const char* name);
// Also copy warnings and errors to stderr.
void SetStderr(bool enabled);

void Logf(Level level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void VLogf(Level level, const char* fmt, va_list ap);

}  // namespace bulwark::log

#define LOG_DEBUG(...)                                                     \
  do {                                                                     \
    if (::bulwark::log::DebugEnabled())                                    \
      ::bulwark::log::Logf(::bulwark::log::Level::kDebug, __VA_ARGS__);    \
  } while (0)
#define LOG_INFO(...) ::bulwark::log::Logf(::bulwark::log::Level::kInfo, __VA_ARGS__)
#define LOG_WARN(...) ::bulwark::log::Logf(::bulwark::log::Level::kWarning, __VA_ARGS__)
#define LOG_ERROR(...) ::bulwark::log::Logf(::bulwark::log::Level::kError, __VA_ARGS__)
