# tarfile: write gz/bz2/xz/plain archives of a tree with symlinks, hard links
# and modes, list them, extract, compare; stream mode through a pipe.
import hashlib, io, os, subprocess, tarfile
os.chdir("/tmp"); os.makedirs("t/d1/d2")
for i in range(200):
    with open(f"t/d1/f{i}", "wb") as f: f.write(bytes([i % 256]) * (i * 37))
os.symlink("d1/f3", "t/sym"); os.link("t/d1/f4", "t/hard"); os.chmod("t/d1/f5", 0o600)
def digest(root):
    h = hashlib.sha256()
    for dp, dns, fns in sorted(os.walk(root)):
        dns.sort()
        for fn in sorted(fns):
            p = os.path.join(dp, fn); h.update(os.path.relpath(p, root).encode())
            h.update(os.readlink(p).encode() if os.path.islink(p) else open(p, "rb").read())
            h.update(b"%o" % (os.lstat(p).st_mode & 0o777 if not os.path.islink(p) else 0))
    return h.hexdigest()
ref = digest("t")
for mode in ("w", "w:gz", "w:bz2", "w:xz"):
    name = "a.tar" + mode[2:]
    with tarfile.open(name, mode) as tf: tf.add("t")
    with tarfile.open(name) as tf:
        members = tf.getmembers()
        kinds = sorted({("sym" if m.issym() else "lnk" if m.islnk() else "dir" if m.isdir() else "reg") for m in members})
        out = "x" + mode.replace(":", "")
        tf.extractall(out)
    print(mode, len(members), kinds, digest(os.path.join(out, "t")) == ref)
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w|gz") as tf: tf.add("t/d1/f10")
p = subprocess.run(["tar", "tzf", "-"], input=buf.getvalue(), capture_output=True)
print("stream -> GNU tar:", p.stdout.decode().strip(), p.returncode)
subprocess.run(["tar", "czf", "gnu.tgz", "t"], check=True)
with tarfile.open("gnu.tgz") as tf: print("GNU tar -> tarfile:", len(tf.getnames()))
