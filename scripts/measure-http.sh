#!/usr/bin/env bash
# End to end over HTTP, the way users run it: each server pinned to core 0, wrk (Debian's) on
# core 1, one CloudEvent per request with a fresh id every time, regrelay `serve` (memory store,
# a rule that matches nothing) beside a bare axum server that reads the body and parses it as a
# serde_json::Value, built with the same release profile in the same run. Prints req/s, CPU µs
# per request (from /proc), p50/p99 and peak RSS. The last row is queued mode with the SQLite
# store and one webhook target that takes 10 s to answer: the time to the sender's 200.
#
#   scripts/measure-http.sh [seconds]      (needs: apt-get install wrk)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
secs="${1:-10}"
command -v wrk >/dev/null || { echo "measure-http: install wrk (apt-get install wrk)" >&2; exit 2; }
cargo build --release -q -p regrelay-cli --bins
cargo build --release -q -p regrelay-azure --example bare
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cat > "$work/nomatch.toml" <<'TOML'
[store]
kind = "memory"

[[targets]]
name = "log"
type = "log"

[[rules]]
name = "nothing"
notifications = ["no-such-repository:push"]
targets = ["log"]
TOML
cat > "$work/queued-slow.toml" <<TOML
[store]
kind = "sqlite"
path = "$work/queued.db"

[delivery]
mode = "queued"

[[targets]]
name = "slow"
type = "webhook"
url = "http://127.0.0.1:18090/hook"
timeout = "15s"

[[rules]]
name = "all"
notifications = ["*:*"]
targets = ["slow"]
TOML
# A loopback target that answers every request after 10 s.
cat > "$work/slow.py" <<'PY'
import http.server, time
class Slow(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        time.sleep(10)
        self.send_response(200); self.end_headers()
    def log_message(self, *args): pass
http.server.ThreadingHTTPServer(("127.0.0.1", 18090), Slow).serve_forever()
PY
cat > "$work/fresh.lua" <<'LUA'
local n = 0
math.randomseed(os.time())
local salt = math.random(1, 1000000000)
request = function()
  n = n + 1
  local body = string.format('{"specversion":"1.0","id":"%d-%d","source":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/demo","type":"Microsoft.ContainerRegistry.ImagePushed","time":"2026-12-04T10:00:00Z","data":{"id":"x","action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1234,"digest":"sha256:abc","repository":"team/app","tag":"v%d"},"request":{"host":"demo.azurecr.io"}}}', salt, n, n)
  return wrk.format("POST", "/api/events", {["Content-Type"] = "application/cloudevents+json"}, body)
end
LUA
ticks=$(getconf CLK_TCK)
measure() { # name port command...
  local name="$1" port="$2"; shift 2
  taskset -c 0 "$@" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.05; done
  taskset -c 1 wrk -t1 -c16 -d2s -s "$work/fresh.lua" "http://127.0.0.1:$port" >/dev/null
  local before; before=$(awk '{print $14+$15}' "/proc/$pid/stat")
  local out; out=$(taskset -c 1 wrk -t1 -c16 -d"${secs}s" --latency -s "$work/fresh.lua" "http://127.0.0.1:$port")
  local after; after=$(awk '{print $14+$15}' "/proc/$pid/stat")
  local rss; rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  local requests; requests=$(echo "$out" | awk '/requests in/ {print $1}')
  local rps; rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  local p50; p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  local p99; p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  local non2xx; non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  local cpu_us; cpu_us=$(python3 -c "print(round(($after-$before)/$ticks*1e6/$requests, 1))")
  printf '| %s | %s | %s | %s | %s | %s MB | %s |\n' "$name" "$rps" "$cpu_us" "$p50" "$p99" \
    "$(python3 -c "print(round($rss/1024, 1))")" "${non2xx:-0}"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
echo "| server | req/s | CPU µs/req | p50 | p99 | peak RSS | non-2xx |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
FUNCTIONS_CUSTOMHANDLER_PORT=18081 measure "bare axum + Value parse" 18081 target/release/examples/bare
RUST_LOG=warn measure "regrelay serve, no match, memory store" 18082 \
  target/release/regrelay serve --config "$work/nomatch.toml" --listen 127.0.0.1:18082
taskset -c 1 python3 "$work/slow.py" &
RUST_LOG=warn measure "regrelay serve, queued, SQLite, one target taking 10 s" 18083 \
  target/release/regrelay serve --config "$work/queued-slow.toml" --listen 127.0.0.1:18083
