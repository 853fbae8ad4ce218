#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (AddressSanitizer,
# -DBULWARK_FUZZ=ON, in build-fuzz) and runs each for SECONDS (default 20)
# from its checked-in seed corpus. fuzz_syscall_args links the whole sentry:
# -O1 with line tables only keeps that first build to ~3.5 min on two cores
# (RelWithDebInfo: ~5).
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
#   tests/fuzz/run.sh --build-only [-j N]
#
# --build-only builds every target and exits (scripts/test.sh runs it in
# the background, niced, while other tests leave a core idle).
#
# New corpus entries go to tests/.work/fuzz/corpus/TARGET (the checkout's
# corpus is only read); a crash leaves its input in
# tests/.work/fuzz/artifacts/TARGET/ and fails the run: fix the bug, then
# add the input to tests/fuzz/regressions/TARGET/, which the default build's
# ctest replays (fuzz_TARGET_corpus). Needs clang 19 or newer: the
# libstdc++ <expected> that the code uses needs C++20 concepts that older
# clang lacks (Debian package clang-19; scripts/setup.sh installs it).
# Prints "ok - TARGET" / "not ok - TARGET" and ends with
# "N passed, M failed".
set -uo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
build_only=0 jobs=2
if [ "${1:-}" = --build-only ]; then
  build_only=1
  shift
  [ "${1:-}" = -j ] && { jobs=$2; shift 2; }
fi
SECS=${1:-20}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(fuzz_oci_spec fuzz_elf fuzz_gofer_server fuzz_seccomp_bpf fuzz_syscall_args)
BUILD=$REPO/build-fuzz
WORK=$REPO/tests/.work/fuzz

CXX=
for c in clang++-21 clang++-20 clang++-19 clang++; do
  if command -v "$c" >/dev/null &&
    [ "$("$c" -dumpversion 2>/dev/null | cut -d. -f1)" -ge 19 ] 2>/dev/null; then
    CXX=$(command -v "$c")
    break
  fi
done
if [ -z "$CXX" ]; then
  echo "fuzz: no clang++ 19 or newer found; run scripts/setup.sh (package clang-19)" >&2
  exit 1
fi

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
start=$SECONDS
mkdir -p "$BUILD" "$WORK"
log=$WORK/build.log
if ! cmake -S "$REPO" -B "$BUILD" -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_ASM_COMPILER="${CXX%++*}" \
  -DBULWARK_FUZZ=ON -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" \
  "${launcher[@]}" >"$log" 2>&1 ||
  ! cmake --build "$BUILD" -j"$jobs" --target "${TARGETS[@]}" >>"$log" 2>&1; then
  echo "fuzz: build failed (log: $log):" >&2
  tail -n 30 "$log" >&2
  exit 1
fi
echo "# built ${TARGETS[*]} with $CXX in $((SECONDS - start))s"
[ "$build_only" = 1 ] && exit 0

passed=0 failed=0
for t in "${TARGETS[@]}"; do
  corpus=$WORK/corpus/$t artifacts=$WORK/artifacts/$t/
  mkdir -p "$corpus" "$artifacts"
  log=$WORK/$t.log
  # -timeout: one input running that long is a hang, reported as a crash.
  "$BUILD/tests/fuzz/$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 -print_final_stats=1 \
    -artifact_prefix="$artifacts" "$corpus" "$REPO/tests/fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1)
  if [ "$rc" = 0 ]; then
    echo "ok - $t # ${runs:-?} runs, ${cov:-cov: ?}"
    passed=$((passed + 1))
  else
    echo "not ok - $t # exit $rc; input in $artifacts (log: $log)"
    grep -E 'ERROR: |SUMMARY: |==[0-9]+==' "$log" | head -n 10 | sed 's/^/#   /'
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
