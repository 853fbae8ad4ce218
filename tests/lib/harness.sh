# Shared harness of the shell test suites that run bulwark on a busybox
# bundle (tests/integration/run.sh, tests/security/*.sh). Source it after
# setting REPO (the checkout); then call harness_setup.
#
# Per case: run_case NAME calls t_NAME between begin_case and end_case;
# end_case checks that nothing is left behind (state, processes, mounts)
# and prints "ok - NAME" / "not ok - NAME". harness_finish prints
# "N passed, M failed" and returns non-zero if any case failed.

# harness_setup SUITE [ARG...]: checks $BULWARK (default build/bulwark, made
# absolute), takes the checkout-wide lock (one suite at a time: each one's
# leftover checks would see the other's sandboxes), and builds a fresh
# busybox bundle with process.args = ARG... under tests/.work/SUITE.
# Sets BULWARK, TIMEOUT, WORK, BUNDLE, ROOTFS, BASE_CONFIG.
harness_setup() {
  local suite=$1
  shift
  BULWARK=${BULWARK:-$REPO/build/bulwark}
  TIMEOUT=${BULWARK_TEST_TIMEOUT:-60}
  WORK=$REPO/tests/.work/$suite
  if [ ! -x "$BULWARK" ]; then
    echo "$suite: $BULWARK not found; run scripts/build.sh first" >&2
    exit 1
  fi
  BULWARK=$(readlink -f "$BULWARK")
  mkdir -p "$REPO/tests/.work"
  exec 9>"$REPO/tests/.work/sandbox-suites.lock"
  if ! flock -n 9; then
    echo "$suite: waiting for another sandbox test run in this checkout to finish" >&2
    flock 9
  fi
  rm -rf "$WORK"
  mkdir -p "$WORK/cases" "$WORK/state"
  BUNDLE=$WORK/bundle
  ROOTFS=$BUNDLE/rootfs
  if ! BULWARK=$BULWARK bash "$REPO/scripts/mkbundle.sh" "$BUNDLE" "$@" >"$WORK/mkbundle.log" 2>&1; then
    echo "$suite: building the test bundle failed:" >&2
    cat "$WORK/mkbundle.log" >&2
    exit 1
  fi
  BASE_CONFIG=$BUNDLE/config.json
}

harness_finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" = 0 ]
}

PASSED=0
FAILED=0

# ---------------------------------------------------------------- per case

# Set by begin_case for the current case.
CASE= ID= STATE_ROOT= CASE_DIR= ERRORS= PID_FILE=
# Set by sandbox / bulwark_cmd.
RC= OUT= ERR=

begin_case() {
  CASE=$1
  ID=it-$1-$$
  STATE_ROOT=$WORK/state/$1
  CASE_DIR=$WORK/cases/$1
  PID_FILE=$CASE_DIR/pid
  ERRORS=$CASE_DIR/errors
  OUT=$CASE_DIR/stdout
  ERR=$CASE_DIR/stderr
  mkdir -p "$CASE_DIR"
  : >"$ERRORS" >"$OUT" >"$ERR"
  MOUNTS_BEFORE=$(grep -c -F "$WORK" /proc/self/mountinfo)
}

fail() { printf '%s\n' "$*" >>"$ERRORS"; }

# config [JQ_FILTER] -- ARG...: writes the case's config.json (the base
# bundle's, root.path pointing at the shared rootfs, process.args = ARG...).
config() {
  local filter=.
  if [ "$1" != -- ]; then filter=$1; shift; fi
  shift  # --
  local args='[]' a
  for a in "$@"; do args=$(jq -c --arg a "$a" '. + [$a]' <<<"$args"); done
  jq --argjson args "$args" --arg rootfs "$ROOTFS" \
    ".process.args = \$args | .root.path = \$rootfs | $filter" \
    "$BASE_CONFIG" >"$CASE_DIR/config.json"
}

