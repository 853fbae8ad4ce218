#!/usr/bin/env bash
# End-to-end tests of `bulwark run` on a busybox bundle.
#
#   tests/integration/run.sh [NAME-SUBSTRING...]
#
# Uses $BULWARK (default build/bulwark). Everything happens under
# tests/.work/integration. Each case runs with its own container ID and
# --root; afterwards the harness checks that nothing is left behind (state,
# processes, mounts). Prints "ok - NAME" / "not ok - NAME" per case and ends
# with "N passed, M failed"; exits 1 if any case failed.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
FILTERS=("$@")
# shellcheck source=../lib/harness.sh
source "$REPO/tests/lib/harness.sh"
harness_setup integration true
HOST_RELEASE=$(uname -r)
SENTRY_RELEASE=$(sed -n 's/.*kUnameRelease\[\] = "\(.*\)";.*/\1/p' \
  "$REPO/sentry/kernel/kernel.h" 2>/dev/null | head -n1)

# Host secret for the escape cases: outside the rootfs, with a marker that
# must never appear in a container's output.
SECRET_NAME=SECRET-$RANDOM$RANDOM
SECRET=$WORK/$SECRET_NAME
MARKER=bulwark-escape-marker-$RANDOM$RANDOM
echo "$MARKER" >"$SECRET"


# ------------------------------------------------------------------- cases

t_echo() {
  sandbox -- echo hello
  expect_rc 0
  expect_stdout hello
}

t_ls_root() {
  sandbox -- ls -la /
  expect_rc 0
  expect_stdout_has " bin"
  expect_stdout_has " etc"
}

t_cat_passwd() {
  sandbox -- cat /etc/passwd
  expect_rc 0
  expect_stdout "$(cat "$ROOTFS/etc/passwd")"
}

t_pipe() {
  sandbox -- sh -c 'echo a | tr a b'
  expect_rc 0
  expect_stdout b
}

t_exit_code() {
  sandbox -- sh -c 'exit 7'
  expect_rc 7
}

t_killed_child() {
  sandbox -- sh -c 'sh -c "kill -9 \$\$"; exit $?'
  expect_rc 137
}

t_fork_loop() {
  sandbox -- sh -c 'i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done; echo $i'
  expect_rc 0
  expect_stdout 200
}

t_uname_release() {
  sandbox -- uname -r
  expect_rc 0
  local got
  got=$(cat "$OUT")
  [ "$got" != "$HOST_RELEASE" ] || fail "uname -r is the host's ($HOST_RELEASE)"
  if [ -n "$SENTRY_RELEASE" ]; then
    expect_stdout "$SENTRY_RELEASE"
  else
    [[ "$got" == *-bulwark ]] || fail "uname -r $got does not end in -bulwark"
  fi
}

t_stdin_stdout_stderr() {
  echo from-stdin >"$CASE_DIR/in"
  STDIN=$CASE_DIR/in
  sandbox -- sh -c 'cat; echo to-stderr >&2'
  expect_rc 0
  expect_stdout from-stdin
  expect_stderr_has to-stderr
}

t_write_root_overlay() {
  local before
  before=$(cat "$ROOTFS/etc/hostname")
  set_filter '.root.readonly = false'
  sandbox -- sh -c 'echo new > /etc/hostname && cat /etc/hostname'
  expect_rc 0
  expect_stdout new
  [ "$(cat "$ROOTFS/etc/hostname")" = "$before" ] || fail "the image's /etc/hostname changed on the host"
  printf '%s\n' "$before" >"$ROOTFS/etc/hostname"
}

t_write_root_readonly() {
  local before
  before=$(cat "$ROOTFS/etc/hostname")
  set_filter '.root.readonly = true'
  sandbox -- sh -c 'echo new > /etc/hostname && cat /etc/hostname'
  expect_rc_nonzero
  expect_stderr_has "Read-only file system"
  expect_stdout_lacks new
  [ "$(cat "$ROOTFS/etc/hostname")" = "$before" ] || fail "the image's /etc/hostname changed on the host"
  printf '%s\n' "$before" >"$ROOTFS/etc/hostname"
}

t_overlay_none_writes_image() {
  local before
  before=$(cat "$ROOTFS/etc/hostname")
  set_filter '.root.readonly = false'
  sandbox --overlay none -- sh -c 'echo via-gofer > /etc/hostname && cat /etc/hostname'
  expect_rc 0
  expect_stdout via-gofer
  [ "$(cat "$ROOTFS/etc/hostname")" = via-gofer ] || fail "the write did not reach the image"
  printf '%s\n' "$before" >"$ROOTFS/etc/hostname"
}

