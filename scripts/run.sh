#!/usr/bin/env bash
# README command 1: set up and open the dashboard on the embedded SQLite database (demo data on first start).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh runtime
exec .venv/bin/streamlit run app.py --browser.gatherUsageStats false "$@"
