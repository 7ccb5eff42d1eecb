#!/usr/bin/env bash
# cargo-fuzz targets of every parser of untrusted input (fuzz/fuzz_targets/*.rs).
#
#   scripts/fuzz.sh smoke          # CI: each target briefly, corpus seeded from tests/fixtures
#   scripts/fuzz.sh run N [T...]   # N executions of each target (or of the named ones)
#
# FUZZ_SANITIZER=none builds without AddressSanitizer (several times the executions per second; a
# panic, hang or out-of-memory is still caught, which is what safe Rust can fail with).
#
# Needs the nightly toolchain (cargo-fuzz's sanitizer build); installs cargo-fuzz from crates.io
# when missing. Corpora live in fuzz/corpus/<target> (not committed; seeded on every run),
# crashes in fuzz/artifacts/<target>.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TARGETS=(inbound signatures certificates config filters templates queue console registry)
mode="${1:-smoke}"

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: no nightly toolchain on this machine; fuzz targets not run" >&2
  exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked --quiet
fi

seed() {
  local corpus=fuzz/corpus
  rm -rf "$corpus/seeds"
  mkdir -p "$corpus"/{inbound,signatures,certificates,config,filters,templates,queue,console,registry}
  local i=0 f
  # inbound: every fixture behind each header-shape byte the target knows.
  for f in tests/fixtures/*/*.json; do
    for shape in 0 1 2 3 4 5 6 7; do
      { printf "\\x0$shape"; cat "$f"; } > "$corpus/inbound/fixture-$i-$shape"
    done
    i=$((i + 1))
  done
  # signatures: header lines as an Alibaba request carries them, then a body.
  printf '%s\n' "c2lnbmF0dXJl" "$(cat tests/fixtures/alibaba/signature_secret.b64)" \
    "1612167546574" "HMAC-SHA1" "1.0" "https://127.0.0.1/cert.pem" "token" "" "relay.example" \
    > "$corpus/signatures/alibaba-v1"
  cat tests/fixtures/alibaba/eventbridge.build_completed.json >> "$corpus/signatures/alibaba-v1"
  cp tests/fixtures/sns/notification.ecr_push.sha1.json "$corpus/signatures/sns"
  # certificates: the test certificate as PEM and as DER.
  cp tests/fixtures/sns/signing_cert.pem "$corpus/certificates/pem"
  grep -v -- '-----' tests/fixtures/sns/signing_cert.pem | base64 -d > "$corpus/certificates/der"
  # config: the shipped examples.
  for f in config/*.toml; do cp "$f" "$corpus/config/$(basename "$f")"; done
  # filters: an operator byte, a key, operands, an event.
  local event
  event="$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[0]))' tests/fixtures/seeds/event_grid.image_pushed.de.json)"
  for op in 0 7 11 12 15 17; do
    { printf "\\x$(printf %02x "$op")"; printf 'data.target.repository\n["aci","team/"]\n%s' "$event"; } \
      > "$corpus/filters/op-$op"
  done
  { printf '\x00'; printf 'data.target.size\n[3023, 1]\n%s' "$event"; } > "$corpus/filters/number"
  # templates: the shapes operators write.
  printf '%s' '{{ kind }}: {{ reference }}' > "$corpus/templates/title"
  printf '%s' '{% if tag %}`{{ tag|code }}`{% endif %} {{ event.repository|mrkdwn }} {{ link|safe }}' \
    > "$corpus/templates/filters"
  printf '%s' '{% for k, v in event|items %}{{ k }}={{ v }}\n{% endfor %}' > "$corpus/templates/loop"
  # queue: a work item, the same as the Functions host may pass it, an SQS event, a Get Messages reply.
  local item='{"v":1,"event":"e1","target":"sink","attempts":2,"due_ms":1700000000000,"since_ms":1699999990000}'
  printf '%s' "$item" > "$corpus/queue/item"
  python3 -c 'import json,sys; print(json.dumps(sys.argv[1]), end="")' "$item" > "$corpus/queue/item-string"
  python3 -c 'import json,sys; print(json.dumps({"Records":[{"messageId":"m1","receiptHandle":"r","body":sys.argv[1],"attributes":{"ApproximateReceiveCount":"2"},"eventSource":"aws:sqs"}]}), end="")' "$item" > "$corpus/queue/sqs"
  printf '<QueueMessagesList><QueueMessage><MessageId>m</MessageId><PopReceipt>p+/=</PopReceipt><DequeueCount>1</DequeueCount><MessageText>%s</MessageText></QueueMessage></QueueMessagesList>' \
    "$(printf '%s' "$item" | base64 -w0)" > "$corpus/queue/xml"
  # console: first byte = length of the list query, then the query, then a redrive body.
  local query='repository=team%2Fapp&tag=v1&registry=acr&target=hook&state=scheduled&since=2026-12-05T09:00:00%2B01:00&until=2026-12-06T00:00:00Z&limit=50'
  { printf "\\x$(printf '%02x' ${#query})"; printf '%s' "$query"; printf '%s' '{"target":"hook"}'; } > "$corpus/console/query"
  { printf '\x00'; printf '%s' '{"target":null}'; } > "$corpus/console/body"
  # registry: even first byte = a WWW-Authenticate challenge, odd = an image index.
  { printf '\x00'; printf '%s' 'Bearer realm="https://auth.example/token",service="registry",scope="repository:team/app:pull"'; } > "$corpus/registry/challenge"
  { printf '\x01'; printf '%s' '{"schemaVersion":2,"manifests":[{"digest":"sha256:a","platform":{"os":"linux","architecture":"amd64"}},{"digest":"sha256:b","platform":{"os":"unknown","architecture":"unknown"},"annotations":{"vnd.docker.reference.type":"attestation-manifest"}}]}'; } > "$corpus/registry/index"
}

run() {
  local runs="$1"; shift
  local target
  for target in "$@"; do
    echo "== fuzz $target ($runs executions)"
    local log="fuzz/$target.log" status=0
    cargo +nightly fuzz run -O -s "${FUZZ_SANITIZER:-address}" "$target" "fuzz/corpus/$target" -- \
      -runs="$runs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      > "$log" 2>&1 || status=$?
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)|ERROR|panicked|SUMMARY' "$log" || true
    if [[ $status -ne 0 ]]; then
      tail -40 "$log" >&2
      echo "fuzz: $target failed (exit $status); the input is in fuzz/artifacts/$target" >&2
      return "$status"
    fi
  done
}

seed
case "$mode" in
  smoke) run 20000 "${TARGETS[@]}" ;;
  run) shift; runs="${1:?executions}"; shift; run "$runs" "${@:-${TARGETS[@]}}" ;;
  *) echo "usage: scripts/fuzz.sh smoke | run N [TARGET...]" >&2; exit 2 ;;
esac
