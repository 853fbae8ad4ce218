# shutil: copyfile/copy2 (metadata), copytree/rmtree of a tree, move across
# directories, make_archive/unpack_archive, disk_usage, which, chown-free.
import hashlib, os, shutil
os.chdir("/tmp"); os.makedirs("src/a/b")
for i in range(50):
    with open(f"src/a/b/f{i}", "wb") as f: f.write((b"%d" % i) * (i * 100 + 1))
os.symlink("b/f1", "src/a/link")
os.utime("src/a/b/f0", (1000000000, 1000000000)); os.chmod("src/a/b/f0", 0o640)
shutil.copy2("src/a/b/f0", "copy2"); st = os.stat("copy2")
print("copy2:", int(st.st_mtime), oct(st.st_mode & 0o777))
shutil.copyfile("src/a/b/f49", "copyfile"); print("copyfile:", os.path.getsize("copyfile"))
shutil.copytree("src", "dst", symlinks=True)
def digest(root):
    h = hashlib.sha256()
    for dp, dns, fns in sorted(os.walk(root)):
        dns.sort()
        for fn in sorted(fns):
            p = os.path.join(dp, fn)
            h.update(os.path.relpath(p, root).encode())
            h.update(os.readlink(p).encode() if os.path.islink(p) else open(p, "rb").read())
    return h.hexdigest()
print("copytree equal:", digest("src") == digest("dst"), os.path.islink("dst/a/link"))
shutil.move("dst/a/b", "moved"); print("move:", len(os.listdir("moved")), os.path.exists("dst/a/b"))
arc = shutil.make_archive("/tmp/arc", "gztar", root_dir="src")
shutil.unpack_archive(arc, "unpacked"); print("archive round trip:", digest("src") == digest("unpacked"))
zarc = shutil.make_archive("/tmp/zarc", "zip", root_dir="src")
shutil.unpack_archive(zarc, "unzipped"); print("zip files:", sum(len(f) for _, _, f in os.walk("unzipped")))
shutil.rmtree("dst"); shutil.rmtree("src"); print("rmtree:", os.path.exists("dst"), os.path.exists("src"))
u = shutil.disk_usage("/tmp"); print("disk_usage:", u.total > 0, u.free <= u.total)
print("which:", shutil.which("python3"), shutil.which("no-such-cmd"))
