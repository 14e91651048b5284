#!/usr/bin/env bash
# Set up and run the whole test suite (also on PostgreSQL when TEST_DATABASE_URL is set).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
export PREFECT_SERVER_EPHEMERAL_ENABLED=false
exec .venv/bin/python -m pytest "$@"
