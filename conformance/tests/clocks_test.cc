// clock_gettime(2), clock_getres(2), gettimeofday(2), time(2), times(2),
// nanosleep(2), clock_nanosleep(2).
// syscalls: clock_gettime clock_getres gettimeofday time times
// syscalls(Nanosleep): nanosleep clock_nanosleep
// syscalls(ClockNanosleep): clock_nanosleep
// syscalls(Times): times
// syscalls(Vdso): clock_gettime gettimeofday time getcpu execve
// The Vdso suite: the vDSO (vdso(7)) is there and agrees with the syscalls,
// also after fork and exec (--child-vdso).
#include <elf.h>
#include <sched.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>

#include "util/test_util.h"

namespace conformance {
namespace {

int64_t Ns(const struct timespec& t) { return int64_t{t.tv_sec} * 1000000000 + t.tv_nsec; }

int64_t RawNow(clockid_t c) {
  struct timespec t;
  if (syscall(SYS_clock_gettime, c, &t) != 0) return -1;
  return Ns(t);
}

TEST(ClockGettime, RealtimeIsAfter2020) {
  struct timespec t;
  ASSERT_THAT(syscall(SYS_clock_gettime, CLOCK_REALTIME, &t), SyscallSucceeds());
  EXPECT_GT(t.tv_sec, 1577836800);
  EXPECT_LT(t.tv_nsec, 1000000000);
}

TEST(ClockGettime, MonotonicNeverGoesBack) {
  int64_t prev = RawNow(CLOCK_MONOTONIC);
  for (int i = 0; i < 1000; i++) {
    int64_t now = RawNow(CLOCK_MONOTONIC);
    ASSERT_GE(now, prev);
    prev = now;
  }
}

TEST(ClockGettime, AllCommonClocksWork) {
  for (clockid_t c : {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME,
                      CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_PROCESS_CPUTIME_ID,
                      CLOCK_THREAD_CPUTIME_ID}) {
    struct timespec t;
    EXPECT_THAT(syscall(SYS_clock_gettime, c, &t), SyscallSucceeds()) << "clock " << c;
  }
}

TEST(ClockGettime, InvalidClockIsEINVAL) {
  struct timespec t;
  EXPECT_THAT(syscall(SYS_clock_gettime, 1234, &t), SyscallFailsWithErrno(EINVAL));
}

TEST(ClockGettime, BadPointerIsEFAULT) {
  EXPECT_THAT(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, reinterpret_cast<void*>(8)),
              SyscallFailsWithErrno(EFAULT));
}

TEST(ClockGettime, ProcessCpuTimeAdvancesWithWork) {
  int64_t before = RawNow(CLOCK_PROCESS_CPUTIME_ID);
  volatile uint64_t x = 0;
  int64_t start = RawNow(CLOCK_MONOTONIC);
  while (RawNow(CLOCK_MONOTONIC) - start < 50000000) x = x + 1;
  EXPECT_GT(RawNow(CLOCK_PROCESS_CPUTIME_ID), before);
}

TEST(ClockGettime, BoottimeAtLeastMonotonic) {
  int64_t mono = RawNow(CLOCK_MONOTONIC);
  int64_t boot = RawNow(CLOCK_BOOTTIME);
  EXPECT_GE(boot, mono);
}

TEST(ClockGettime, OtherProcessCpuClock) {
  // clock_getcpuclockid(3): CPU clock of another process.
  clockid_t cid;
  ASSERT_EQ(clock_getcpuclockid(getppid() > 1 ? getpid() : getpid(), &cid), 0);
  struct timespec t;
  EXPECT_THAT(syscall(SYS_clock_gettime, cid, &t), SyscallSucceeds());
}

TEST(ClockGetres, ResolutionPositiveAndSmall) {
  struct timespec r;
  ASSERT_THAT(syscall(SYS_clock_getres, CLOCK_MONOTONIC, &r), SyscallSucceeds());
  EXPECT_EQ(r.tv_sec, 0);
  EXPECT_GT(r.tv_nsec, 0);
  EXPECT_LE(r.tv_nsec, 10000000);
}

TEST(ClockGetres, NullPointerAllowed) {
  EXPECT_THAT(syscall(SYS_clock_getres, CLOCK_REALTIME, nullptr), SyscallSucceeds());
}

TEST(ClockGetres, InvalidClockIsEINVAL) {
  struct timespec r;
  EXPECT_THAT(syscall(SYS_clock_getres, 999, &r), SyscallFailsWithErrno(EINVAL));
}

TEST(Gettimeofday, CloseToRealtime) {
  struct timeval tv;
  ASSERT_THAT(syscall(SYS_gettimeofday, &tv, nullptr), SyscallSucceeds());
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  EXPECT_LE(tv.tv_sec, ts.tv_sec);
  EXPECT_GE(tv.tv_sec + 5, ts.tv_sec);
  EXPECT_LT(tv.tv_usec, 1000000);
}

TEST(Gettimeofday, TimezoneFilled) {
  struct timezone tz = {-1, -1};
  ASSERT_THAT(syscall(SYS_gettimeofday, nullptr, &tz), SyscallSucceeds());
  EXPECT_NE(tz.tz_minuteswest, -1);
}

TEST(Time, MatchesRealtime) {
  time_t t = 0;
  long r = syscall(SYS_time, &t);
  ASSERT_THAT(r, SyscallSucceeds());
  EXPECT_EQ(r, t);
  EXPECT_GT(t, 1577836800);
}

TEST(Times, ReturnsClockTicks) {
  struct tms t;
  long r = syscall(SYS_times, &t);
  ASSERT_NE(r, -1);
  EXPECT_GE(t.tms_utime, 0);
  EXPECT_GE(t.tms_stime, 0);
}

TEST(Times, ChildTimesAccumulateAfterWait) {
  int status = RunInChild([] {
    // Burn CPU for 100 ms of wall time (bounded even if CPU clocks stand still).
    volatile uint64_t x = 0;
    int64_t start = RawNow(CLOCK_MONOTONIC);
    while (RawNow(CLOCK_MONOTONIC) - start < 100000000) x = x + 1;
  });
  ASSERT_TRUE(ExitedWith(status, 0));
  struct tms t;
  ASSERT_NE(syscall(SYS_times, &t), -1);
  EXPECT_GT(t.tms_cutime + t.tms_cstime, 0);
}

TEST(Nanosleep, SleepsAtLeastRequested) {
  int64_t start = RawNow(CLOCK_MONOTONIC);
  struct timespec req = {0, 20000000};
  ASSERT_THAT(nanosleep(&req, nullptr), SyscallSucceeds());
  EXPECT_GE(RawNow(CLOCK_MONOTONIC) - start, 20000000);
}

TEST(Nanosleep, InvalidNsecIsEINVAL) {
  struct timespec req = {0, 1000000000};
  EXPECT_THAT(nanosleep(&req, nullptr), SyscallFailsWithErrno(EINVAL));
  struct timespec neg = {-1, 0};
  EXPECT_THAT(nanosleep(&neg, nullptr), SyscallFailsWithErrno(EINVAL));
}

TEST(Nanosleep, ZeroReturnsImmediately) {
  struct timespec req = {0, 0};
  EXPECT_THAT(nanosleep(&req, nullptr), SyscallSucceeds());
}

TEST(Nanosleep, BadPointerIsEFAULT) {
  EXPECT_THAT(syscall(SYS_nanosleep, reinterpret_cast<void*>(8), nullptr), SyscallFailsWithErrno(EFAULT));
}

TEST(ClockNanosleep, AbsoluteDeadline) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  struct timespec until = now;
  until.tv_nsec += 20000000;
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000;
  }
  ASSERT_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr), 0);
  EXPECT_GE(RawNow(CLOCK_MONOTONIC), Ns(until));
}

