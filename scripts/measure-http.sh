#!/usr/bin/env bash
# The end-to-end load benchmark (see scripts/measure-http.py for what it runs and prints):
# builds the release binaries it compares, then runs every scenario, or the ones named.
#
#   scripts/measure-http.sh [seconds] [single|batch|repeat|queued|slow ...]   (installs Debian's wrk if missing)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v wrk >/dev/null; then
  # Debian's wrk; as root here, or through sudo.
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get install -y -q wrk >/dev/null || { echo "measure-http: could not install wrk (apt-get install wrk)" >&2; exit 2; }
fi
cargo build --release -q -p regrelay-cli --bins
cargo build --release -q -p regrelay-azure --example bare
exec python3 scripts/measure-http.py "$@"
