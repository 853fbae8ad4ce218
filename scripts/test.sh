#!/usr/bin/env bash
# Sets up, builds, and runs every test: the unit tests (ctest), then the
# end-to-end tests in tests/integration. Exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh || exit 1
status=0
echo "== unit tests"
ctest --test-dir build --output-on-failure || status=1
echo "== integration tests"
BULWARK=$PWD/build/bulwark bash tests/integration/run.sh || status=1
exit "$status"
