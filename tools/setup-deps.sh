#!/usr/bin/env bash
# Installs the Debian 12 packages connhub needs to build, run and test.
# Runs as root (apt-get); as another user it uses sudo when it is there.
# Skips apt-get entirely when every package is already installed.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config git
  libmicrohttpd-dev libjson-c-dev libsqlite3-dev libsodium-dev
  check libcurl4-openssl-dev tzdata sqlite3
  libpq-dev postgresql
  valgrind curl
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "setup-deps: need root to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
echo "setup-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