t_proc_self_status() {
  sandbox -- cat /proc/self/status
  expect_rc 0
  expect_stdout_has "Name:"
  expect_stdout_has "Pid:"
}

t_ls_proc() {
  sandbox -- ls /proc
  expect_rc 0
  grep -qx self "$OUT" || fail "ls /proc lacks self"
  grep -qx 1 "$OUT" || fail "ls /proc lacks 1"
}

t_trap_signal() {
  sandbox -- sh -c 'trap "echo caught" USR1; (sleep 1; kill -USR1 $$) & sleep 5 & wait $!; echo done'
  expect_rc 0
  expect_stdout_has caught
  expect_stdout_has done
}

# A signal sent to `bulwark run` reaches the container's init.
t_forward_sigterm() {
  config -- sh -c 'trap "echo got-term; exit 3" TERM; echo ready; i=0; while [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; echo timeout'
  timeout -k 5 "$TIMEOUT" "$BULWARK" --root "$STATE_ROOT" run --bundle "$CASE_DIR" \
    --pid-file "$PID_FILE" "$ID" </dev/null >"$OUT" 2>"$ERR" &
  local runtime=$! i
  for i in $(seq 100); do grep -q ready "$OUT" && break; sleep 0.1; done
  grep -q ready "$OUT" || fail "the container never became ready"
  kill -TERM "$runtime" 2>/dev/null
  wait "$runtime"
  RC=$?
  expect_rc 3
  expect_stdout_has got-term
}

# The sandbox killed from the host: run reports 128+9 and cleans up.
t_sentry_killed() {
  config -- sh -c 'echo ready; sleep 30; echo not-killed'
  timeout -k 5 "$TIMEOUT" "$BULWARK" --root "$STATE_ROOT" run --bundle "$CASE_DIR" \
    --pid-file "$PID_FILE" "$ID" </dev/null >"$OUT" 2>"$ERR" &
  local runtime=$! i
  for i in $(seq 100); do grep -q ready "$OUT" && [ -s "$PID_FILE" ] && break; sleep 0.1; done
  if grep -q ready "$OUT" && [ -s "$PID_FILE" ]; then
    kill -KILL "$(cat "$PID_FILE")"
  else
    fail "the container never became ready"
  fi
  wait "$runtime"
  RC=$?
  expect_rc 137
  expect_stdout_lacks not-killed
}

# `run -t` on the user's terminal (no --console-socket): the sentry's relay
# makes that terminal raw; when the sentry is killed, the runtime puts the
# terminal back as it was.
t_sentry_killed_terminal() {
  config '.process.terminal = true' -- sh -c 'echo ready; sleep 30; echo not-killed'
  timeout -k 5 "$TIMEOUT" python3 "$REPO/tests/integration/killedtty.py" "$PID_FILE" \
    "$BULWARK" --root "$STATE_ROOT" run --bundle "$CASE_DIR" --pid-file "$PID_FILE" "$ID" \
    >"$OUT" 2>"$ERR"
  RC=$?
  expect_rc 0
  expect_stdout "terminal restored; runtime exit status 137"
}

t_pid_file() {
  sandbox -- true
  expect_rc 0
  [ -f "$PID_FILE" ] || { fail "no pid file"; return; }
  grep -qE '^[0-9]+$' "$PID_FILE" || fail "pid file is not a number: $(cat "$PID_FILE")"
  [ "$(tail -c1 "$PID_FILE" | od -An -c | tr -d ' ')" != '\n' ] || fail "pid file ends in a newline"
}

t_debug_log() {
  sandbox --debug-log "$CASE_DIR/debug.log" -- true
  expect_rc 0
  [ -s "$CASE_DIR/debug.log" ] || fail "debug log is empty"
  local mode
  mode=$(stat -c %a "$CASE_DIR/debug.log")
  [ "$mode" = 640 ] || fail "debug log mode $mode, want 640"
}

t_strace() {
  sandbox --strace --debug-log "$CASE_DIR/debug.log" -- echo traced
  expect_rc 0
  expect_stdout traced
  grep -q 'write(' "$ERR" "$CASE_DIR/debug.log" || fail "no write( line from --strace"
}

# ----------------------------------------------------------- escape cases
# Each script prints "started" first and "finished" last, so that a sandbox
# that does not run at all can never pass.

