#!/usr/bin/env python3
"""Runs a command the way conmon and the containerd shim do: as a child
subreaper, so that processes the command leaves behind (the sandbox named
by a pid file) become our children. Then waits for the process named in
PID_FILE and prints its exit code (128+N for a signal), as those clients
report it.

    subreaper.py PID_FILE [--then CMD...] -- CMD...

Runs CMD; if it fails, prints "create failed: RC" and exits 1. Otherwise
runs each --then command (a shell string, e.g. a `bulwark start`), waits for
the pid-file process, prints "exit: N" and exits 0. Prints "not a child" if
that process is not our child (the pid-file contract is broken).
"""
import ctypes
import os
import subprocess
import sys

PR_SET_CHILD_SUBREAPER = 36


def main():
    args = sys.argv[1:]
    pid_file = args.pop(0)
    thens = []
    while args and args[0] == "--then":
        args.pop(0)
        thens.append(args.pop(0))
    if args and args[0] == "--":
        args.pop(0)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print("prctl failed", file=sys.stderr)
        return 2
    rc = subprocess.call(args)
    if rc != 0:
        print(f"create failed: {rc}")
        return 1
    with open(pid_file) as f:
        text = f.read()
    if text != text.strip():
        print(f"pid file has whitespace: {text!r}")
    pid = int(text)
    for cmd in thens:
        subprocess.call(cmd, shell=True)
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        print("not a child")
        return 1
    code = os.waitstatus_to_exitcode(status)
    print(f"exit: {128 - code if code < 0 else code}")
    # Reap whatever else was left to us (the gofer).
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
