# exit: 6
# Traps: EXIT, signals sent to self and from a child, ERR, ignored signals
# inherited by children, trap listing, a trap interrupting wait.
trap 'echo "exit trap, status $?"' EXIT
trap 'echo got USR1' USR1
kill -USR1 $$
trap 'echo got USR2 from child' USR2
bash -c 'kill -USR2 $PPID'
sleep 0.1
trap 'echo "err trap at line $LINENO"' ERR
false
trap - ERR
trap '' INT
bash -c 'kill -INT $$; echo "child survived ignored INT"'
trap - INT
trap -p USR1
( trap 'echo "subshell exit trap"' EXIT; echo in subshell )
trap 'echo "TERM while waiting"' TERM
sleep 5 & sp=$!
( sleep 0.2; kill -TERM $$ ) &
wait "$sp"; echo "wait interrupted, status $?"
kill "$sp"; wait "$sp" 2>/dev/null
bash -c 'trap "echo child got HUP; exit 9" HUP; kill -HUP $$; sleep 1'; echo "child status $?"
exit 6
