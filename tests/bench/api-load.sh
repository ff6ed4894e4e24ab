#!/usr/bin/env bash
# Measures the local API under the demo's load, on the published binary:
#   - request latency of /metrics and /api/shadow (wrk, 2 connections, 1 thread, DURATION seconds each);
#   - resident memory of the daemon with the API off and on (after SETTLE seconds, and on after the wrk runs).
# Usage: tests/bench/api-load.sh [binary]   (default artifacts/edgetwin/edgetwin; needs wrk: apt-get install wrk)
# Environment: PORT (18470), DURATION (15), SETTLE (20), PUMPS (0: the demo as is; N adds N simulated pumps),
#              RATE (points/s of the demo's simulator; default: the demo's own).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
binary=${1:-$root/artifacts/edgetwin/edgetwin}
port=${PORT:-18470}; duration=${DURATION:-15}; settle=${SETTLE:-20}; pumps=${PUMPS:-0}; rate=${RATE:-}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[ -x "$binary" ] || { echo "no binary at $binary (run tests/run.sh or dotnet publish first)" >&2; exit 1; }
work=$(mktemp -d /tmp/edgetwin-apibench.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

config() { # $1 = true|false (api enabled)
  python3 - "$root/config/demo.json" "$1" "$port" "$pumps" "$rate" > "$work/config.json" <<'PY'
import json, sys
src, enabled, port, pumps, rate = sys.argv[1:]
cfg = json.loads("\n".join(l for l in open(src).read().splitlines() if not l.strip().startswith("//")))
cfg["api"] = {"enabled": enabled == "true", "address": "127.0.0.1", "port": int(port)}
sim = cfg["sources"]["simulator"][0]
if int(pumps) > 0: sim["generatedPumps"] = int(pumps)
if rate: sim["pointsPerSecond"] = float(rate)
print(json.dumps(cfg))
PY
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

start() { # $1 = true|false
  rm -rf "$work/edgetwin-demo"; config "$1"
  (cd "$work" && exec "$binary" run --config "$work/config.json" > "$work/daemon.log" 2>&1) & pid=$!
  sleep "$settle"
  kill -0 "$pid" 2>/dev/null || { cat "$work/daemon.log"; exit 1; }
}
stop() { kill -TERM "$pid"; wait "$pid" || true; pid=; }

echo "EdgeTwin $("$binary" --version) API benchmark: demo config (extra pumps: $pumps, rate: ${rate:-demo}), $(nproc) cores"
start false
off=$(rss_kib "$pid")
stop
start true
on=$(rss_kib "$pid")
series=$(curl -s "http://127.0.0.1:$port/api/shadow" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
metrics_bytes=$(curl -s "http://127.0.0.1:$port/metrics" | wc -c)
echo "shadow: $series series; /metrics: $metrics_bytes bytes"
for path in /metrics /api/shadow; do
  echo "--- wrk -t1 -c2 -d${duration}s --latency http://127.0.0.1:$port$path"
  wrk -t1 -c2 -d"${duration}s" --latency "http://127.0.0.1:$port$path" | grep -E "Latency|50%|90%|99%|Requests/sec|Non-2xx"
done
after=$(rss_kib "$pid")
stop
echo "RSS after ${settle}s: API off $((off / 1024)) MiB, API on $((on / 1024)) MiB (+$(((on - off) / 1024)) MiB); API on after the wrk runs $((after / 1024)) MiB"
