# threading: many threads, locks, conditions, events, semaphores, barriers,
# a queue-based worker pool, thread-local data, timers, join with timeout.
import queue, threading, time
counter = 0; lock = threading.Lock()
def inc(n):
    global counter
    for _ in range(n):
        with lock: counter += 1
ts = [threading.Thread(target=inc, args=(10000,)) for _ in range(8)]
for t in ts: t.start()
for t in ts: t.join()
print("counter:", counter)
q, results = queue.Queue(), []
rlock = threading.Lock()
def worker():
    while (item := q.get()) is not None:
        with rlock: results.append(item * item)
        q.task_done()
    q.task_done()
ws = [threading.Thread(target=worker) for _ in range(4)]
for w in ws: w.start()
for i in range(1000): q.put(i)
for _ in ws: q.put(None)
q.join()
for w in ws: w.join()
print("queue:", len(results), sum(results))
cond = threading.Condition(); state = []
def producer():
    for i in range(5):
        with cond: state.append(i); cond.notify()
        time.sleep(0.01)
got = []
t = threading.Thread(target=producer); t.start()
while len(got) < 5:
    with cond:
        cond.wait_for(lambda: state)
        got.extend(state); state.clear()
t.join(); print("condition:", got)
b = threading.Barrier(5); order = []
def at_barrier(i):
    b.wait()
    with lock: order.append(i)
ts = [threading.Thread(target=at_barrier, args=(i,)) for i in range(5)]
for t in ts: t.start()
for t in ts: t.join()
print("barrier:", sorted(order))
ev = threading.Event()
threading.Timer(0.1, ev.set).start()
print("event:", ev.wait(5))
sem = threading.BoundedSemaphore(2); maxin = [0]; inside = [0]
def limited():
    with sem:
        with lock: inside[0] += 1; maxin[0] = max(maxin[0], inside[0])
        time.sleep(0.02)
        with lock: inside[0] -= 1
ts = [threading.Thread(target=limited) for _ in range(6)]
for t in ts: t.start()
for t in ts: t.join()
print("semaphore max:", maxin[0])
local = threading.local(); seen = []
def uselocal(i):
    local.v = i; time.sleep(0.01)
    with lock: seen.append(local.v == i)
ts = [threading.Thread(target=uselocal, args=(i,)) for i in range(10)]
for t in ts: t.start()
for t in ts: t.join()
print("local:", all(seen), len(seen))
t = threading.Thread(target=time.sleep, args=(0.5,), daemon=True); t.start()
t.join(0.05); print("join timeout alive:", t.is_alive())
print("active >= 1:", threading.active_count() >= 1, threading.current_thread().name)
