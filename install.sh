#!/usr/bin/env bash
# Installs the EdgeTwin gateway on this machine, or into a staging root. Works offline.
#
#   sudo ./install.sh                      install (or upgrade) on this machine, enable and start the service
#   ./install.sh --root /tmp/stage         install into a staging root (no root privileges needed)
#   sudo ./install.sh --uninstall          remove the program; the config and the queue stay
#   sudo ./install.sh --uninstall --purge  remove the config, the queue, the logs and the user too
#
# Run from a release tarball (the binary is beside this script, in bin/), or from a source checkout (it
# publishes the native binary with dotnet first; the NuGet packages must already be restored for offline use),
# or point --binary-dir at a folder that `dotnet publish src/EdgeTwin.Gateway` produced.
# Running it again is harmless: the program is replaced, the configuration and the queue are never touched.
set -euo pipefail

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
  cat <<'EOF'
Options:
  --root DIR         staging root (DESTDIR-style): every path below is created under DIR
  --prefix DIR       program prefix (default /usr): DIR/bin/edgetwin, DIR/lib/edgetwin, DIR/share/edgetwin
  --binary-dir DIR   use this published folder (edgetwin and its native libraries) instead of bin/ or a build
  --no-start         install and enable, but do not start or restart the service
  --uninstall        remove the program and the unit; keep /etc/edgetwin and /var/lib/edgetwin
  --purge            with --uninstall: also remove the configuration, the queue, the logs and the user
  -h, --help         this text
EOF
}

root=""
prefix=/usr
binary_dir=""
start=1
uninstall=0
purge=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="${2:?--root needs a directory}"; shift 2 ;;
    --root=*) root="${1#*=}"; shift ;;
    --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
    --prefix=*) prefix="${1#*=}"; shift ;;
    --binary-dir) binary_dir="${2:?--binary-dir needs a directory}"; shift 2 ;;
    --binary-dir=*) binary_dir="${1#*=}"; shift ;;
    --no-start) start=0; shift ;;
    --uninstall) uninstall=1; shift ;;
    --purge) purge=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) printf 'install.sh: unknown option %s (see --help)\n' "$1" >&2; exit 64 ;;
  esac
