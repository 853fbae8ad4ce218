// personality(2), and the address-space randomization it can turn off.
// syscalls: personality
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>
#include <string>

#include "util/test_util.h"

namespace conformance {
namespace {

// The lines of `cat /proc/self/maps`, run in a child with `persona`, that
// name the executable's first mapping, the heap and the stack: where the
// randomized areas went.
std::string LayoutOfNewProgram(unsigned persona) {
  int p[2];
  if (pipe(p) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid == 0) {
    dup2(p[1], 1);
    if (personality(persona) == -1) _exit(126);
    execl("/bin/cat", "cat", "/proc/self/maps", nullptr);
    _exit(127);
  }
  close(p[1]);
  std::string maps = ReadAll(p[0]);
  close(p[0]);
  int status;
  waitpid(pid, &status, 0);
  std::istringstream in(maps);
  std::string line, out;
  bool first = true;
  while (std::getline(in, line)) {
    std::string range = line.substr(0, line.find(' '));
    if (first || line.find("[heap]") != std::string::npos ||
        line.find("[stack]") != std::string::npos || line.find("ld-linux") != std::string::npos)
      out += range + (line.find("[stack]") != std::string::npos ? " stack\n" : "\n");
    first = false;
  }
  return out;
}

TEST(Personality, QueryAndSet) {
  int status = RunInChild([] {
    CHILD_CHECK(personality(0xffffffff) == PER_LINUX);
    CHILD_CHECK(personality(PER_LINUX32) == PER_LINUX);
    CHILD_CHECK(personality(0xffffffff) == PER_LINUX32);
    utsname u;
    CHILD_CHECK(uname(&u) == 0 && std::string(u.machine) == "i686");
    CHILD_CHECK(personality(PER_LINUX | ADDR_NO_RANDOMIZE) == PER_LINUX32);
    CHILD_CHECK(uname(&u) == 0 && std::string(u.machine) == "x86_64");
    // Inherited by fork.
    pid_t pid = fork();
    if (pid == 0) _exit(personality(0xffffffff) == (PER_LINUX | ADDR_NO_RANDOMIZE) ? 0 : 1);
    int st;
    CHILD_CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Personality, ReadImpliesExecMakesReadableMappingsExecutable) {
  int status = RunInChild([] {
    CHILD_CHECK(personality(READ_IMPLIES_EXEC) == PER_LINUX);
    void* p = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHILD_CHECK(p != MAP_FAILED);
    char want[32];
    snprintf(want, sizeof(want), "%lx-", reinterpret_cast<unsigned long>(p));
    int fd = open("/proc/self/maps", O_RDONLY);
    std::string maps = ReadAll(fd);
    close(fd);
    size_t at = maps.find(want);
    CHILD_CHECK(at != std::string::npos);
    std::string perms = maps.substr(maps.find(' ', at) + 1, 4);
    CHILD_CHECK(perms == "r-xp");
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

// Each new program gets its stack, heap, executable and interpreter at new
// random places; with ADDR_NO_RANDOMIZE (setarch -R) at the same places.
TEST(Personality, AddressSpaceIsRandomizedUnlessDisabled) {
  std::string a = LayoutOfNewProgram(PER_LINUX), b = LayoutOfNewProgram(PER_LINUX);
  ASSERT_NE(a.find("stack"), std::string::npos) << a;
  EXPECT_NE(a, b) << "two programs got the same layout:\n" << a;
  std::string c = LayoutOfNewProgram(PER_LINUX | ADDR_NO_RANDOMIZE),
              d = LayoutOfNewProgram(PER_LINUX | ADDR_NO_RANDOMIZE);
  ASSERT_NE(c.find("stack"), std::string::npos) << c;
  EXPECT_EQ(c, d);
}

}  // namespace
}  // namespace conformance
