#!/usr/bin/env bash
# Resource exhaustion inside the sandbox (issue 7): a fork bomb, a memory
# balloon, an fd flood and unbounded writes to tmpfs must each fail inside
# the sandbox (or end that sandbox alone) and leave the host and other
# sandboxes working, with nothing left behind (processes, mounts, state,
# cgroups).
#
#   tests/security/exhaust.sh [NAME-SUBSTRING...]
#
# Uses $BULWARK (default build/bulwark). Output as tests/integration/run.sh.
set -uo pipefail

SUITE=exhaust
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"


CGROUP_PARENT=bulwark-sec
# cgroup_filter JQ: the resources JQ (an object) under a cgroup of this case.
cgroup_filter() {
  echo ".linux.cgroupsPath = \"/$CGROUP_PARENT/$ID\" | .linux.resources = $1"
}
# The case's cgroups must be gone (v1: one per controller; v2: one).
check_cgroups_gone() {
  local d
  for d in /sys/fs/cgroup/*/"$CGROUP_PARENT/$ID" /sys/fs/cgroup/"$CGROUP_PARENT/$ID"; do
    [ -d "$d" ] && fail "cgroup left behind: $d"
  done
  rmdir /sys/fs/cgroup/*/"$CGROUP_PARENT" /sys/fs/cgroup/"$CGROUP_PARENT" 2>/dev/null
  return 0
}
# The host still forks and runs programs.
check_host() {
  [ "$(sh -c 'echo host-ok')" = host-ok ] || fail "the host cannot run a program"
}
# expect_verdict_failed REGEX: the attack failed inside with a reason that
# REGEX matches whole, and the sandbox ran to the end.
expect_verdict_failed() {
  local v
  v=$(verdict "$OUT")
  NOTES+=("verdict: $v, exit status $RC")
  [[ "$v" =~ ^ATTACK-FAILED:$1$ ]] || fail "verdict $v, want ATTACK-FAILED:$1"
  expect_rc 0
}

# ------------------------------------------------------------------- cases

# pids.limit: fork fails with EAGAIN inside; a second sandbox started while
# the bomb runs still runs a command.
t_exhaust_pids_forkbomb() {
  set_filter "$(cgroup_filter '{"pids": {"limit": 64}}')"
  config "$FILTER" -- /attack forkbomb 1000 3
  timeout -k 5 "$TIMEOUT" "$BULWARK" --root "$STATE_ROOT" run --bundle "$CASE_DIR" \
    --pid-file "$PID_FILE" "$ID" </dev/null >"$OUT" 2>"$ERR" &
  local bomb=$! i
  # The second sandbox starts while the bomb holds all it could fork.
  for i in $(seq 100); do
    grep -q holding "$ERR" && break
    kill -0 "$bomb" 2>/dev/null || break
    sleep 0.1
  done
  mkdir -p "$CASE_DIR/second"
  jq --arg rootfs "$ROOTFS" '.process.args = ["echo", "second-ok"] | .root.path = $rootfs' \
    "$BASE_CONFIG" >"$CASE_DIR/second/config.json"
  local second
  second=$(timeout -k 5 "$TIMEOUT" "$BULWARK" --root "$STATE_ROOT" run --bundle "$CASE_DIR/second" \
    "$ID-second" </dev/null 2>&1)
  [ "$second" = second-ok ] || fail "a second sandbox during the fork bomb: $second"
  wait "$bomb"
  RC=$?
  expect_verdict_failed '.*then EAGAIN'
  check_host
  check_cgroups_gone
}

# RLIMIT_NPROC for a non-root user (root is exempt on Linux).
t_exhaust_rlimit_nproc() {
  set_filter '.process.user = {"uid": 1000, "gid": 1000} | .process.rlimits = [{"type": "RLIMIT_NPROC", "hard": 32, "soft": 32}]'
  sandbox -- /attack forkbomb 200
  expect_verdict_failed 'forked 3[01] then EAGAIN'
  check_host
}

# memory.limit: the balloon fails (ENOMEM) or the sandbox is OOM-killed;
# either way `state` says stopped and delete cleans up. `events` reports an
# "oom" event exactly when the memory cgroup counted an OOM kill.
t_exhaust_memory_balloon() {
  set_filter "$(cgroup_filter '{"memory": {"limit": 67108864}}')"
  ARGS=(/attack balloon 1024)
  lc_create
  expect_rc 0
  timeout -k 5 "$TIMEOUT" "$BULWARK" --root "$STATE_ROOT" events --interval 1s "$ID" \
    >"$CASE_DIR/events.out" 2>&1 &
  local events=$!
  lc start "$ID"
  expect_rc 0
  local i
  for i in $(seq 300); do
    [ "$(state_field status)" = stopped ] && break
    sleep 0.1
  done
  [ "$(state_field status)" = stopped ] || fail "status $(state_field status) 30 s after start, want stopped"
  NOTES+=("stopped after about $((i / 10)) s")
  local kills=0 f
  for f in /sys/fs/cgroup/memory/"$CGROUP_PARENT/$ID"/memory.oom_control \
    /sys/fs/cgroup/"$CGROUP_PARENT/$ID"/memory.events; do
    [ -f "$f" ] && kills=$(awk '$1 == "oom_kill" { print $2 }' "$f")
  done
  wait "$events"
  local reported
  reported=$(grep -c '^{"type":"oom","id":"'"$ID"'"}$' "$CASE_DIR/events.out")
  NOTES+=("OOM kills in the cgroup: ${kills:-0}; oom events: $reported")
  if [ "${kills:-0}" -gt 0 ]; then
    [ "$reported" -ge 1 ] || fail "the cgroup had $kills OOM kills, events printed none: $(head -c 300 "$CASE_DIR/events.out")"
  else
    [ "$reported" = 0 ] || fail "events printed an oom event without an OOM kill"
  fi
  lc delete "$ID"
  expect_rc 0
  check_host
  check_cgroups_gone
}

# RLIMIT_NOFILE: EMFILE at the limit.
t_exhaust_fd_flood() {
  set_filter '.process.rlimits = [{"type": "RLIMIT_NOFILE", "hard": 256, "soft": 256}]'
  sandbox -- /attack fdflood 100000
  expect_verdict_failed '25[0-9] fds then EMFILE'
  check_host
}

# A tmpfs mount's size= bounds it (/dev/shm is size=65536k in the default
# spec).
t_exhaust_tmpfs_size() {
  set_filter '.mounts |= map(if .destination == "/dev/shm" then .options = ["nosuid", "nodev", "mode=1777", "size=8m"] else . end)'
  sandbox -- /attack fill /dev/shm/big 64
  expect_verdict_failed '8 MiB then ENOSPC'
  check_host
}

# Writes to the root overlay (kept in memory) under a memory limit: ENOSPC
# inside, the sandbox running on.
t_exhaust_tmpfs_memory_limit() {
  set_filter "$(cgroup_filter '{"memory": {"limit": 67108864}}')"
  sandbox -- /attack fill /big 1024
  expect_verdict_failed '[0-9]+ MiB then ENOSPC'
  check_host
  check_cgroups_gone
}

# -------------------------------------------------------------------- main

CASES=(
  exhaust-pids-forkbomb exhaust-rlimit-nproc exhaust-memory-balloon exhaust-fd-flood
  exhaust-tmpfs-size exhaust-tmpfs-memory-limit
)
for c in "${CASES[@]}"; do timed_case "$c"; done

harness_finish
