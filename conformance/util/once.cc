// pthread_once without futex(2).
//
// glibc's pthread_once always ends with FUTEX_WAKE and aborts the process
// when that fails, and libstdc++ runs its locale set-up through
// pthread_once before main. A kernel without futex (bulwark today, #4) would
// kill every test binary before its first test; this strong definition
// replaces libc.a's weak one, so only the futex tests see futex missing.
// TODO(#4): delete once the sentry implements futex.
#include <pthread.h>
#include <sched.h>

namespace {
constexpr int kNotRun = 0;
constexpr int kRunning = 1;
constexpr int kDone = 2;
}  // namespace

extern "C" int pthread_once(pthread_once_t* once, void (*init)(void)) {
  int* state = reinterpret_cast<int*>(once);
  if (__atomic_load_n(state, __ATOMIC_ACQUIRE) == kDone) return 0;
  int expected = kNotRun;
  if (__atomic_compare_exchange_n(state, &expected, kRunning, false, __ATOMIC_ACQ_REL,
                                  __ATOMIC_ACQUIRE)) {
    try {
      init();
    } catch (...) {
      // std::call_once: an exception leaves the flag unset.
      __atomic_store_n(state, kNotRun, __ATOMIC_RELEASE);
      throw;
    }
    __atomic_store_n(state, kDone, __ATOMIC_RELEASE);
    return 0;
  }
  for (;;) {
    int s = __atomic_load_n(state, __ATOMIC_ACQUIRE);
    if (s == kDone) return 0;
    if (s == kNotRun) return pthread_once(once, init);  // The runner threw: retry.
    sched_yield();
  }
}
