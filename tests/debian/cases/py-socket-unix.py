# AF_UNIX sockets: stream server on a path with a thread, abstract address,
# socketpair, datagrams, SOCK_SEQPACKET, SCM_RIGHTS fd passing, shutdown,
# peer credentials, getsockname.
import array, os, socket, struct, threading
path = "/tmp/sock.s"
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); srv.bind(path); srv.listen(5)
def serve():
    for _ in range(3):
        c, _ = srv.accept()
        data = b""
        while chunk := c.recv(65536): data += chunk
        c.sendall(b"len=%d" % len(data)); c.close()
t = threading.Thread(target=serve); t.start()
for n in (5, 100000, 0):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect(path)
    c.sendall(b"x" * n); c.shutdown(socket.SHUT_WR)
    print("stream:", c.recv(100).decode()); c.close()
t.join(); srv.close()
print("path is socket:", os.path.exists(path)); os.unlink(path)
a = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); a.bind("\0bulwark-test-abstract"); a.listen(1)
b = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); b.connect("\0bulwark-test-abstract")
c, _ = a.accept(); b.send(b"abstract"); print("abstract:", c.recv(100).decode(), repr(a.getsockname()))
cred = c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
pid, uid, gid = struct.unpack("3i", cred); print("peercred:", pid == os.getpid(), uid, gid)
for s in (a, b, c): s.close()
x, y = socket.socketpair(); x.sendall(b"pair"); print("socketpair:", y.recv(10).decode())
x.close(); print("eof:", y.recv(10)); y.close()
d1 = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); d1.bind("/tmp/d1")
d2 = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); d2.bind("/tmp/d2")
d2.sendto(b"one", "/tmp/d1"); d2.sendto(b"two", "/tmp/d1")
print("dgram:", d1.recvfrom(100), d1.recv(100))
s1, s2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s1.send(b"msg1"); s1.send(b"message2")
s1.send(b"third")
print("seqpacket:", s2.recv(100), s2.recv(3), s2.recv(100))
r, w = os.pipe(); os.write(w, b"through passed fd")
p, q = socket.socketpair()
p.sendmsg([b"fd"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [r]))])
msg, anc, flags, _ = q.recvmsg(10, socket.CMSG_LEN(4))
fds = array.array("i"); fds.frombytes(anc[0][2][:4])
print("scm_rights:", msg, os.read(fds[0], 100).decode(), fds[0] != r)
p.setblocking(False)
try: p.recv(10)
except BlockingIOError: print("nonblocking: EAGAIN")
print("sndbuf > 0:", p.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) > 0,
      "type:", p.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_STREAM)
