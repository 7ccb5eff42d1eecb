#!/usr/bin/env bash
# Installs the Debian packages the integration tests start: Chromium and ChromeDriver (the
# console's browser test), and a CNCF Distribution registry with skopeo (the real-registry test).
# Does nothing when all are there.
#
#   scripts/test-packages.sh
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v skopeo >/dev/null || need+=(skopeo)
[[ ${#need[@]} -eq 0 ]] && exit 0
sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null || true
$sudo apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null \
  || { echo "test-packages.sh: could not install ${need[*]} (apt-get install ${need[*]})" >&2; exit 2; }
# The registry package may start its own service on :5000; the tests start their own.
if [[ " ${need[*]} " == *" docker-registry "* ]]; then
  $sudo service docker-registry stop >/dev/null 2>&1 || true
fi
