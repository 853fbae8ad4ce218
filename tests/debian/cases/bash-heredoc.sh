# Here-documents and here-strings: expansion, quoted delimiters, <<-,
# feeding commands, a big here-doc (larger than a pipe buffer), nesting.
name=world
cat <<END
hello $name $((1 + 2)) $(echo subst)
END
cat <<'END'
literal $name $(echo no)
END
cat <<-END
	tabs stripped
	END
tr a-z A-Z <<< "here string $name"
while read -r a b; do echo "$b-$a"; done <<EOF2
1 one
2 two
EOF2
big=$(seq 1 30000)
wc -l <<EOF2
$big
EOF2
bash <<'EOF2'
echo "script from heredoc, pid differs: $([ $$ != $PPID ] && echo yes)"
cat <<INNER
inner heredoc
INNER
EOF2
python3 - <<'EOF2'
print("python from heredoc", sum(range(10)))
EOF2
