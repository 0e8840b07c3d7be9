#!/usr/bin/env bash
# Installs the system packages ippbot needs on Debian, when missing and when we are root:
# Chromium (and the leaner headless shell for headless runs), Xvfb for headed tests.
# It never downloads a browser with `playwright install`.
set -euo pipefail
want=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || want+=(chromium)
[ -x /usr/bin/chromium-headless-shell ] || want+=(chromium-headless-shell)
command -v xvfb-run >/dev/null 2>&1 || want+=(xvfb xauth)
[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ippbot: missing ${want[*]}; install them (Debian: sudo apt-get install -y ${want[*]}) or set IPPBOT_BROWSER_PATH" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# the headless shell is optional: older releases do not package it
apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null \
  || apt-get install -y -qq --no-install-recommends "${want[@]/chromium-headless-shell/}" >/dev/null
