#!/usr/bin/env bash
# Sets up and builds bulwark, then runs a busybox container in the sandbox
# and shows its output.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh bulwark
work=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
script='echo Hello from the bulwark sandbox; uname -a; id; ls /'
BULWARK=$PWD/build/bulwark bash scripts/mkbundle.sh "$work/bundle" sh -c "$script"
echo
echo "\$ bulwark run --bundle $work/bundle demo    # sh -c '$script'"
status=0
./build/bulwark --root "$work/state" run --bundle "$work/bundle" "demo-$$" || status=$?
echo "(exit status $status)"
exit "$status"
