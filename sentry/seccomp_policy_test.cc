#include "sentry/seccomp_policy.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace bulwark::sentry {
namespace {

TEST(SentrySeccompPolicy, FewerSyscallsThanGvisor) {
  seccomp::Policy p = SentryPolicy();
  size_t n = seccomp::DistinctSyscalls(p);
  printf("sentry seccomp filter: %zu host syscalls\n", n);
  EXPECT_LT(n, 75u);
  std::string text = seccomp::Format(p);
  EXPECT_EQ(text.find("\nsocket "), std::string::npos) << "no host sockets without host network";
  SentryPolicyOptions host;
  host.host_network = true;
  EXPECT_NE(seccomp::Format(SentryPolicy(host)).find("\nsocket "), std::string::npos);
}

TEST(SentrySeccompPolicy, ModeFromFlagThenEnvironment) {
  unsetenv("BULWARK_SECCOMP");
  EXPECT_EQ(*SentrySeccompMode(""), seccomp::Mode::kEnforce);
  setenv("BULWARK_SECCOMP", "log", 1);
  EXPECT_EQ(*SentrySeccompMode(""), seccomp::Mode::kLog);
  EXPECT_EQ(*SentrySeccompMode("off"), seccomp::Mode::kOff);
  EXPECT_FALSE(SentrySeccompMode("bogus"));
  unsetenv("BULWARK_SECCOMP");
}

// In a child: installs the policy, checks the failing calls, then makes a
// call that is not listed, which must kill it with SIGSYS.
TEST(SentrySeccompPolicy, EnforcedInAChild) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(10);
    if (!seccomp::Install(SentryPolicy(), seccomp::Mode::kEnforce)) _exit(11);
    if (syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY) != -1 || errno != ENOENT) _exit(12);
    if (syscall(SYS_clone3, nullptr, 0) != -1 || errno != ENOSYS) _exit(13);
    if (syscall(SYS_getpid) <= 0) _exit(14);
    syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);  // not listed: SIGSYS
    _exit(15);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGSYS);
}

// With host networking: non-blocking TCP/UDP sockets over IPv4/IPv6 and
// their calls, nothing else (here a raw socket must kill the child).
TEST(SentrySeccompPolicy, HostNetworkAdmitsOnlyTcpAndUdp) {
  SentryPolicyOptions host;
  host.host_network = true;
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(10);
    if (!seccomp::Install(SentryPolicy(host), seccomp::Mode::kEnforce)) _exit(11);
    int s = static_cast<int>(
        syscall(SYS_socket, AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (s < 0) _exit(12);
    if (syscall(SYS_listen, s, 1) != 0) _exit(13);
    int u = static_cast<int>(
        syscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (u < 0) _exit(14);
    syscall(SYS_socket, AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);  // SIGSYS
    _exit(15);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGSYS);
  // Without it, none of the socket calls is listed.
  std::string text = seccomp::Format(SentryPolicy());
  for (const char* name : {"\nsocket ", "\nbind ", "\nconnect ", "\nlisten ", "\nsetsockopt "})
    EXPECT_EQ(text.find(name), std::string::npos) << name;
}

}  // namespace
}  // namespace bulwark::sentry
