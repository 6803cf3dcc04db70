#!/bin/sh
# Installs vfio-pilot's privileged helper so the app can run it through pkexec. Run as root:
#   sudo build-resources/install-helper.sh [--prefix /usr] [--bundle dist/node/vfio-pilot-helper.cjs] [--node /usr/bin/node]
#   sudo build-resources/install-helper.sh --uninstall
# DESTDIR=/some/stage stages the files instead (packaging, tests); owners are then left as they are.
#
# Layout (everything root-owned, nothing writable by anyone else, nothing under a user's home):
#   PREFIX/lib/vfio-pilot/vfio-pilot-helper.cjs        0644  the helper bundle (one file, no node_modules)
#   PREFIX/libexec/vfio-pilot/vfio-pilot-helper        0755  launcher: clears the environment, then runs the
#                                                            bundle with the system node found at install time
#   PREFIX/share/polkit-1/actions/org.vfio-pilot.helper.policy  the action; exec.path pins the launcher
# pkexec elevates only the launcher; the launcher runs only root-owned files. The system node must be root-owned
# and not group/world-writable (a node from nvm or ~/.local is refused: elevating it would elevate its owner).
# The helper keeps its journal in /var/lib/vfio-pilot (0755, journal 0644: root writes, the app reads), created on first use.
set -eu

prefix=/usr
here=$(cd "$(dirname "$0")" && pwd)
bundle="$here/../dist/node/vfio-pilot-helper.cjs"
node=
uninstall=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --bundle) bundle=$2; shift 2 ;;
    --node) node=$2; shift 2 ;;
    --uninstall) uninstall=1; shift ;;
    *) echo "install-helper.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$prefix" in /*) ;; *) echo "install-helper.sh: --prefix must be absolute" >&2; exit 2 ;; esac

dest=${DESTDIR:-}
libdir="$prefix/lib/vfio-pilot"
libexecdir="$prefix/libexec/vfio-pilot"
actions="$prefix/share/polkit-1/actions"
launcher="$libexecdir/vfio-pilot-helper"
policy="$actions/org.vfio-pilot.helper.policy"

if [ -z "$dest" ] && [ "$(id -u)" != 0 ]; then
  echo "install-helper.sh: run as root (sudo), or set DESTDIR to stage the files" >&2
  exit 1
fi

if [ "$uninstall" = 1 ]; then
  rm -f "$dest$launcher" "$dest$libdir/vfio-pilot-helper.cjs" "$dest$policy"
  rmdir "$dest$libexecdir" "$dest$libdir" 2>/dev/null || true
  echo "removed the vfio-pilot helper (the journal in /var/lib/vfio-pilot is kept)"
  exit 0
fi

[ -f "$bundle" ] || { echo "install-helper.sh: no helper bundle at $bundle: run npm run build first" >&2; exit 1; }

# A file that is safe to run as root: owned by root, not writable by group or others, and so is every directory above it.
root_safe() {
  p=$(readlink -f "$1") || return 1
  while :; do
    [ "$(stat -c %u "$p")" = 0 ] || { echo "$p is not owned by root" >&2; return 1; }
    case "$(stat -c %A "$p")" in ?????w????|????????w?) echo "$p is writable by group or others" >&2; return 1 ;; esac
    [ "$p" = / ] && return 0
    p=$(dirname "$p")
  done
}

if [ -z "$node" ]; then
  for n in /usr/bin/node /usr/local/bin/node /usr/bin/nodejs; do [ -x "$n" ] && { node=$n; break; }; done
fi
[ -n "$node" ] && [ -x "$node" ] || { echo "install-helper.sh: no system node found (install nodejs >= 20, or pass --node)" >&2; exit 1; }
node=$(readlink -f "$node")
root_safe "$node" || { echo "install-helper.sh: refusing to run $node as root" >&2; exit 1; }

owner="-o root -g root"
[ -n "$dest" ] && [ "$(id -u)" != 0 ] && owner=""
# shellcheck disable=SC2086
install -d -m 0755 $owner "$dest$libdir" "$dest$libexecdir" "$dest$actions"
# shellcheck disable=SC2086
install -m 0644 $owner "$bundle" "$dest$libdir/vfio-pilot-helper.cjs"

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cat > "$tmp" <<EOF
#!/bin/sh
# vfio-pilot helper launcher, installed by install-helper.sh; the polkit action org.vfio-pilot.helper pins this path.
# Runs the root-owned helper bundle with the system node and an empty environment (no NODE_OPTIONS, no PATH
# tricks); only PKEXEC_UID, the user who authenticated, is passed on for the journal.
exec /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \${PKEXEC_UID:+"PKEXEC_UID=\$PKEXEC_UID"} \\
  $node $libdir/vfio-pilot-helper.cjs "\$@"
EOF
# shellcheck disable=SC2086
install -m 0755 $owner "$tmp" "$dest$launcher"
sed "s|/usr/libexec/vfio-pilot/vfio-pilot-helper|$launcher|" "$here/polkit/org.vfio-pilot.helper.policy" > "$tmp"
# shellcheck disable=SC2086
install -m 0644 $owner "$tmp" "$dest$policy"
echo "installed $launcher (node: $node) and $policy"
