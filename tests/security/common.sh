# Sourced by tests/security/*.sh, with SUITE set and the script's
# arguments (name filters) as "$@": sets REPO and FILTERS, sources
# tests/lib/harness.sh, makes the suite's bundle (harness_setup), and
# builds the static attack program (attacks/, see attack.h) as $ATTACK,
# installed in the bundle as /attack.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FILTERS=("$@")
# shellcheck source=../lib/harness.sh
source "$REPO/tests/lib/harness.sh"
harness_setup "$SUITE" true

ATTACK=$WORK/attack
if ! gcc -static -O1 -Wall -Wextra -Wno-unused-parameter -o "$ATTACK" \
  "$REPO"/tests/security/attacks/*.c >"$WORK/gcc.log" 2>&1; then
  echo "security: building the attack program failed:" >&2
  cat "$WORK/gcc.log" >&2
  exit 1
fi
install -m 0755 "$ATTACK" "$ROOTFS/attack"

# verdict FILE: the attack's ATTACK-OK/ATTACK-FAILED line in FILE.
verdict() { grep -o -m1 'ATTACK-[A-Z]*:.*' "$1" 2>/dev/null || echo "no verdict"; }
