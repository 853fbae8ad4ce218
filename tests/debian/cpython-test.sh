# CPython's regression tests (libpython3.11-testsuite) for one module:
#   bash -c "$(cat cpython-test.sh)" cpython TEST_MODULE
# The regrtest output goes to stderr (kept by the harness); stdout is the
# per-test outcome of every test case, sorted, then a summary line, so that
# two runtimes can be compared exactly: same passes, same failures, same
# skips. Default resources (no -u), sequential, no re-runs.
mod=$1
cd /tmp || exit 1
python3 -m test --junit-xml /tmp/junit.xml --timeout 900 "$mod" >&2
rc=$?
python3 - "$rc" "$mod" <<'PY'
import collections, sys, xml.etree.ElementTree as ET
rc, mod = sys.argv[1], sys.argv[2]
try:
    root = ET.parse("/tmp/junit.xml").getroot()
except (OSError, ET.ParseError) as e:
    print(f"no junit xml: {type(e).__name__}")
    print(f"summary: {mod}: no results, regrtest exit {rc}")
    sys.exit(0)
results = {}
rank = {"ok": 0, "skipped": 1, "xfail": 2, "unexpected-success": 3, "FAIL": 4, "ERROR": 5}
for tc in root.iter("testcase"):
    kids = {c.tag for c in tc}
    if "error" in kids: r = "ERROR"
    elif "failure" in kids: r = "FAIL"
    elif "skipped" in kids: r = "skipped"
    elif "output" in kids: r = "xfail"
    elif "outcome" in kids: r = "unexpected-success"
    else: r = "ok"
    name = tc.get("name", "?")
    # Subtests report under their test's name: keep the worst outcome.
    if name not in results or rank[r] > rank[results[name]]:
        results[name] = r
for name in sorted(results):
    print(results[name], name)
c = collections.Counter(results.values())
print(f"summary: {mod}: {len(results)} tests, ok {c['ok']}, failed {c['FAIL']}, "
      f"errors {c['ERROR']}, skipped {c['skipped']}, regrtest exit {rc}")
PY
