#!/usr/bin/env bash
# The whole test gate, as CI runs it: formatting, lints, every test, and the infra checks.
#
#   scripts/test.sh            # everything
#   scripts/test.sh --rust     # skip the infra checks (no Python tools needed)
#
# Needs the Rust toolchain (cargo, rustfmt, clippy), python3 and node/npm; everything else (Azurite,
# moto, checkov, cargo-lambda) is installed into .tools/ by the scripts, and Debian's chromium,
# chromium-driver, docker-registry and skopeo by scripts/test-packages.sh. Tests bind loopback only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rust_only=false
[[ "${1:-}" == "--rust" ]] && rust_only=true

echo "== module cycles and stage order (regrelay-core)"
python3 scripts/module-cycles.py crates/core/src --stages admit,decode,route,deliver,record

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== build the binaries the integration tests start"
cargo build --workspace --bins --locked

echo "== emulators for the remote store tests (Azurite, moto)"
bash scripts/emulators.sh start
trap 'bash scripts/emulators.sh stop' EXIT
# shellcheck disable=SC1091
source .tools/emulators.env
export REGRELAY_REQUIRE_EMULATORS=1

echo "== Debian packages the tests start (chromium, chromium-driver, docker-registry, skopeo)"
bash scripts/test-packages.sh
export REGRELAY_REQUIRE_BROWSER=1 REGRELAY_REQUIRE_REGISTRY=1

echo "== cargo test"
cargo test --workspace --locked

echo "== fuzz smoke (each target briefly; long runs: scripts/fuzz.sh run N)"
bash scripts/fuzz.sh smoke

if ! $rust_only; then
  echo "== infra checks"
  bash scripts/check-infra.sh
  echo "== deployment packages"
  bash scripts/check-package.sh
fi
