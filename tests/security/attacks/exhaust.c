/* Resource exhaustion: processes, memory, file descriptors, tmpfs space.
 * ATTACK-OK means the whole amount was obtained (nothing bounded it);
 * ATTACK-FAILED:<amount> then <errno> that the limit stopped it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attack.h"

/* forkbomb N [HOLD]: up to N children that sleep until killed, HOLD
 * seconds after the last fork (announced with "holding" on stderr). */
static void attack_forkbomb(int argc, char** argv) {
  if (argc != 2 && argc != 3) return;
  long want = atol(argv[1]), got = 0;
  int err = 0;
  pid_t* kids = calloc(want, sizeof(pid_t));
  for (; got < want; got++) {
    pid_t pid = fork();
    if (pid == 0) {
      for (;;) pause();
    }
    if (pid < 0) {
      err = errno;
      break;
    }
    kids[got] = pid;
  }
  if (argc == 3) {
    fprintf(stderr, "holding %ld children\n", got);
    sleep(atoi(argv[2]));
  }
  for (long i = 0; i < got; i++) kill(kids[i], SIGKILL);
  for (long i = 0; i < got; i++) waitpid(kids[i], NULL, 0);
  if (got == want) succeed("forked %ld", got);
  note_failure("forked %ld then %s", got, errname(err));
}

/* balloon MIB: touches MIB mebibytes, one mapping per MiB. */
static void attack_balloon(int argc, char** argv) {
  if (argc != 2) return;
  long want = atol(argv[1]), got = 0;
  for (; got < want; got++) {
    char* p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      note_failure("%ld MiB then %s", got, errname(errno));
      return;
    }
    memset(p, 0x5a, 1 << 20);
    if (got % 16 == 0) fprintf(stderr, "balloon: %ld MiB\n", got);
  }
  succeed("touched %ld MiB", got);
}

/* fdflood N: opens /dev/null up to N times. */
static void attack_fdflood(int argc, char** argv) {
  if (argc != 2) return;
  long want = atol(argv[1]), got = 0;
  for (; got < want; got++) {
    if (open("/dev/null", O_RDONLY) < 0) {
      note_failure("%ld fds then %s", got, errname(errno));
      return;
    }
  }
  succeed("opened %ld fds", got);
}

/* fill PATH MIB: writes MIB mebibytes to PATH. */
static void attack_fill(int argc, char** argv) {
  if (argc != 3) return;
  long want = atol(argv[2]), got = 0;
  static char block[1 << 20];
  memset(block, 0x5a, sizeof(block));
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    note_failure("open=%s", errname(errno));
    return;
  }
  for (; got < want; got++) {
    ssize_t n = write(fd, block, sizeof(block));
    if (n != (ssize_t)sizeof(block)) {
      note_failure("%ld MiB then %s", got, n < 0 ? errname(errno) : "short write");
      close(fd);
      return;
    }
  }
  close(fd);
  succeed("wrote %ld MiB to %s", got, argv[1]);
}

const struct attack exhaust_attacks[] = {
    {"forkbomb", "N [HOLD]", attack_forkbomb},
    {"balloon", "MIB", attack_balloon},
    {"fdflood", "N", attack_fdflood},
    {"fill", "PATH MIB", attack_fill},
    {0, 0, 0},
};