escape_rootfs() {
  local r=$CASE_DIR/rootfs
  cp -a "$ROOTFS" "$r"
  # Relative: what ../.. would reach if resolved on the host from the rootfs.
  ln -s "../../$SECRET_NAME" "$r/evil1"
  ln -s "../../../../../../../../../../..$SECRET" "$r/evil1b"
  ln -s "../../../../../../../../../../../etc/shadow" "$r/shadow1"
  ln -s ../.. "$r/evildir1"
  # Absolute host paths.
  ln -s "$SECRET" "$r/evil2"
  ln -s /etc/shadow "$r/shadow2"
  ln -s "$WORK" "$r/evildir2"
  set_filter ".root.path = \"$r\""
}

expect_no_escape() {
  expect_rc 0
  expect_stdout_has started
  expect_stdout_has finished
  expect_stdout_lacks "$MARKER"
  grep -q -F "$MARKER" "$ERR" && fail "stderr contains the host secret"
  if [ -r /etc/shadow ] && [ -s /etc/shadow ]; then
    grep -q -F -x "$(head -n1 /etc/shadow)" "$OUT" && fail "stdout contains the host's /etc/shadow"
  fi
  return 0
}

t_escape_relative_symlink() {
  escape_rootfs
  sandbox -- sh -c "echo started; cat /evil1 /evil1b /shadow1 /evildir1/$SECRET_NAME; echo finished"
  expect_no_escape
}

t_escape_absolute_symlink() {
  escape_rootfs
  sandbox -- sh -c "echo started; cat /evil2 /shadow2 /evildir2/$SECRET_NAME; echo finished"
  expect_no_escape
}

t_escape_proc_root() {
  escape_rootfs
  sandbox -- sh -c "echo started; cat /proc/1/root$SECRET /proc/1/root/../../$SECRET_NAME /proc/self/root$SECRET /proc/1/root/evil1 /proc/1/root/evil2; echo finished"
  expect_no_escape
}

t_escape_proc_cwd() {
  escape_rootfs
  sandbox -- sh -c "echo started; cd /proc/self/cwd/../.. && cat ./$SECRET_NAME .$SECRET; cd /proc/1/cwd/../../.. && cat ./$SECRET_NAME .$SECRET; cd /evildir1 && cat ./$SECRET_NAME; echo finished"
  expect_no_escape
}

# ------------------------------------------------------------ error cases
# Rejected before anything is created: one line naming the problem.

t_error_missing_config() {
  bulwark_cmd --root "$STATE_ROOT" run --bundle "$CASE_DIR" "$ID"
  expect_runtime_error "config.json" "No such file or directory"
}

t_error_config_not_json() {
  echo '{"ociVersion": "1.0.2", "process": ' >"$CASE_DIR/config.json"
  bulwark_cmd --root "$STATE_ROOT" run --bundle "$CASE_DIR" "$ID"
  expect_runtime_error "config.json"
}

t_error_args_wrong_type() {
  jq --arg rootfs "$ROOTFS" '.process.args = "echo hello" | .root.path = $rootfs' \
    "$BASE_CONFIG" >"$CASE_DIR/config.json"
  bulwark_cmd --root "$STATE_ROOT" run --bundle "$CASE_DIR" "$ID"
  expect_runtime_error "config.json" "process.args"
}

t_error_missing_rootfs() {
  jq --arg rootfs "$CASE_DIR/no-such-rootfs" '.root.path = $rootfs' \
    "$BASE_CONFIG" >"$CASE_DIR/config.json"
  bulwark_cmd --root "$STATE_ROOT" run --bundle "$CASE_DIR" "$ID"
  expect_runtime_error "rootfs $CASE_DIR/no-such-rootfs: No such file or directory"
}

t_error_missing_bundle() {
  bulwark_cmd --root "$STATE_ROOT" run --bundle "$CASE_DIR/nowhere" "$ID"
  expect_runtime_error "$CASE_DIR/nowhere"
}

t_error_invalid_id() {
  config -- true
  bulwark_cmd --root "$STATE_ROOT" run --bundle "$CASE_DIR" "../$ID"
  expect_runtime_error "invalid container id \"../$ID\""
}

t_error_duplicate_id() {
  config -- true
  # Another container's state: it must be refused and left untouched.
  mkdir -p "$STATE_ROOT/$ID"
  echo keep >"$STATE_ROOT/$ID/state.json"
  bulwark_cmd --root "$STATE_ROOT" run --bundle "$CASE_DIR" "$ID"
  expect_runtime_error "container \"$ID\" already exists"
  [ "$(cat "$STATE_ROOT/$ID/state.json" 2>/dev/null)" = keep ] || fail "the existing container's state was touched"
  rm -rf "${STATE_ROOT:?}/$ID"
}

