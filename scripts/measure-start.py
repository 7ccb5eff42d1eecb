#!/usr/bin/env python3
"""Time from exec to the first 200 on /api/health, and idle RSS, of the packaged Azure handler.

    scripts/package.sh azure && cargo build --release -p regrelay-azure --example bare \
        && python3 scripts/measure-start.py [runs]

Unzips dist/regrelay-azure.zip, starts regrelay-azure as the Functions host does
(FUNCTIONS_CUSTOMHANDLER_PORT, REGRELAY_CONFIG), polls /api/health every 0.5 ms (the host polls
every 25 ms), then reads VmRSS after one idle second. Loopback only. When the bare axum example
(target/release/examples/bare) is built, it is measured the same way, alternating runs, and the
ratio printed.
"""
import os, socket, statistics, subprocess, sys, tempfile, time, urllib.request, zipfile

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port

def once(app_dir, program="./regrelay-azure"):
    port = free_port()
    env = dict(os.environ, FUNCTIONS_CUSTOMHANDLER_PORT=str(port), REGRELAY_CONFIG="regrelay.toml",
               REGRELAY_INBOUND_SECRET="s", REGRELAY_SINK_URL="http://127.0.0.1:9/sink",
               AzureWebJobsStorage="UseDevelopmentStorage=true", REGRELAY_TABLE="regrelay",
               REGRELAY_QUEUE="regrelay-deliveries", RUST_LOG="error")
    start = time.perf_counter()
    proc = subprocess.Popen([program], cwd=app_dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.0005)
            if time.perf_counter() - start > 10:
                raise SystemExit("no answer within 10 s")
        ready_ms = (time.perf_counter() - start) * 1000
        time.sleep(1)
        rss_kb = next(int(l.split()[1]) for l in open(f"/proc/{proc.pid}/status") if l.startswith("VmRSS"))
        return ready_ms, rss_kb
    finally:
        proc.kill(); proc.wait()

def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with tempfile.TemporaryDirectory() as d:
        zipfile.ZipFile("dist/regrelay-azure.zip").extractall(d)
        os.chmod(os.path.join(d, "regrelay-azure"), 0o755)
        bare = os.path.abspath("target/release/examples/bare")
        has_bare = os.path.exists(bare)
        results, bare_results = [], []
        for _ in range(runs):
            results.append(once(d))
            if has_bare:
                bare_results.append(once(d, bare))
    ready = sorted(r[0] for r in results); rss = sorted(r[1] for r in results)
    print(f"runs: {runs}")
    print(f"exec -> first 200: median {statistics.median(ready):.1f} ms, max {ready[-1]:.1f} ms")
    print(f"idle RSS: median {statistics.median(rss) / 1024:.1f} MiB, max {rss[-1] / 1024:.1f} MiB")
    if bare_results:
        bare_ready = sorted(r[0] for r in bare_results)
        ratio = statistics.median(ready) / statistics.median(bare_ready)
        print(f"bare axum exec -> first 200: median {statistics.median(bare_ready):.1f} ms; ratio {ratio:.2f}x")
    print(f"zip: {os.path.getsize('dist/regrelay-azure.zip')} bytes")

main()
