#!/usr/bin/env bash
# mkbundle.sh DIR [ARG...]
#
# Builds an OCI bundle in DIR from Debian's busybox-static: DIR/rootfs holds
# /bin/busybox with one symlink per applet in /bin, a minimal /etc, and empty
# /proc /dev /sys /tmp /root; DIR/config.json is `bulwark spec` with
# process.args = ARG... (default: sh), terminal false and a writable root.
# Idempotent: rerunning it restores the rootfs files and rewrites the config.
#
# Uses $BULWARK (default: build/bulwark of this checkout) for `bulwark spec`.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -lt 1 ]; then
  echo "usage: mkbundle.sh DIR [ARG...]" >&2
  exit 2
fi
dir=$1
shift
bulwark=${BULWARK:-$repo/build/bulwark}
busybox=/bin/busybox

die() { echo "mkbundle: $*" >&2; exit 1; }
[ -x "$bulwark" ] || die "$bulwark not found; run scripts/build.sh first"
[ -x "$busybox" ] || die "$busybox not found; run scripts/setup.sh (package busybox-static)"
if readelf -l "$busybox" 2>/dev/null | grep -q INTERP; then
  die "$busybox is dynamically linked; install busybox-static"
fi
command -v jq >/dev/null || die "jq not found; run scripts/setup.sh"

rootfs=$dir/rootfs
mkdir -p "$rootfs"/{bin,etc,proc,dev,sys,tmp,root}
chmod 0755 "$rootfs" "$rootfs"/{bin,etc,proc,dev,sys}
chmod 1777 "$rootfs/tmp"
chmod 0700 "$rootfs/root"
cmp -s "$busybox" "$rootfs/bin/busybox" || install -m 0755 "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sfn busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
  >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
printf 'bulwark\n' >"$rootfs/etc/hostname"
chmod 0644 "$rootfs"/etc/{passwd,group,hostname}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bulwark" spec --bundle "$tmp"
args=null
if [ $# -gt 0 ]; then
  # One --arg per element: jq 1.6 would take a "-c" after --args as its own.
  args='[]'
  for a in "$@"; do args=$(jq -c --arg a "$a" '. + [$a]' <<<"$args"); done
fi
jq --argjson args "$args" '
  .process.terminal = false
  | .root.path = "rootfs"
  | .root.readonly = false
  | if $args == null then . else .process.args = $args end
' "$tmp/config.json" >"$tmp/config.new"
mv "$tmp/config.new" "$dir/config.json"
chmod 0644 "$dir/config.json"
