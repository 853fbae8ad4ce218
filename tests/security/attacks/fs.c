/* Attacks through the file system: paths that leave the root, hard links,
 * mounts, device nodes, writes to read-only files. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "attack.h"

/* Reads up to `cap` bytes of `path` into buf (NUL-terminated); the byte
 * count, or -1 with errno set. */
static ssize_t slurp(const char* path, char* buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t got = 0, n;
  while ((size_t)got < cap - 1 && (n = read(fd, buf + got, cap - 1 - got)) > 0) got += n;
  int err = errno;
  close(fd);
  if (n < 0 && got == 0) {
    errno = err;
    return -1;
  }
  buf[got] = 0;
  return got;
}

/* True if `path` holds `marker`; otherwise notes why not. */
static int holds_marker(const char* path, const char* marker) {
  char buf[4096];
  ssize_t n = slurp(path, buf, sizeof(buf));
  if (n < 0) {
    note_failure("%s=%s", path, errname(errno));
    return 0;
  }
  if (strstr(buf, marker)) return 1;
  note_failure("%s=no-marker", path);
  return 0;
}

/* read MARKER PATH...: any PATH whose contents hold MARKER. */
static void attack_read(int argc, char** argv) {
  if (argc < 3) return;
  for (int i = 2; i < argc; i++)
    if (holds_marker(argv[i], argv[1])) succeed("read %s", argv[i]);
}

/* read-any PATH...: any PATH that yields at least one byte. */
static void attack_read_any(int argc, char** argv) {
  char buf[512];
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      note_failure("%s=%s", argv[i], errname(errno));
      continue;
    }
    ssize_t n = read(fd, buf, sizeof(buf));
    int err = errno;
    close(fd);
    if (n > 0) succeed("read %zd bytes of %s", n, argv[i]);
    note_failure("%s=%s", argv[i], n == 0 ? "empty" : errname(err));
  }
}

/* link MARKER SRC DST: a hard link to SRC that shows MARKER. */
static void attack_link(int argc, char** argv) {
  if (argc != 4) return;
  unlink(argv[3]);
  if (link(argv[2], argv[3]) != 0) {
    note_failure("link=%s", errname(errno));
  } else if (holds_marker(argv[3], argv[1])) {
    unlink(argv[3]);
    succeed("hard link %s -> %s", argv[3], argv[2]);
  }
  /* The same through an O_PATH fd of the target (linkat AT_EMPTY_PATH). */
  int fd = open(argv[2], O_PATH | O_CLOEXEC);
  if (fd < 0) {
    note_failure("open-path=%s", errname(errno));
  } else {
    unlink(argv[3]);
    if (linkat(fd, "", AT_FDCWD, argv[3], AT_EMPTY_PATH) != 0)
      note_failure("linkat-empty-path=%s", errname(errno));
    else if (holds_marker(argv[3], argv[1])) {
      unlink(argv[3]);
      succeed("linkat(AT_EMPTY_PATH) %s -> %s", argv[3], argv[2]);
    }
    close(fd);
  }
  unlink(argv[3]);
}

/* mount MARKER SECRET DIR PID: reaches the host file SECRET through a proc
 * mounted at DIR/proc (the root of PID there) or a bind mount of
 * /proc/PID/root at DIR/bind; a tmpfs mount is tried too (its success
 * alone proves nothing: the runner checks the host's mount table). */
static void attack_mount(int argc, char** argv) {
  if (argc != 5) return;
  char p[4096], q[8400], root[64];
  snprintf(root, sizeof(root), "/proc/%d/root", atoi(argv[4]));
  snprintf(p, sizeof(p), "%s/proc", argv[3]);
  mkdir(argv[3], 0755);
  mkdir(p, 0755);
  if (mount("proc", p, "proc", 0, NULL) != 0) {
    note_failure("mount-proc=%s", errname(errno));
  } else {
    snprintf(q, sizeof(q), "%s/%d/root%s", p, atoi(argv[4]), argv[2]);
    int ok = holds_marker(q, argv[1]);
    umount2(p, MNT_DETACH);
    if (ok) succeed("read %s through a new proc mount", argv[2]);
  }
  snprintf(p, sizeof(p), "%s/bind", argv[3]);
  mkdir(p, 0755);
  if (mount(root, p, NULL, MS_BIND | MS_REC, NULL) != 0) {
    note_failure("mount-bind=%s", errname(errno));
  } else {
    snprintf(q, sizeof(q), "%s%s", p, argv[2]);
    int ok = holds_marker(q, argv[1]);
    umount2(p, MNT_DETACH);
    if (ok) succeed("read %s through a bind mount of %s", argv[2], root);
  }
  snprintf(p, sizeof(p), "%s/tmpfs", argv[3]);
  mkdir(p, 0755);
  if (mount("tmpfs", p, "tmpfs", 0, "size=1m") != 0)
    note_failure("mount-tmpfs=%s", errname(errno));
  else
    umount2(p, MNT_DETACH);
}

/* mknod-read b|c MAJOR MINOR PATH: makes a device node and reads from it. */
static void attack_mknod_read(int argc, char** argv) {
  if (argc != 5) return;
  mode_t type = argv[1][0] == 'b' ? S_IFBLK : S_IFCHR;
  dev_t dev = makedev(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0));
  unlink(argv[4]);
  if (mknod(argv[4], type | 0600, dev) != 0) {
    note_failure("mknod=%s", errname(errno));
    return;
  }
  char buf[512];
  int fd = open(argv[4], O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    note_failure("open=%s", errname(errno));
  } else {
    ssize_t n = read(fd, buf, sizeof(buf));
    int err = errno;
    close(fd);
    if (n > 0) {
      unlink(argv[4]);
      succeed("read %zd bytes of device %s:%s", n, argv[2], argv[3]);
    }
    note_failure("read=%s", n == 0 ? "empty" : errname(err));
  }
  unlink(argv[4]);
}

/* write PATH...: appends a line to any PATH (created if missing). */
static void attack_write(int argc, char** argv) {
  static const char line[] = "written by attack\n";
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
      note_failure("%s=%s", argv[i], errname(errno));
      continue;
    }
    ssize_t n = write(fd, line, sizeof(line) - 1);
    int err = errno;
    close(fd);
    if (n > 0) succeed("wrote %s", argv[i]);
    note_failure("%s=write-%s", argv[i], errname(err));
  }
}

const struct attack fs_attacks[] = {
    {"read", "MARKER PATH...", attack_read},
    {"read-any", "PATH...", attack_read_any},
    {"link", "MARKER SRC DST", attack_link},
    {"mount", "MARKER SECRET DIR PID", attack_mount},
    {"mknod-read", "b|c MAJOR MINOR PATH", attack_mknod_read},
    {"write", "PATH...", attack_write},
    {0, 0, 0},
};
