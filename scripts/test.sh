#!/usr/bin/env bash
# Sets up, builds, and runs every test: the unit tests (ctest), the
# end-to-end tests in tests/integration, then the conformance suite (each
# syscall test natively and inside bulwark, checked against
# conformance/expectations.txt). Exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh || exit 1
status=0
echo "== unit tests"
ctest --test-dir build --output-on-failure || status=1
echo "== integration tests"
BULWARK=$PWD/build/bulwark bash tests/integration/run.sh || status=1
echo "== conformance suite"
BULWARK=$PWD/build/bulwark conformance/run --platform ptrace || status=1
# Issue 4's Debian-userland tests (tests/debian): builds or reuses the cached
# Debian rootfs (scripts/debian-rootfs.sh), runs each case in runc and bulwark.
echo "== debian userland tests"
BULWARK=$PWD/build/bulwark bash tests/debian/run.sh || status=1
exit "$status"
