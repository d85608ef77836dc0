#!/usr/bin/env bash
# The browser the oversight pages are checked in (tests/govlake/test_site.py), and a CJK font so
# that Chinese text renders: Debian's chromium and fonts-noto-cjk, installed where missing.
#   infra/browser.sh install      install the Debian packages where missing (needs root)
set -euo pipefail
PACKAGES=(chromium fonts-noto-cjk)

install() {
  if command -v chromium >/dev/null && fc-list :lang=zh family 2>/dev/null | grep -q "Noto Sans CJK SC"; then
    return 0
  fi
  "$(dirname "$0")/apt-install.sh" browser "${PACKAGES[@]}"
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
