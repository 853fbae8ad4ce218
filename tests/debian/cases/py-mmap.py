# mmap: file-backed MAP_SHARED (writes reach the file, msync), MAP_PRIVATE
# copy-on-write, anonymous shared memory across fork, resize, find/seek,
# madvise, a read-only mapping.
import mmap, os
path = "/tmp/m.bin"
with open(path, "wb") as f: f.write(b"hello mmap world".ljust(8192, b"."))
with open(path, "r+b") as f:
    m = mmap.mmap(f.fileno(), 0)
    print("len:", len(m), m[:5], m.find(b"world"))
    m[0:5] = b"HELLO"; m.flush()
    m.madvise(mmap.MADV_DONTNEED) if hasattr(mmap, "MADV_DONTNEED") else None
    m.close()
print("shared write:", open(path, "rb").read(16))
with open(path, "r+b") as f:
    p = mmap.mmap(f.fileno(), 0, flags=mmap.MAP_PRIVATE)
    p[0:5] = b"priv!"; print("private:", p[:5], open(path, "rb").read(5)); p.close()
with open(path, "rb") as f:
    ro = mmap.mmap(f.fileno(), 4096, prot=mmap.PROT_READ)
    try: ro[0] = 1
    except TypeError as e: print("readonly:", e)
    ro.close()
shm = mmap.mmap(-1, 4096, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
pid = os.fork()
if pid == 0:
    shm[0:11] = b"from child"; os._exit(0)
os.waitpid(pid, 0); print("anon shared:", shm[:10])
priv = mmap.mmap(-1, 4096, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
pid = os.fork()
if pid == 0:
    priv[0:5] = b"child"; os._exit(0)
os.waitpid(pid, 0); print("anon private:", priv[:5])
with open(path, "r+b") as f:
    m = mmap.mmap(f.fileno(), 0)
    m.resize(16384); m[16000:16005] = b"grown"; m.close()
print("resized file:", os.path.getsize(path), open(path, "rb").read()[16000:16005])
big = mmap.mmap(-1, 64 << 20)
for off in range(0, len(big), 1 << 20): big[off] = 7
print("big anon:", sum(big[off] for off in range(0, len(big), 1 << 20)))
big.close()
m = mmap.mmap(-1, 100); m.write(b"abc"); m.seek(0); print("seek/read:", m.read(3), m.tell())