t_error_unknown_flag() {
  bulwark_cmd --root "$STATE_ROOT" --no-such-flag run --bundle "$CASE_DIR" "$ID"
  expect_runtime_error "unknown flag --no-such-flag"
}

t_error_network() {
  config -- true
  bulwark_cmd --root "$STATE_ROOT" --network bridge run --bundle "$CASE_DIR" "$ID"
  expect_runtime_error "--network=bridge"
}

# --network=host. The host side uses python3 (http.server, a socket client);
# the container side busybox wget and nc.
NO_NETNS='del(.linux.namespaces[] | select(.type == "network"))'

# host_http_server [NETNS]: serves $CASE_DIR/www on 127.0.0.1:$PORT (in
# network namespace NETNS if given); sets PORT and SERVER_PID.
host_http_server() {
  mkdir -p "$CASE_DIR/www"
  echo "from-the-host-$ID" >"$CASE_DIR/www/hello.txt"
  PORT=$((20000 + RANDOM % 20000))
  local pre=()
  [ $# -eq 0 ] || pre=(ip netns exec "$1")
  "${pre[@]}" python3 -m http.server --bind 127.0.0.1 --directory "$CASE_DIR/www" "$PORT" \
    >"$CASE_DIR/server.log" 2>&1 &
  SERVER_PID=$!
  local i
  for i in $(seq 100); do
    "${pre[@]}" python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" \
      2>/dev/null && return 0
    sleep 0.1
  done
  fail "host server did not start: $(cat "$CASE_DIR/server.log")"
}
stop_host_server() {
  kill "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID" 2>/dev/null
}

t_network_host_reaches_host() {
  host_http_server
  set_filter "$NO_NETNS"
  sandbox --network=host -- wget -q -O - "http://127.0.0.1:$PORT/hello.txt"
  stop_host_server
  expect_rc 0
  expect_stdout "from-the-host-$ID"
}

t_network_host_serves_host() {
  PORT=$((20000 + RANDOM % 20000))
  set_filter "$NO_NETNS"
  (sandbox --network=host -- nc -l -p "$PORT" -e echo from-the-sandbox; exit "$RC") &
  local run_pid=$!
  python3 - "$PORT" >"$CASE_DIR/client" 2>&1 <<'PY'
import socket, sys, time
for _ in range(200):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)
        break
    except OSError:
        time.sleep(0.05)
else:
    sys.exit("no server")
data = b""
while True:
    b = s.recv(100)
    if not b:
        break
    data += b
print(data.decode().strip())
PY
  wait "$run_pid"
  RC=$?
  expect_rc 0
  [ "$(cat "$CASE_DIR/client")" = from-the-sandbox ] || fail "host client got: $(cat "$CASE_DIR/client")"
}

# The config's network namespace without a path: a new one, with only lo.
t_network_host_new_netns() {
  host_http_server
  sandbox --network=host -- sh -c "wget -q -O - http://127.0.0.1:$PORT/hello.txt; echo rc=\$?"
  stop_host_server
  expect_rc 0
  expect_stdout_lacks "from-the-host"
  expect_stdout_has "rc=1"
}

# A network namespace path: the sandbox joins it.
t_network_host_netns_path() {
  local ns=bulwark-it-$$
  ip netns add "$ns" || { fail "ip netns add failed"; return; }
  ip netns exec "$ns" ip link set lo up
  host_http_server "$ns"
  set_filter ".linux.namespaces |= map(if .type == \"network\" then .path = \"/run/netns/$ns\" else . end)"
  sandbox --network=host -- wget -q -O - "http://127.0.0.1:$PORT/hello.txt"
  stop_host_server
  ip netns del "$ns"
  expect_rc 0
  expect_stdout "from-the-host-$ID"
}

t_error_unknown_platform() {
  config -- true
  bulwark_cmd --root "$STATE_ROOT" --platform nosuch run --bundle "$CASE_DIR" "$ID"
  expect_runtime_error "--platform=nosuch"
}

t_spec_refuses_overwrite() {
  bulwark_cmd spec --bundle "$CASE_DIR"
  expect_rc 0
  jq -e '.ociVersion and .process.args' "$CASE_DIR/config.json" >/dev/null || fail "spec wrote an unusable config.json"
  cp "$CASE_DIR/config.json" "$CASE_DIR/config.orig"
  bulwark_cmd spec --bundle "$CASE_DIR"
  expect_runtime_error "already exists"
  cmp -s "$CASE_DIR/config.json" "$CASE_DIR/config.orig" || fail "spec overwrote config.json"
}

