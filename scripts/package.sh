#!/usr/bin/env bash
# Build deployment packages.
#
#   scripts/package.sh azure                  -> dist/regrelay-azure.zip
#   scripts/package.sh lambda [--arch ARCH]   -> dist/regrelay-lambda.zip (ARCH: x86_64 default here, or arm64)
#   scripts/package.sh all    [--arch ARCH]
#
# regrelay-azure.zip: host.json, the function folders of functions/azure/app/,
#   the regrelay-azure binary and regrelay.toml (from config/azure.example.toml).
# regrelay-lambda.zip: bootstrap (the regrelay-lambda binary) and regrelay.toml
#   (from config/lambda.example.toml).
# Lambda builds use cargo-lambda (`cargo lambda build --compiler cargo`); when
# `cargo lambda` is missing it is installed from PyPI into .tools/venv.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DIST="$ROOT/dist"
VENV="$ROOT/.tools/venv"
CARGO_LAMBDA_VERSION="1.9.2"

usage() {
  echo "usage: $0 azure|lambda|all [--arch x86_64|arm64]" >&2
  exit 2
}

die() {
  echo "package.sh: $*" >&2
  exit 1
}

[[ $# -ge 1 ]] || usage
what="$1"
shift
arch="x86_64"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --arch)
      [[ $# -ge 2 ]] || usage
      arch="$2"
      shift 2
      ;;
    --arch=*)
      arch="${1#--arch=}"
      shift
      ;;
    *) usage ;;
  esac
done
case "$what" in azure | lambda | all) ;; *) usage ;; esac
case "$arch" in
  x86_64 | amd64) arch="x86_64" ;;
  arm64 | aarch64) arch="arm64" ;;
  *) die "unknown --arch '$arch' (use x86_64 or arm64)" ;;
esac

ZOPFLI_VERSION="0.4.3"

# A venv in .tools/venv with the Python tools packaging uses (Zopfli for the zips).
ensure_zip_tools() {
  [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
  if ! "$VENV/bin/python" -c "import zopfli.zopfli" >/dev/null 2>&1; then
    echo "==> installing zopfli ${ZOPFLI_VERSION} into ${VENV}"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet "zopfli==${ZOPFLI_VERSION}" ||
      echo "package.sh: zopfli unavailable, zipping with zlib -9" >&2
  fi
}

# Zip the contents of directory $1 into $2, keeping file modes (bootstrap and
# regrelay-azure must stay executable); Zopfli deflate, about 3 % under zip -9.
make_zip() {
  local src="$1" out="$2"
  rm -f "$out"
  ensure_zip_tools
  "$VENV/bin/python" scripts/zip-dir.py "$out" "$src"
  echo "$(basename "$out"): $(stat -c %s "$out") bytes"
}

# Identical code folding shrinks the Lambda binary by about 60 kB; it needs rust-lld, the
# default linker of x86_64-unknown-linux-gnu since Rust 1.90, so only native x86_64 builds use it.
icf_rustflags() {
  local host minor
  host="$(rustc -vV | sed -n 's/^host: //p')"
  minor="$(rustc -vV | sed -n 's/^release: 1\.\([0-9]*\).*/\1/p')"
  if [[ "$host" == "x86_64-unknown-linux-gnu" && "$1" == "$host" && "${minor:-0}" -ge 90 ]]; then
    echo "-C link-arg=-Wl,--icf=all"
  fi
}

require_file() {
  [[ -f "$1" ]] || die "missing $1"
}

package_azure() {
  require_file host.json
  require_file config/azure.example.toml
  [[ -d functions/azure/app ]] || die "missing functions/azure/app"

  echo "==> cargo build --release -p regrelay-azure"
  cargo build --release -p regrelay-azure
  local bin="target/release/regrelay-azure"
  require_file "$bin"

  local stage="$DIST/stage-azure"
  rm -rf "$stage"
  mkdir -p "$stage"
  cp host.json "$stage/"
  local fn
  for fn in functions/azure/app/*/; do
    [[ -f "${fn}function.json" ]] || continue
    cp -r "${fn%/}" "$stage/"
  done
  install -m 0755 "$bin" "$stage/regrelay-azure"
  install -m 0644 config/azure.example.toml "$stage/regrelay.toml"

  make_zip "$stage" "$DIST/regrelay-azure.zip"
  rm -rf "$stage"
}

ensure_cargo_lambda() {
  if cargo lambda --version >/dev/null 2>&1; then
    return
  fi
  if [[ ! -x "$VENV/bin/cargo-lambda" ]]; then
    echo "==> installing cargo-lambda ${CARGO_LAMBDA_VERSION} into ${VENV}"
    [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet "cargo-lambda==${CARGO_LAMBDA_VERSION}"
  fi
  export PATH="$VENV/bin:$PATH"
  cargo lambda --version >/dev/null 2>&1 || die "cargo lambda is still unavailable after installing cargo-lambda"
}

package_lambda() {
  require_file config/lambda.example.toml
  ensure_cargo_lambda

  local flag triple
  if [[ "$arch" == "arm64" ]]; then
    flag="--arm64"
    triple="aarch64-unknown-linux-gnu"
  else
    flag="--x86-64"
    triple="x86_64-unknown-linux-gnu"
  fi
  if [[ "$(uname -m)" != "${triple%%-*}" ]]; then
    if ! rustup target list --installed 2>/dev/null | grep -qx "$triple"; then
      die "Rust target ${triple} is not installed, so --arch ${arch} cannot be built on this machine (rustup cannot download targets here). Build on a machine with \`rustup target add ${triple}\` and a matching linker, or use --arch $(uname -m | sed 's/aarch64/arm64/')."
    fi
  fi

  local rustflags
  rustflags="$(icf_rustflags "$triple")"
  echo "==> cargo lambda build --profile lambda -p regrelay-lambda --compiler cargo ${flag}${rustflags:+ (RUSTFLAGS=$rustflags)}"
  RUSTFLAGS="${RUSTFLAGS:-} ${rustflags}" cargo lambda build --profile lambda -p regrelay-lambda --compiler cargo "$flag"
  local bin="target/lambda/regrelay-lambda/bootstrap"
  require_file "$bin"

  local stage="$DIST/stage-lambda"
  rm -rf "$stage"
  mkdir -p "$stage"
  install -m 0755 "$bin" "$stage/bootstrap"
  install -m 0644 config/lambda.example.toml "$stage/regrelay.toml"

  make_zip "$stage" "$DIST/regrelay-lambda.zip"
  # Terraform reads the architecture from here (infra/terraform/aws: var.architecture unset),
  # and refuses to plan a function whose architecture differs from its package's.
  printf '{"architecture": "%s", "zip_sha256": "%s"}\n' "$arch" \
    "$(sha256sum "$DIST/regrelay-lambda.zip" | cut -d' ' -f1)" > "$DIST/regrelay-lambda.manifest.json"
  echo "regrelay-lambda.zip architecture: ${arch} (in dist/regrelay-lambda.manifest.json, which Terraform reads)"
  rm -rf "$stage"
}

mkdir -p "$DIST"
case "$what" in
  azure) package_azure ;;
  lambda) package_lambda ;;
  all)
    package_azure
    package_lambda
    ;;
esac
