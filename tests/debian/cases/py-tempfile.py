# tempfile: gettempdir, mkstemp/mkdtemp permissions, NamedTemporaryFile
# deletion, TemporaryFile (O_TMPFILE or unlinked), SpooledTemporaryFile
# rollover, TemporaryDirectory cleanup.
import os, stat, tempfile
print("tempdir:", tempfile.gettempdir())
fd, p = tempfile.mkstemp(prefix="bw", suffix=".txt")
os.write(fd, b"data"); os.close(fd)
print("mkstemp:", os.path.basename(p).startswith("bw"), p.endswith(".txt"), oct(stat.S_IMODE(os.stat(p).st_mode)))
os.unlink(p)
d = tempfile.mkdtemp(); print("mkdtemp:", oct(stat.S_IMODE(os.stat(d).st_mode))); os.rmdir(d)
with tempfile.NamedTemporaryFile("w+") as f:
    f.write("named"); f.flush(); name = f.name
    print("named exists:", os.path.exists(name), open(name).read())
print("named deleted:", os.path.exists(name))
with tempfile.TemporaryFile() as f:
    f.write(b"anon" * 1000); f.seek(0); print("temporaryfile:", len(f.read()))
    print("no link:", os.fstat(f.fileno()).st_nlink)
with tempfile.SpooledTemporaryFile(max_size=100) as f:
    f.write(b"x" * 50); print("spooled in memory:", f._rolled)
    f.write(b"x" * 100); print("rolled over:", f._rolled)
with tempfile.TemporaryDirectory() as d:
    for i in range(10):
        os.makedirs(os.path.join(d, f"sub{i}", "deep"))
        open(os.path.join(d, f"sub{i}", "deep", "f"), "w").write("x")
    print("tmpdir entries:", len(os.listdir(d)))
print("tmpdir removed:", os.path.exists(d))
