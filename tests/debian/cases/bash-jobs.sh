# Background jobs: many concurrent jobs writing through pipes and files,
# $!, jobs -p, job control builtins without a terminal, disown, kill %N.
cd /tmp
for i in $(seq 1 20); do
  ( for j in $(seq 1 50); do echo "$i:$j"; done > "out.$i" ) &
done
wait
cat out.* | wc -l
cat out.* | sort -t: -k1,1n -k2,2n | md5sum | cut -d' ' -f1
sleep 10 & sleep 10 &
jobs -p | wc -l
kill %1 %2; wait 2>/dev/null
jobs -p | wc -l
sleep 0.1 & disown; jobs -p | wc -l
{ seq 1 3; sleep 0.1; seq 4 6; } | { sort -rn; } &
wait $!; echo "pipeline job=$?"
coproc CAT { cat; }
echo "through coproc" >&"${CAT[1]}"
read -r line <&"${CAT[0]}"; echo "$line"
exec {CAT[1]}>&-
wait "$CAT_PID"; echo "coproc=$?"
