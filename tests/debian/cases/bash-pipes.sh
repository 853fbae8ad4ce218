# Pipelines: multi-stage, exit statuses (PIPESTATUS, pipefail), large data
# through a pipe, a pipe into a while-read loop.
seq 1 2000 | grep 7 | sort -rn | head -n 5 | tr '\n' ' '; echo
printf 'b\na\nc\na\n' | sort | uniq -c | sed 's/^ *//'
true | false | true; echo "PIPESTATUS=${PIPESTATUS[*]}"
set -o pipefail
false | true; echo "pipefail=$?"
set +o pipefail
head -c 3000000 /dev/zero | tr '\0' x | wc -c
seq 1 5 | while read -r n; do echo "line $n"; done | tail -n 2
yes hello | head -n 3
n=0; while read -r l; do n=$((n + ${#l})); done < <(seq 1 100); echo "procsub=$n"
echo abc | { read -r v; echo "group got $v"; }
