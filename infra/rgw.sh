#!/usr/bin/env bash
# A local S3 server that enforces users and bucket policies: Ceph's RADOS Gateway from Debian's
# packages, on a single-node cluster (one monitor, one OSD with BlueStore on a sparse file, one
# gateway), without systemd, every port on 127.0.0.1. State (configuration, data, logs, the
# administrator's credentials) lives in one folder, .govlake/rgw by default.
#
#   infra/rgw.sh install          install the Debian packages where missing (needs root)
#   infra/rgw.sh up               start it (made on first use); prints the endpoint
#   infra/rgw.sh down             stop it (data stays for the next `up`)
#   infra/rgw.sh status           say whether it runs
#   infra/rgw.sh wipe             stop it and delete its folder
#
# Settings (environment): GOVLAKE_RGW_DIR (folder), GOVLAKE_RGW_PORT (gateway, 7480),
# GOVLAKE_RGW_MON_PORT (monitor, 3300), GOVLAKE_RGW_OSD_PORTS (OSD port range, 6800-7100).
#
# Cluster authentication (cephx) is off: every Ceph port listens on loopback only and the
# cluster serves only this host. S3 authentication and bucket policies are the gateway's own
# and fully on: that is what govlake's access model relies on.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="$(realpath -m "${GOVLAKE_RGW_DIR:-${GOVLAKE_HOME:-.govlake}/rgw}")"
PORT="${GOVLAKE_RGW_PORT:-7480}"
MON_PORT="${GOVLAKE_RGW_MON_PORT:-3300}"
OSD_PORTS="${GOVLAKE_RGW_OSD_PORTS:-6800-7100}"
CONF="$DIR/ceph.conf"
C=(-c "$CONF")
PACKAGES=(ceph-mon ceph-osd radosgw ceph-common)

log() { echo "rgw: $*" >&2; }

install() {
  if command -v radosgw >/dev/null && command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null; then
    return 0
  fi
  "$(dirname "$0")/apt-install.sh" rgw "${PACKAGES[@]}"
}

running() { # name
  local pid
  pid="$(cat "$DIR/run/$1.pid" 2>/dev/null || true)"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

answering() { curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; }

make_conf() {
  local fsid="$1"
  cat > "$CONF" <<EOF
[global]
fsid = $fsid
mon initial members = a
mon host = v2:127.0.0.1:$MON_PORT
auth cluster required = none
auth service required = none
auth client required = none
ms cluster mode = crc
ms service mode = crc
ms client mode = crc
ms mon cluster mode = crc
ms mon service mode = crc
ms mon client mode = crc
ms bind msgr1 = false
ms bind ipv6 = false
ms bind port min = ${OSD_PORTS%-*}
ms bind port max = ${OSD_PORTS#*-}
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.1/32
cluster network = 127.0.0.1/32
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool delete = true
mon warn on pool no redundancy = false
run dir = $DIR/run
log file = $DIR/log/\$name.log
admin socket = $DIR/run/\$name.asok
pid file = $DIR/run/\$name.pid
keyring = $DIR/keyring
[mon.a]
mon data = $DIR/mon
[osd.0]
osd data = $DIR/osd
osd objectstore = bluestore
bluestore block path = $DIR/osd-block
bluestore block create = true
bluestore block size = 21474836480
bluestore block db create = false
bluestore block wal create = false
osd memory target = 1073741824
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw data = $DIR/rgw
# every S3 request, with its user, bucket, object and status, as JSON in a file: who read what,
# also when govlake was bypassed (govlake audit who-read reads it)
rgw enable ops log = true
rgw ops log rados = false
rgw ops log file path = $DIR/log/ops.log
rgw enable usage log = true
EOF
}

create() {
  log "making a new single-node cluster in $DIR"
  rm -rf "$DIR"
  mkdir -p "$DIR/run" "$DIR/log" "$DIR/mon" "$DIR/osd" "$DIR/rgw"
  chmod 700 "$DIR"
  local fsid
  fsid="$(cat /proc/sys/kernel/random/uuid)"
  make_conf "$fsid"
  ceph-authtool --create-keyring "$DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  monmaptool --create --addv a "[v2:127.0.0.1:$MON_PORT]" --fsid "$fsid" "$DIR/monmap" >/dev/null
  ceph-mon --mkfs -i a --monmap "$DIR/monmap" "${C[@]}"
  ceph-mon -i a "${C[@]}"
  ceph "${C[@]}" osd create >/dev/null
  ceph-osd -i 0 --mkfs "${C[@]}" >/dev/null 2>&1
  ceph-osd -i 0 "${C[@]}" >/dev/null 2>&1
  ceph "${C[@]}" osd crush add osd.0 1.0 host=localhost root=default >/dev/null 2>&1
}

wait_for() { # what, seconds, command...
  local what="$1" seconds="$2"
  shift 2
  for _ in $(seq 1 $((seconds * 4))); do
    "$@" && return 0
    sleep 0.25
  done
  log "$what did not come up within ${seconds}s; see $DIR/log/"
  exit 1
}

up() {
  install
  if running client.rgw.a && answering; then
    echo "http://127.0.0.1:$PORT"
    return 0
  fi
  if [[ ! -f "$CONF" ]]; then
    create
  else
    running mon.a || ceph-mon -i a "${C[@]}"
    running osd.0 || ceph-osd -i 0 "${C[@]}" >/dev/null 2>&1
  fi
  wait_for "the monitor" 30 ceph "${C[@]}" --connect-timeout 2 mon stat >/dev/null 2>&1
  running client.rgw.a || radosgw -n client.rgw.a "${C[@]}" --no-mon-config --setuser "$(id -un)" --setgroup "$(id -gn)"
  wait_for "the gateway on 127.0.0.1:$PORT" 120 answering
  if [[ ! -f "$DIR/admin.json" ]]; then
    local key secret
    key="GLADMIN$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"
    secret="$(head -c 30 /dev/urandom | base64 | tr -d '/+=\n')"
    radosgw-admin "${C[@]}" user create --uid=govlake-admin --display-name="govlake operator" \
      --access-key="$key" --secret-key="$secret" --caps="users=*;buckets=*;metadata=*;usage=*" >/dev/null
    (umask 077; printf '{"user": "govlake-admin", "access_key": "%s", "secret_key": "%s", "endpoint": "http://127.0.0.1:%s"}\n' \
      "$key" "$secret" "$PORT" > "$DIR/admin.json")
  fi
  echo "http://127.0.0.1:$PORT"
}

stop_one() { # name
  local pid
  pid="$(cat "$DIR/run/$1.pid" 2>/dev/null || true)"
  [[ -n "$pid" ]] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 120); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.25
  done
  kill -9 "$pid" 2>/dev/null || true
}

down() {
  stop_one client.rgw.a
  stop_one osd.0
  stop_one mon.a
}

status() {
  if running client.rgw.a && answering; then
    echo "up: http://127.0.0.1:$PORT ($DIR)"
  else
    echo "down ($DIR)"
    return 1
  fi
}

case "${1:-}" in
  install) install ;;
  up) up ;;
  down) down ;;
  status) status ;;
  wipe) down; rm -rf "$DIR" ;;
  *) echo "usage: $0 install|up|down|status|wipe" >&2; exit 2 ;;
esac
