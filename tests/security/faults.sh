#!/usr/bin/env bash
# Faults (issue 7): SIGKILL to the gofer, the sentry or a stub process, at
# several moments (right after create, while init runs a busy loop, while
# it does file I/O). Each time the sandbox must end: `state` says stopped
# (or the container is gone, after `run` deleted it), `delete` removes
# everything, a waiting `run` exits non-zero, and nothing is left behind
# (processes, mounts, state, cgroups). `timeout` guards turn hangs into
# failures; they are not speed checks.
#
#   tests/security/faults.sh [NAME-SUBSTRING...]
#
# Uses $BULWARK (default build/bulwark). Output as tests/integration/run.sh.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
FILTERS=("$@")
# shellcheck source=../lib/harness.sh
source "$REPO/tests/lib/harness.sh"
harness_setup faults true

# The sentry watches its gofer socket: a dead gofer stops the sandbox.

# How long a killed sandbox's `run` may take to return before it counts as
# hung.
HANG=${BULWARK_FAULT_HANG:-15}

# Init's loops use shell builtins only, so that the only stub is init's.
BUSY='echo ready; while :; do :; done'
IO='echo ready; while :; do echo data >/tmp/f; read x </tmp/f; read y </etc/passwd; read z </bin/busybox; done'

# target_pids gofer|sentry|stub: host pids of that part of this sandbox.
target_pids() {
  local state=$STATE_ROOT/$ID/state.json
  case $1 in
    gofer) jq -r '.bulwark.goferPid' "$state" 2>/dev/null ;;
    sentry) jq -r '.pid' "$state" 2>/dev/null ;;
    stub) ps --ppid "$(jq -r '.pid' "$state" 2>/dev/null)" -o pid= 2>/dev/null ;;
  esac
}

CGROUPS=()
remember_cgroups() {
  mapfile -t CGROUPS < <(jq -r '.bulwark.cgroups[]?' "$STATE_ROOT/$ID/state.json" 2>/dev/null)
}
check_cgroups_gone() {
  local d
  for d in "${CGROUPS[@]}"; do [ -d "$d" ] && fail "cgroup left behind: $d"; done
  return 0
}

# kill_target WHAT: SIGKILL to it; fails the case if there is none.
kill_target() {
  local pids
  pids=$(target_pids "$1")
  if [ -z "$pids" ] || [ "$pids" = null ] || [ "$pids" = 0 ]; then
    fail "no $1 process found"
    return 1
  fi
  # shellcheck disable=SC2086
  kill -KILL $pids
}

# The container ended: stopped or already deleted; delete cleans up.
expect_ended() {
  local st= deadline=$((SECONDS + 10))
  while :; do
    lc state "$ID"
    [ "$RC" != 0 ] && { st=gone; break; }
    st=$(jq -r .status "$OUT")
    [ "$st" = stopped ] || [ "$SECONDS" -ge "$deadline" ] && break
    sleep 0.1
  done
  [ "$st" = stopped ] || [ "$st" = gone ] || fail "status $st 10 s after the kill, want stopped"
  NOTES+=("after the kill: $st")
  if [ "$st" = stopped ]; then
    lc delete "$ID"
    expect_rc 0
  fi
  check_cgroups_gone
}

# fault_created WHAT: killed between create and start.
fault_created() {
  ARGS=(sh -c "$BUSY")
  lc_create
  expect_rc 0
  remember_cgroups
  kill_target "$1"
  expect_ended
  lc delete --force "$ID"
}

# fault_running WHAT LOOP: killed while init runs LOOP under `run`.
fault_running() {
  config -- sh -c "$2"
  "$BULWARK" --root "$STATE_ROOT" run --bundle "$CASE_DIR" \
    --pid-file "$PID_FILE" "$ID" </dev/null >"$OUT" 2>"$ERR" &
  local run=$! i
  for i in $(seq 100); do grep -q ready "$OUT" && break; sleep 0.1; done
  grep -q ready "$OUT" || { fail "the container never became ready"; kill -KILL "$run"; wait "$run"; return; }
  remember_cgroups
  sleep 0.3  # well inside the loop
  kill_target "$1"
  for i in $(seq $((HANG * 10))); do kill -0 "$run" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$run" 2>/dev/null; then
    fail "run still running ${HANG}s after the kill (hung); killing the sandbox"
    kill -KILL "$run" "$(target_pids sentry)" "$(target_pids gofer)" 2>/dev/null
  fi
  wait "$run"
  RC=$?
  NOTES+=("run exited with $RC")
  expect_rc_nonzero
  expect_ended
}

t_fault_gofer_created() { fault_created gofer; }
t_fault_sentry_created() { fault_created sentry; }
t_fault_gofer_busy() { fault_running gofer "$BUSY"; }
t_fault_sentry_busy() { fault_running sentry "$BUSY"; }
t_fault_stub_busy() { fault_running stub "$BUSY"; }
t_fault_gofer_io() { fault_running gofer "$IO"; }
t_fault_sentry_io() { fault_running sentry "$IO"; }
t_fault_stub_io() { fault_running stub "$IO"; }

# -------------------------------------------------------------------- main

CASES=(
  fault-gofer-created fault-sentry-created fault-gofer-busy fault-sentry-busy fault-stub-busy
  fault-gofer-io fault-sentry-io fault-stub-io
)
for c in "${CASES[@]}"; do timed_case "$c"; done

harness_finish
