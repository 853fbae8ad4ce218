# wait: for a pid, for all jobs, wait -n, exit statuses of background jobs,
# a job killed by a signal.
(sleep 0.2; exit 3) & p1=$!
(sleep 0.1; exit 4) & p2=$!
wait "$p1"; echo "p1=$?"
wait "$p2"; echo "p2=$?"
for i in 1 2 3 4 5; do (sleep "0.$i"; echo "job $i done" > "/tmp/job$i") & done
wait; cat /tmp/job1 /tmp/job2 /tmp/job3 /tmp/job4 /tmp/job5
(sleep 0.3; exit 11) &
(sleep 0.05; exit 12) &
wait -n; echo "first=$?"
wait -n; echo "second=$?"
sleep 30 & p=$!
kill -TERM "$p"; wait "$p"; echo "killed=$?"
sleep 30 & p=$!
kill -KILL "$p"; wait "$p"; echo "killed9=$?"
wait 999999 2>/dev/null; echo "no such job=$?"
