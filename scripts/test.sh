#!/usr/bin/env bash
# Set up and run the whole test suite (also on PostgreSQL when TEST_DATABASE_URL is set).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

# The real-browser tests (tests/browser) drive Debian's Chromium through Playwright's Python client
# (Playwright's own browser download cannot work here); fonts-noto-cjk renders Chinese in their screenshots.
# Installed only when missing; without apt-get we only say so, and those tests then fail (never skip).
browser_packages=(chromium fonts-noto-cjk)
missing=()
for package in "${browser_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} for the browser tests (apt-get)"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    apt_install() {
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o DPkg::Lock::Timeout=300 "${missing[@]}"
    }
    # Refresh the package lists only when the install needs it (none yet, or stale ones naming gone files).
    apt_install >/dev/null 2>&1 || { $sudo apt-get update -qq -o DPkg::Lock::Timeout=300 && apt_install >/dev/null; }
  else
    echo "apt-get not found: install Chromium (at /usr/bin/chromium, or set FUNDWATCH_TEST_CHROMIUM) and a CJK" \
         "font (Noto CJK) yourself; the browser tests in tests/browser fail until then." >&2
  fi
fi

export PREFECT_SERVER_EPHEMERAL_ENABLED=false
exec .venv/bin/python -m pytest "$@"