TEST(ClockNanosleep, PastAbsoluteDeadlineReturnsAtOnce) {
  struct timespec past = {1, 0};
  EXPECT_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, nullptr), 0);
}

TEST(ClockNanosleep, InvalidClockIsEINVAL) {
  struct timespec req = {0, 1000};
  EXPECT_EQ(clock_nanosleep(1234, 0, &req, nullptr), EINVAL);
}

TEST(ClockNanosleep, RealtimeRelative) {
  struct timespec req = {0, 5000000};
  EXPECT_EQ(clock_nanosleep(CLOCK_REALTIME, 0, &req, nullptr), 0);
}

TEST(ClockNanosleep, ThreadCpuClockIsEINVAL) {
  struct timespec req = {0, 1000};
  EXPECT_EQ(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, nullptr), EINVAL);
}

// ---------------------------------------------------------------- vDSO

// The address of the vDSO's dynamic symbol `name` (0 if absent), found
// through its ELF image at AT_SYSINFO_EHDR as vdso(7) describes.
uint64_t VdsoSymbol(const char* name) {
  uint64_t base = getauxval(AT_SYSINFO_EHDR);
  if (base == 0) return 0;
  auto* eh = reinterpret_cast<const Elf64_Ehdr*>(base);
  auto* ph = reinterpret_cast<const Elf64_Phdr*>(base + eh->e_phoff);
  uint64_t bias = 0;
  const Elf64_Dyn* dyn = nullptr;
  bool have_bias = false;
  for (int i = 0; i < eh->e_phnum; i++) {
    if (ph[i].p_type == PT_LOAD && !have_bias) {
      bias = base + ph[i].p_offset - ph[i].p_vaddr;
      have_bias = true;
    }
    if (ph[i].p_type == PT_DYNAMIC) dyn = reinterpret_cast<const Elf64_Dyn*>(base + ph[i].p_offset);
  }
  if (dyn == nullptr) return 0;
  const Elf64_Sym* syms = nullptr;
  const char* strs = nullptr;
  const uint32_t* hash = nullptr;
  for (; dyn->d_tag != DT_NULL; dyn++) {
    if (dyn->d_tag == DT_SYMTAB) syms = reinterpret_cast<const Elf64_Sym*>(bias + dyn->d_un.d_ptr);
    if (dyn->d_tag == DT_STRTAB) strs = reinterpret_cast<const char*>(bias + dyn->d_un.d_ptr);
    if (dyn->d_tag == DT_HASH) hash = reinterpret_cast<const uint32_t*>(bias + dyn->d_un.d_ptr);
  }
  if (syms == nullptr || strs == nullptr || hash == nullptr) return 0;
  for (uint32_t i = 0; i < hash[1]; i++) {  // nchain = number of symbols
    if (syms[i].st_shndx != SHN_UNDEF && strcmp(strs + syms[i].st_name, name) == 0)
      return bias + syms[i].st_value;
  }
  return 0;
}

