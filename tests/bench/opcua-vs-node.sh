#!/usr/bin/env bash
# EdgeTwin's OPC UA client next to node-opcua's own client, in one run, on one node-opcua server
# (tests/peers/opcua-server) whose ITEMS variables all change every CHANGE_MS milliseconds. Each client is its own
# process and subscribes to the same ITEMS items (publishing interval CHANGE_MS, sampling interval SAMPLING_MS, queue
# size 10, PUBLISH_REQUESTS publish requests in flight for both):
#   ours:  edgetwin bench opcua (the published AOT binary)
#   node:  node tests/peers/opcua-server/bench-client.js
# Once both have every item monitored and have received WARMUP seconds of changes, the script measures over the same
# WINDOW seconds, from outside: CPU seconds (utime+stime of /proc/PID/stat), peak RSS (VmHWM of /proc/PID/status,
# read at the end of the window) and data changes per second (from the COUNT lines each client prints every second).
# Usage: tests/bench/opcua-vs-node.sh [binary]   (default artifacts/edgetwin/edgetwin; needs node and npm ci in the peer)
# Environment: ITEMS (10000), CHANGE_MS (100), SAMPLING_MS (0: each change reported as it happens, which spares the
#              server a sampling timer per item), PUBLISH_REQUESTS (5, node-opcua's default), WARMUP (10), WINDOW (30),
#              PORT (free port), POLICY (None; or Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss: both
#              clients open a secured channel, reach the server by its host name, which its certificate names, and
#              trust its certificate on first use) and MODE (SignAndEncrypt, or Sign; with a POLICY only).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
binary=${1:-${EDGETWIN_BINARY:-$root/artifacts/edgetwin/edgetwin}}
items=${ITEMS:-10000}; change=${CHANGE_MS:-100}; sampling=${SAMPLING_MS:-0}; requests=${PUBLISH_REQUESTS:-5}; warmup=${WARMUP:-10}; window=${WINDOW:-30}
peer="$root/tests/peers/opcua-server"
[ -x "$binary" ] || { echo "no binary at $binary (run tests/run.sh or dotnet publish first)" >&2; exit 1; }
[ -d "$peer/node_modules/node-opcua" ] || { echo "node-opcua is not installed: (cd $peer && npm ci)" >&2; exit 1; }
port=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
work=$(mktemp -d /tmp/edgetwin-opcuabench.XXXXXX)
policy=${POLICY:-None}; mode=${MODE:-SignAndEncrypt}; label=$policy
if [ "$policy" = None ]; then
  url="opc.tcp://127.0.0.1:$port/UA/EdgeTwinTest"; ours_security=(); node_security=()
else
  url="opc.tcp://$(hostname):$port/UA/EdgeTwinTest"; label="$policy $mode"
  ours_security=(--policy "$policy" --mode "$mode" --pki "$work/pki-edgetwin" --trust-server)
  node_security=(--security-policy "$policy" --security-mode "$mode" --pki "$work/pki-node")
