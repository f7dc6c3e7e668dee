#!/bin/sh
# Installs the built Gatehouse server as a system service (Debian-like hosts; run as root):
#   PREFIX/releases/<version>-<build>/  the server: dist/src, bin, package.json, production node_modules
#   PREFIX/current                      symlink to the release in service (switched in one rename)
#   /etc/gatehouse/                     gatehouse.json (settings) and signing-key (created once, never overwritten)
#   /etc/systemd/system/gatehouse.service, /etc/sysctl.d/60-gatehouse.conf,
#   /etc/nginx/sites-available/gatehouse.conf and gatehouse-gatekeeper.conf (not enabled: see the output)
#   a system user and group "gatehouse"
# Running it again installs nothing twice: an unchanged build is the same release, existing configuration and
# keys are kept. A new build becomes a new release; `systemctl reload gatehouse` then moves the service to it
# without dropping a request (docs/deployment.md).
#
# Usage: ops/install.sh [--dry-run] [PREFIX]        (PREFIX defaults to /opt/gatehouse; `make install-system`)
#   --dry-run   print what would be done, change nothing
# DESTDIR=/some/root stages everything under that root (packaging); system changes (user, systemctl, sysctl)
# are then skipped.
set -eu

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }

DRY_RUN=0
PREFIX=""
for arg in "$@"; do
  case "$arg" in
    -n | --dry-run) DRY_RUN=1 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "install.sh: unknown option $arg" >&2; usage >&2; exit 2 ;;
    *) PREFIX=$arg ;;
  esac
