#include "sentry/loader/exec_args.h"

#include <elf.h>

#include <algorithm>
#include <cstring>

#include "sentry/kernel/task.h"

namespace bulwark::loader {

namespace {

constexpr char kPlatform[] = "x86_64";

}  // namespace

SysResult<void> CheckArgLimits(const std::vector<std::string>& argv,
                               const std::vector<std::string>& envp,
                               const std::string& execfn, uint64_t stack_limit) {
  uint64_t limit = std::max(kArgMax, std::min(stack_limit / 4, kDefaultStackLimit / 4 * 3));
  uint64_t ptr_size = (std::max<size_t>(argv.size(), 1) + envp.size()) * sizeof(uint64_t);
  if (limit <= ptr_size) return Err(Errno::kE2BIG);
  limit -= ptr_size;
  uint64_t total = 0;
  auto add = [&](const std::string& s) {
    if (s.size() + 1 > kMaxArgStrlen) return false;
    total += s.size() + 1;
    return total <= limit;
  };
  if (!add(execfn)) return Err(Errno::kE2BIG);
  for (const auto& s : envp)
    if (!add(s)) return Err(Errno::kE2BIG);
  for (const auto& s : argv)
    if (!add(s)) return Err(Errno::kE2BIG);
  return {};
}

SysResult<std::vector<std::string>> CopyInStringArray(kernel::Task& t, uint64_t addr,
                                                      uint64_t max_total) {
  std::vector<std::string> out;
  if (addr == 0) return out;
  uint64_t total = 0;
  for (uint64_t p = addr;; p += sizeof(uint64_t)) {
    uint64_t str = TRY(t.CopyIn(kernel::UserPtr<uint64_t>{p}));
    if (str == 0) break;
    auto s = t.CopyInString(kernel::UserCString{str}, kMaxArgStrlen - 1);
    if (!s) return Err(s.error() == Errno::kENAMETOOLONG ? Errno::kE2BIG : s.error());
    total += s->size() + 1 + sizeof(uint64_t);
    if (total > max_total) return Err(Errno::kE2BIG);
    out.push_back(std::move(*s));
  }
  return out;
}

StackImage BuildStack(const StackInputs& in, uint64_t top) {
  size_t strings = in.execfn.size() + 1;
  for (const auto& s : in.envp) strings += s.size() + 1;
  for (const auto& s : in.argv) strings += s.size() + 1;

  StackImage img;
  // Strings end 8 bytes below the top (bprm->p starts at top - sizeof(void*)).
  uint64_t execfn = top - 8 - (in.execfn.size() + 1);
  uint64_t strings_start = top - 8 - strings;
  uint64_t p = strings_start & ~uint64_t{15};
  uint64_t platform = p - sizeof(kPlatform);
  uint64_t random = platform - in.random.size();

  for (const auto& [type, value] : in.auxv) {
    uint64_t v = value;
    if (type == AT_RANDOM) v = random;
    if (type == AT_EXECFN) v = execfn;
    if (type == AT_PLATFORM) v = platform;
    img.auxv.push_back(type);
    img.auxv.push_back(v);
  }
  img.auxv.push_back(AT_NULL);
  img.auxv.push_back(0);
  size_t words = 1 + in.argv.size() + 1 + in.envp.size() + 1 + img.auxv.size();
  img.rsp = (random - words * sizeof(uint64_t)) & ~uint64_t{15};
  img.base = img.rsp;
  img.bytes.assign(top - img.base, 0);

  auto put = [&](uint64_t addr, const void* src, size_t len) {
    memcpy(img.bytes.data() + (addr - img.base), src, len);
  };
  uint64_t sp = img.rsp;
  auto push = [&](uint64_t word) {
    put(sp, &word, sizeof(word));
    sp += sizeof(word);
  };
  // Strings go in as copy_strings leaves them: argv, then envp, then execfn.
  uint64_t s = strings_start;
  auto place = [&](const std::string& str) {
    put(s, str.c_str(), str.size() + 1);
    uint64_t at = s;
    s += str.size() + 1;
    return at;
  };
  push(in.argv.size());
  img.arg_start = s;
  for (const auto& a : in.argv) push(place(a));
  push(0);
  img.arg_end = img.env_start = s;
  for (const auto& e : in.envp) push(place(e));
  push(0);
  img.env_end = s;
  place(in.execfn);
  for (uint64_t w : img.auxv) push(w);
  put(platform, kPlatform, sizeof(kPlatform));
  put(random, in.random.data(), in.random.size());
  return img;
}

}  // namespace bulwark::loader
