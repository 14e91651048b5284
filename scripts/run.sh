#!/usr/bin/env bash
# Set up and run the whole system on embedded defaults (SQLite under state/), with demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
exec .venv/bin/fundwatch run "$@"
