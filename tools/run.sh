#!/usr/bin/env bash
# Installs what connhub needs (Debian 12, as root), builds it (Release) and
# starts the host with the bundled plugins on 127.0.0.1:8080. Arguments are
# passed to `connhub serve` (e.g. --listen 127.0.0.1:9000); see
# `connhub serve --help`. The data directory defaults to ./connhub-data.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DCH_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" >/dev/null
data_dir=${CONNHUB_DATA_DIR:-connhub-data}
connhub=build/release/core/connhub
# The first start of a data directory prints an admin token itself; on later
# starts make a fresh one so the command always shows a token to use.
if [ -f "$data_dir/connhub.db" ]; then
  echo "admin token (new for this run): $("$connhub" tokens create default --admin --data-dir "$data_dir")"
fi
exec "$connhub" serve --plugins-dir "$PWD/build/release/plugins" --data-dir "$data_dir" "$@"
