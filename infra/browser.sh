#!/usr/bin/env bash
# The browser the oversight pages are checked in (tests/govlake/test_site.py), and a CJK font so
# that Chinese text renders: Debian's chromium and fonts-noto-cjk, installed where missing.
#   infra/browser.sh install      install the Debian packages where missing (needs root)
set -euo pipefail
PACKAGES=(chromium fonts-noto-cjk)

log() { echo "browser: $*" >&2; }

install() {
  if command -v chromium >/dev/null && fc-list :lang=zh family | grep -q .; then
    return 0
  fi
  if [[ $(id -u) -ne 0 ]]; then
    log "the Debian packages ${PACKAGES[*]} are missing; install them as root: apt-get install ${PACKAGES[*]}"
    exit 1
  fi
  log "installing ${PACKAGES[*]} from Debian's packages"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${PACKAGES[@]}" >/dev/null
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
