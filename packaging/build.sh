#!/usr/bin/env bash
# Builds the release artefacts of the EdgeTwin gateway from one published native binary:
#   edgetwin_<version>-1_<arch>.deb         Debian package (dpkg-deb): conffile, service user, enabled unit
#   edgetwin-<version>-<rid>.tar.gz         release tarball: install.sh, the unit, bin/, config/, README.md
#
#   packaging/build.sh [--binary-dir DIR] [--out DIR] [--rid linux-x64|linux-arm64]
# Without --binary-dir it publishes src/EdgeTwin.Gateway (dotnet publish, native AOT) first.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
binary_dir=""
out="$repo/artifacts/packages"
rid=linux-x64
while [ $# -gt 0 ]; do
  case "$1" in
    --binary-dir) binary_dir="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --rid) rid="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "packaging/build.sh: unknown option $1" >&2; exit 64 ;;
  esac
done
case "$rid" in linux-x64) arch=amd64 ;; linux-arm64) arch=arm64 ;; *) echo "packaging/build.sh: unsupported --rid $rid" >&2; exit 64 ;; esac
if [ -z "$binary_dir" ]; then
  binary_dir="$repo/artifacts/edgetwin-$rid"
  dotnet publish "$repo/src/EdgeTwin.Gateway" -c Release -r "$rid" -o "$binary_dir" >&2
fi
[ -x "$binary_dir/edgetwin" ] || { echo "packaging/build.sh: $binary_dir/edgetwin not found" >&2; exit 1; }
version=$("$binary_dir/edgetwin" --version); version="${version%%+*}"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Native libraries beside the binary. Of the three librdkafka builds Confluent.Kafka ships for linux-x64, only the
# self-contained centos8 one loads on Debian (the generic one needs RHEL's libsasl2.so.3, the alpine one musl), and
# it is what Confluent.Kafka falls back to: ship that one, stripped.
ship_native_libraries() {
  for lib in "$binary_dir"/*.so "$binary_dir"/*.so.*; do
    [ -e "$lib" ] || continue
    case "$(basename "$lib")" in librdkafka.so|alpine-librdkafka.so) continue ;; esac
    install -m 0644 "$lib" "$1/"
    strip --strip-unneeded "$1/$(basename "$lib")"
  done
}

# --- the .deb ---------------------------------------------------------------------------------------------------
pkg="$work/deb"
install -d -m 0755 "$pkg/DEBIAN" "$pkg/usr/lib/edgetwin" "$pkg/usr/bin" "$pkg/lib/systemd/system" "$pkg/etc/edgetwin" \
  "$pkg/usr/share/doc/edgetwin" "$pkg/usr/share/edgetwin"
install -m 0755 "$binary_dir/edgetwin" "$pkg/usr/lib/edgetwin/edgetwin"
ship_native_libraries "$pkg/usr/lib/edgetwin"
# librdkafka is Confluent's self-contained build, with curl and zlib linked in statically: not a copy we could
# replace by Debian's packages (Debian's librdkafka is older than the one Confluent.Kafka binds to). The native-AOT
# binary itself links Debian's zlib (UseSystemZlib), so it needs no override.
install -d -m 0755 "$pkg/usr/share/lintian/overrides"
printf '%s\n' 'edgetwin: embedded-library curl [usr/lib/edgetwin/centos8-librdkafka.so]' \
  'edgetwin: embedded-library zlib [usr/lib/edgetwin/centos8-librdkafka.so]' > "$pkg/usr/share/lintian/overrides/edgetwin"
chmod 0644 "$pkg/usr/share/lintian/overrides/edgetwin"
ln -s ../lib/edgetwin/edgetwin "$pkg/usr/bin/edgetwin"
install -m 0644 "$repo/edgetwin.service" "$pkg/lib/systemd/system/edgetwin.service"
install -m 0644 "$repo/config/edgetwin.json" "$pkg/etc/edgetwin/edgetwin.json"
install -m 0644 "$repo/config/edgetwin.json" "$pkg/usr/share/edgetwin/edgetwin.json.template"
install -m 0644 "$repo/README.md" "$pkg/usr/share/doc/edgetwin/README.md"
install -m 0644 "$here/deb/copyright" "$pkg/usr/share/doc/edgetwin/copyright"
date_r=$(date -u -R -d "@${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}")
printf 'edgetwin (%s-1) unstable; urgency=medium\n\n  * Release %s.\n\n -- EdgeTwin maintainers <maintainers@edgetwin.invalid>  %s\n' \
  "$version" "$version" "$date_r" | gzip -n -9 > "$pkg/usr/share/doc/edgetwin/changelog.Debian.gz"
chmod 0644 "$pkg/usr/share/doc/edgetwin/changelog.Debian.gz"
for s in postinst prerm postrm; do install -m 0755 "$here/deb/$s" "$pkg/DEBIAN/$s"; done
echo /etc/edgetwin/edgetwin.json > "$pkg/DEBIAN/conffiles"
chmod 0644 "$pkg/DEBIAN/conffiles"
installed_kb=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat > "$pkg/DEBIAN/control" <<CONTROL
Package: edgetwin
Version: $version-1
Architecture: $arch
Maintainer: EdgeTwin maintainers <maintainers@edgetwin.invalid>
Installed-Size: $installed_kb
Depends: libc6 (>= 2.34), zlib1g (>= 1:1.2.11), libssl3 | libssl3t64, adduser
Section: net
Priority: optional
Homepage: https://github.com/edgetwin/edgetwin
Description: edge digital-twin gateway
 EdgeTwin reads plant equipment (simulator, spool folders, MQTT brokers; OPC UA
 to come), normalizes and deduplicates every reading, keeps it in a durable local
 queue through network outages, and forwards it to confirming sinks.
 .
 The package installs a hardened systemd service (Type=notify, watchdog) that
 runs as the edgetwin user, with its queue in /var/lib/edgetwin and its
 configuration in /etc/edgetwin/edgetwin.json. Run "edgetwin doctor" after
 editing the configuration.
CONTROL
(cd "$pkg" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) > "$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/md5sums"
deb="$out/edgetwin_${version}-1_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "$deb"

# --- the release tarball ----------------------------------------------------------------------------------------
name="edgetwin-$version-$rid"
rel="$work/$name"
install -d -m 0755 "$rel/bin" "$rel/config"
install -m 0755 "$binary_dir/edgetwin" "$rel/bin/edgetwin"
ship_native_libraries "$rel/bin"
install -m 0755 "$repo/install.sh" "$rel/install.sh"
install -m 0644 "$repo/edgetwin.service" "$repo/README.md" "$rel/"
install -m 0644 "$repo/config/edgetwin.json" "$rel/config/edgetwin.json"
tarball="$out/$name.tar.gz"
tar -C "$work" --owner=0 --group=0 --numeric-owner --sort=name -czf "$tarball" "$name"
echo "$tarball"
