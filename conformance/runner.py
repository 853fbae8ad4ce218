#!/usr/bin/env python3
"""Runs the conformance binaries natively and inside bulwark; writes the report.

Invoked by conformance/run after it has built the binaries and the bundle;
not meant to be run by hand. See conformance/README.md.

Each binary runs once per environment (native, bulwark-PLATFORM) with a
timeout. Results come from gtest's own stdout lines ("[       OK ] S.T",
"[  FAILED  ] S.T"); the full list of tests comes from --gtest_list_tests, so a
test that never reports (crash, hang) counts as failed. When a binary dies in
the middle of a test, that test is failed and the binary is started again
with the tests already done filtered out. A timeout fails every test that has
not reported yet.
"""

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import time

OK_RE = re.compile(r"^\[\s+OK \] (\S+)")
FAILED_RE = re.compile(r"^\[\s+FAILED\s+\] (\S+\.\S+?)(?: \(|, where|$)")
SKIPPED_RE = re.compile(r"^\[\s+SKIPPED \] (\S+\.\S+?)(?: \(|$)")
RUN_RE = re.compile(r"^\[ RUN\s+\] (\S+)")
DONE_RE = re.compile(r"^\[==========\] \d+ tests? from \d+ test suites? ran\.")
EXPECT_RE = re.compile(r"^(\S+\.\S+)\s+#\s*(.*\S)\s*$")
ISSUE_RE = re.compile(r"\(#\d+\)")

MAX_RESTARTS = 20


def list_tests(binary):
    out = subprocess.run([binary, "--gtest_list_tests"], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    tests, suite = [], None
    for line in out.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            suite = line.split()[0]
        else:
            tests.append(suite + line.split()[0])
    return tests


def parse_log(text, results):
    """Adds the results found in one run's stdout; returns (last started
    test without a result, whether gtest finished)."""
    current, finished = None, False
    for line in text.splitlines():
        m = RUN_RE.match(line)
        if m:
            current = m.group(1)
            continue
        m = OK_RE.match(line)
        if m:
            results.setdefault(m.group(1), "pass")
            current = None
            continue
        m = FAILED_RE.match(line)
        if m:
            results[m.group(1)] = "fail"
            current = None
            continue
        m = SKIPPED_RE.match(line)
        if m:
            results[m.group(1)] = "skip"
            current = None
            continue
        if DONE_RE.match(line):
            finished = True
    return current, finished


def run_binary(env_name, family, tests, command, timeout, log_path):
    """Runs `command(filter_args)` until every test in `tests` has a result.
    Returns {test: "pass"|"fail"|"skip"|"crash"|"timeout"}."""
    results = {}
    notes = []
    start = time.monotonic()
    with open(log_path, "w") as log:
        for attempt in range(MAX_RESTARTS + 1):
            remaining = [t for t in tests if t not in results]
            if not remaining:
                break
            args = ["--gtest_color=no"]
            if results:
                args.append("--gtest_filter=-" + ":".join(sorted(results)))
            cmd = command(args)
            log.write(f"### {env_name} attempt {attempt}: {' '.join(cmd)}\n")
            log.flush()
            # timeout(1) sends SIGTERM first: bulwark forwards it into the
            # sandbox, whose init then dies and takes every process with it.
            try:
                p = subprocess.run(["timeout", "-k", "10", str(timeout)] + cmd,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, timeout=timeout + 60, cwd="/")
                out, rc = p.stdout, p.returncode
                timed_out = rc in (124, 137)
            except subprocess.TimeoutExpired as e:
                out, rc, timed_out = e.stdout or b"", None, True
            text = out.decode("utf-8", "replace")
            log.write(text)
            log.write(f"\n### exit status {rc}{' (timed out)' if timed_out else ''}\n")
            log.flush()
            current, finished = parse_log(text, results)
            if timed_out:
                for t in tests:
                    results.setdefault(t, "timeout")
                notes.append(f"timed out after {timeout}s")
                break
            if current is not None:
                results[current] = "crash"
                notes.append(f"{current} ended the process (status {rc})")
                continue
            if finished:
                # gtest ran everything the filter selected.
                for t in tests:
                    if t not in results:
                        results[t] = "fail"
                        notes.append(f"{t}: no result although gtest finished")
                break
            # Died outside any test (start-up, global tear-down).
            notes.append(f"the process died outside a test (status {rc})")
            for t in tests:
                results.setdefault(t, "crash")
            break
        for t in tests:
            results.setdefault(t, "crash")
    return {"results": results, "notes": notes, "seconds": round(time.monotonic() - start, 2)}


# Capability names by number (capability.h), for the bundle's process.
CAP_NAMES = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
]