# bulwark_cmd ARG...: runs the binary with a timeout, stdin from $STDIN
# (default /dev/null); sets RC, fills $OUT and $ERR.
bulwark_cmd() {
  timeout -k 5 "$TIMEOUT" "$BULWARK" "$@" <"${STDIN:-/dev/null}" >"$OUT" 2>"$ERR"
  RC=$?
  [ "$RC" != 124 ] || fail "timed out after ${TIMEOUT}s"
}

# set_filter JQ_FILTER: a config change that sandbox() applies.
FILTER=.
set_filter() { FILTER=$1; }

# sandbox [GLOBAL_FLAG...] -- ARG...: runs ARG... in this case's container
# (the base config changed by set_filter's filter, if any).
sandbox() {
  local flags=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do flags+=("$1"); shift; done
  shift
  config "$FILTER" -- "$@"
  bulwark_cmd --root "$STATE_ROOT" "${flags[@]}" run --bundle "$CASE_DIR" --pid-file "$PID_FILE" "$ID"
}

expect_rc() {
  [ "$RC" = "$1" ] || fail "exit status $RC, want $1"
}
expect_rc_nonzero() {
  [ "$RC" != 0 ] || fail "exit status 0, want non-zero"
}
expect_stdout() {
  local got
  got=$(cat "$OUT")
  [ "$got" = "$1" ] || fail "stdout $(printf '%q' "$got"), want $(printf '%q' "$1")"
}
expect_stdout_has() {
  grep -q -F -- "$1" "$OUT" || fail "stdout lacks $(printf '%q' "$1")"
}
expect_stdout_lacks() {
  ! grep -q -F -- "$1" "$OUT" || fail "stdout contains $(printf '%q' "$1")"
}
expect_stderr_has() {
  grep -q -F -- "$1" "$ERR" || fail "stderr lacks $(printf '%q' "$1")"
}
# An error from the runtime: non-zero, exactly one line on stderr that
# starts with "bulwark: " and contains each given string.
expect_runtime_error() {
  expect_rc_nonzero
  local lines
  lines=$(wc -l <"$ERR")
  [ "$lines" = 1 ] || fail "stderr has $lines lines, want 1"
  head -n1 "$ERR" | grep -q '^bulwark: ' || fail "stderr does not start with 'bulwark: '"
  local s
  for s in "$@"; do expect_stderr_has "$s"; done
  [ -s "$OUT" ] && fail "stdout not empty"
  return 0
}