t_version() {
  bulwark_cmd --version
  expect_rc 0
  sed -n 1p "$OUT" | grep -qE '^bulwark version [0-9]' || fail "first line: $(sed -n 1p "$OUT")"
  grep -q '^commit: ' "$OUT" || fail "no commit: line"
  grep -q '^spec: 1\.' "$OUT" || fail "no spec: line"
}

# ------------------------------------------------------- lifecycle (issue 3)

# lc, lc_create, state_field, wait_status: tests/lib/harness.sh.
# Reaps our own zombies: the test shell is no subreaper, so a sandbox whose
# runtime exited is reparented to pid 1; nothing to do here but wait.

t_lifecycle_states() {
  ARGS=(sleep 100)
  lc_create
  expect_rc 0
  [ -s "$OUT" ] && fail "create printed to stdout"
  local pid
  pid=$(cat "$PID_FILE")
  [ "$(tail -c1 "$PID_FILE" | od -An -c | tr -d ' ')" != '\n' ] || fail "pid file ends in a newline"
  lc state "$ID"
  expect_rc 0
  [ "$(jq -r '.status' "$OUT")" = created ] || fail "status after create: $(cat "$OUT")"
  [ "$(jq -r '.pid' "$OUT")" = "$pid" ] || fail "state pid != pid file $pid"
  [ "$(jq -r 'keys_unsorted | join(",")' "$OUT")" = "ociVersion,id,pid,status,bundle,rootfs,created,owner" ] ||
    fail "state keys: $(jq -c 'keys_unsorted' "$OUT")"
  [ "$(jq -r '.bundle' "$OUT")" = "$CASE_DIR" ] || fail "bundle: $(jq -r .bundle "$OUT")"
  [ -S "$STATE_ROOT/$ID/control.sock" ] || fail "no control.sock"
  [ "$(stat -c %a "$STATE_ROOT/$ID/control.sock")" = 600 ] || fail "control.sock mode"
  lc delete "$ID.x"
  expect_runtime_error "does not exist"
  lc start "$ID"
  expect_rc 0
  [ "$(state_field status)" = running ] || fail "status after start: $(cat "$OUT")"
  lc start "$ID"
  expect_runtime_error "cannot start an already running container"
  lc delete "$ID"
  expect_runtime_error "cannot delete container $ID that is not stopped: running"
  lc kill "$ID" KILL
  expect_rc 0
  wait_status stopped
  [ "$(state_field pid)" = 0 ] || fail "pid of a stopped container: $(cat "$OUT")"
  lc start "$ID"
  expect_runtime_error "cannot start a container that has stopped"
  lc kill "$ID" 15
  expect_runtime_error "container not running"
  lc kill --all "$ID" 9
  expect_rc 0
  lc delete "$ID"
  expect_rc 0
  lc state "$ID"
  expect_runtime_error "does not exist"
  lc delete --force "$ID"
  expect_rc 0
}

t_lifecycle_exit_status() {
  # The pid-file process is a child of the (subreaper) caller and exits
  # with the container's status.
  ARGS=(sh -c 'echo out; exit 7')
  config "$FILTER" -- "${ARGS[@]}"
  timeout -k 5 "$TIMEOUT" python3 "$REPO/tests/integration/subreaper.py" "$PID_FILE" \
    --then "$BULWARK --root $STATE_ROOT start $ID" -- \
    "$BULWARK" --root "$STATE_ROOT" create --bundle "$CASE_DIR" --pid-file "$PID_FILE" "$ID" \
    </dev/null >"$OUT" 2>"$ERR"
  RC=$?
  expect_rc 0
  expect_stdout "$(printf 'out\nexit: 7')"
  lc delete "$ID"
  expect_rc 0
}

t_lifecycle_signal_exit() {
  ARGS=(sleep 100)
  config "$FILTER" -- "${ARGS[@]}"
  timeout -k 5 "$TIMEOUT" python3 "$REPO/tests/integration/subreaper.py" "$PID_FILE" \
    --then "$BULWARK --root $STATE_ROOT start $ID" \
    --then "$BULWARK --root $STATE_ROOT kill $ID SIGKILL" -- \
    "$BULWARK" --root "$STATE_ROOT" create --bundle "$CASE_DIR" --pid-file "$PID_FILE" "$ID" \
    </dev/null >"$OUT" 2>"$ERR"
  RC=$?
  expect_rc 0
  expect_stdout "exit: 137"
  lc delete "$ID"
  expect_rc 0
}

