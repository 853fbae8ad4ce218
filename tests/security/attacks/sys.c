/* Attacks on host-wide kernel state: raw and netlink sockets, kernel
 * modules, kexec, reboot, hostname and time.
 *
 * The destructive calls are made so that they cannot change anything even
 * natively as root: arguments that pass the privilege check and then fail
 * validation (module image of zeros, bad reboot magic, too many kexec
 * segments), settimeofday(NULL, NULL). An errno other than EPERM/ENOSYS/
 * EACCES then proves the call reached the privileged code. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/reboot.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "attack.h"

static int denied(int err) { return err == EPERM || err == EACCES || err == ENOSYS; }

/* socket raw|packet|netlink: a socket that sees the host's network. A raw
 * or packet socket is one by itself. A netlink socket may be the sandbox's
 * own (bulwark answers NETLINK_ROUTE inside the sentry, describing only its
 * loopback), so the netlink attack succeeds only if a link dump lists an
 * interface other than `lo`: the host's interfaces. */
static void attack_socket(int argc, char** argv) {
  if (argc != 2) return;
  int fd;
  if (strcmp(argv[1], "raw") == 0)
    fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  else if (strcmp(argv[1], "packet") == 0)
    fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
  else if (strcmp(argv[1], "netlink") == 0)
    fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  else
    return;
  if (fd < 0) {
    note_failure("socket=%s", errname(errno));
    return;
  }
  if (strcmp(argv[1], "netlink") != 0) succeed("%s socket fd %d", argv[1], fd);
  struct {
    struct nlmsghdr h;
    struct rtgenmsg g;
  } req = {{NLMSG_LENGTH(sizeof(struct rtgenmsg)), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1, 0},
           {AF_UNSPEC}};
  if (send(fd, &req, req.h.nlmsg_len, 0) < 0) {
    note_failure("send=%s", errname(errno));
    return;
  }
  /* Every interface name of the dump, until NLMSG_DONE. */
  char names[512] = "";
  static char buf[65536];
  for (;;) {
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      note_failure("recv=%s (names so far: %s)", n == 0 ? "eof" : errname(errno), names);
      return;
    }
    int len = (int)n;
    for (struct nlmsghdr* h = (struct nlmsghdr*)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE) {
        note_failure("the link dump lists only: %s", names);
        return;
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        note_failure("link dump error %d", ((struct nlmsgerr*)NLMSG_DATA(h))->error);
        return;
      }
      if (h->nlmsg_type != RTM_NEWLINK) continue;
      int alen = (int)IFLA_PAYLOAD(h);
      for (struct rtattr* a = IFLA_RTA(NLMSG_DATA(h)); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
        if (a->rta_type != IFLA_IFNAME) continue;
        const char* name = RTA_DATA(a);
        if (strcmp(name, "lo") != 0) succeed("netlink link dump lists host interface %s", name);
        if (strlen(names) + strlen(name) + 2 < sizeof(names)) {
          strcat(names, name);
          strcat(names, " ");
        }
      }
    }
  }
}

/* module: init_module and finit_module with images that are not modules. */
static void attack_module(int argc, char** argv) {
  static char image[64];
  if (syscall(SYS_init_module, image, sizeof(image), "") == 0 || !denied(errno))
    succeed("init_module reached the module loader (%s)", errname(errno));
  note_failure("init_module=%s", errname(errno));
  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    note_failure("open=%s", errname(errno));
    return;
  }
  if (syscall(SYS_finit_module, fd, "", 0) == 0 || !denied(errno))
    succeed("finit_module reached the module loader (%s)", errname(errno));
  note_failure("finit_module=%s", errname(errno));
}

/* kexec: kexec_load with more segments than KEXEC_SEGMENT_MAX (EINVAL once
 * the privilege checks passed). */
static void attack_kexec(int argc, char** argv) {
  if (syscall(SYS_kexec_load, 0UL, 1000UL, NULL, 0UL) == 0 || !denied(errno))
    succeed("kexec_load passed the privilege check (%s)", errname(errno));
  note_failure("kexec_load=%s", errname(errno));
}

/* reboot: reboot with a bad second magic (EINVAL once CAP_SYS_BOOT was
 * checked; the command is the harmless CAD_OFF anyway). */
static void attack_reboot(int argc, char** argv) {
  if (syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, 0x12345678, LINUX_REBOOT_CMD_CAD_OFF, NULL) == 0 ||
      !denied(errno))
    succeed("reboot passed the privilege check (%s)", errname(errno));
  note_failure("reboot=%s", errname(errno));
}

/* sethostname NAME. */
static void attack_sethostname(int argc, char** argv) {
  if (argc != 2) return;
  if (sethostname(argv[1], strlen(argv[1])) == 0) succeed("hostname set to %s", argv[1]);
  note_failure("sethostname=%s", errname(errno));
}

/* settime: settimeofday(NULL, NULL) (only the CAP_SYS_TIME check), then
 * clock_settime(CLOCK_REALTIME) to the time it reads (a step of
 * microseconds should it ever reach the host). */
static void attack_settime(int argc, char** argv) {
  /* Through syscall(): glibc's wrapper dereferences a NULL tv. */
  if (syscall(SYS_settimeofday, NULL, NULL) == 0) succeed("settimeofday allowed");
  note_failure("settimeofday=%s", errname(errno));
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  if (clock_settime(CLOCK_REALTIME, &now) == 0) succeed("clock_settime allowed");
  note_failure("clock_settime=%s", errname(errno));
}

const struct attack sys_attacks[] = {
    {"socket", "raw|packet|netlink", attack_socket},
    {"module", "", attack_module},
    {"kexec", "", attack_kexec},
    {"reboot", "", attack_reboot},
    {"sethostname", "NAME", attack_sethostname},
    {"settime", "", attack_settime},
    {0, 0, 0},
};
