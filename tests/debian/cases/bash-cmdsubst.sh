# Command substitution: $(...), backticks, nesting, trailing newline
# stripping, $(<file), large output, exit status of the substitution.
cd /tmp
a=$(echo hello)
b=`echo world`
echo "$a $b"
echo "nested: $(echo $(echo $(echo deep)))"
v=$(printf 'x\n\n\n'); echo "stripped=[${v}]"
printf 'from file\n' > f.txt; echo "$(<f.txt)"
big=$(seq 1 20000); echo "len=${#big}"
out=$(exit 5); echo "status=$?"
echo "arith $(( $(echo 6) * $(echo 7) ))"
lines=$(ls -1 /usr/bin | wc -l); [ "$lines" -gt 100 ] && echo "ls ok"
echo "ps: $(ps -o comm= -p $$)"
