#!/usr/bin/env bash
# debian-rootfs.sh [--print-path] [--rebuild]
#
# Builds (the first time: a few minutes) or reuses the Debian bookworm test
# root filesystem of issue 4: `debootstrap --variant=minbase bookworm` plus
# PACKAGES below, from the Debian mirror apt is configured with. Prints the
# rootfs path on stdout (progress goes to stderr); --print-path prints the
# path without building or checking anything.
#
# Cache: $BULWARK_DEBIAN_ROOTFS (default /var/cache/bulwark/debian-bookworm),
# shared by every checkout on the machine. Next to it:
#   <dir>.stamp  the hash of the recipe (suite, variant, PACKAGES, RECIPE);
#                the rootfs is rebuilt when it differs or is missing
#   <dir>.lock   flock(1): held exclusively while checking/building. Readers
#                (tests/debian/run.sh, bench/run) may hold it shared while they
#                use the rootfs so that no rebuild swaps it under them.
# A build goes to <dir>.new and is renamed into place only when complete, so
# an interrupted build never leaves a half rootfs behind a valid stamp.
#
# The rootfs is meant to be used read-only (containers get tmpfs/overlay
# writes): nothing here or in the tests writes to it after the build.
# Needs root and debootstrap (scripts/setup.sh installs it).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${BULWARK_DEBIAN_ROOTFS:-/var/cache/bulwark/debian-bookworm}
SUITE=bookworm
VARIANT=minbase
# Issue 4's list, then what the tests and bench/run need on top.
PACKAGES=(
  bash python3 libpython3.11-testsuite gcc libc6-dev make tar gzip coreutils
  findutils procps
)
# Changes to the post-processing below bump this to force a rebuild.
RECIPE=1
# Empty directories created in the rootfs as mountpoints for bind mounts:
# with a read-only root a runtime cannot create them (runc would create them
# in the cache itself before remounting read-only).
MOUNTPOINTS=(bench-data test-data)

print_only=0 rebuild=0
for a in "$@"; do
  case $a in
    --print-path) print_only=1 ;;
    --rebuild) rebuild=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d;s/^# \{0,1\}//'; exit 0 ;;
    *) echo "debian-rootfs: unknown argument $a" >&2; exit 2 ;;
  esac
done
if [ "$print_only" = 1 ]; then
  echo "$dir"
  exit 0
fi

log() { echo "debian-rootfs: $*" >&2; }
die() { log "$*"; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, and the rootfs is root-owned)"

stamp_text() {
  printf 'suite=%s\nvariant=%s\nrecipe=%s\npackages=%s\nmountpoints=%s\n' \
    "$SUITE" "$VARIANT" "$RECIPE" "$(printf '%s\n' "${PACKAGES[@]}" | sort -u | tr '\n' ' ')" \
    "${MOUNTPOINTS[*]}"
}
want=$(stamp_text | sha256sum | cut -d' ' -f1)

# Where apt fetches Debian from (the only archive this machine may reach).
mirror() {
  local f m
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    m=$(sed -n -E 's,^URIs:[[:space:]]*(\S+/debian)/?[[:space:]]*$,\1,p; s,^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?(\S+/debian)/?[[:space:]]+.*,\2,p' "$f" | head -n1)
    if [ -n "$m" ]; then echo "$m"; return; fi
  done
  echo http://deb.debian.org/debian
}

complete() {
  local r=$1 p
  for p in usr/bin/bash usr/bin/python3.11 usr/bin/gcc usr/bin/make usr/bin/tar usr/bin/gzip \
           usr/bin/find usr/bin/ps usr/bin/sha256sum usr/include/stdio.h \
           usr/lib/python3.11/test/test_os.py usr/lib/python3.11/test/regrtest.py; do
    [ -e "$r/$p" ] || { log "$r/$p missing"; return 1; }
  done
}

mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
if ! flock -n 9; then
  log "waiting for another build/user of $dir"
  flock 9
fi

if [ "$rebuild" = 0 ] && [ -d "$dir" ] && [ "$(cat "$dir.stamp" 2>/dev/null)" = "$want" ]; then
  echo "$dir"
  exit 0
fi

command -v debootstrap >/dev/null || die "debootstrap not found; run scripts/setup.sh"
new=$dir.new
rm -rf "$new"
m=$(mirror)
log "building $dir with debootstrap from $m (a few minutes)"
start=$(date +%s)
inc=$(IFS=,; echo "${PACKAGES[*]}")
if ! debootstrap --variant="$VARIANT" --include="$inc" "$SUITE" "$new" "$m" >"$dir.build.log" 2>&1; then
  tail -n 20 "$dir.build.log" >&2
  rm -rf "$new"
  die "debootstrap failed (log: $dir.build.log)"
fi
# Post-processing (bump RECIPE when changing it).
rm -rf "$new"/var/cache/apt/archives/*.deb "$new"/var/lib/apt/lists/*_Packages
for p in "${MOUNTPOINTS[@]}"; do mkdir -p "$new/$p"; done
echo bulwark-debian >"$new/etc/hostname"
complete "$new" || { rm -rf "$new"; die "the new rootfs is incomplete"; }
# Byte-compile nothing further: python writes no .pyc into a read-only root
# (PYTHONDONTWRITEBYTECODE is set by the tests); debootstrap already compiled
# the packaged modules.

rm -f "$dir.stamp"
if [ -d "$dir" ]; then
  mv "$dir" "$dir.old"
  rm -rf "$dir.old"
fi
mv "$new" "$dir"
echo "$want" >"$dir.stamp"
log "built in $(( $(date +%s) - start )) s, $(du -sh "$dir" | cut -f1)"
echo "$dir"