def adapt_config(cfg):
    """Makes the sandboxed process look like the native one: the runner's own
    capabilities and open-file limit, no no_new_privs."""
    import resource
    eff = bnd = 0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                eff = int(line.split()[1], 16)
            elif line.startswith("CapBnd:"):
                bnd = int(line.split()[1], 16)
    names = lambda mask: [n for i, n in enumerate(CAP_NAMES) if mask >> i & 1]
    proc = cfg["process"]
    proc["capabilities"] = {"bounding": names(bnd), "effective": names(eff),
                            "permitted": names(eff)}
    proc["noNewPrivileges"] = False
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    proc["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": soft, "hard": hard}]
    proc["cwd"] = "/"


def load_expectations(path):
    entries, errors = {}, []
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            m = EXPECT_RE.match(line)
            if not m:
                errors.append(f"{path}:{n}: expected 'Suite.Test  # reason (#issue)'")
                continue
            name, reason = m.group(1), m.group(2)
            if not ISSUE_RE.search(reason):
                errors.append(f"{path}:{n}: {name}: the reason names no issue (#N)")
            if name in entries:
                errors.append(f"{path}:{n}: {name} is listed twice")
            entries[name] = reason
    return entries, errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--report-dir", required=True)
    ap.add_argument("--bulwark")
    ap.add_argument("--bundle-root", help="rootfs holding /conformance/*")
    ap.add_argument("--base-config", help="config.json to derive per-binary bundles from")
    ap.add_argument("--platform", action="append", default=[])
    ap.add_argument("--expectations", required=True)
    ap.add_argument("--families", nargs="*", default=[])
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-native", action="store_true")
    ap.add_argument("--sources", required=True, help="conformance/tests directory")
    args = ap.parse_args()

    binaries = sorted(f[:-len("_test")] for f in os.listdir(args.bin_dir) if f.endswith("_test"))
    if args.families:
        unknown = [f for f in args.families if f not in binaries]
        if unknown:
            print(f"conformance: unknown families: {' '.join(unknown)}", file=sys.stderr)
            return 2
        binaries = [b for b in binaries if b in args.families]

    envs = [] if args.no_native else ["native"]
    envs += [f"bulwark-{p}" for p in args.platform]
    logs = os.path.join(args.work, "logs")
    for e in envs:
        os.makedirs(os.path.join(logs, e), exist_ok=True)

    tests = {fam: list_tests(os.path.join(args.bin_dir, fam + "_test")) for fam in binaries}

    base_config = None
    if args.platform:
        with open(args.base_config) as f:
            base_config = json.load(f)
        adapt_config(base_config)

    def command_for(env, fam):
        if env == "native":
            binary = os.path.join(args.bin_dir, fam + "_test")
            return lambda extra: [binary] + extra  # cwd "/" as in the bundle
        platform = env[len("bulwark-"):]
        bundle = os.path.join(args.work, "bundles", env, fam)
        os.makedirs(bundle, exist_ok=True)
        cfg = json.loads(json.dumps(base_config))
        cfg["root"]["path"] = args.bundle_root
        if fam == "mmap":
            # A host directory bind-mounted rw: files served by the gofer
            # directly (not the root overlay); the tests use it when present.
            bind = os.path.join(args.work, "bind", env)
            os.makedirs(bind, exist_ok=True)
            cfg.setdefault("mounts", []).append({"destination": "/conformance-bind",
                                                 "type": "bind", "source": bind,
                                                 "options": ["rbind", "rw"]})
        state = os.path.join(args.work, "state", env)
        os.makedirs(state, exist_ok=True)
        counter = [0]

        def cmd(extra):
            counter[0] += 1
            # Not init: a shell is pid 1, as the test binary is not init natively.
            quoted = " ".join("'" + a.replace("'", "'\\''") + "'" for a in extra)
            cfg["process"]["args"] = ["/bin/sh", "-c", f"/conformance/{fam}_test {quoted}; exit $?"]
            with open(os.path.join(bundle, "config.json"), "w") as f:
                json.dump(cfg, f, indent=1)
            cid = f"conformance-{fam}-{os.getpid()}-{counter[0]}"
            return [args.bulwark, "--root", state, "--platform", platform, "run", "--bundle",
                    bundle, cid]
        return cmd

    jobs = [(env, fam) for fam in binaries for env in envs]
    results = {env: {} for env in envs}
    t0 = time.monotonic()

    # Builds every bundle dir up front (command_for is not thread-safe).
    cmds = {job: command_for(*job) for job in jobs}

    def do_job(job):
        env, fam = job
        return job, run_binary(env, fam, tests[fam], cmds[job], args.timeout,
                               os.path.join(logs, env, fam + ".log"))

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for (env, fam), r in pool.map(do_job, jobs):
            results[env][fam] = r
    elapsed = time.monotonic() - t0

    expectations, exp_errors = load_expectations(args.expectations)
    all_tests = {t: fam for fam in binaries for t in tests[fam]}

    # ---------------------------------------------------------------- report
    os.makedirs(args.report_dir, exist_ok=True)
    from syscall_map import syscalls_by_test
    coverage = syscalls_by_test(args.sources, all_tests)
    report = {"environments": envs, "seconds": round(elapsed, 1), "families": {}}
    for fam in binaries:
        fr = {"tests": {}, "notes": {}, "seconds": {}}
        for env in envs:
            fr["notes"][env] = results[env][fam]["notes"]
            fr["seconds"][env] = results[env][fam]["seconds"]
        for t in tests[fam]:
            fr["tests"][t] = {env: results[env][fam]["results"][t] for env in envs}
            fr["tests"][t]["syscalls"] = coverage.get(t, [])
        report["families"][fam] = fr
    with open(os.path.join(args.report_dir, "report.json"), "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)

    def passed(env, t):
        return results[env][all_tests[t]]["results"][t] == "pass"

    lines = []
    header = f"{'family':<24}" + "".join(f"{e:>20}" for e in envs)
    lines.append(header)
    for fam in binaries:
        row = f"{fam:<24}"
        for env in envs:
            n = sum(1 for t in tests[fam] if passed(env, t))
            row += f"{f'{n}/{len(tests[fam])}':>20}"
        lines.append(row)
    lines.append("")
    for fam in binaries:
        lines.append(f"== {fam}")
        for t in tests[fam]:
            lines.append(f"  {t:<64}" + "".join(
                f" {e}={results[e][fam]['results'][t]}" for e in envs))
        for env in envs:
            for note in results[env][fam]["notes"]:
                lines.append(f"  note ({env}): {note}")
    with open(os.path.join(args.report_dir, "report.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")

    # ---------------------------------------------------------------- verdict
    problems = list(exp_errors)
    for env in envs:
        failed = [t for t in all_tests if not passed(env, t)]
        with open(os.path.join(args.report_dir, f"{env}.failures.txt"), "w") as f:
            for t in failed:
                f.write(f"{t}  # {results[env][all_tests[t]]['results'][t]}\n")
        if env == "native":
            for t in failed:
                problems.append(f"native failure (a bug in the test): {t} "
                                f"[{results[env][all_tests[t]]['results'][t]}]")
            continue
        for t in failed:
            if t not in expectations:
                problems.append(f"{env}: unexpected failure: {t} "
                                f"[{results[env][all_tests[t]]['results'][t]}]")
        for t in expectations:
            if t in all_tests and passed(env, t):
                problems.append(f"{env}: {t} now passes: remove it from {args.expectations}")
    if not args.families:
        for t in expectations:
            if t not in all_tests:
                problems.append(f"{args.expectations}: {t} is not a test")

    print("\n".join(lines[:len(binaries) + 1]))
    print()
    print(f"report: {os.path.join(args.report_dir, 'report.txt')}; logs: {logs}")
    print(f"{len(all_tests)} tests in {len(binaries)} families; ran in {elapsed:.0f}s")
    if problems:
        print()
        for p in problems:
            print(p)
    print()
    for env in envs:
        n = sum(1 for t in all_tests if passed(env, t))
        print(f"{env}: {n} passed, {len(all_tests) - n} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