done
PREFIX=${PREFIX:-/opt/gatehouse}
case "$PREFIX" in /*) ;; *) echo "install.sh: PREFIX must be an absolute path (got $PREFIX)" >&2; exit 2 ;; esac
DESTDIR=${DESTDIR:-}
SRC=$(cd "$(dirname "$0")/.." && pwd)
SERVICE_USER=gatehouse
ETC=$DESTDIR/etc
ROOT=$DESTDIR$PREFIX
KEEP_RELEASES=3

say() { printf '%s\n' "$*"; }
# Runs a command, or only shows it with --dry-run.
run() {
  if [ "$DRY_RUN" = 1 ]; then say "+ $*"; else "$@"; fi
}
# Writes stdin to a file (mode, owner) unless it exists; the content is shown with --dry-run.
write_new() { # path mode owner:group
  if [ -e "$1" ]; then say "= keep $1 (exists)"; cat >/dev/null; return; fi
  if [ "$DRY_RUN" = 1 ]; then say "+ write $1 (mode $2, owner $3)"; sed 's/^/|   /'; return; fi
  tmp="$1.tmp.$$"
  (umask 077 && cat >"$tmp")
  chmod "$2" "$tmp"
  [ -n "$DESTDIR" ] || chown "$3" "$tmp"
  mv "$tmp" "$1"
}
system_change() { [ -z "$DESTDIR" ]; }
# Copies a directory of the source tree into the release being staged. "/." copies the contents even when the
# directory is a symbolic link (so the staged node_modules can never be the source's, pruned by mistake).
copy_dir() {
  run mkdir -p "$STAGE/$1"
  run cp -R "$SRC/$1/." "$STAGE/$1/"
}

# ---- the build -------------------------------------------------------------------------------------------
[ -f "$SRC/dist/src/cli/main.js" ] || { echo "install.sh: $SRC is not built; run \`make build\` first" >&2; exit 1; }
command -v node >/dev/null 2>&1 || { echo "install.sh: node (20.x) is required on this host" >&2; exit 1; }
VERSION=$(node -p "require('$SRC/package.json').version")
# The release is named by the version and a digest of the built code, so an unchanged build is recognised.
BUILD=$(cd "$SRC" && find dist/src bin package.json package-lock.json -type f 2>/dev/null | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-12)
RELEASE=$ROOT/releases/$VERSION-$BUILD

say "Installing Gatehouse $VERSION (build $BUILD) from $SRC into $PREFIX$( [ "$DRY_RUN" = 1 ] && echo ' (dry run: nothing is changed)')"

# ---- service user ----------------------------------------------------------------------------------------
if system_change; then
  if getent passwd "$SERVICE_USER" >/dev/null 2>&1; then
    say "= keep user $SERVICE_USER (exists)"
  else
    run useradd --system --user-group --home-dir /var/lib/gatehouse --no-create-home --shell /usr/sbin/nologin \
      --comment "Gatehouse API server" "$SERVICE_USER"
  fi
fi

# ---- the release -----------------------------------------------------------------------------------------
if [ -d "$RELEASE" ]; then
  say "= keep $RELEASE (this build is installed)"
else
  STAGE=$RELEASE.partial.$$
  copy_dir dist/src
  copy_dir bin
  run cp "$SRC/package.json" "$SRC/package-lock.json" "$STAGE/"
  [ -d "$SRC/docs" ] && copy_dir docs
  copy_dir ops
  # Production dependencies only. The built node_modules is reused (its native modules are compiled for this
  # Node) and pruned; without one, npm installs them from the lock file.
  if [ -d "$SRC/node_modules" ]; then
    copy_dir node_modules
    run sh -c "cd '$STAGE' && npm prune --omit=dev --no-audit --no-fund"
  else
    run sh -c "cd '$STAGE' && npm ci --omit=dev --no-audit --no-fund"
  fi
  # Readable by the service, writable by root only.
  run chmod -R go-w,a+rX "$STAGE"
  # Appears whole or not at all.
  run mv "$STAGE" "$RELEASE"
fi

# ---- configuration and key -------------------------------------------------------------------------------
run install -d -m 0750 "$ETC/gatehouse"
system_change && run chgrp "$SERVICE_USER" "$ETC/gatehouse"
write_new "$ETC/gatehouse/gatehouse.json" 0640 "root:$SERVICE_USER" <<'EOF'
{
  "host": "127.0.0.1",
  "port": 8000,
  "dataDir": "/var/lib/gatehouse",
  "trustedProxies": ["127.0.0.1/32"]
}
EOF
# The HS256 signing key: 48 random bytes, root-only; systemd hands it to the service as a credential.
if [ -e "$ETC/gatehouse/signing-key" ]; then
  say "= keep $ETC/gatehouse/signing-key (exists)"
elif [ "$DRY_RUN" = 1 ]; then
  say "+ write $ETC/gatehouse/signing-key (mode 0600, owner root:root): 48 random bytes, base64"
else
  (umask 077 && head -c 48 /dev/urandom | base64 -w0 >"$ETC/gatehouse/signing-key.tmp.$$")
  mv "$ETC/gatehouse/signing-key.tmp.$$" "$ETC/gatehouse/signing-key"
fi

# ---- systemd unit, sysctl, nginx sites -------------------------------------------------------------------
UNIT_TEXT=$(sed "s#/opt/gatehouse#$PREFIX#g" "$SRC/ops/systemd/gatehouse.service")
run install -d -m 0755 "$ETC/systemd/system"
if [ "$DRY_RUN" = 1 ]; then
  say "+ write $ETC/systemd/system/gatehouse.service (ops/systemd/gatehouse.service with $PREFIX)"
else
  printf '%s\n' "$UNIT_TEXT" >"$ETC/systemd/system/gatehouse.service.tmp.$$"
  chmod 0644 "$ETC/systemd/system/gatehouse.service.tmp.$$"
  mv "$ETC/systemd/system/gatehouse.service.tmp.$$" "$ETC/systemd/system/gatehouse.service"
fi

run install -d -m 0755 "$ETC/sysctl.d"
run install -m 0644 "$SRC/ops/sysctl/60-gatehouse.conf" "$ETC/sysctl.d/60-gatehouse.conf"
system_change && run sysctl -q -p "$ETC/sysctl.d/60-gatehouse.conf"

if [ -d "$ETC/nginx" ] || [ -n "$DESTDIR" ]; then
  run install -d -m 0755 "$ETC/nginx/sites-available"
  for site in gatehouse.conf:gatehouse.conf gatekeeper.conf:gatehouse-gatekeeper.conf; do
    from=${site%%:*}
    to=$ETC/nginx/sites-available/${site#*:}
    # A site the operator edited (server_name, certificates) is never overwritten.
    if [ -e "$to" ]; then say "= keep $to (exists; the shipped version is $PREFIX/current/ops/nginx/$from)"
    else run install -m 0644 "$SRC/ops/nginx/$from" "$to"; fi
  done
else
  say "= skip the Nginx sites: $ETC/nginx does not exist (apt-get install nginx, then run this again)"
fi

# ---- switch `current`, forget old releases ---------------------------------------------------------------
# Relative, so that the tree can also be staged under DESTDIR.
run ln -sfn "releases/${RELEASE##*/}" "$ROOT/current.next"
run mv -T "$ROOT/current.next" "$ROOT/current"
if [ -d "$ROOT/releases" ]; then
  current=$(readlink -f "$ROOT/current" 2>/dev/null || true)
  # shellcheck disable=SC2012
  ls -1dt "$ROOT"/releases/*/ 2>/dev/null | sed 's#/$##' | tail -n +$((KEEP_RELEASES + 1)) | while read -r old; do
    [ "$old" = "$current" ] || run rm -rf "$old"
  done
fi

if system_change && [ -d /run/systemd/system ]; then run systemctl daemon-reload; fi

cat <<EOF

Done. Next steps (docs/deployment.md):
  first install:  systemctl enable --now gatehouse
  upgrade:        systemctl reload gatehouse      (workers of the new release, no request dropped)
  Nginx:          edit server_name and certificates in /etc/nginx/sites-available/gatehouse.conf, then
                  ln -s ../sites-available/gatehouse.conf /etc/nginx/sites-enabled/ && nginx -t && systemctl reload nginx
  first user:     sudo -u $SERVICE_USER $PREFIX/current/bin/gatehouse user create admin --staff --config /etc/gatehouse/gatehouse.json
EOF
