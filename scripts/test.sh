#!/usr/bin/env bash
# Sets up, builds, and runs every test: the unit tests (ctest), the
# end-to-end tests in tests/integration, the security, exhaustion and fault
# tests (tests/security), the fuzzers briefly (tests/fuzz), the conformance
# suite (each syscall test natively and inside bulwark, checked against
# conformance/expectations.txt), the Debian userland tests, and Podman and
# containerd driving the binary. Exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh || exit 1
status=0
# The fuzzers' clang build (the whole sentry with ASan, ~4 min) runs niced
# on one core beside the tests below, most of which leave a core idle; the
# fuzz stage waits for it.
mkdir -p tests/.work
nice -n 19 bash tests/fuzz/run.sh --build-only -j 1 >tests/.work/fuzz-build.out 2>&1 &
fuzz_build=$!
echo "== unit tests"
ctest --test-dir build --output-on-failure || status=1
echo "== integration tests"
BULWARK=$PWD/build/bulwark bash tests/integration/run.sh || status=1
# Issue 7: attacks from inside the sandbox, resource exhaustion, faults.
echo "== security tests"
for t in run exhaust faults; do
  BULWARK=$PWD/build/bulwark bash tests/security/$t.sh || status=1
done
echo "== conformance suite"
BULWARK=$PWD/build/bulwark conformance/run --platform ptrace || status=1
# Issue 8: the socket families again with --network=host (host sockets
# operated by the sentry, in the bundle's own new network namespace).
echo "== conformance suite, socket families with --network=host"
mkdir -p tests/.work
printf 'network = "host"\n' >tests/.work/network-host.toml
BULWARK_CONFIG=$PWD/tests/.work/network-host.toml BULWARK=$PWD/build/bulwark \
  conformance/run --platform ptrace --no-docs inet_socket poll epoll select || status=1
# Issue 4's Debian-userland tests (tests/debian): builds or reuses the cached
# Debian rootfs (scripts/debian-rootfs.sh), runs each case in runc and bulwark.
echo "== debian userland tests"
BULWARK=$PWD/build/bulwark bash tests/debian/run.sh || status=1
# Issue 3's client checks: Podman (conmon) and containerd (runc v2 shim)
# drive the freshly built binary. The scripts are the workplace's shared
# ones (../shared/clients next to the checkout), not the project's.
echo "== fuzzers (10 s each)"
if wait "$fuzz_build"; then
  cat tests/.work/fuzz-build.out
  bash tests/fuzz/run.sh 10 || status=1
else
  cat tests/.work/fuzz-build.out
  echo "not ok - the fuzzers' build failed"
  status=1
fi
echo "== podman and containerd"
clients=""
for d in "$(cd .. && pwd)/shared/clients" /work/shared/clients; do
  [ -f "$d/podman-smoke.sh" ] && { clients=$d; break; }
done
if [ -n "$clients" ]; then
  # The -t checks run the client under script(1), which starts it with
  # $SHELL -c, or /bin/sh when SHELL is unset (as in CI). dash forks
  # `timeout` instead of exec'ing it; timeout then moves itself and the
  # client into a background process group of the pty, and the client's
  # tcsetattr stops it with SIGTTOU. runc hangs there too. bash execs it,
  # so timeout stays the session leader in the foreground.
  export SHELL=/bin/bash
  bash "$clients/podman-smoke.sh" "$PWD/build/bulwark" || status=1
  bash "$clients/containerd-smoke.sh" "$PWD/build/bulwark" || status=1
else
  echo "NOT RUN: the Podman and containerd checks (no ../shared/clients next to this checkout)"
fi
exit "$status"
