# Internet sockets on the sandbox's loopback (issue 8): python's http.server
# in a background process fetched with urllib, a TCP echo server in a thread
# (IPv4 and IPv6, several clients, shutdown half-close), a UDP echo, the
# selectors-driven non-blocking connect, and getaddrinfo("127.0.0.1").
import os, selectors, socket, subprocess, sys, threading, time, urllib.request

# --- http.server + urllib ---
os.makedirs("/tmp/www", exist_ok=True)
with open("/tmp/www/hello.txt", "w") as f:
    f.write("hello over http\n" * 1000)
srv = subprocess.Popen([sys.executable, "-m", "http.server", "8765", "--bind", "127.0.0.1",
                        "--directory", "/tmp/www"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", 8765), timeout=1).close()
        break
    except OSError:
        time.sleep(0.05)
body = urllib.request.urlopen("http://127.0.0.1:8765/hello.txt", timeout=10).read()
print("http:", len(body), body[:15])
try:
    urllib.request.urlopen("http://127.0.0.1:8765/missing", timeout=10)
except urllib.error.HTTPError as e:
    print("http missing:", e.code)
srv.terminate(); srv.wait()

# --- TCP echo (IPv4 and IPv6) ---
def echo_server(family, addr):
    ls = socket.socket(family, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, 0)); ls.listen(8)
    def serve():
        for _ in range(3):
            c, _ = ls.accept()
            data = b""
            while chunk := c.recv(65536):
                data += chunk
            c.sendall(data[::-1]); c.close()
        ls.close()
    t = threading.Thread(target=serve); t.start()
    return ls.getsockname()[1], t

for family, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    port, t = echo_server(family, addr)
    for n in (3, 200000, 0):
        c = socket.create_connection((addr, port))
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        msg = bytes(range(256)) * (n // 256) + b"x" * (n % 256)
        c.sendall(msg); c.shutdown(socket.SHUT_WR)
        got = b""
        while chunk := c.recv(65536):
            got += chunk
        print("tcp echo", family.name, n, got == msg[::-1])
        c.close()
    t.join()

# ECONNREFUSED on a closed port.
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
try:
    socket.create_connection(("127.0.0.1", port))
except ConnectionRefusedError:
    print("refused: ok")

# --- UDP echo ---
us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); us.bind(("127.0.0.1", 0))
def udp_serve():
    for _ in range(3):
        data, peer = us.recvfrom(65535)
        us.sendto(data.upper(), peer)
ut = threading.Thread(target=udp_serve); ut.start()
uc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); uc.settimeout(10)
for msg in (b"one", b"two" * 1000, b""):
    uc.sendto(msg, us.getsockname())
    data, peer = uc.recvfrom(65535)
    print("udp echo", data[:6], len(data), peer == us.getsockname())
ut.join(); us.close(); uc.close()

# --- non-blocking connect through selectors ---
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen()
c = socket.socket(); c.setblocking(False)
print("connect_ex:", c.connect_ex(ls.getsockname()) in (0, 115))
sel = selectors.DefaultSelector(); sel.register(c, selectors.EVENT_WRITE)
print("writable:", len(sel.select(5)) == 1, "SO_ERROR:", c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
a, _ = ls.accept(); a.send(b"ping")
sel.modify(c, selectors.EVENT_READ); sel.select(5); print("read:", c.recv(10))
for x in (a, c, ls): x.close()

print("getaddrinfo:", sorted({ai[4][0] for ai in socket.getaddrinfo("127.0.0.1", 80, type=socket.SOCK_STREAM)}))
