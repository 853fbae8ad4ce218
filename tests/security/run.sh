#!/usr/bin/env bash
# Attacks on the host from inside the sandbox (issue 7).
#
#   tests/security/run.sh [NAME-SUBSTRING...]
#
# Uses $BULWARK (default build/bulwark). Builds the static attack program
# (tests/security/attacks/, see attack.h) and puts it in a busybox bundle
# as /attack. Each case runs one attack twice:
#   natively, as root outside any sandbox (on the host's paths, or chrooted
#   into the same rootfs with a proc mounted, in a private mount namespace):
#   it must print ATTACK-OK, which shows the attack is real on this host;
#   if it cannot work here at all (e.g. a kernel without modules), the case
#   says "native baseline unavailable" and still runs the sandboxed half;
#   inside bulwark, as the container's root with every capability: it must
#   print ATTACK-FAILED (or, for the cases judged on the host, leave the host
#   unchanged).
# After every case: the host secret, the runtime binary and the image are
# unchanged, the host's hostname is, the host target processes live, and
# nothing is left behind (tests/lib/harness.sh).
# Prints "ok - NAME" / "not ok - NAME" with the two verdicts and ends with
# "N passed, M failed"; exits 1 if any case failed.
set -uo pipefail

SUITE=security
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"

# Host side: a directory outside the rootfs with a secret, a file the secret
# is reachable through, and target processes (their command lines must not
# name the work dir, or the leftover check would take them for ours).
HOSTDIR=$(mktemp -d /tmp/bulwark-sec-XXXXXX)
SECRET=$HOSTDIR/secret
MARKER=bulwark-secret-$RANDOM$RANDOM
echo "$MARKER" >"$SECRET"
mkdir "$HOSTDIR/data"
echo "host data" >"$HOSTDIR/data/file"
HOST_HOSTNAME=$(hostname)
TARGETS=()
# start_target: a host process (sleep) with its cwd in HOSTDIR and the
# secret open as fd 3; sets TARGET.
start_target() {
  (cd "$HOSTDIR" && exec setsid sleep 1000 3<"$SECRET" </dev/null >/dev/null 2>&1) &
  TARGET=$!
  disown "$TARGET"  # no "Killed" report from bash when it is
  TARGETS+=("$TARGET")
}
cleanup() {
  local p
  for p in "${TARGETS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  rm -rf "$HOSTDIR"
}
trap cleanup EXIT
start_target
VICTIM=$TARGET  # ptrace and /proc/<pid> cases; never killed

# Image tricks: links to host paths, absolute and through "..".
ln -s "$SECRET" "$ROOTFS/evil-abs"
ln -s "$HOSTDIR" "$ROOTFS/evil-absdir"
ln -s "../../../../../../../../../../../..$SECRET" "$ROOTFS/evil-rel"
ln -s "../../../../../../../../../../../..$HOSTDIR" "$ROOTFS/evil-reldir"

# What must never change.
fingerprint() {
  sha256sum "$SECRET" "$BULWARK" "$ROOTFS/bin/busybox" "$ROOTFS/attack" "$ROOTFS/etc/passwd" \
    "$HOSTDIR/data/file" 2>&1
  ls -A "$ROOTFS" "$HOSTDIR" "$HOSTDIR/data" 2>&1
}
FINGERPRINT=$(fingerprint)

# Every capability, for the sandboxed run: the strongest container root.
ALL_CAPS=$(sed -n 's/^#define \(CAP_[A-Z_]*\)[[:space:]]\+[0-9]\+$/\1/p' /usr/include/linux/capability.h |
  jq -R . | jq -sc .)
CAPS_FILTER=".process.capabilities = {bounding: $ALL_CAPS, effective: $ALL_CAPS, permitted: $ALL_CAPS, inheritable: $ALL_CAPS, ambient: $ALL_CAPS}"

# ------------------------------------------------------------------ helpers

NATIVE= SANDBOXED= ALLOW_NO_BASELINE=

# native [--chroot] ARG...: the attack natively, on host paths or chrooted
# into the rootfs with a fresh proc at /proc (private mount namespace, so
# nothing stays mounted). Must print ATTACK-OK.
native() {
  local out=$CASE_DIR/native.out
  if [ "$1" = --chroot ]; then
    shift
    timeout -k 5 "$TIMEOUT" unshare -m --propagation private sh -c \
      'mount -t proc proc "$0/proc" && exec chroot "$0" /attack "$@"' "$ROOTFS" "$@" >"$out" 2>&1
  else
    timeout -k 5 "$TIMEOUT" "$ATTACK" "$@" >"$out" 2>&1
  fi
  NATIVE=$(verdict "$out")
  case $NATIVE in
    ATTACK-OK:*) ;;
    ATTACK-FAILED:*)
      if [ -n "$ALLOW_NO_BASELINE" ]; then
        NATIVE="baseline unavailable on this host: $NATIVE"
      else
        fail "native run failed, so the case proves nothing: $NATIVE"
      fi
      ;;
    *) fail "native run printed no verdict: $(head -c 300 "$out")" ;;
  esac
}

