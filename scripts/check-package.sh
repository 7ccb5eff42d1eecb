#!/usr/bin/env bash
# Builds both deployment zips and checks them as the platforms will use them:
#   - regrelay-azure.zip: host.json, every function folder, an executable regrelay-azure and
#     regrelay.toml at the root; unzipped, the handler starts the way the Functions host starts it
#     (FUNCTIONS_CUSTOMHANDLER_PORT, REGRELAY_CONFIG) and answers /api/health.
#   - regrelay-lambda.zip: an executable bootstrap and regrelay.toml.
# Prints each zip's size. Ends with "package: N passed, M failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/package.sh all

passed=0
failed=0
check() {
  local what="$1"
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok   $what"
  else
    failed=$((failed + 1))
    echo "FAIL $what"
  fi
}

python_check() {
  python3 - "$@" <<'PY'
import sys, zipfile, stat
path, *expected = sys.argv[1:]
with zipfile.ZipFile(path) as z:
    names = set(z.namelist())
    missing = [e.rstrip("*") for e in expected if e.rstrip("*") not in names]
    if missing:
        print("missing:", missing, "have:", sorted(names)); sys.exit(1)
    for e in expected:
        if e.endswith("*"):
            mode = z.getinfo(e.rstrip("*")).external_attr >> 16
            if not mode & stat.S_IXUSR:
                print(e.rstrip("*"), "is not executable"); sys.exit(1)
PY
}

check "azure zip layout" python_check dist/regrelay-azure.zip host.json regrelay-azure* regrelay.toml \
  events/function.json event/function.json health/function.json eventgrid/function.json \
  deliver/function.json deadletter/function.json metrics/function.json \
  console/function.json redrive/function.json targets/function.json
check "lambda zip layout" python_check dist/regrelay-lambda.zip bootstrap* regrelay.toml

azure_starts() {
  local dir port pid ok=1
  dir=$(mktemp -d)
  python3 -m zipfile -e dist/regrelay-azure.zip "$dir"
  chmod +x "$dir/regrelay-azure"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  (cd "$dir" && FUNCTIONS_CUSTOMHANDLER_PORT=$port REGRELAY_CONFIG=regrelay.toml \
    REGRELAY_INBOUND_SECRET=s REGRELAY_SINK_URL=http://127.0.0.1:9/sink \
    AzureWebJobsStorage=UseDevelopmentStorage=true REGRELAY_TABLE=regrelay \
    REGRELAY_QUEUE=regrelay-deliveries exec ./regrelay-azure >/dev/null 2>&1) &
  pid=$!
  for _ in $(seq 1 200); do
    if python3 -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:$port/api/health', timeout=1).status == 200 else 1)" 2>/dev/null; then
      ok=0
      break
    fi
    sleep 0.05
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
  return $ok
}
check "unzipped azure handler answers /api/health" azure_starts

for zip in dist/regrelay-azure.zip dist/regrelay-lambda.zip; do
  echo "$(basename "$zip"): $(stat -c %s "$zip") bytes"
done
echo "package: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
