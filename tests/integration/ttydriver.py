#!/usr/bin/env python3
"""ttydriver.py SOCKET STEPS_JSON

A --console-socket receiver (what conmon and the containerd shim are) that
then drives the terminal like a user: it takes the pty master, sets its
window size, and runs STEPS, a JSON list of
  ["winsize", ROWS, COLS]   TIOCSWINSZ on the master (a terminal resize)
  ["expect", TEXT]          waits until TEXT appears in the output
  ["send", TEXT]            writes TEXT to the master (typing)
  ["pause", SECS]           reads the output for SECS seconds
  ["eof"]                   waits for EOF/EIO on the master (all closed)
Prints the transcript (repr) and "FAIL: ..." on a step that times out; exit
status 0 iff every step passed. The timeouts guard against hangs; they are
not speed checks.
"""
import array, fcntl, json, os, select, socket, struct, sys, termios, time

sock_path, steps = sys.argv[1], json.loads(sys.argv[2])
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sock_path)
srv.listen(1)
srv.settimeout(60)
conn, _ = srv.accept()
fds = array.array("i")
msg, anc, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(8))
for level, kind, data in anc:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
if len(fds) != 1 or not os.isatty(fds[0]) or not msg:
    # runc sends one fd, the master, with the replica's path as payload.
    print("FAIL: got %d fds (a tty: %s), payload %r" % (len(fds), fds and os.isatty(fds[0]), msg))
    sys.exit(1)
m = fds[0]
out = b""
eof = False


def pump(until, secs=20):
    global out, eof
    end = time.time() + secs
    while not until() and not eof and time.time() < end:
        if select.select([m], [], [], 0.2)[0]:
            try:
                data = os.read(m, 4096)
            except OSError:
                data = b""
            if not data:
                eof = True
            out += data
    return until()


ok = True
pos = 0  # "expect" looks after the previous match
for step in steps:
    kind = step[0]
    if kind == "winsize":
        fcntl.ioctl(m, termios.TIOCSWINSZ, struct.pack("HHHH", step[1], step[2], 0, 0))
    elif kind == "send":
        os.write(m, step[1].encode())
    elif kind == "pause":
        end = time.time() + step[1]
        pump(lambda: time.time() >= end, step[1] + 1)
    elif kind == "expect":
        want = step[1].encode()
        if not pump(lambda: out.find(want, pos) >= 0):
            print("FAIL: no %r in the output" % step[1])
            ok = False
            break
        pos = out.find(want, pos) + len(want)
    elif kind == "eof":
        if not pump(lambda: eof):
            print("FAIL: no EOF on the master")
            ok = False
            break
print("transcript: %r" % out)
sys.exit(0 if ok else 1)
