#!/usr/bin/env bash
# Creates .venv with Python 3.11+ and installs the pinned requirements (runtime, or "dev" for tests).
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-runtime}
req=requirements.txt
[ "$kind" = dev ] && req=requirements-dev.txt

py=${PYTHON:-}
if [ -z "$py" ]; then
  for cand in python3.11 python3.12 python3.13 python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      py=$cand; break
    fi
  done
fi
[ -n "$py" ] || { echo "需要 Python 3.11 或更新版本 / Python 3.11+ is required" >&2; exit 1; }

[ -x .venv/bin/python ] || "$py" -m venv .venv
stamp=.venv/.installed-$kind
want=$(cat requirements*.txt | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
fi
# The project's own modules as bytecode now, so that each command and app start reads them compiled even where
# PYTHONDONTWRITEBYTECODE is set (it was on these machines: each `python -m dashboard` compiled ~50 modules again).
.venv/bin/python -m compileall -q -j 0 dashboard data_models seed app.py >/dev/null || true
