#!/usr/bin/env python3
"""The end-to-end load benchmark, the way users run regrelay: over HTTP, each server pinned to
core 0, Debian's `wrk -t1 -c16` on core 1, fresh event ids on every request, release builds of
regrelay `serve` and of a bare axum server (body read + `serde_json::Value` parse) made in the
same run. Prints one Markdown table: req/s, CPU µs per request and per event (from /proc), p50,
p99 and peak RSS, each CPU and p99 figure also as a ratio to the bare server's for the same
payload.

Run through `scripts/measure-http.sh [seconds] [scenario ...]`, which builds first. Scenarios:
single (one CloudEvent per request), batch (64 Event Grid events per request), repeat (one event
id sent again and again), queued (SQLite queue, the worker draining while and after wrk sends),
slow (queued, a target that takes 10 s: the time to the sender's 200). Default: all.

Not a timed test: the figures are printed, never asserted.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGRELAY = os.path.join(ROOT, "target/release/regrelay")
BARE = os.path.join(ROOT, "target/release/examples/bare")
TICKS = os.sysconf("SC_CLK_TCK")
SINK_PORT, SLOW_PORT = 18190, 18191

SOURCE = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/demo"

# Lua for wrk: one CloudEvent per request, a fresh id each time (salted per run).
SINGLE = r"""
local n = 0
math.randomseed(os.time())
local salt = math.random(1, 1000000000)
request = function()
  n = n + 1
  local body = string.format('{"specversion":"1.0","id":"%d-%d","source":"SOURCE","type":"Microsoft.ContainerRegistry.ImagePushed","time":"2026-12-04T10:00:00Z","data":{"id":"x","action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1234,"digest":"sha256:abc","repository":"team/app","tag":"v%d"},"request":{"host":"demo.azurecr.io"}}}', salt, n, n)
  return wrk.format("POST", "/api/events", {["Content-Type"] = "application/cloudevents+json"}, body)
end
""".replace("SOURCE", SOURCE)

# The same CloudEvent with one id, every request.
REPEAT = SINGLE.replace('"id":"%d-%d"', '"id":"same-%d-1"').replace("salt, n, n)", "salt, n)")

# 64 Event Grid events (ACR ImagePushed) per request, fresh ids.
BATCH = r"""
local n = 0
math.randomseed(os.time())
local salt = math.random(1, 1000000000)
request = function()
  local parts = {}
  for i = 1, 64 do
    n = n + 1
    parts[i] = string.format('{"id":"%d-%d","topic":"SOURCE","subject":"team%d/app:v%d","eventType":"Microsoft.ContainerRegistry.ImagePushed","eventTime":"2026-12-04T10:00:00.0000000Z","data":{"id":"x%d","timestamp":"2026-12-04T10:00:00Z","action":"push","target":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":3023,"digest":"sha256:213bbc182920ab41e18edc2001e06abcca6735d87782d9cef68abd83941cf0e5","length":3023,"repository":"team%d/app","tag":"v%d"},"request":{"id":"r","host":"demo.azurecr.io","method":"PUT","useragent":"docker/27"}},"dataVersion":"1.0","metadataVersion":"1"}', salt, n, i % 8, n, n, i % 8, n)
  end
  local body = "[" .. table.concat(parts, ",") .. "]"
  return wrk.format("POST", "/api/events", {["Content-Type"] = "application/json", ["aeg-event-type"] = "Notification"}, body)
