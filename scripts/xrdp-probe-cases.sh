#!/usr/bin/env bash
# The collector's server probe against a real RDP server: Debian's xrdp on loopback, one config
# per case, plus tiny Python listeners for what xrdp cannot be made to do. Checks the probe's
# JSON (each phase's outcome, the client view) and prints each case's verdict.
#
# Cases: tls (normal TLS), rdp (standard RDP security only), bad-key (TLS with a private key
# that does not match the certificate: xrdp accepts, then abandons the handshake), no-key (TLS
# with a key file that does not exist: xrdp refuses the negotiation), closed (nothing listens),
# x224-close (accepts TCP, closes on the X.224 request), silent (accepts, never answers).
#
# Uses the debug rdpdiag-collect that `cargo test` built (RDPDIAG_COLLECT overrides); installs
# xrdp and openssl with apt when missing (root). Everything it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

collect="${RDPDIAG_COLLECT:-${CARGO_TARGET_DIR:-target}/debug/rdpdiag-collect}"
if [ ! -x "$collect" ]; then
  echo "xrdp-probe-cases: $collect is missing: run cargo test (or cargo build -p rdpdiag-collect) first" >&2
  exit 1
fi

missing=()
command -v xrdp >/dev/null 2>&1 || [ -x /usr/sbin/xrdp ] || missing+=(xrdp)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d keeps the package's service from starting: this script runs its own xrdp.
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
fi
xrdp_bin="$(command -v xrdp || echo /usr/sbin/xrdp)"

work="$(mktemp -d /tmp/xrdp-probe.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port nothing listens on right now (the kernel's choice, released at once).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until 127.0.0.1:$1 accepts TCP (at most 10 s).
wait_listening() {
  python3 - "$1" <<'EOF'
import socket, sys, time
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit("nothing listens on 127.0.0.1:%s after 10 s" % sys.argv[1])
EOF
}

# Certificates: a self-signed RSA certificate with its key, and another key that does not match.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=rdpdiag-xrdp-probe" \
  -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
openssl genrsa -out "$work/other-key.pem" 2048 >/dev/null 2>&1

# Starts xrdp in the foreground on 127.0.0.1:PORT with SECURITY_LAYER, CERT, KEY; sets xrdp_pid.
start_xrdp() {
  local name=$1 port=$2 layer=$3 cert=$4 key=$5
  # xrdp.ini(5): port= takes tcp://ADDRESS:PORT; fork=false keeps one process to stop.
  cat >"$work/$name.ini" <<EOF
[Globals]
ini_version=1
fork=false
port=tcp://127.0.0.1:$port
security_layer=$layer
crypt_level=high
certificate=$cert
key_file=$key
ssl_protocols=TLSv1.2, TLSv1.3
[Logging]
LogFile=$work/$name.log
LogLevel=INFO
EnableSyslog=false
EnableConsole=false
EOF
  "$xrdp_bin" --nodaemon --config "$work/$name.ini" >"$work/$name.out" 2>&1 &
  xrdp_pid=$!
  pids+=("$xrdp_pid")
  if ! wait_listening "$port"; then
    cat "$work/$name.out" "$work/$name.log" >&2 2>/dev/null || true
    exit 1
  fi
}

stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# A listener that accepts one connection at a time: `close` reads the X.224 request and closes,
# `silent` reads it and never answers (holds the connection until killed).
start_listener() {
  local mode=$1 port=$2
  python3 - "$mode" "$port" <<'EOF' &
import socket, sys, time
mode, port = sys.argv[1], int(sys.argv[2])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(8)
held = []
while True:
    conn, _ = srv.accept()
    conn.settimeout(5)
    try:
        conn.recv(64)
    except OSError:
        pass
    if mode == "close":
        conn.close()
    else:
        held.append(conn)
EOF
  listener_pid=$!
  pids+=("$listener_pid")
  wait_listening "$port"
}

