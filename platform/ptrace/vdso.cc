#include "platform/ptrace/vdso.h"

#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/log.h"

namespace bulwark::platform::ptrace_impl {
namespace {

// The names this file moves; string literals, so SpecialMapping::name can
// point at them for the platform's lifetime.
constexpr const char* kNames[] = {"[vvar]", "[vvar_vclock]", "[vdso]"};

const char* KnownName(std::string_view name) {
  for (const char* n : kNames) {
    if (name == n) return n;
  }
  return nullptr;
}

bool Disabled() {
  const char* v = std::getenv("BULWARK_VDSO");
  return v != nullptr && std::strcmp(v, "0") == 0;
}

}  // namespace

StubVdso PlanVdso(const std::vector<MapsLine>& lines) {
  StubVdso v;
  size_t known = 0;  // every special mapping must be in the run
  for (const MapsLine& l : lines) known += KnownName(l.name) != nullptr;
  for (size_t i = 0; i < lines.size(); i++) {
    if (lines[i].name != "[vdso]") continue;
    // Walk back over the data pages right below it.
    size_t first = i;
    while (first > 0 && lines[first - 1].end == lines[first].start &&
           KnownName(lines[first - 1].name) != nullptr && lines[first - 1].name != "[vdso]") {
      first--;
    }
    if (i - first + 1 > static_cast<size_t>(StubVdso::kMaxParts) || i - first + 1 != known)
      return {};
    uint64_t base = lines[first].start;
    for (size_t j = first; j <= i; j++) {
      SpecialMapping& m = v.parts[v.count];
      m.start = lines[j].start - base;
      m.end = lines[j].end - base;
      m.prot = lines[j].prot;
      m.name = KnownName(lines[j].name);
      v.sentry_start[v.count] = lines[j].start;
      v.count++;
    }
    v.len = lines[i].end - base;
    v.ehdr = lines[i].start - base;
    return v;
  }
  return {};
}

StubVdso PlaceVdso(StubVdso v, uint64_t stub_start) {
  for (int i = 0; i < v.count; i++) {
    v.parts[i].start += stub_start;
    v.parts[i].end += stub_start;
  }
  if (v.count > 0) v.ehdr += stub_start;
  return v;
}

StubVdso HostVdso() {
  if (Disabled()) {
    LOG_INFO("ptrace: BULWARK_VDSO=0: no vDSO in the sandbox");
    return {};
  }
  FILE* f = std::fopen("/proc/self/maps", "re");
  if (f == nullptr) {
    LOG_WARN("ptrace: cannot read /proc/self/maps (%s): no vDSO in the sandbox", strerror(errno));
    return {};
  }
  std::vector<std::string> names;  // owns the strings the lines point to
  std::vector<MapsLine> lines;
  char buf[512];
  while (std::fgets(buf, sizeof(buf), f) != nullptr) {
    MapsLine l;
    char perms[8] = {};
    char name[64] = {};
    // start-end perms offset dev inode [name]; long names are cut, which is
    // fine: only the short special names matter.
    if (std::sscanf(buf, "%lx-%lx %7s %*s %*s %*s %63s", &l.start, &l.end, perms, name) < 3)
      continue;
    l.prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
             (perms[2] == 'x' ? PROT_EXEC : 0);
    names.emplace_back(name);
    lines.push_back(l);
    while (std::strchr(buf, '\n') == nullptr && std::fgets(buf, sizeof(buf), f) != nullptr) {
    }
  }
  std::fclose(f);
  for (size_t i = 0; i < lines.size(); i++) lines[i].name = names[i];
  StubVdso v = PlanVdso(lines);
  if (v.count == 0) {
    LOG_WARN("ptrace: the host's vDSO was not found: clock calls will be syscalls");
    return {};
  }
  if (v.sentry_start[v.count - 1] != getauxval(AT_SYSINFO_EHDR)) {
    LOG_WARN("ptrace: [vdso] at %#lx but AT_SYSINFO_EHDR is %#lx: no vDSO in the sandbox",
             v.sentry_start[v.count - 1], getauxval(AT_SYSINFO_EHDR));
    return {};
  }
  return v;
}

bool MoveVdsoInStub(const StubVdso& v) {
  for (int i = 0; i < v.count; i++) {
    uint64_t len = v.parts[i].end - v.parts[i].start;
    // SAFETY: raw mremap in the forked stub; the destination is the
    // sentry's PROT_NONE reservation above the stub page (replaced), which
    // overlaps no source.
    long r = ::syscall(SYS_mremap, v.sentry_start[i], len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
                       v.parts[i].start);
    if (r != static_cast<long>(v.parts[i].start)) return false;
  }
  return true;
}

}  // namespace bulwark::platform::ptrace_impl
