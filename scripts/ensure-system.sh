#!/usr/bin/env bash
# Installs the system packages ippbot needs on Debian, when missing and when we are root:
# Chromium (and the leaner headless shell for headless runs), Xvfb for headed tests, and a
# PostgreSQL that answers on 127.0.0.1:5432 (the fleet's ledger; tests make their own databases).
# It never downloads a browser with `playwright install`.
set -euo pipefail
root=$([ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && echo yes || echo no)

want=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || want+=(chromium)
[ -x /usr/bin/chromium-headless-shell ] || want+=(chromium-headless-shell)
command -v xvfb-run >/dev/null 2>&1 || want+=(xvfb xauth)
pg_answers() { command -v pg_isready >/dev/null 2>&1 && pg_isready -h 127.0.0.1 -p 5432 -q; }
pg_answers || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || want+=(postgresql)

if [ ${#want[@]} -gt 0 ]; then
  if [ "$root" != yes ]; then
    echo "ippbot: missing ${want[*]}; install them (Debian: sudo apt-get install -y ${want[*]}) or set IPPBOT_BROWSER_PATH" >&2
  else
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # the headless shell is optional: older releases do not package it
    apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null \
      || apt-get install -y -qq --no-install-recommends "${want[@]/chromium-headless-shell/}" >/dev/null
  fi
fi

# PostgreSQL: start the cluster when it does not answer; on one this script set up, let the local
# `postgres` user in over 127.0.0.1 without a password, as the test machines are (loopback only).
if ! pg_answers && [ "$root" = yes ] && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -1)
  [ -d "/etc/postgresql/$version/main" ] || pg_createcluster "$version" main >/dev/null
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  if ! grep -q '^host all postgres 127.0.0.1/32 trust' "$hba"; then
    sed -i '1i host all postgres 127.0.0.1/32 trust  # added by ippbot scripts/ensure-system.sh (tests)' "$hba"
  fi
  pg_ctlcluster "$version" main start 2>/dev/null || service postgresql start >/dev/null
  for _ in $(seq 1 30); do pg_answers && break; sleep 1; done
fi
pg_answers || echo "ippbot: PostgreSQL does not answer on 127.0.0.1:5432; the tests marked postgres need it (Debian: apt-get install postgresql, then pg_ctlcluster 15 main start)" >&2
exit 0
