#!/usr/bin/env bash
# Drain rate from a prefilled durable queue to librdkafka's mock cluster (3 brokers), on the published binary,
# and in the same run two producers of the same JSON lines, each to a mock cluster of its own: kcat is librdkafka
# with nothing around it, so its messages/s is the limit on this machine; `edgetwin bench kafka` is Confluent.Kafka's
# own producer on the lines held in memory (the sink's settings and headers, a delivery report per message), the
# most the package the sink is built on delivers. Prints the three rates and the ratios.
#   1. fill: the simulator writes POINTS points into the queue (file sink beside it, for kcat's input) while the
#      Kafka sink points at a port where no broker listens, so nothing leaves the queue for it;
#   2. drain: the same queue, the Kafka sink now on a mock cluster (test.mock.num.brokers=3); the whole queue is
#      backlog, and the gateway reports how long draining it took ("backlog drained (N points replayed in S s)");
#   3. edgetwin bench kafka on the same lines, with the sink's producer settings and its four headers (and again
#      without the headers, without the delivery reports, and without both, to show what each costs);
#   4. kcat -P with the same producer settings (idempotent, acks=all, lz4, linger 20 ms) and the same lines
#      (key = asset id, constant headers; the gateway adds a per-message "key" header on top).
# Usage: tests/bench/kafka-drain.sh [binary]   (default artifacts/edgetwin/edgetwin; needs kcat: apt-get install kcat)
# Environment: POINTS (500000), ASSETS (20 simulated pumps), MAX_BATCH (points per confirmation; default: the
#              sink's default), PROPS (extra librdkafka properties for the gateway, as a JSON object).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
binary=${1:-$root/artifacts/edgetwin/edgetwin}
points=${POINTS:-500000}; assets=${ASSETS:-20}; max_batch=${MAX_BATCH:-0}
command -v kcat >/dev/null || { echo "kcat is missing: apt-get install kcat" >&2; exit 1; }
[ -x "$binary" ] || { echo "no binary at $binary (run tests/run.sh or dotnet publish first)" >&2; exit 1; }
work=$(mktemp -d /tmp/edgetwin-drainbench.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

config() { # $1 = fill | drain
  python3 - "$1" "$work" "$points" "$assets" "$max_batch" > "$work/$1.json" <<'PY'
import json, os, sys
phase, work, points, assets, max_batch = sys.argv[1:]
kafka = {
    "name": "cloud",
    # Phase 1: a port where nothing listens. Phase 2: librdkafka's mock cluster replaces the bootstrap list.
    "bootstrapServers": "127.0.0.1:9",
    "properties": dict({"test.mock.num.brokers": "3"} if phase == "drain" else {}, **json.loads(os.environ.get("PROPS") or "{}")),
    # The whole queue is backlog as soon as the drain starts.
    "drain": {"liveLane": True, "backlogSeconds": 0.1, "maxPointsPerSecond": 0},
}
if int(max_batch) > 0: kafka["maxBatchPoints"] = int(max_batch)
sinks = {"kafka": [kafka]}
if phase == "fill": sinks["file"] = [{"name": "lines", "directory": work + "/lines", "maxFileBytes": 1 << 30, "maxFiles": 0}]
cfg = {
    "gateway": {"id": "bench", "stateDirectory": work + "/state", "shutdownTimeoutSeconds": 10},
    "queue": {"maxBytes": 8 << 30, "minFreeDiskBytes": 64 << 20},
    "sources": {"simulator": [{"name": "sim", "seed": 7, "pointsPerSecond": 2000000, "generatedPumps": int(assets),
                               "stopAfter": int(points), "epoch": "2026-01-01T00:00:00Z"}]},
    "validation": {"maxPastSkewSeconds": 3650 * 86400},
    "sinks": sinks,
    "api": {"enabled": False},
}
print(json.dumps(cfg))
PY
}
now() { date +%s.%N; }

echo "fill: $points points into the queue"
config fill
"$binary" run --config "$work/fill.json" > "$work/fill.log" 2>&1 & pid=$!
lines() { cat "$work"/lines/*.jsonl 2>/dev/null | wc -l; }
until [ "$(lines)" -ge "$points" ]; do
  kill -0 "$pid" 2>/dev/null || { cat "$work/fill.log"; echo "the fill run stopped early" >&2; exit 1; }
  sleep 0.5
done
kill -TERM "$pid"; wait "$pid" || true; pid=

echo "drain: the queue to a mock cluster"
config drain
t0=$(now)
"$binary" run --config "$work/drain.json" --exit-when-drained > "$work/drain.log" 2>&1 || { cat "$work/drain.log"; exit 1; }
t1=$(now)
drained=$(grep -o 'backlog drained ([0-9]* points replayed in [0-9.]* s)' "$work/drain.log" | tail -1) \
  || { cat "$work/drain.log"; echo "the drain run did not report a drained backlog" >&2; exit 1; }
gw_points=$(echo "$drained" | sed -E 's/.*\(([0-9]+) points.*/\1/')
gw_seconds=$(echo "$drained" | sed -E 's/.* in ([0-9.]+) s\)/\1/')

python3 - "$work/lines" > "$work/kcat.tsv" <<'PY'
import glob, json, sys
for path in sorted(glob.glob(sys.argv[1] + "/*.jsonl")):
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line: print(json.loads(line)["asset_id"] + "\t" + line)
PY
kcat_lines=$(wc -l < "$work/kcat.tsv")

echo "confluent.kafka: the same lines from memory to its own mock cluster"
confluent=$("$binary" bench kafka --input "$work/kcat.tsv" --property test.mock.num.brokers=3 2>"$work/confluent.log") \
  || { cat "$work/confluent.log"; echo "edgetwin bench kafka failed" >&2; exit 1; }
c_lines=$(echo "$confluent" | sed -nE 's/^confluent.kafka: ([0-9]+) messages in ([0-9.]+) s.*/\1/p')
c_seconds=$(echo "$confluent" | sed -nE 's/^confluent.kafka: ([0-9]+) messages in ([0-9.]+) s.*/\2/p')
[ -n "$c_lines" ] || { echo "$confluent"; echo "edgetwin bench kafka printed no rate" >&2; exit 1; }
# What the package's per-message costs are: the same producer without the headers, without the delivery reports
# (nothing confirmed: for comparison only), and without both.
variants=""
for flags in "--without-headers" "--without-reports" "--without-reports --without-headers"; do
  # shellcheck disable=SC2086 # the flags are words
  line=$("$binary" bench kafka --input "$work/kcat.tsv" --property test.mock.num.brokers=3 $flags 2>>"$work/confluent.log") \
    || { cat "$work/confluent.log"; echo "edgetwin bench kafka $flags failed" >&2; exit 1; }
  variants+="$line"$'\n'
done

echo "kcat: the same lines to its own mock cluster"
k0=$(now)
kcat -P -b 127.0.0.1:9 -t edge-telemetry -K $'\t' -X test.mock.num.brokers=3 \
  -X enable.idempotence=true -X acks=all -X compression.codec=lz4 -X linger.ms=20 \
  -X batch.num.messages=10000 -X batch.size=1000000 -X queue.buffering.max.messages=1000000 \
  -H schema_version=1.0 -H gateway_id=bench -H content-type=application/json < "$work/kcat.tsv"
k1=$(now)

python3 - "$gw_points" "$gw_seconds" "$t0" "$t1" "$kcat_lines" "$k0" "$k1" "$c_lines" "$c_seconds" <<'PY'
import sys
gw_points, gw_s, t0, t1, k_lines, k0, k1, c_lines, c_s = sys.argv[1:]
c_rate = int(c_lines) / float(c_s)
gw_rate = int(gw_points) / float(gw_s)
k_s = float(k1) - float(k0)
k_rate = int(k_lines) / k_s
print(f"edgetwin drain: {int(gw_points)} messages in {float(gw_s):.2f} s = {gw_rate:,.0f} msg/s "
      f"(whole run, start-up and queue open included: {float(t1) - float(t0):.2f} s)")
print(f"confluent.kafka: {int(c_lines)} messages in {float(c_s):.2f} s = {c_rate:,.0f} msg/s (the package's producer, no queue, no encoding)")
print(f"kcat:           {int(k_lines)} messages in {k_s:.2f} s = {k_rate:,.0f} msg/s (whole process, start-up included)")
print(f"ratio: {100 * gw_rate / k_rate:.0f}% of kcat's messages/s (target: at least 70%)")
print(f"confluent.kafka's own producer: {100 * c_rate / k_rate:.0f}% of kcat's messages/s; the drain: {100 * gw_rate / c_rate:.0f}% of it")
PY
printf 'the same producer, for comparison:\n%s' "$variants"
