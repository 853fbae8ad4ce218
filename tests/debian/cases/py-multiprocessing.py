# multiprocessing with the fork start method: Pool.map, Process exit codes,
# Queue, Pipe, shared Value/Array (shared anonymous memory across fork),
# Lock, Manager-free; then os.fork/waitpid directly.
import multiprocessing as mp, os, signal
def sq(x): return x * x
def child_exit(code): os._exit(code)
def put(q, i): q.put(i * 10)
def addn(v, a, lock):
    for _ in range(1000):
        with lock: v.value += 1
    a[0] += 0  # touch
def pipe_child(conn):
    conn.send(conn.recv()[::-1]); conn.close()
if __name__ == "__main__":
    mp.set_start_method("fork")
    with mp.Pool(4) as pool:
        print("pool.map:", sum(pool.map(sq, range(1000))))
        print("imap:", list(pool.imap(sq, range(5))))
    ps = [mp.Process(target=child_exit, args=(i,)) for i in range(3)]
    for p in ps: p.start()
    for p in ps: p.join()
    print("exitcodes:", [p.exitcode for p in ps])
    q = mp.Queue()
    ps = [mp.Process(target=put, args=(q, i)) for i in range(5)]
    for p in ps: p.start()
    print("queue:", sorted(q.get() for _ in range(5)))
    for p in ps: p.join()
    a, b = mp.Pipe()
    p = mp.Process(target=pipe_child, args=(b,)); p.start()
    a.send("abcdef"); print("pipe:", a.recv()); p.join()
    v = mp.Value("i", 0); arr = mp.Array("d", 3); lock = mp.Lock()
    ps = [mp.Process(target=addn, args=(v, arr, lock)) for _ in range(4)]
    for p in ps: p.start()
    for p in ps: p.join()
    print("shared value:", v.value)
    p = mp.Process(target=__import__("time").sleep, args=(30,)); p.start()
    p.terminate(); p.join(); print("terminated:", p.exitcode == -signal.SIGTERM)
    pid = os.fork()
    if pid == 0:
        os._exit(42)
    _, st = os.waitpid(pid, 0)
    print("fork:", os.waitstatus_to_exitcode(st))
