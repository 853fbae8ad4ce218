#!/usr/bin/env python3
"""killedtty.py PID_FILE CMD...

`run -t` on the user's own terminal, with the sentry killed mid-run: starts
CMD (a `bulwark run` of a container with process.terminal and no
--console-socket) with a new pty as its controlling terminal and stdio,
waits for "ready" in the output and for the container to have made the
terminal raw (the sentry's console relay does), SIGKILLs the sentry (its
pid is in PID_FILE), waits for CMD and checks that the terminal is back in
the canonical, echoing mode it started in. Prints "FAIL: ..." and exits 1
otherwise. The timeouts guard against hangs; they are not speed checks.
"""
import os, pty, select, signal, sys, termios, time

pid_file, cmd = sys.argv[1], sys.argv[2:]
master, replica = pty.openpty()
before = termios.tcgetattr(replica)
if not before[3] & termios.ICANON or not before[3] & termios.ECHO:
    print("FAIL: a new pty is not canonical with echo")
    sys.exit(1)
child = os.fork()
if child == 0:
    os.close(master)
    os.setsid()
    import fcntl
    fcntl.ioctl(replica, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(replica, fd)
    os.execvp(cmd[0], cmd)

out = b""
end = time.time() + 30
raw = False
while time.time() < end:
    r, _, _ = select.select([master], [], [], 0.1)
    if r:
        try:
            out += os.read(master, 4096)
        except OSError:
            break
    lflag = termios.tcgetattr(replica)[3]
    raw = not lflag & termios.ICANON and not lflag & termios.ECHO
    if b"ready" in out and raw and os.path.getsize(pid_file) > 0:
        break
else:
    print("FAIL: no ready/raw terminal in time (raw=%s); output %r" % (raw, out))
    os.kill(child, signal.SIGKILL)
    sys.exit(1)
os.kill(int(open(pid_file).read()), signal.SIGKILL)
_, status = os.waitpid(child, 0)
after = termios.tcgetattr(replica)
if after[3] != before[3] or after[0] != before[0] or after[1] != before[1]:
    print("FAIL: the terminal was left changed: lflag %#o -> %#o, iflag %#o -> %#o"
          % (before[3], after[3], before[0], after[0]))
    sys.exit(1)
print("terminal restored; runtime exit status %d" % os.waitstatus_to_exitcode(status))