// libc's clock_gettime (the vDSO where there is one) between two raw
// syscalls of the same clock; empty when it holds.
std::string ClockBetweenSyscalls(clockid_t c) {
  struct timespec t;
  int64_t before = RawNow(c);
  if (clock_gettime(c, &t) != 0) return "clock_gettime failed";
  int64_t after = RawNow(c);
  if (before > Ns(t) || Ns(t) > after) {
    return "clock " + std::to_string(c) + ": " + std::to_string(before) + " <= " +
           std::to_string(Ns(t)) + " <= " + std::to_string(after) + " does not hold";
  }
  return "";
}

// Best per-call time (ns) of libc's clock_gettime over a few batches (the
// best batch shrugs off preemption on a loaded host).
int64_t BestClockCallNs() {
  int64_t best = INT64_MAX;
  for (int batch = 0; batch < 5; batch++) {
    int64_t start = RawNow(CLOCK_MONOTONIC);
    struct timespec t;
    for (int i = 0; i < 200; i++) clock_gettime(CLOCK_MONOTONIC, &t);
    best = std::min(best, (RawNow(CLOCK_MONOTONIC) - start) / 200);
  }
  return best;
}

// What a vDSO-served call must beat: a ptrace round trip costs ~10-25 us,
// a native syscall ~0.1-0.5 us, the vDSO ~30 ns.
constexpr int64_t kFastCallNs = 3000;

