#!/usr/bin/env bash
# Debian packages the test suite uses: redis-server and postgresql (the suite starts private servers from
# their binaries, on free ports: nothing has to be running), Chromium (the report renders offline in a
# headless browser), the real Fashion-MNIST IDX files (loader and benchmark data), docker-compose (validates
# docker-compose.yml; no Docker engine is needed), and sqlite3 and the PostgreSQL client tools (the README's
# backup commands).
# Installs what is missing when it can (root + apt-get); otherwise says what to do.
set -euo pipefail
want=(redis-server postgresql chromium dataset-fashion-mnist docker-compose sqlite3 postgresql-client)
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: not a Debian system; install ${missing[*]} yourself (the tests that need them will say so)" >&2
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=sudo
  else
    echo "system-deps: run 'sudo apt-get install -y ${missing[*]}' (the tests that need them will say so)" >&2
    exit 0
  fi
fi
echo "system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
${SUDO:-} apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
  || { ${SUDO:-} apt-get update -q >/dev/null && ${SUDO:-} apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
