#!/usr/bin/env bash
# Delivery throughput per core, queued beside inline, in one run: `serve` (SQLite store) pinned to
# core 0 delivers one CloudEvent per request (fresh ids) to one loopback webhook target (the bare
# axum example, core 1); wrk (core 1) sends for N seconds. Inline: deliveries/s = requests/s.
# Queued: the worker delivers while requests arrive and then drains the queue; deliveries/s =
# deliveries / (load time + drain time). CPU µs per delivery from /proc.
#
#   scripts/measure-worker.sh [seconds]      (needs: apt-get install wrk)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
secs="${1:-10}"
command -v wrk >/dev/null || { echo "measure-worker: install wrk (apt-get install wrk)" >&2; exit 2; }
cargo build --release -q -p regrelay-cli --bins
cargo build --release -q -p regrelay-azure --example bare
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
sed -n '/^cat > "\$work\/fresh.lua"/,/^LUA/p' scripts/measure-http.sh | sed '1d;$d' >"$work/fresh.lua"
FUNCTIONS_CUSTOMHANDLER_PORT=18091 taskset -c 1 target/release/examples/bare >/dev/null 2>&1 &
ticks=$(getconf CLK_TCK)
echo "| mode | deliveries | seconds | deliveries/s | CPU µs/delivery | peak RSS |"
echo "| --- | --- | --- | --- | --- | --- |"
for mode in inline queued; do
  cat >"$work/$mode.toml" <<TOML
[store]
kind = "sqlite"
path = "$work/$mode.db"

[delivery]
mode = "$mode"

[[targets]]
name = "sink"
type = "webhook"
url = "http://127.0.0.1:18091/api/events"
timeout = "5s"

[[rules]]
name = "all"
notifications = ["*:*"]
targets = ["sink"]
TOML
  RUST_LOG=warn taskset -c 0 target/release/regrelay serve --config "$work/$mode.toml" --listen 127.0.0.1:18092 >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 200); do curl -sf http://127.0.0.1:18092/api/health >/dev/null && break; sleep 0.05; done
  before=$(awk '{print $14+$15}' "/proc/$pid/stat")
  start=$(date +%s.%N)
  out=$(taskset -c 1 wrk -t1 -c16 -d"${secs}s" -s "$work/fresh.lua" http://127.0.0.1:18092)
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  if [[ $mode == queued ]]; then
    # Drained when the work table is empty.
    python3 - "$work/$mode.db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30)
for _ in range(6000):
    if db.execute("SELECT COUNT(*) FROM work").fetchone()[0] == 0:
        break
    time.sleep(0.05)
PY
  fi
  end=$(date +%s.%N)
  after=$(awk '{print $14+$15}' "/proc/$pid/stat")
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  python3 -c "
d=$requests; s=$end-$start
print(f'| $mode | {d} | {s:.1f} | {d/s:.0f} | {($after-$before)/$ticks*1e6/d:.1f} | {$rss/1024:.1f} MB |')"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