failures=0
# Probes 127.0.0.1:PORT and checks the JSON with the Python expression CHECK (d = the JSON).
probe_case() {
  local name=$1 port=$2 timeout_ms=$3 check=$4
  local t0 t1
  t0=$(date +%s%N)
  "$collect" probe "127.0.0.1:$port" --timeout "$timeout_ms" >"$work/$name.json" 2>"$work/$name.stderr" || {
    echo "FAIL $name: rdpdiag-collect probe exited $?" >&2
    failures=$((failures + 1))
    return
  }
  t1=$(date +%s%N)
  if python3 - "$work/$name.json" "$check" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ok = eval("(" + sys.argv[2] + ")", {}, {"d": d})
if not ok:
    print(json.dumps(d, indent=2), file=sys.stderr)
    sys.exit(1)
EOF
  then
    echo "ok   $name ($(( (t1 - t0) / 1000000 )) ms)"
  else
    echo "FAIL $name: the probe JSON does not satisfy: $check" >&2
    failures=$((failures + 1))
  fi
  sed 's/^/     /' "$work/$name.stderr"
}

echo "xrdp: $("$xrdp_bin" --version 2>&1 | head -n 1)"

port=$(free_port)
start_xrdp tls "$port" tls "$work/cert.pem" "$work/key.pem"
probe_case tls "$port" 3000 \
  "d['tcp']['outcome'] == 'ok' and d['x224']['selected_protocol'] == 'SSL' and d['tls']['outcome'] == 'ok'
   and d['tls']['certificate']['subject'] == 'CN=rdpdiag-xrdp-probe' and d['tls']['certificate']['self_signed']
   and d['client_view']['outcome'] == 'tls-ok' and d['client_view']['client_code'] == 'none'"
stop "$xrdp_pid"

port=$(free_port)
start_xrdp rdp "$port" rdp "$work/cert.pem" "$work/key.pem"
probe_case rdp "$port" 3000 \
  "d['x224']['outcome'] == 'ok' and d['x224']['selected_protocol'] == 'RDP' and d['x224']['selected_protocol_value'] == 0
   and 'tls' not in d and d['client_view']['outcome'] == 'standard-rdp-security'"
stop "$xrdp_pid"

port=$(free_port)
start_xrdp bad-key "$port" tls "$work/cert.pem" "$work/other-key.pem"
probe_case bad-key "$port" 3000 \
  "d['x224']['selected_protocol'] == 'SSL' and d['tls']['outcome'] == 'server-abort'
   and d['tls']['server_pdu'] == 'an MCS Disconnect Provider Ultimatum'
   and d['client_view']['outcome'] == 'accept-then-close' and d['client_view']['phase'] == 'tls'
   and d['client_view']['client_code'] == '0x904'
   and 'cert-key-unreadable' in d['client_view']['server_causes'][0]['rule_ids']
   and '0x904' in d['verdict'] and '36870' in d['client_view']['server_causes'][0]['evidence']"
stop "$xrdp_pid"

port=$(free_port)
start_xrdp no-key "$port" tls "$work/cert.pem" "$work/no-such-key.pem"
probe_case no-key "$port" 3000 \
  "d['x224']['outcome'] == 'negotiation-failure' and d['x224']['failure_name'] == 'SSL_CERT_NOT_ON_SERVER'
   and d['client_view']['outcome'] == 'negotiation-refused'"
stop "$xrdp_pid"

port=$(free_port)
probe_case closed "$port" 3000 \
  "d['tcp']['outcome'] == 'refused' and 'x224' not in d
   and d['client_view']['outcome'] == 'refused' and d['client_view']['client_code'] == '0x204'"

port=$(free_port)
start_listener close "$port"
probe_case x224-close "$port" 3000 \
  "d['tcp']['outcome'] == 'ok' and d['x224']['outcome'] in ('eof', 'reset')
   and d['client_view']['outcome'] == 'accept-then-close' and d['client_view']['phase'] == 'x224'
   and d['client_view']['client_code'] == '0x904'"
stop "$listener_pid"

port=$(free_port)
start_listener silent "$port"
probe_case silent "$port" 1000 \
  "d['tcp']['outcome'] == 'ok' and d['x224']['outcome'] == 'timeout' and d['x224']['elapsed_ms'] < 3000
   and d['client_view']['outcome'] == 'timeout' and d['client_view']['client_code'] == '0x108'"
stop "$listener_pid"

if [ "$failures" -gt 0 ]; then
  echo "xrdp-probe-cases: $failures case(s) failed" >&2
  exit 1
fi
echo "xrdp-probe-cases: all 7 cases passed"