# run_inside ARG...: ARG... as the container's root with every capability
# (and the case's CASE_FILTER); sets SANDBOXED (the verdict) and RC.
run_inside() {
  set_filter "$CASE_FILTER | $CAPS_FILTER"
  sandbox -- "$@"
  SANDBOXED=$(verdict "$OUT")
  [ "$RC" = 0 ] || fail "the sandboxed attack exited with $RC"
}
# inside ARG...: the attack program with ARG...
inside() { run_inside /attack "$@"; }
# inside_sh SCRIPT: a shell script (for globs) that runs the attack.
inside_sh() { run_inside sh -c "$1"; }
must_fail_inside() {
  case $SANDBOXED in
    ATTACK-FAILED:*) ;;
    ATTACK-OK:*) fail "ESCAPE: the attack worked inside the sandbox: $SANDBOXED" ;;
    *) fail "the sandboxed attack printed no verdict" ;;
  esac
}

# Run after each case, whatever it did.
host_checks() {
  grep -q -F "$MARKER" "$OUT" "$ERR" 2>/dev/null && fail "the host secret appeared in the sandbox's output"
  local now
  now=$(fingerprint)
  [ "$now" = "$FINGERPRINT" ] || fail "host files changed: $(diff <(echo "$FINGERPRINT") <(echo "$now") | grep '^[<>]' | tr '\n' ' ')"
  [ "$(hostname)" = "$HOST_HOSTNAME" ] || fail "the host's hostname changed to $(hostname)"
  kill -0 "$VICTIM" 2>/dev/null || fail "host process $VICTIM died"
}

sec_case() {
  selected "$1" || return 0
  NATIVE="not run" SANDBOXED="not run" ALLOW_NO_BASELINE= CASE_FILTER=.
  # host_checks runs inside the case, before end_case reports it.
  eval "t_sec_${1//-/_}() { t_${1//-/_}; host_checks; NOTES+=(\"native:  \$NATIVE\" \"sandbox: \$SANDBOXED\"); }"
  timed_case "sec-$1"
}

# -------------------------------------------------------------------- cases

t_symlink_absolute() {
  native read "$MARKER" "$ROOTFS/evil-abs" "$ROOTFS/evil-absdir/secret"
  inside read "$MARKER" /evil-abs /evil-absdir/secret
  must_fail_inside
}

t_symlink_dotdot() {
  native read "$MARKER" "$ROOTFS/evil-rel" "$ROOTFS/evil-reldir/secret"
  inside read "$MARKER" /evil-rel /evil-reldir/secret "/../../../../..$SECRET" "/tmp/../../../..$SECRET" \
    "/bin/../../../..$SECRET"
  must_fail_inside
}

# Natively the chrooted attack goes through the root of a host process of
# ours ($VICTIM): the host's pid 1 may be out of reach (EACCES when this
# host is itself a container).
t_proc_self_root() {
  native --chroot read "$MARKER" "/proc/$VICTIM/root$SECRET"
  inside read "$MARKER" "/proc/self/root$SECRET" "/proc/1/root$SECRET" "/proc/self/root/../../..$SECRET" \
    "/proc/self/root/evil-abs" "/proc/1/root/evil-rel" "/proc/thread-self/root$SECRET"
  must_fail_inside
}

t_proc_1_cwd() {
  native --chroot read "$MARKER" "/proc/$VICTIM/cwd/secret"
  inside read "$MARKER" "/proc/1/cwd$SECRET" "/proc/1/cwd/../../../..$SECRET" \
    "/proc/self/cwd/../../../..$SECRET" "/proc/1/cwd/evil-rel"
  must_fail_inside
}

t_proc_host_pid() {
  native --chroot read "$MARKER" "/proc/$VICTIM/cwd/secret" "/proc/$VICTIM/root$SECRET" "/proc/$VICTIM/fd/3"
  inside read "$MARKER" "/proc/$VICTIM/cwd/secret" "/proc/$VICTIM/root$SECRET" "/proc/$VICTIM/fd/3" \
    "/proc/$VICTIM/task/$VICTIM/cwd/secret"
  must_fail_inside
}