// Everything a process expects of its vDSO; empty when it holds.
std::string CheckVdso() {
  uint64_t base = getauxval(AT_SYSINFO_EHDR);
  if (base == 0) return "no AT_SYSINFO_EHDR";
  if (memcmp(reinterpret_cast<const void*>(base), ELFMAG, SELFMAG) != 0) return "not an ELF image";
  if (VdsoSymbol("__vdso_clock_gettime") == 0) return "no __vdso_clock_gettime";
  for (clockid_t c : {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME}) {
    std::string e = ClockBetweenSyscalls(c);
    if (!e.empty()) return e;
  }
  int64_t ns = BestClockCallNs();
  if (ns > kFastCallNs) return "clock_gettime takes " + std::to_string(ns) + " ns";
  return "";
}

CONFORMANCE_CHILD_MODE(vdso) {
  std::string e = CheckVdso();
  if (!e.empty()) {
    fprintf(stderr, "vdso after exec: %s\n", e.c_str());
    return 1;
  }
  return 0;
}

TEST(Vdso, AuxvPointsAtAnElfImage) {
  uint64_t base = getauxval(AT_SYSINFO_EHDR);
  ASSERT_NE(base, 0u);
  auto* eh = reinterpret_cast<const Elf64_Ehdr*>(base);
  EXPECT_EQ(memcmp(eh->e_ident, ELFMAG, SELFMAG), 0);
  EXPECT_EQ(eh->e_ident[EI_CLASS], ELFCLASS64);
  EXPECT_EQ(eh->e_type, ET_DYN);
  EXPECT_EQ(eh->e_machine, EM_X86_64);
  for (const char* sym : {"__vdso_clock_gettime", "__vdso_gettimeofday", "__vdso_time",
                          "__vdso_getcpu", "__vdso_clock_getres"}) {
    EXPECT_NE(VdsoSymbol(sym), 0u) << sym;
  }
}

TEST(Vdso, ProcSelfMapsShowsIt) {
  uint64_t base = getauxval(AT_SYSINFO_EHDR);
  ASSERT_NE(base, 0u);
  std::ifstream maps("/proc/self/maps");
  ASSERT_TRUE(maps.good());
  std::string line;
  uint64_t vdso_start = 0, vvar_end = 0;
  while (std::getline(maps, line)) {
    uint64_t start = std::stoull(line, nullptr, 16);
    uint64_t end = std::stoull(line.substr(line.find('-') + 1), nullptr, 16);
    if (line.ends_with(" [vdso]")) {
      vdso_start = start;
      EXPECT_EQ(line.substr(line.find(' ') + 1, 4), "r-xp") << line;
    }
    if (line.ends_with(" [vvar]") || line.ends_with(" [vvar_vclock]")) vvar_end = end;
  }
  EXPECT_EQ(vdso_start, base);
  // The data pages lie right below the code (x86-64).
  EXPECT_EQ(vvar_end, base);
}

TEST(Vdso, ClocksAgreeWithTheSyscalls) {
  for (clockid_t c : {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_MONOTONIC_RAW,
                      CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE}) {
    EXPECT_EQ(ClockBetweenSyscalls(c), "");
  }
}

TEST(Vdso, DirectCallAgreesWithTheSyscall) {
  using ClockFn = int (*)(clockid_t, struct timespec*);
  auto fn = reinterpret_cast<ClockFn>(VdsoSymbol("__vdso_clock_gettime"));
  ASSERT_NE(fn, nullptr);
  for (clockid_t c : {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME}) {
    struct timespec t;
    int64_t before = RawNow(c);
    ASSERT_EQ(fn(c, &t), 0);
    int64_t after = RawNow(c);
    EXPECT_LE(before, Ns(t)) << c;
    EXPECT_LE(Ns(t), after) << c;
  }
}

