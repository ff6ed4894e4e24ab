#!/usr/bin/env bash
# Cloud ingest benchmark (README "Cloud ingest benchmark"): on a private PostgreSQL 15 cluster and librdkafka's mock
# cluster, points/s from Kafka into PostgreSQL end to end next to `psql \copy` of the same rows into the same table
# (the limit), and the p50/p99 delay from a message's Kafka timestamp to its committed row at 10,000 points/s.
#   tests/bench/cloud-ingest.sh            # POINTS=200000 RATE=10000 SECONDS_AT_RATE=20 by default
# Needs postgresql-15 (Debian) and a Release build: dotnet build src/EdgeTwin.Cloud -c Release
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
points=${POINTS:-200000}
rate=${RATE:-10000}
seconds=${SECONDS_AT_RATE:-20}
bin=/usr/lib/postgresql/15/bin
dll="$root/src/EdgeTwin.Cloud/bin/Release/net10.0/edgetwin-cloud.dll"
[ -x "$bin/initdb" ] || { echo "cloud-ingest.sh: PostgreSQL 15 is missing ($bin): apt-get install postgresql-15" >&2; exit 1; }
[ -f "$dll" ] || dotnet build src/EdgeTwin.Cloud -c Release -warnaserror >/dev/null

dir=$(mktemp -d /tmp/edgetwin-cloud-bench.XXXXXX)
as=()
if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; as=(runuser -u postgres --); fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() { "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
"${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
# The server's durability settings are PostgreSQL's defaults (fsync on); both paths write through the same server.
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "-p $port -c listen_addresses=127.0.0.1 -k $dir" start >/dev/null

echo "cloud ingest benchmark: $points points, delay run at $rate points/s for $seconds s, $(nproc) cores"
dotnet "$dll" bench --postgres "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres" --psql "$bin/psql" \
  --points "$points" --rate "$rate" --seconds "$seconds"