t_hard_link() {
  native --chroot link "$MARKER" "/proc/$VICTIM/root$SECRET" "/proc/$VICTIM/root$ROOTFS/hardlink"
  rm -f "$ROOTFS/hardlink"
  inside link "$MARKER" "/proc/1/root$SECRET" /tmp/hardlink
  must_fail_inside
  inside link "$MARKER" /evil-abs /tmp/hardlink
  must_fail_inside
}

t_mount() {
  native --chroot mount "$MARKER" "$SECRET" /mnt-attack "$VICTIM"
  rm -rf "$ROOTFS/mnt-attack"
  inside mount "$MARKER" "$SECRET" /tmp/mnt 1
  must_fail_inside
}

t_ptrace_host_pid() {
  native ptrace "$VICTIM"
  inside ptrace "$VICTIM"
  must_fail_inside
}

t_kill_host_pid() {
  start_target
  native kill "$TARGET"
  sleep 0.2
  kill -0 "$TARGET" 2>/dev/null && fail "the native kill did not kill $TARGET"
  start_target
  inside kill "$TARGET"
  must_fail_inside
  kill -0 "$TARGET" 2>/dev/null || fail "host process $TARGET died"
}

t_socket_raw() {
  native socket raw
  inside socket raw
  must_fail_inside
}

t_socket_packet() {
  native socket packet
  inside socket packet
  must_fail_inside
}

# The sandbox has a NETLINK_ROUTE socket of its own (answered by the
# sentry, describing only its loopback): the attack is seeing an interface
# other than lo. Natively the host must have one, or the case proves nothing.
t_socket_netlink() {
  native socket netlink
  inside socket netlink
  must_fail_inside
}

# A block device node for the disk that holds the secret.
t_mknod_block_device() {
  local dev
  dev=$(stat -c '%D' "$SECRET")
  local major=$((0x$dev >> 8)) minor=$((0x$dev & 0xff))
  # No baseline on an anonymous device (tmpfs, overlay) or when a devices
  # cgroup denies the runner (EPERM on open, as in a container).
  ALLOW_NO_BASELINE=1
  native --chroot mknod-read b "$major" "$minor" /attack-blk
  rm -f "$ROOTFS/attack-blk"
  inside mknod-read b "$major" "$minor" /tmp/blk
  must_fail_inside
  inside mknod-read b "$major" "$minor" /dev/blk
  must_fail_inside
}

t_mknod_dev_mem() {
  ALLOW_NO_BASELINE=1  # kernels without CONFIG_DEVMEM: ENXIO
  native --chroot mknod-read c 1 1 /attack-mem
  rm -f "$ROOTFS/attack-mem"
  inside mknod-read c 1 1 /tmp/mem
  must_fail_inside
}

t_kernel_module() {
  ALLOW_NO_BASELINE=1  # kernels without module support: ENOSYS
  native module
  inside module
  must_fail_inside
}

# CVE-2024-21626 class: host fds the runtime had open must not reach the
# container (here fd 7 on the secret and fd 8 on its directory).
t_leaked_fds() {
  native fds 7<"$SECRET" 8<"$HOSTDIR"
  set_filter "$CAPS_FILTER"
  config "$FILTER" -- /attack fds
  bulwark_cmd --root "$STATE_ROOT" run --bundle "$CASE_DIR" --pid-file "$PID_FILE" "$ID" \
    7<"$SECRET" 8<"$HOSTDIR"
  SANDBOXED=$(verdict "$OUT")
  expect_rc 0
  must_fail_inside
  # The same fd as the process's cwd (runc's CVE-2024-21626 exploit).
  set_filter "$CAPS_FILTER | .process.cwd = \"/proc/self/fd/8\""
  config "$FILTER" -- /attack read "$MARKER" ../secret ../../../../..$SECRET
  bulwark_cmd --root "$STATE_ROOT" run --bundle "$CASE_DIR" --pid-file "$PID_FILE" "$ID" \
    7<"$SECRET" 8<"$HOSTDIR"
  case $(verdict "$OUT") in
    ATTACK-OK:*) fail "ESCAPE through cwd /proc/self/fd/8: $(verdict "$OUT")" ;;
  esac
}

