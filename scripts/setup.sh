#!/usr/bin/env bash
# Create .venv (Python 3.11) if missing and install FundWatch with pinned dependencies.
# Re-installs only when pyproject.toml or constraints.txt changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.fundwatch-installed"
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -c constraints.txt -e ".[test]"
  echo "$want" > "$stamp"
fi
export PREFECT_SERVER_ANALYTICS_ENABLED=false

# Official documents as PDF need Chinese fonts (WeasyPrint embeds Noto CJK) and Pango; the "how it works" page
# needs Graphviz's dot. Debian packages, installed only when missing (apt-get update only then).
fundwatch_debs=""
for fundwatch_pkg in fonts-noto-cjk graphviz libpango-1.0-0 libpangoft2-1.0-0; do
  dpkg-query -W -f='${Status}' "$fundwatch_pkg" 2>/dev/null | grep -q "install ok installed" \
    || fundwatch_debs="$fundwatch_debs $fundwatch_pkg"
done
if [ -n "$fundwatch_debs" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    fundwatch_log="${TMPDIR:-/tmp}/fundwatch-apt.log"
    # shellcheck disable=SC2086  # the list is meant to split into package names
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $fundwatch_debs; } \
      >"$fundwatch_log" 2>&1 || { cat "$fundwatch_log" >&2; false; }
  else
    echo "setup: PDFs and diagrams need the Debian packages:$fundwatch_debs (run as root: apt-get install)" >&2
  fi
fi
unset fundwatch_debs fundwatch_pkg fundwatch_log
