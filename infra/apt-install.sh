#!/usr/bin/env bash
# Install Debian packages the tests need (the RADOS Gateway, Chromium, a CJK font), or say how.
#   infra/apt-install.sh WHO PACKAGE...     WHO names the caller in the messages
set -euo pipefail
who="$1"; shift
if [[ $(id -u) -ne 0 ]]; then
  echo "$who: the Debian packages $* are missing; install them as root: apt-get install $*" >&2
  exit 1
fi
echo "$who: installing $* from Debian's packages" >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
