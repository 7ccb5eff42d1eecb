#!/usr/bin/env bash
# The whole test gate, as CI runs it: formatting, lints, every test, and the infra checks.
#
#   scripts/test.sh            # everything
#   scripts/test.sh --rust     # skip the infra checks (no Python tools needed)
#
# Needs only the Rust toolchain (cargo, rustfmt, clippy) and python3; the infra check installs its
# own Python tools into .tools/venv. Tests bind loopback ports only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rust_only=false
[[ "${1:-}" == "--rust" ]] && rust_only=true

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== build the binaries the integration tests start"
cargo build --workspace --bins --locked

echo "== cargo test"
cargo test --workspace --locked

if ! $rust_only; then
  echo "== infra checks"
  bash scripts/check-infra.sh
fi