end
""".replace("SOURCE", SOURCE)


def config(work, name, store, rule, target_url=None, mode="inline"):
    """A serve config: `store` memory|sqlite, `rule` nothing|all, one target."""
    lines = []
    if store == "memory":
        lines += ['[store]', 'kind = "memory"', '']
    else:
        lines += ['[store]', 'kind = "sqlite"', f'path = "{work}/{name}.db"', '']
    lines += ['[delivery]', f'mode = "{mode}"', '']
    if target_url:
        lines += ['[[targets]]', 'name = "sink"', 'type = "webhook"', f'url = "{target_url}"',
                  'timeout = "15s"', '']
    else:
        lines += ['[[targets]]', 'name = "sink"', 'type = "log"', '']
    pattern = "no-such-repository:push" if rule == "nothing" else "*:*"
    lines += ['[[rules]]', 'name = "rule"', f'notifications = ["{pattern}"]', 'targets = ["sink"]']
    path = os.path.join(work, name + ".toml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def wait_healthy(port, proc):
    for _ in range(400):
        if proc.poll() is not None:
            sys.exit(f"measure-http: the server on {port} exited")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1):
                return
        except OSError:
            time.sleep(0.025)
    sys.exit(f"measure-http: nothing answered on {port}")


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return 0.0


def millis(text):
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


def wrk(port, script, secs):
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", "-c16", f"-d{secs}s", "--latency", "-s", script,
         f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = millis(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = millis(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return requests, rps, p50, p99, int(non2xx.group(1)) if non2xx else 0


def drain(db):
    """Waits until the queued worker has emptied the work table (at most 5 minutes)."""
    import sqlite3
    conn = sqlite3.connect(db, timeout=30)
    for _ in range(6000):
        if conn.execute("SELECT COUNT(*) FROM work").fetchone()[0] == 0:
            return
        time.sleep(0.05)


def measure(row, cmd, env, port, script, secs, events, db=None):
    proc = subprocess.Popen(["taskset", "-c", "0", *cmd], env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(port, proc)
        wrk(port, script, 2)  # warm-up: connections, caches, the store's first pages
        if db:
            drain(db)
        before = cpu_ticks(proc.pid)
        started = time.monotonic()
        requests, rps, p50, p99, non2xx = wrk(port, script, secs)
        if db:
            drain(db)
        elapsed = time.monotonic() - started
        cpu_us = (cpu_ticks(proc.pid) - before) / TICKS * 1e6 / requests
        rss = peak_rss_mb(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return dict(row=row, rps=rps, cpu=cpu_us, per_event=cpu_us / events, p50=p50, p99=p99,
                rss=rss, non2xx=non2xx, elapsed=elapsed, requests=requests)


def main():
    args = sys.argv[1:]
    secs = int(args.pop(0)) if args and args[0].isdigit() else 10
    wanted = set(args) or {"single", "batch", "repeat", "queued", "slow"}
    work = tempfile.mkdtemp(prefix="regrelay-bench-")
    scripts = {}
    for name, text in (("single", SINGLE), ("batch", BATCH), ("repeat", REPEAT)):
        scripts[name] = os.path.join(work, name + ".lua")
        with open(scripts[name], "w") as f:
            f.write(text)
    helpers = []
    quiet = {"RUST_LOG": "warn"}
    try:
        # The webhook sink: the bare server on core 1 (beside wrk), answering 200 to each POST.
        helpers.append(subprocess.Popen(
            ["taskset", "-c", "1", BARE], env={**os.environ, "FUNCTIONS_CUSTOMHANDLER_PORT": str(SINK_PORT)},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_healthy(SINK_PORT, helpers[-1])
        sink = f"http://127.0.0.1:{SINK_PORT}/api/events"
        rows = []

        def serve(row, name, payload, events, drained=False, **kw):
            port = 18100 + len(rows)
            cfg = config(work, name, **kw)
            db = os.path.join(work, name + ".db") if drained else None
            rows.append(measure(row, [REGRELAY, "serve", "--config", cfg, "--listen",
                                      f"127.0.0.1:{port}"], quiet, port, scripts[payload], secs,
                                events, db))

        def bare(payload, events):
            port = 18100 + len(rows)
            rows.append(measure(f"bare axum + Value parse, {payload}", [BARE],
                                {"FUNCTIONS_CUSTOMHANDLER_PORT": str(port)}, port,
                                scripts[payload], secs, events))
            return rows.pop()

        if wanted & {"single", "repeat", "queued"}:
            base = bare("single", 1)
            if "single" in wanted:
                serve("no match, memory", "nm-mem", "single", 1, store="memory", rule="nothing")
                serve("no match, SQLite", "nm-sql", "single", 1, store="sqlite", rule="nothing")
                serve("one webhook, SQLite, inline", "wh-sql", "single", 1, store="sqlite",
                      rule="all", target_url=sink)
            if "repeat" in wanted:
                serve("no match, memory, one id repeated", "rep-mem", "repeat", 1,
                      store="memory", rule="nothing")
                serve("one webhook, SQLite, one id repeated", "rep-sql", "repeat", 1,
                      store="sqlite", rule="all", target_url=sink)
            if "queued" in wanted:
                serve("one webhook, SQLite, queued (until drained)", "q-sql", "single", 1,
                      drained=True, store="sqlite", rule="all", target_url=sink, mode="queued")
            print_table("One CloudEvent per request", base, rows)
            rows.clear()
        if "batch" in wanted:
            base = bare("batch", 64)
            serve("no match, memory", "b-nm-mem", "batch", 64, store="memory", rule="nothing")
            serve("no match, SQLite", "b-nm-sql", "batch", 64, store="sqlite", rule="nothing")
            serve("one webhook, SQLite, inline", "b-wh-sql", "batch", 64, store="sqlite",
                  rule="all", target_url=sink)
            print_table("64 Event Grid events per request", base, rows)
            rows.clear()
        if "slow" in wanted:
            helpers.append(subprocess.Popen(
                [sys.executable, "-c", SLOW_TARGET, str(SLOW_PORT)], stdout=subprocess.DEVNULL))
            time.sleep(0.5)
            base = bare("single", 1)
            serve("queued, SQLite, one target taking 10 s (time to the sender's 200)", "slow",
                  "single", 1, store="sqlite", rule="all",
                  target_url=f"http://127.0.0.1:{SLOW_PORT}/hook", mode="queued")
            print_table("Queued with a slow target", base, rows)
    finally:
        for h in helpers:
            h.kill()
        shutil.rmtree(work, ignore_errors=True)


SLOW_TARGET = """
import http.server, sys, time
class Slow(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        time.sleep(10)
        self.send_response(200); self.end_headers()
    def log_message(self, *args): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Slow).serve_forever()
"""


def print_table(title, base, rows):
    print(f"\n{title}:\n")
    print("| server | req/s | CPU µs/req | CPU µs/event | ×bare CPU | p50 ms | p99 ms | ×bare p99 | peak RSS MB | non-2xx |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in [base, *rows]:
        print(f"| {r['row']} | {r['rps']:,.0f} | {r['cpu']:.1f} | {r['per_event']:.2f} | "
              f"{r['cpu'] / base['cpu']:.2f} | {r['p50']:.2f} | {r['p99']:.2f} | "
              f"{r['p99'] / base['p99']:.1f} | {r['rss']:.1f} | {r['non2xx']} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
