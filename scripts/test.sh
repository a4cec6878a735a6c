#!/usr/bin/env bash
# README command 2: set up and run the tests (SQLite always; PostgreSQL where reachable; Chromium for the UI).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev

# The browser tests use Debian's Chromium and a CJK font (Playwright's own browser download is not used);
# the spreadsheet tests open our workbooks in LibreOffice, the minutes' PDF comes from LibreOffice Writer and is read
# back with poppler's pdftotext; the loopback deployment test puts Debian's nginx in front of two app servers.
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || ! command -v soffice >/dev/null \
   || [ ! -e /usr/lib/libreoffice/program/libswlo.so ] || ! command -v pdftotext >/dev/null \
   || [ ! -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      chromium fonts-noto-cjk libreoffice-calc-nogui libreoffice-writer-nogui poppler-utils nginx >/dev/null
  else
    echo "Missing: sudo apt-get install chromium fonts-noto-cjk libreoffice-calc-nogui libreoffice-writer-nogui" \
      "poppler-utils nginx" >&2
    exit 1
  fi
fi
# One process by default. TEST_WORKERS=3 runs three worker processes (pytest-xdist, a test file each at a time, each
# with its own PostgreSQL database): on 2 cores 28 minutes instead of 66, but of its last three full runs two had a
# browser step flake under that load (a chart click, then an upload), so CI and the default stay on one process.
exec .venv/bin/python -m pytest --durations=25 -n "${TEST_WORKERS:-0}" --dist loadfile "$@"