t_lifecycle_missing_executable() {
  ARGS=(/no/such/binary)
  lc_create
  expect_runtime_error 'exec: "/no/such/binary": stat /no/such/binary: no such file or directory'
  [ -e "$STATE_ROOT/$ID" ] && fail "state dir left after a failed create"
  ARGS=(nosuchcmd)
  lc_create
  expect_runtime_error 'exec: "nosuchcmd": executable file not found in $PATH'
  lc delete --force "$ID"
  expect_rc 0
}

t_lifecycle_log_json() {
  lc --log "$CASE_DIR/log.json" --log-format json start "$ID"
  expect_rc_nonzero
  jq -e 'select(.level == "error") | .msg | test("does not exist")' "$CASE_DIR/log.json" >/dev/null ||
    fail "log.json: $(cat "$CASE_DIR/log.json")"
  jq -e '.time' "$CASE_DIR/log.json" >/dev/null || fail "log.json has no time"
}

t_lifecycle_stale_state() {
  ARGS=(sleep 100)
  lc_create
  expect_rc 0
  lc start "$ID"
  kill -KILL "$(cat "$PID_FILE")"
  wait_status stopped
  lc delete "$ID"
  expect_rc 0
}

t_lifecycle_hooks() {
  local log=$CASE_DIR/hooks.log h filter=.
  for h in prestart createRuntime createContainer startContainer poststart poststop; do
    filter="$filter | .hooks.$h = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"jq -r '\\\"$h \\\\(.status) \\\\(.id)\\\"' >> $log\"]}]"
  done
  set_filter "$filter"
  ARGS=(sleep 100)
  lc_create
  expect_rc 0
  lc start "$ID"
  expect_rc 0
  lc delete --force "$ID"
  expect_rc 0
  local want
  want=$(printf '%s\n' "prestart creating $ID" "createRuntime creating $ID" \
    "createContainer creating $ID" "startContainer created $ID" "poststart running $ID" \
    "poststop stopped $ID")
  [ "$(cat "$log" 2>/dev/null)" = "$want" ] || fail "hooks ran: $(cat "$log" 2>/dev/null | tr '\n' '|')"
  # A failing createRuntime hook fails create and leaves nothing.
  set_filter '.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "echo nope >&2; exit 3"]}]'
  lc_create
  expect_runtime_error "error running createRuntime hook #0: exit status 3" "nope"
}

