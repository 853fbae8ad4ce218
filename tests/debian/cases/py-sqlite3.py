# sqlite3: on-disk database in /tmp (file locking, journal, WAL with mmap),
# transactions and rollback, many rows, a second connection, threads with
# separate connections, in-memory database, backup.
import os, sqlite3, threading
db = "/tmp/t.db"
c = sqlite3.connect(db)
c.execute("create table t (id integer primary key, name text, v real)")
with c: c.executemany("insert into t (name, v) values (?, ?)", ((f"n{i}", i * 0.5) for i in range(10000)))
print("count:", c.execute("select count(*), sum(v) from t").fetchone())
try:
    with c:
        c.execute("insert into t (name, v) values ('x', 1)"); raise RuntimeError
except RuntimeError: pass
print("after rollback:", c.execute("select count(*) from t").fetchone()[0])
print("journal:", c.execute("pragma journal_mode=wal").fetchone()[0])
c.execute("pragma mmap_size=1048576")
with c: c.execute("update t set v = v + 1 where id % 2 = 0")
c2 = sqlite3.connect(db, timeout=5)
print("second connection:", c2.execute("select sum(v) from t").fetchone()[0])
def writer(k):
    cc = sqlite3.connect(db, timeout=10)
    for j in range(20):
        with cc: cc.execute("insert into t (name, v) values (?, ?)", (f"thr{k}", j))
    cc.close()
ts = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print("threads:", c2.execute("select count(*) from t where name like 'thr%'").fetchone()[0])
print("group by:", c2.execute("select name, count(*) from t where name like 'thr%' group by name order by name").fetchall())
m = sqlite3.connect(":memory:"); c.backup(m)
print("backup:", m.execute("select count(*) from t").fetchone()[0])
print("integrity:", c.execute("pragma integrity_check").fetchone()[0])
c.close(); c2.close()
print("files:", sorted(f for f in os.listdir("/tmp") if f.startswith("t.db")))
