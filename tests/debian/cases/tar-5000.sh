# timeout: 300
# GNU tar czf/xzf of a tree of 5,000 small files (100 directories of 50),
# then find | wc -l and sha256sum of the extracted files.
set -e
cd /tmp
mkdir src
for d in $(seq -w 0 99); do
  mkdir "src/d$d"
  for f in $(seq -w 0 49); do
    echo "file $d/$f $((10#$d * 50 + 10#$f))" > "src/d$d/f$f"
  done
done
echo "created: $(find src -type f | wc -l)"
tar czf tree.tgz src
echo "members: $(tar tzf tree.tgz | wc -l)"
mkdir dst && tar xzf tree.tgz -C dst
find dst | wc -l
find dst -type d | wc -l
(cd dst && find . -type f -print0 | sort -z | xargs -0 sha256sum) > sums
wc -l < sums
sha256sum < sums | cut -d' ' -f1
(cd src && find . -type f -print0 | sort -z | xargs -0 sha256sum) | cmp - sums && echo "identical to source"
find dst -type f -printf '%s\n' | awk '{ s += $1 } END { print "bytes:", s }'