# Processes that should be gone. `ours`: started by this case (anything
# whose command line mentions the work dir, e.g. the gofer, and the sentry
# named by the pid file). `others`: sentry, gofer or stub processes of this
# binary that we cannot tie to this case (reported, never killed).
leftover_pids() {
  local which=$1 p cmd
  if [ "$which" = ours ] && [ -s "$PID_FILE" ]; then
    p=$(cat "$PID_FILE")
    if [ -e "/proc/$p" ] && [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$BULWARK" ]; then
      echo "$p"
    fi
  fi
  # Builtins only (mapfile, -ef): a fork per process makes this take
  # seconds on a loaded host.
  local args=()
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    mapfile -d '' args 2>/dev/null <"/proc/$p/cmdline" || continue
    cmd=" ${args[*]} "
    # The suites and their subshells.
    [[ "$cmd" == *tests/integration/run.sh* || "$cmd" == *tests/security/*.sh* ]] && continue
    if [[ "$cmd" == *"$WORK"* ]]; then
      [ "$which" = ours ] && echo "$p"
    elif [[ "$cmd" == *" boot "* || "$cmd" == *" gofer "* ]] && [ "/proc/$p/exe" -ef "$BULWARK" ]; then
      [ "$which" = others ] && echo "$p"
    fi
  done
}

check_nothing_left() {
  if [ -d "$STATE_ROOT" ] && [ -n "$(ls -A "$STATE_ROOT")" ]; then
    fail "state left behind: $(ls -A "$STATE_ROOT" | tr '\n' ' ')"
    rm -rf "${STATE_ROOT:?}"/*
  fi
  local pids p
  pids=$(leftover_pids ours | sort -u)
  for p in $pids; do fail "process left behind: $p $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")"; done
  # Started by this case: end them so that the next case starts clean.
  for p in $pids; do kill -KILL "$p" 2>/dev/null; done
  for p in $(leftover_pids others); do
    fail "bulwark process still running: $p $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")"
  done
  local mounts
  mounts=$(grep -c -F "$WORK" /proc/self/mountinfo)
  if [ "$mounts" != "$MOUNTS_BEFORE" ]; then
    fail "mounts left behind: $(grep -F "$WORK" /proc/self/mountinfo | cut -d' ' -f5 | tr '\n' ' ')"
  fi
}

# KNOWN_FAILURES[NAME]=REASON: a case known to fail (a bug with an issue);
# it counts as passed while it fails, and as failed once it passes, so that
# the entry is removed with the fix.
declare -A KNOWN_FAILURES=()

end_case() {
  check_nothing_left
  local known=${KNOWN_FAILURES[$CASE]:-}
  if [ -s "$ERRORS" ] && [ -n "$known" ]; then
    echo "ok - $CASE # known failure: $known"
    sed 's/^/#   /' "$ERRORS"
    PASSED=$((PASSED + 1))
  elif [ -s "$ERRORS" ]; then
    echo "not ok - $CASE"
    sed 's/^/#   /' "$ERRORS"
    echo "#   exit status: $RC"
    [ -s "$OUT" ] && { echo "#   stdout:"; head -c 2000 "$OUT" | sed 's/^/#     /'; }
    [ -s "$ERR" ] && { echo "#   stderr:"; head -c 2000 "$ERR" | sed 's/^/#     /'; }
    FAILED=$((FAILED + 1))
  elif [ -n "$known" ]; then
    echo "not ok - $CASE # passed but is listed as a known failure ($known): remove the entry"
    FAILED=$((FAILED + 1))
  else
    echo "ok - $CASE"
    PASSED=$((PASSED + 1))
  fi
}

selected() {
  [ ${#FILTERS[@]} = 0 ] && return 0
  local f
  for f in "${FILTERS[@]}"; do [[ "$1" == *"$f"* ]] && return 0; done
  return 1
}

# run_case NAME: runs the function t_NAME (dashes become underscores).
run_case() {
  selected "$1" || return 0
  begin_case "$1"
  RC=
  STDIN=
  FILTER=.
  "t_${1//-/_}"
  end_case
}

# timed_case NAME: run_case NAME, then the lines the case put in NOTES and
# its time, as comments.
NOTES=()
timed_case() {
  selected "$1" || return 0
  local start=$SECONDS n
  NOTES=()
  run_case "$1"
  for n in "${NOTES[@]}"; do echo "#   $n"; done
  echo "#   time: $((SECONDS - start))s"
}

# ---------------------------------------------------------- lifecycle

# lc CMD ARG...: a lifecycle command on this case's root.
lc() { bulwark_cmd --root "$STATE_ROOT" "$@"; }
# lc_create [create flags]: writes the config (set_filter, ARGS) and creates.
lc_create() {
  config "$FILTER" -- "${ARGS[@]}"
  lc create --bundle "$CASE_DIR" --pid-file "$PID_FILE" "$@" "$ID"
}
# state_field FIELD: from `state`'s JSON.
state_field() { lc state "$ID" && jq -r ".$1" "$OUT"; }
# wait_status STATUS: polls `state` for up to 10 s.
wait_status() {
  local i
  for i in $(seq 100); do
    [ "$(state_field status)" = "$1" ] && return 0
    sleep 0.1
  done
  fail "status $(state_field status), want $1"
}