# CVE-2019-5736 class: a process in the sandbox rewriting the binary of a
# runtime process through /proc/<pid>/exe. Natively the target is a copy
# of busybox that exits after a moment (the attack holds an O_PATH fd and
# reopens it for writing once the binary is no longer busy). Inside, every
# /proc/<pid>/exe is tried; writing the container's own files is allowed
# (overlay), so the verdict is the host's: the runtime and image unchanged.
t_write_runtime_exe() {
  mkdir -p "$WORK/fake-runtime"
  cp /bin/busybox "$WORK/fake-runtime/busybox"
  local before
  before=$(sha256sum <"$WORK/fake-runtime/busybox")
  "$WORK/fake-runtime/busybox" sleep 0.3 &
  local fake=$!
  native write-exe "/proc/$fake/exe"
  wait "$fake"
  [ "$(sha256sum <"$WORK/fake-runtime/busybox")" != "$before" ] || fail "the native attack did not change its target"
  inside_sh '/attack write-exe /proc/[0-9]*/exe /proc/self/exe & sleep 1; /attack write-exe /proc/[0-9]*/exe; wait'
  # fingerprint() covers $BULWARK and the image's binaries.
}

t_readonly_root() {
  native write "$ROOTFS/attack-scratch"
  rm -f "$ROOTFS/attack-scratch"
  CASE_FILTER='.root.readonly = true'
  inside write /etc/passwd /new-file /bin/busybox /attack
  must_fail_inside
}

t_readonly_bind_mount() {
  native write "$HOSTDIR/data/scratch"
  rm -f "$HOSTDIR/data/scratch"
  CASE_FILTER=".mounts += [{destination: \"/data\", type: \"bind\", source: \"$HOSTDIR/data\", options: [\"rbind\", \"ro\"]}]"
  inside write /data/file /data/new-file
  must_fail_inside
}

t_read_kernel_memory() {
  native read-any /proc/kcore /dev/mem /sys/kernel/uevent_seqnum /sys/kernel/vmcoreinfo
  inside read-any /proc/kcore /dev/mem /dev/kmem /dev/port /sys/kernel/uevent_seqnum \
    /sys/kernel/vmcoreinfo /sys/kernel/debug/sched/debug /proc/kallsyms /sys/firmware/dmi/tables/DMI
  must_fail_inside
}

# A hostname set inside stays inside (the sentry's UTS namespace); the
# verdict is host_checks' comparison of the host's hostname.
t_sethostname() {
  NATIVE=$(unshare -u "$ATTACK" sethostname attack-native | grep -o 'ATTACK-.*')
  [[ "$NATIVE" == ATTACK-OK:* ]] || fail "native run (own UTS namespace) failed: $NATIVE"
  inside sethostname "bulwark-attack-$$"
}

t_settime() {
  native settime
  inside settime
  must_fail_inside
}

t_kexec() {
  ALLOW_NO_BASELINE=1  # kernels without kexec: ENOSYS
  native kexec
  inside kexec
  must_fail_inside
}

t_reboot() {
  native reboot
  inside reboot
  must_fail_inside
}

# Runtime hygiene: nothing in the state directory is readable or writable
# by others (state.json, the control socket, the lock), and its
# directories are at most searchable.
t_state_permissions() {
  NATIVE="n/a" SANDBOXED="n/a"
  ARGS=(sleep 100)
  lc_create
  expect_rc 0
  local bad
  bad=$(find "$STATE_ROOT" \( -type d -perm /022 \) -o \( ! -type d -perm /077 \) -printf '%m %p\n')
  [ -z "$bad" ] || fail "state with loose permissions: $(echo "$bad" | tr '\n' ' ')"
  [ -S "$STATE_ROOT/$ID/control.sock" ] || fail "no control.sock in the state directory"
  NOTES+=("state: $(find "$STATE_ROOT" -printf '%m %P, ' | head -c 300)")
  lc delete --force "$ID"
  expect_rc 0
}

# -------------------------------------------------------------------- main

# The size of the host seccomp filters ("# sentry: N host syscalls").
if "$BULWARK" debug filters >"$WORK/filters.txt" 2>&1; then
  grep -E '^# .*host syscalls' "$WORK/filters.txt"
else
  echo "# bulwark debug filters: $(head -n1 "$WORK/filters.txt")"
fi

CASES=(
  symlink-absolute symlink-dotdot proc-self-root proc-1-cwd proc-host-pid hard-link mount
  ptrace-host-pid kill-host-pid socket-raw socket-packet socket-netlink mknod-block-device
  mknod-dev-mem kernel-module leaked-fds write-runtime-exe readonly-root readonly-bind-mount
  read-kernel-memory sethostname settime kexec reboot state-permissions
)
for c in "${CASES[@]}"; do sec_case "$c"; done

harness_finish