done
[ $purge = 1 ] && [ $uninstall = 0 ] && { echo "install.sh: --purge goes with --uninstall" >&2; exit 64; }
root="${root%/}"
case "$prefix" in /*) ;; *) echo "install.sh: --prefix must be an absolute path" >&2; exit 64 ;; esac

here="$(cd "$(dirname "$0")" && pwd)"
user=edgetwin
group=edgetwin
bin_link="$root$prefix/bin/edgetwin"
lib_dir="$root$prefix/lib/edgetwin"
share_dir="$root$prefix/share/edgetwin"
doc_dir="$root$prefix/share/doc/edgetwin"
unit="$root/etc/systemd/system/edgetwin.service"
conf_dir="$root/etc/edgetwin"
conf="$conf_dir/edgetwin.json"
state_dir="$root/var/lib/edgetwin"
log_dir="$root/var/log/edgetwin"

say() { printf 'edgetwin install: %s\n' "$*"; }
die() { printf 'edgetwin install: %s\n' "$*" >&2; exit 1; }

is_root=0; [ "$(id -u)" = 0 ] && is_root=1
if [ -z "$root" ] && [ $is_root = 0 ]; then
  die "run as root to install on this machine (sudo $0 $*), or give --root DIR to install into a staging root"
fi
# systemd is live only when installing on this machine and PID 1 is systemd.
systemd_live=0
if [ -z "$root" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then systemd_live=1; fi

foreground_hint() {
  say "systemd is not running here, so no service was started. Run the gateway in the foreground with:"
  say "  sudo -u $user $prefix/bin/edgetwin run --config /etc/edgetwin/edgetwin.json"
  say "(it stops gracefully on Ctrl-C or SIGTERM; 'kill -HUP <pid>' reloads the configuration)"
}

# --- users: the real ones on this machine, or the passwd/group files of a staging root ----------------------
passwd_file="$root/etc/passwd"
group_file="$root/etc/group"
user_exists() { if [ -z "$root" ]; then getent passwd "$user" >/dev/null; else grep -q "^$user:" "$passwd_file" 2>/dev/null; fi; }

create_user() {
  if [ -z "$root" ]; then
    if getent passwd "$user" >/dev/null; then say "user $user exists"; return; fi
    getent group "$group" >/dev/null || groupadd --system "$group"
    useradd --system --gid "$group" --home-dir /var/lib/edgetwin --no-create-home --shell /usr/sbin/nologin \
      --comment "EdgeTwin gateway" "$user"
    say "created system user $user"
    return
  fi
  if [ ! -f "$passwd_file" ] || [ ! -f "$group_file" ]; then
    say "staging root without etc/passwd and etc/group: user $user not created (the target's install.sh or package creates it)"
    return
  fi
  if user_exists; then say "user $user exists in $passwd_file"; return; fi
  # The first free id in the system range of the root's own files.
  local id=999
  while cut -d: -f3 "$passwd_file" | grep -qx "$id" || cut -d: -f3 "$group_file" | grep -qx "$id"; do id=$((id - 1)); done
  grep -q "^$group:" "$group_file" || echo "$group:x:$id:" >> "$group_file"
  local gid; gid=$(grep "^$group:" "$group_file" | cut -d: -f3)
  echo "$user:x:$id:$gid:EdgeTwin gateway:/var/lib/edgetwin:/usr/sbin/nologin" >> "$passwd_file"
  say "added user $user ($id:$gid) to $passwd_file"
}

remove_user() {
  if [ -z "$root" ]; then
    if getent passwd "$user" >/dev/null; then userdel "$user" && say "removed user $user"; fi
    if getent group "$group" >/dev/null; then groupdel "$group" 2>/dev/null || true; fi
  elif [ -f "$passwd_file" ]; then
    sed -i "/^$user:/d" "$passwd_file"
    [ -f "$group_file" ] && sed -i "/^$group:/d" "$group_file"
    say "removed user $user from $passwd_file"
  fi
}

# chown when we can: as root, to the user of this machine or of the staging root's passwd file.
owner_ids() {
  if [ -z "$root" ]; then getent passwd "$user" | cut -d: -f3,4; return; fi
  grep "^$user:" "$passwd_file" 2>/dev/null | cut -d: -f3,4
}
set_owner() { # path owner(user|root) ...
  local ids; ids=$(owner_ids || true)
  [ $is_root = 1 ] && [ -n "$ids" ] || return 0
  local path
  for path in "$@"; do chown "root:${ids#*:}" "$path"; done
}
set_state_owner() {
  local ids; ids=$(owner_ids || true)
  if [ $is_root = 1 ] && [ -n "$ids" ]; then chown "$ids" "$@"; else say "not root or no user $user: $* left owned by $(id -un)"; fi
}

# --- uninstall ------------------------------------------------------------------------------------------------
if [ $uninstall = 1 ]; then
  if [ $systemd_live = 1 ]; then
    systemctl disable --now edgetwin.service 2>/dev/null || true
  fi
  rm -f "$unit" "$bin_link"
  rm -rf "$lib_dir" "$share_dir" "$doc_dir"
  [ $systemd_live = 1 ] && systemctl daemon-reload
  say "removed the program and the unit"
  if [ $purge = 1 ]; then
    rm -rf "$conf_dir" "$state_dir" "$log_dir"
    remove_user
    say "purged the configuration, the queue and the logs"
  else
    say "kept $conf_dir and $state_dir (the configuration and the queue); --uninstall --purge removes them"
  fi
  exit 0
fi

# --- find the program: --binary-dir, a release tarball's bin/, or a build from the source checkout ----------
if [ -z "$binary_dir" ]; then
  if [ -x "$here/bin/edgetwin" ]; then
    binary_dir="$here/bin"
  elif [ -f "$here/EdgeTwin.sln" ]; then
    command -v dotnet >/dev/null || die "a source checkout needs the .NET SDK (dotnet) to build; or run install.sh from a release tarball"
    say "building the native binary (dotnet publish; offline if the packages are restored)"
    binary_dir="$here/artifacts/edgetwin"
    dotnet publish "$here/src/EdgeTwin.Gateway" -c Release -o "$binary_dir" >&2 || die "dotnet publish failed (offline? restore the packages first, or use a release tarball)"
  else
    die "no program found: expected $here/bin/edgetwin (release tarball) or $here/EdgeTwin.sln (source checkout); or give --binary-dir"
  fi
fi
[ -x "$binary_dir/edgetwin" ] || die "$binary_dir/edgetwin is missing or not executable"
for f in edgetwin.service config/edgetwin.json; do [ -f "$here/$f" ] || die "$here/$f is missing"; done
version=$("$binary_dir/edgetwin" --version 2>/dev/null || echo unknown)

# --- install ---------------------------------------------------------------------------------------------------
create_user

# The program and its native libraries side by side (the runtime finds them next to the real binary), a
# link in bin/. Replaced atomically so a running daemon keeps its old inode until it restarts.
install -d -m 0755 "$lib_dir" "$root$prefix/bin" "$share_dir" "$doc_dir"
install -m 0755 "$binary_dir/edgetwin" "$lib_dir/edgetwin.new" && mv -f "$lib_dir/edgetwin.new" "$lib_dir/edgetwin"
for lib in "$binary_dir"/*.so "$binary_dir"/*.so.*; do
  [ -e "$lib" ] && install -m 0644 "$lib" "$lib_dir/"
done
ln -sfn "../lib/edgetwin/edgetwin" "$bin_link"
install -m 0644 "$here/config/edgetwin.json" "$share_dir/edgetwin.json.template"
[ -f "$here/README.md" ] && install -m 0644 "$here/README.md" "$doc_dir/README.md"

install -d -m 0755 "$(dirname "$unit")"
if [ "$prefix" = /usr ]; then
  install -m 0644 "$here/edgetwin.service" "$unit"
else
  sed "s#/usr/bin/edgetwin#$prefix/bin/edgetwin#g" "$here/edgetwin.service" > "$unit.new" && chmod 0644 "$unit.new" && mv -f "$unit.new" "$unit"
fi

# The configuration: created from the template once, never overwritten.
install -d -m 0750 "$conf_dir"
set_owner "$conf_dir"
if [ -e "$conf" ]; then
  say "kept the existing $conf (the new template is $share_dir/edgetwin.json.template)"
else
  install -m 0640 "$here/config/edgetwin.json" "$conf"
  set_owner "$conf"
  say "installed the configuration template as $conf: set gateway.id and the sources, then 'edgetwin doctor'"
fi

# The queue and the logs (systemd also creates them through StateDirectory=/LogsDirectory=).
install -d -m 0750 "$state_dir" "$log_dir"
set_state_owner "$state_dir" "$log_dir"

say "installed $version: $prefix/bin/edgetwin, $unit"
if [ $systemd_live = 1 ]; then
  systemctl daemon-reload
  systemctl enable edgetwin.service
  if [ $start = 1 ]; then
    if systemctl is-active --quiet edgetwin.service; then systemctl restart edgetwin.service; else systemctl start edgetwin.service; fi
    say "service started: systemctl status edgetwin; journalctl -u edgetwin -f"
  fi
elif [ -z "$root" ]; then
  foreground_hint
else
  say "staging root $root: no service enabled; on the target, 'systemctl enable --now edgetwin'"
fi
