#!/usr/bin/env bash
# Local emulators for the remote store tests (tests/it/stores.rs): Azurite's Table service and
# moto's DynamoDB, on free loopback ports.
#
#   scripts/emulators.sh start   # install if missing, start, wait until both answer
#   scripts/emulators.sh stop    # stop what `start` started (pid files)
#
# `start` writes .tools/emulators.env; `source` it to give the tests their endpoints:
#   REGRELAY_TEST_AZURITE=http://127.0.0.1:PORT/devstoreaccount1
#   REGRELAY_TEST_DYNAMODB=http://127.0.0.1:PORT
# Azurite comes from npm into .tools/node, moto from PyPI into its own venv .tools/venv-moto
# (kept apart from .tools/venv, whose infra tools pin their own boto versions).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

AZURITE_VERSION="3.35.0"
tools="$PWD/.tools"
run="$tools/emulators"
env_file="$tools/emulators.env"
azurite="$tools/node/node_modules/.bin/azurite-table"
azurite_queue="$tools/node/node_modules/.bin/azurite-queue"
moto="$tools/venv-moto/bin/moto_server"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

install() {
  if [[ ! -x "$azurite" ]]; then
    echo "emulators: installing azurite $AZURITE_VERSION into .tools/node"
    npm install --prefix "$tools/node" --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" >/dev/null
  fi
  if [[ ! -x "$moto" ]]; then
    echo "emulators: installing moto[server] into .tools/venv-moto"
    python3 -m venv "$tools/venv-moto"
    "$tools/venv-moto/bin/pip" install --quiet --disable-pip-version-check 'moto[server]'
  fi
}

# Waits (at most 60 s) until `url` answers any HTTP status; fails early if the process exits.
wait_for() {
  local name="$1" url="$2" log="$run/$1.log" pid
  pid="$(cat "$run/$1.pid")"
  for _ in $(seq 1 120); do
    if curl -s -o /dev/null --max-time 2 "$url"; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  echo "emulators: $name did not answer at $url; its log:" >&2
  tail -n 40 "$log" >&2 || true
  return 1
}

stop_one() {
  local pid_file="$run/$1.pid"
  [[ -f "$pid_file" ]] || return 0
  local pid
  pid="$(cat "$pid_file")"
  # Each emulator runs in its own session (setsid): end its process group, by id.
  kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
  rm -f "$pid_file"
}

start() {
  install
  stop
  mkdir -p "$run"
  local table_port queue_port moto_port
  table_port="$(free_port)"
  queue_port="$(free_port)"
  moto_port="$(free_port)"

  setsid "$azurite" --tableHost 127.0.0.1 --tablePort "$table_port" --inMemoryPersistence \
    --skipApiVersionCheck --disableTelemetry \
    >"$run/azurite.log" 2>&1 </dev/null &
  echo $! >"$run/azurite.pid"

  setsid "$azurite_queue" --queueHost 127.0.0.1 --queuePort "$queue_port" --inMemoryPersistence \
    --skipApiVersionCheck --disableTelemetry \
    >"$run/azurite-queue.log" 2>&1 </dev/null &
  echo $! >"$run/azurite-queue.pid"

  setsid "$moto" -H 127.0.0.1 -p "$moto_port" >"$run/moto.log" 2>&1 </dev/null &
  echo $! >"$run/moto.pid"

  local azurite_url="http://127.0.0.1:$table_port/devstoreaccount1"
  local queue_url="http://127.0.0.1:$queue_port/devstoreaccount1"
  local moto_url="http://127.0.0.1:$moto_port"
  wait_for azurite "$azurite_url/Tables"
  wait_for azurite-queue "$queue_url?comp=list"
  wait_for moto "$moto_url/moto-api/"

  cat >"$env_file" <<EOF
export REGRELAY_TEST_AZURITE=$azurite_url
export REGRELAY_TEST_AZURITE_QUEUE=$queue_url
export REGRELAY_TEST_DYNAMODB=$moto_url
EOF
  echo "emulators: azurite $azurite_url, moto $moto_url (endpoints in .tools/emulators.env)"
}

stop() {
  stop_one azurite
  stop_one azurite-queue
  stop_one moto
  rm -f "$env_file"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
