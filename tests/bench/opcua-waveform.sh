#!/usr/bin/env bash
# A vibration waveform through the whole gateway: 65,536 float64 samples every 100 ms from the node-opcua test
# server (server.js --values --waveform-ms 100), by subscription, into the durable queue, out to librdkafka's mock
# cluster (test.mock.num.brokers=1) as schema-1.1 points. Two phases on the published binary:
#   1. fill: the Kafka sink points at a port where no broker listens, so every waveform stays in the queue: the
#      queue's bytes per point is its byte count over its point count;
#   2. run: the same queue, the sink on the mock cluster: the backlog drains (waited for up to DRAIN seconds), then
#      the live rate must hold at the server's 10 waveforms/s: waveforms read and forwarded per second over MEASURE
#      seconds, and whether the sink's lag grew meanwhile.
# Prints the rates, the bytes per point, and the gateway's peak RSS (VmHWM) in each phase, with the load average.
# Usage: tests/bench/opcua-waveform.sh [binary]   (default artifacts/edgetwin/edgetwin; needs node + npm ci in
#        tests/peers/opcua-server)   Environment: FILL (seconds, 10), DRAIN (seconds, 60), MEASURE (seconds, 30).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
binary=${1:-$root/artifacts/edgetwin/edgetwin}
fill=${FILL:-10}; drain=${DRAIN:-60}; measure=${MEASURE:-30}
[ -x "$binary" ] || { echo "no binary at $binary (run dotnet publish first)" >&2; exit 1; }
[ -d "$root/tests/peers/opcua-server/node_modules/node-opcua" ] || { echo "run npm ci in tests/peers/opcua-server" >&2; exit 1; }
work=$(mktemp -d /tmp/edgetwin-waveform.XXXXXX)
server= gw=
cleanup() {
  [ -n "$gw" ] && kill -TERM "$gw" 2>/dev/null && wait "$gw" 2>/dev/null
  [ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
opc_port=$(port); api_port=$(port)

(cd "$root/tests/peers/opcua-server" && exec node server.js --port "$opc_port" --pki "$work/pki" --values --waveform-ms 100) > "$work/server.log" 2>&1 &
server=$!
until grep -q '^LISTENING' "$work/server.log"; do kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }; sleep 0.5; done

config() { # $1 = fill | run
  python3 - "$1" "$work" "$opc_port" "$api_port" > "$work/$1.json" <<'PY'
import json, sys
phase, work, opc_port, api_port = sys.argv[1:]
print(json.dumps({
    "gateway": {"id": "waveform-bench", "stateDirectory": work + "/state", "shutdownTimeoutSeconds": 10},
    "queue": {"maxBytes": 8 << 30, "minFreeDiskBytes": 64 << 20},
    "assets": [{"id": "drive-1", "name": "Drive 1"}],
    "sources": {"opcua": [{"name": "plc", "url": f"opc.tcp://127.0.0.1:{opc_port}/UA/EdgeTwinTest",
        "groups": [{"name": "vibration", "mode": "subscription", "publishingIntervalMs": 100, "samplingIntervalMs": 0, "queueSize": 20,
                    "nodes": [{"node": "nsu=urn:edgetwin:test:values;s=V.Waveform", "asset": "drive-1", "metric": "vibration"}]}]}]},
    "sinks": {"kafka": [{"name": "cloud", "bootstrapServers": "127.0.0.1:9", "maxMessageBytes": 4000000,
        "properties": {"test.mock.num.brokers": "1"} if phase == "run" else {}}]},
    "api": {"enabled": True, "port": int(api_port)},
}))
PY
}
api() { curl -sf "http://127.0.0.1:$api_port/api/$1"; }
start() {
  config "$1"
  "$binary" run --config "$work/$1.json" > "$work/$1.log" 2>&1 & gw=$!
  until api status > /dev/null 2>&1; do kill -0 "$gw" 2>/dev/null || { cat "$work/$1.log"; exit 1; }; sleep 0.5; done
}
# Not in a $( ) subshell: only this shell can wait for the gateway, and the next phase must not start on its state
# directory and API port before it has exited. Leaves the peak RSS in $hwm.
stop() { hwm=$(awk '/VmHWM/ {print $2}' "/proc/$gw/status"); kill -TERM "$gw"; wait "$gw" || true; gw=; }

echo "fill: ${fill} s of waveforms into the queue (no broker)"
start fill
sleep "$fill"
queue=$(api queue)
stop; fill_hwm=$hwm

echo "run: the queue to the mock cluster, then live for ${measure} s"
start run
lag() { api status | python3 -c 'import json,sys; print(json.load(sys.stdin)["sinks"][0]["lagPoints"])'; }
deadline=$(( $(date +%s) + drain ))
until [ "$(lag)" -le 2 ] || [ "$(date +%s)" -ge "$deadline" ]; do
  kill -0 "$gw" 2>/dev/null || { cat "$work/run.log"; exit 1; }; sleep 0.5
done
[ "$(lag)" -le 2 ] || echo "the backlog did not drain within ${drain} s (lag $(lag) points): measuring anyway"

s0=$(api status); t0=$(date +%s.%N)
sleep "$measure"
s1=$(api status); t1=$(date +%s.%N)
stop; run_hwm=$hwm

python3 - "$queue" "$s0" "$s1" "$t0" "$t1" "$fill_hwm" "$run_hwm" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, sys
queue, s0, s1, t0, t1, fill_hwm, run_hwm, load = sys.argv[1:]
q, a, b = json.loads(queue), json.loads(s0), json.loads(s1)
seconds = float(t1) - float(t0)
sent = b["sinks"][0]["forwarded"] - a["sinks"][0]["forwarded"]
read = b["sources"][0]["readingsIn"] - a["sources"][0]["readingsIn"]
print(f"queue after fill: {q['points']} points in {q['bytes']:,} bytes = {q['bytes'] / max(1, q['points']):,.0f} bytes per point "
      f"(65,536 float64 = 524,288 bytes of samples)")
print(f"live: {read / seconds:.2f} waveforms/s read, {sent / seconds:.2f} forwarded to Kafka over {seconds:.1f} s "
      f"(server: 10/s); sink lag {a['sinks'][0]['lagPoints']} -> {b['sinks'][0]['lagPoints']} points, quarantined {b['pipeline']['quarantined']}, "
      f"commit p50/p99 {b['pipeline']['commitP50Micros'] / 1000:.1f}/{b['pipeline']['commitP99Micros'] / 1000:.1f} ms")
print(f"peak RSS: fill {int(fill_hwm) / 1024:.0f} MiB, run {int(run_hwm) / 1024:.0f} MiB; load average {load}")
PY