t_lifecycle_cgroups() {
  local cg=/sys/fs/cgroup/memory/bulwark-it/$ID
  [ -d /sys/fs/cgroup/memory ] || return 0
  set_filter ".linux.cgroupsPath = \"/bulwark-it/$ID\" | .linux.resources = {\"memory\": {\"limit\": 67108864}, \"pids\": {\"limit\": 100}}"
  ARGS=(sleep 100)
  lc_create
  expect_rc 0
  [ "$(cat "$cg/memory.limit_in_bytes" 2>/dev/null)" = 67108864 ] || fail "memory limit not set"
  [ "$(cat "/sys/fs/cgroup/pids/bulwark-it/$ID/pids.max" 2>/dev/null)" = 364 ] || fail "pids.max not 3*100+64 (runtime/cgroup.cc HostPidsMax)"
  grep -qx "$(cat "$PID_FILE")" "$cg/cgroup.procs" 2>/dev/null || fail "sentry not in $cg"
  lc update --memory 32m "$ID"
  expect_rc 0
  [ "$(cat "$cg/memory.limit_in_bytes" 2>/dev/null)" = 33554432 ] || fail "update did not set the limit"
  lc delete --force "$ID"
  expect_rc 0
  [ -d "$cg" ] && fail "cgroup $cg left after delete"
  rmdir /sys/fs/cgroup/*/bulwark-it 2>/dev/null
  return 0
}

t_lifecycle_exec() {
  ARGS=(sleep 100)
  lc_create
  lc start "$ID"
  lc exec "$ID" echo hi
  expect_rc 0
  expect_stdout hi
  lc exec "$ID" sh -c 'exit 3'
  expect_rc 3
  lc ps --format json "$ID"
  expect_rc 0
  jq -e 'length >= 1' "$OUT" >/dev/null || fail "ps json: $(cat "$OUT")"
  lc pause "$ID"
  expect_rc 0
  [ "$(state_field status)" = paused ] || fail "status after pause: $(cat "$OUT")"
  lc resume "$ID"
  expect_rc 0
  lc resume "$ID"
  expect_runtime_error "container not paused"
  lc delete --force "$ID"
  expect_rc 0
}

# tty_driver NAME STEPS: starts tests/integration/ttydriver.py (a console
# socket receiver that then types and checks the output, see there) on
# $CASE_DIR/NAME.sock, output in $CASE_DIR/NAME.out; waits for the socket
# and sets DRV to its pid.
tty_driver() {
  python3 "$REPO/tests/integration/ttydriver.py" "$CASE_DIR/$1.sock" "$2" >"$CASE_DIR/$1.out" 2>&1 &
  DRV=$!
  local i
  for i in $(seq 100); do [ -S "$CASE_DIR/$1.sock" ] && break; sleep 0.1; done
}

# process.terminal with --console-socket: the pty master arrives at a
# receiver (what conmon and the containerd shim do) as one SCM_RIGHTS fd,
# and the container's output comes through it with the terminal's output
# processing (\n -> \r\n).
t_lifecycle_terminal() {
  set_filter '.process.terminal = true'
  ARGS=(sh -c 'test -t 0 && test -t 1 && echo term-ok')
  tty_driver console '[["expect","term-ok\r\n"]]'
  lc_create --console-socket "$CASE_DIR/console.sock"
  expect_rc 0
  lc start "$ID"
  expect_rc 0
  wait "$DRV" || fail "terminal: $(cat "$CASE_DIR/console.out")"
  wait_status stopped
  lc delete "$ID"
  expect_rc 0
}

# process.terminal gives init a pty of the sandbox, /dev/pts/0, as its
# controlling terminal, relayed to the host pty whose master the console
# socket receives: the sandbox's line discipline echoes, edits lines and
# turns ^C into SIGINT for the foreground group (init traps it, the inner
# sh dies of it); a resize of the host pty reaches the container as
# SIGWINCH; `exec --tty` gets the next pty, whose host master reads EOF/EIO
# once the process is gone.
t_lifecycle_terminal_pty() {
  set_filter '.process.terminal = true'
  local script
  script=$(cat <<'EOF'
tty; test -t 0 && echo is-tty
set -- $(cat /proc/self/stat); echo "ttynr $7 fg-$([ "$8" = "$5" ] && echo own-group)"
echo "size $(stty size)"
trap 'echo "winch $(stty size)"; W=1' WINCH
echo ready
i=0; while [ -z "$W" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done
read line; echo "got-$line"
trap 'echo int-trapped' INT
echo sleeping; sh -c 'sleep 100; echo not-reached'; echo "after-$?"
exec sleep 100
EOF
)
  ARGS=(sh -c "$script")
  local steps='[["winsize",30,100],["expect","/dev/pts/0\r\n"],["expect","is-tty"],
    ["expect","ttynr 34816 fg-own-group"],["expect","size 30 100"],["expect","ready"],["winsize",40,120],["expect","winch 40 120"],
    ["send","abc\r"],["expect","abc\r\n"],["expect","got-abc"],["expect","sleeping"],
    ["pause",1],["send","\u0003"],["expect","^C"],["expect","int-trapped"],["expect","after-130"]]'
  tty_driver init "$steps"
  lc_create --console-socket "$CASE_DIR/init.sock"
  expect_rc 0
  lc start "$ID"
  expect_rc 0
  wait "$DRV" || fail "init's terminal: $(cat "$CASE_DIR/init.out")"
  # The exec'd shell's host terminal is not the sentry's controlling
  # terminal: its resize arrives without a SIGWINCH to the sentry and
  # without input (the relay checks the host size when idle).
  tty_driver exec '[["expect","/dev/pts/1\r\n"],["expect","exec-tty-ok"],["expect","ready"],
    ["winsize",50,90],["expect","winch 50 90"],["eof"]]'
  lc exec --tty --console-socket "$CASE_DIR/exec.sock" "$ID" sh -c 'tty; test -t 0 && test -t 2 && echo exec-tty-ok
trap "echo winch \$(stty size); W=1" WINCH
echo ready
i=0; while [ -z "$W" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done'
  expect_rc 0
  wait "$DRV" || fail "exec's terminal: $(cat "$CASE_DIR/exec.out")"
  lc delete --force "$ID"
  expect_rc 0
}

# --preserve-fds N: the runtime's fds 3..3+N-1 become the container's;
# any other inherited fd stays outside.
t_preserve_fds() {
  echo from-host >"$CASE_DIR/in"
  config -- sh -c 'read x <&3; echo "got $x"; echo back >&4; if (: >&5) 2>/dev/null; then echo fd5-leaked; fi'
  bulwark_cmd --root "$STATE_ROOT" run --preserve-fds 2 --bundle "$CASE_DIR" "$ID" \
    3<"$CASE_DIR/in" 4>"$CASE_DIR/out" 5>"$CASE_DIR/other"
  expect_rc 0
  expect_stdout "got from-host"
  [ "$(cat "$CASE_DIR/out")" = back ] || fail "fd 4 output: $(cat "$CASE_DIR/out")"
  # Without the flag nothing inherited reaches the container.
  config -- sh -c 'if (: >&3) 2>/dev/null; then echo fd3-leaked; else echo closed; fi'
  bulwark_cmd --root "$STATE_ROOT" run --bundle "$CASE_DIR" "$ID" 3<"$CASE_DIR/in"
  expect_rc 0
  expect_stdout closed
  # A closed fd in the range is named.
  bulwark_cmd --root "$STATE_ROOT" run --preserve-fds 3 --bundle "$CASE_DIR" "$ID" 3<"$CASE_DIR/in" 4<"$CASE_DIR/in"
  expect_runtime_error "--preserve-fds 3: fd 5 is not open"
  bulwark_cmd --root "$STATE_ROOT" run --preserve-fds x --bundle "$CASE_DIR" "$ID"
  expect_runtime_error '--preserve-fds: "x" is not a non-negative number'
  # exec --preserve-fds.
  ARGS=(sleep 100)
  lc_create
  lc start "$ID"
  bulwark_cmd --root "$STATE_ROOT" exec --preserve-fds 1 "$ID" sh -c 'echo via-exec >&3' 3>"$CASE_DIR/out"
  expect_rc 0
  [ "$(cat "$CASE_DIR/out")" = via-exec ] || fail "exec fd 3 output: $(cat "$CASE_DIR/out")"
  lc delete --force "$ID"
  expect_rc 0
}

t_lifecycle_list_and_config_file() {
  ARGS=(sleep 100)
  lc_create
  printf 'root = "%s"  # from the config file\nlog-format = json\n' "$STATE_ROOT" >"$CASE_DIR/config.toml"
  BULWARK_CONFIG=$CASE_DIR/config.toml bulwark_cmd list -q
  expect_stdout "$ID"
  BULWARK_CONFIG=$CASE_DIR/config.toml bulwark_cmd list --format json
  [ "$(jq -r '.[0].status' "$OUT")" = created ] || fail "list json: $(cat "$OUT")"
  printf 'plaform = "x"\n' >"$CASE_DIR/bad.toml"
  BULWARK_CONFIG=$CASE_DIR/bad.toml bulwark_cmd list
  expect_runtime_error 'bad.toml:1: unknown setting "plaform"'
  lc delete "$ID"
  expect_rc 0
}

t_lifecycle_concurrent() {
  ARGS=(sleep 100)
  lc_create
  lc start "$ID"
  local i
  for i in $(seq 8); do
    "$BULWARK" --root "$STATE_ROOT" state "$ID" >"$CASE_DIR/st$i" 2>&1 &
    "$BULWARK" --root "$STATE_ROOT" pause "$ID" >/dev/null 2>&1 &
    "$BULWARK" --root "$STATE_ROOT" resume "$ID" >/dev/null 2>&1 &
  done
  wait
  for i in $(seq 8); do
    jq -e '.id' "$CASE_DIR/st$i" >/dev/null || fail "state $i: $(cat "$CASE_DIR/st$i")"
  done
  lc delete --force "$ID"
  expect_rc 0
}

t_lifecycle_features() {
  bulwark_cmd features
  expect_rc 0
  jq -e '.hooks | index("poststop")' "$OUT" >/dev/null || fail "features: $(head -c 300 "$OUT")"
}

# ------------------------------------------------------------------- main

CASES=(
  echo ls-root cat-passwd pipe exit-code killed-child fork-loop uname-release
  stdin-stdout-stderr write-root-overlay write-root-readonly overlay-none-writes-image
  proc-self-status ls-proc trap-signal forward-sigterm sentry-killed sentry-killed-terminal pid-file debug-log strace
  escape-relative-symlink escape-absolute-symlink escape-proc-root escape-proc-cwd
  error-missing-config error-config-not-json error-args-wrong-type error-missing-rootfs
  error-missing-bundle error-invalid-id error-duplicate-id error-unknown-flag error-network
  network-host-reaches-host network-host-serves-host network-host-new-netns network-host-netns-path
  error-unknown-platform spec-refuses-overwrite version
  lifecycle-states lifecycle-exit-status lifecycle-signal-exit lifecycle-missing-executable
  lifecycle-log-json lifecycle-stale-state lifecycle-hooks lifecycle-cgroups lifecycle-exec
  lifecycle-list-and-config-file lifecycle-concurrent lifecycle-features lifecycle-terminal
  lifecycle-terminal-pty preserve-fds
)
for c in "${CASES[@]}"; do run_case "$c"; done

harness_finish