TEST(Vdso, GettimeofdayAndTimeAgreeWithTheSyscalls) {
  struct timeval raw_before, tv, raw_after;
  ASSERT_THAT(syscall(SYS_gettimeofday, &raw_before, nullptr), SyscallSucceeds());
  ASSERT_EQ(gettimeofday(&tv, nullptr), 0);
  ASSERT_THAT(syscall(SYS_gettimeofday, &raw_after, nullptr), SyscallSucceeds());
  auto us = [](const struct timeval& t) { return int64_t{t.tv_sec} * 1000000 + t.tv_usec; };
  EXPECT_LE(us(raw_before), us(tv));
  EXPECT_LE(us(tv), us(raw_after));
  long t0 = syscall(SYS_time, nullptr);
  time_t t = time(nullptr);
  long t1 = syscall(SYS_time, nullptr);
  // time() reads the seconds of the tick-updated (coarse) realtime clock:
  // allow it to lag a second boundary.
  EXPECT_GE(t, t0 - 1);
  EXPECT_LE(t, t1);
}

TEST(Vdso, MonotonicThroughLibcNeverGoesBack) {
  struct timespec prev, now;
  clock_gettime(CLOCK_MONOTONIC, &prev);
  for (int i = 0; i < 20000; i++) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    ASSERT_GE(Ns(now), Ns(prev));
    if (i % 1000 == 0) {  // interleaved with the syscall
      int64_t raw = RawNow(CLOCK_MONOTONIC);
      ASSERT_GE(raw, Ns(now));
      clock_gettime(CLOCK_MONOTONIC, &now);
      ASSERT_GE(Ns(now), raw);
    }
    prev = now;
  }
}

TEST(Vdso, ClockGettimeIsFast) {
  EXPECT_LE(BestClockCallNs(), kFastCallNs);
}

TEST(Vdso, CpuClocksStillAdvanceWithWork) {
  // The vDSO hands CPU-time clocks to the kernel.
  for (clockid_t c : {CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID}) {
    struct timespec before, after;
    ASSERT_EQ(clock_gettime(c, &before), 0);
    volatile uint64_t x = 0;
    int64_t start = RawNow(CLOCK_MONOTONIC);
    while (RawNow(CLOCK_MONOTONIC) - start < 30000000) x = x + 1;
    ASSERT_EQ(clock_gettime(c, &after), 0);
    EXPECT_GT(Ns(after), Ns(before)) << c;
    EXPECT_EQ(ClockBetweenSyscalls(c), "");
  }
}

TEST(Vdso, GetcpuAgreesWithTheSyscall) {
  using GetcpuFn = long (*)(unsigned*, unsigned*, void*);
  auto fn = reinterpret_cast<GetcpuFn>(VdsoSymbol("__vdso_getcpu"));
  ASSERT_NE(fn, nullptr);
  // Pinned to the CPU it is on, the thread cannot move between the calls.
  unsigned cpu = 0, node = 0;
  ASSERT_THAT(syscall(SYS_getcpu, &cpu, &node, nullptr), SyscallSucceeds());
  cpu_set_t old, one;
  ASSERT_EQ(sched_getaffinity(0, sizeof(old), &old), 0);
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  unsigned raw_cpu = 99, raw_node = 99, vdso_cpu = 98, vdso_node = 98;
  ASSERT_THAT(syscall(SYS_getcpu, &raw_cpu, &raw_node, nullptr), SyscallSucceeds());
  EXPECT_EQ(fn(&vdso_cpu, &vdso_node, nullptr), 0);
  sched_setaffinity(0, sizeof(old), &old);
  EXPECT_EQ(vdso_cpu, raw_cpu);
  EXPECT_EQ(vdso_node, raw_node);
}

TEST(Vdso, WorksAfterFork) {
  int status = RunInChild([] {
    std::string e = CheckVdso();
    if (!e.empty()) fprintf(stderr, "vdso after fork: %s\n", e.c_str());
    CHILD_CHECK(e.empty());
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Vdso, WorksAfterExec) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const char* argv[] = {SelfPath().c_str(), "--child-vdso", nullptr};
    execv(SelfPath().c_str(), const_cast<char**>(argv));
    _exit(127);
  }
  int status = WaitStatus(pid);
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

}  // namespace
}  // namespace conformance
