// libFuzzer target: the application's seccomp filters (kernel/seccomp.h).
// The input is a 64-byte struct seccomp_data followed by a classic BPF
// program; a program CheckSeccompProgram accepts is run on the data, alone
// and chained behind itself. The checker must keep the interpreter inside
// the program and its scratch memory: out-of-bounds accesses and endless
// loops are bugs (jumps only go forward, so a run ends within the
// program's length).
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "sentry/kernel/seccomp.h"

namespace kernel = bulwark::kernel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < sizeof(seccomp_data)) return 0;
  seccomp_data d;
  std::memcpy(&d, data, sizeof(d));
  size_t n = (size - sizeof(d)) / sizeof(sock_filter);
  auto filter = std::make_shared<kernel::SeccompFilter>();
  filter->prog.resize(n);
  if (n) std::memcpy(filter->prog.data(), data + sizeof(d), n * sizeof(sock_filter));
  if (!kernel::CheckSeccompProgram(filter->prog)) return 0;
  if (filter->prog.back().code != (BPF_RET | BPF_K) && filter->prog.back().code != (BPF_RET | BPF_A))
    abort();  // the checker promised a final return
  uint32_t alone = kernel::RunSeccompProgram(filter->prog, d);
  auto chained = std::make_shared<kernel::SeccompFilter>();
  chained->prog = filter->prog;
  chained->prev = filter;
  const kernel::SeccompFilter* matched = nullptr;
  uint32_t both = kernel::RunSeccompFilters(*chained, d, &matched);
  // The same program twice: the result is its own (ALLOW leaves no match).
  if (both != alone && !((alone & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW)) abort();
  if (kernel::SeccompPathLength(chained.get()) != 2 * (n + 4)) abort();
  return 0;
}
