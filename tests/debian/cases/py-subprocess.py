# subprocess: run/check_output/Popen with pipes, stdin, env, cwd, exit
# statuses, signals, timeouts, close_fds, a pipeline between two children.
import os, signal, subprocess, sys
r = subprocess.run(["echo", "hello"], capture_output=True, text=True)
print("run:", r.returncode, repr(r.stdout))
print("check_output:", subprocess.check_output("echo $((6*7))", shell=True, text=True).strip())
p = subprocess.Popen(["tr", "a-z", "A-Z"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
out, _ = p.communicate("x" * 100000 + "done")
print("communicate:", len(out), out[-4:], p.returncode)
print("exit:", subprocess.run(["sh", "-c", "exit 9"]).returncode)
p = subprocess.Popen(["sleep", "30"]); p.send_signal(signal.SIGTERM); print("signal:", p.wait())
try:
    subprocess.run(["sleep", "30"], timeout=0.3)
except subprocess.TimeoutExpired as e:
    print("timeout: expired", e.cmd)
print("env:", subprocess.run(["sh", "-c", "echo $FOO"], env={"FOO": "bar", "PATH": os.environ["PATH"]},
                             capture_output=True, text=True).stdout.strip())
print("cwd:", subprocess.run(["pwd"], cwd="/usr/lib", capture_output=True, text=True).stdout.strip())
r, w = os.pipe()
p = subprocess.run(["sh", "-c", f"echo inherited >&{w}"], pass_fds=(w,))
os.close(w); print("pass_fds:", os.read(r, 100).decode().strip(), p.returncode); os.close(r)
p1 = subprocess.Popen(["seq", "1", "1000"], stdout=subprocess.PIPE)
p2 = subprocess.Popen(["wc", "-l"], stdin=p1.stdout, stdout=subprocess.PIPE, text=True)
p1.stdout.close()
print("pipeline:", p2.communicate()[0].strip(), p1.wait(), p2.returncode)
try:
    subprocess.run(["/nonexistent"])
except FileNotFoundError as e:
    print("missing:", e.errno)
r = subprocess.run([sys.executable, "-c", "import sys; sys.stderr.write('err'); sys.exit(3)"],
                   stderr=subprocess.STDOUT, stdout=subprocess.PIPE, text=True)
print("stderr merged:", r.stdout, r.returncode)
