#!/usr/bin/env bash
# Installs every build and test dependency of bulwark from Debian packages.
# Idempotent: skips apt when everything is already installed.
set -euo pipefail
PKGS=(
  build-essential g++ cmake make pkg-config
  libseccomp-dev libcap-dev nlohmann-json3-dev
  googletest libgtest-dev libgmock-dev
  busybox-static
  golang-github-opencontainers-specs-dev
  iproute2 procps util-linux
  jq coreutils binutils
  debootstrap runc
  python3
  clang-19 libclang-rt-19-dev  # tests/fuzz (libFuzzer); clang 14 lacks C++20 concepts for <expected>
  podman containerd bsdutils
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
