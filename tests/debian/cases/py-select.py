# select/poll/epoll and selectors: readiness of pipes and sockets, timeouts,
# write readiness, EOF/hangup, an echo loop over a DefaultSelector.
import os, select, selectors, socket, time
r, w = os.pipe()
print("select empty:", select.select([r], [], [], 0.05))
os.write(w, b"x")
rr, ww, _ = select.select([r], [w], [], 1); print("select ready:", rr == [r], ww == [w])
p = select.poll(); p.register(r, select.POLLIN)
print("poll:", [(fd == r, ev) for fd, ev in p.poll(1000)])
os.read(r, 1); print("poll timeout:", p.poll(50))
ep = select.epoll(); ep.register(r, select.EPOLLIN | select.EPOLLET)
os.write(w, b"yy"); print("epoll edge:", [(fd == r, ev) for fd, ev in ep.poll(1)])
print("epoll edge again:", ep.poll(0.05))
os.write(w, b"z"); print("epoll new edge:", len(ep.poll(1)))
ep.modify(r, select.EPOLLIN | select.EPOLLONESHOT)
print("oneshot:", len(ep.poll(1)), len(ep.poll(0.05)))
ep.close()
os.close(w); p = select.poll(); p.register(r, select.POLLIN)
print("hangup:", [ev & (select.POLLIN | select.POLLHUP) for _, ev in p.poll(1000)])
os.close(r)
sel = selectors.DefaultSelector()
print("selector:", type(sel).__name__)
a, b = socket.socketpair(); a.setblocking(False); b.setblocking(False)
sel.register(a, selectors.EVENT_READ, "a"); sel.register(b, selectors.EVENT_READ, "b")
b.send(b"ping"); log = []
for _ in range(6):
    for key, ev in sel.select(1):
        data = key.fileobj.recv(100)
        log.append((key.data, data.decode()))
        if data == b"ping": key.fileobj.send(b"pong")
        elif data == b"pong" and len(log) < 4: key.fileobj.send(b"ping")
    if len(log) >= 4: break
print("echo:", log)
t0 = time.monotonic(); print("select timeout:", sel.select(0.1), time.monotonic() - t0 >= 0.09)
big = socket.socketpair()
big[0].setblocking(False); n = 0
try:
    while True: n += big[0].send(b"x" * 65536)
except BlockingIOError: pass
s2 = selectors.DefaultSelector(); s2.register(big[0], selectors.EVENT_WRITE)
print("full socket writable:", s2.select(0.05))
big[1].setblocking(False); got = 0
try:
    while True: got += len(big[1].recv(1 << 20))
except BlockingIOError: pass
print("drained all:", got == n)
print("drained writable:", len(s2.select(1)))
