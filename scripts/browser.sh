#!/usr/bin/env bash
# Installs what the console's browser test drives: Debian's Chromium and ChromeDriver
# (/usr/bin/chromium, /usr/bin/chromedriver). Does nothing when both are there.
#
#   scripts/browser.sh
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null || true
$sudo apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null \
  || { echo "browser.sh: could not install chromium and chromium-driver (apt-get install chromium chromium-driver)" >&2; exit 2; }
command -v chromium >/dev/null && command -v chromedriver >/dev/null