fi
server= ours= node=
stop() { # the clients before the server (a client that loses its server would try to reconnect); KILL after 10 s
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true
}
cleanup() {
  for p in $ours $node $server; do stop "$p"; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "opcua-vs-node: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done; exit 1; }

(cd "$peer" && exec node server.js --port "$port" --items "$items" --change-items "$items" --change-interval "$change" \
  --max-nodes-per-read 1000 > "$work/server.log" 2>&1) & server=$!
for _ in $(seq 1 180); do grep -q '^LISTENING' "$work/server.log" && break; kill -0 "$server" 2>/dev/null || fail "the server stopped"; sleep 0.5; done
grep -q '^LISTENING' "$work/server.log" || fail "the server did not start"

run_for=$((warmup + window + 120))
"$binary" bench opcua "$url" --items "$items" --seconds "$run_for" --publishing-interval "$change" --sampling-interval "$sampling" \
  --publish-requests "$requests" "${ours_security[@]}" > "$work/ours.log" 2> "$work/ours.err.log" & ours=$!
(cd "$peer" && exec node bench-client.js --url "$url" --items "$items" --seconds "$run_for" --publishing-interval "$change" --sampling-interval "$sampling" \
  --publish-requests "$requests" "${node_security[@]}" > "$work/node.log" 2> "$work/node.err.log") & node=$!

last_count() { awk '/^COUNT/ {c=$3} END {print c+0}' "$1"; }
# Both clients have all items once they have counted at least one value per item.
for _ in $(seq 1 600); do
  kill -0 "$ours" 2>/dev/null || fail "edgetwin bench opcua stopped"
  kill -0 "$node" 2>/dev/null || fail "the node-opcua client stopped"
  [ "$(last_count "$work/ours.log")" -ge "$items" ] && [ "$(last_count "$work/node.log")" -ge "$items" ] && break
  sleep 0.5
done
[ "$(last_count "$work/ours.log")" -ge "$items" ] && [ "$(last_count "$work/node.log")" -ge "$items" ] || fail "the clients did not get every item within 300 s"
sleep "$warmup"

ticks=$(getconf CLK_TCK)
cpu() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }   # utime + stime, after "pid (comm) "
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
ours_cpu0=$(cpu "$ours"); node_cpu0=$(cpu "$node"); server_cpu0=$(cpu "$server")
ours_n0=$(last_count "$work/ours.log"); node_n0=$(last_count "$work/node.log"); t0=$(date +%s.%N)
sleep "$window"
ours_cpu1=$(cpu "$ours"); node_cpu1=$(cpu "$node"); server_cpu1=$(cpu "$server")
ours_n1=$(last_count "$work/ours.log"); node_n1=$(last_count "$work/node.log"); t1=$(date +%s.%N)
ours_hwm=$(hwm "$ours"); node_hwm=$(hwm "$node")

python3 - "$items" "$change" "$ticks" "$t0" "$t1" "$ours_cpu0" "$ours_cpu1" "$node_cpu0" "$node_cpu1" "$server_cpu0" "$server_cpu1" \
  "$ours_n0" "$ours_n1" "$node_n0" "$node_n1" "$ours_hwm" "$node_hwm" "$(nproc)" "$label" <<'PY'
import sys
items, change, ticks = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
t0, t1 = float(sys.argv[4]), float(sys.argv[5])
oc0, oc1, nc0, nc1, sc0, sc1, on0, on1, nn0, nn1, oh, nh = (int(float(v)) for v in sys.argv[6:18])
cores, security = sys.argv[18], sys.argv[19]
w = t1 - t0
ours_cpu, node_cpu, server_cpu = (oc1 - oc0) / ticks, (nc1 - nc0) / ticks, (sc1 - sc0) / ticks
ours_rate, node_rate = (on1 - on0) / w, (nn1 - nn0) / w
offered = items * 1000 / change
print(f"OPC UA client benchmark: {items} items changing every {change} ms ({offered:,.0f} changes/s offered), window {w:.1f} s, {cores} cores, security {security}")
print(f"{'client':<22}{'CPU s':>9}{'CPU %':>8}{'peak RSS MiB':>14}{'changes/s':>12}{'CPU µs/change':>15}")
for name, cpu, hwm, rate in (("edgetwin (AOT)", ours_cpu, oh, ours_rate), ("node-opcua client", node_cpu, nh, node_rate)):
    per = cpu / (rate * w) * 1e6 if rate > 0 else float("nan")
    print(f"{name:<22}{cpu:>9.2f}{100 * cpu / w:>8.1f}{hwm / 1024:>14.1f}{rate:>12,.0f}{per:>15.2f}")
print(f"{'(node-opcua server)':<22}{server_cpu:>9.2f}{100 * server_cpu / w:>8.1f}")
ratio = lambda a, b: a / b if b else float("nan")
print(f"ratio edgetwin/node: CPU {ratio(ours_cpu, node_cpu):.3f} (target <= 0.25), peak RSS {ratio(oh, nh):.3f} (target <= 0.333), "
      f"changes/s {ratio(ours_rate, node_rate):.3f}, CPU per change {ratio(ratio(ours_cpu, ours_rate), ratio(node_cpu, node_rate)):.3f}")
PY
stop "$ours"; ours=
grep '^edgetwin:' "$work/ours.err.log" | tail -1
