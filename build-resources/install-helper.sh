#!/bin/sh
# Installs vfio-pilot's privileged helper so the app can run it through pkexec. Run as root:
#   sudo build-resources/install-helper.sh [--bundle FILE] [--node /usr/bin/node] [--prefix DIR]
#   sudo build-resources/install-helper.sh --uninstall
# The same script is the deb/rpm maintainer scripts' installer (build-resources/linux/) and the AppImage's
# one-time install through pkexec (electron/backend/helper-install.ts): one installer for every format.
# DESTDIR=/some/root installs under that root instead (packaging tests, dpkg --root); owners are then left as
# they are unless run as root.
#
# Where things go is one setting, helper-install.json beside this script (build-resources/ in the repository,
# resources/helper/ in the packages): the app reads the same file, so the runner, the policy's exec.path and
# this installer cannot disagree. --prefix re-roots it (tests only: the app looks under the JSON's prefix).
#   PREFIX/lib/vfio-pilot/vfio-pilot-helper.cjs        0644  the helper bundle (one file, no node_modules)
#   PREFIX/libexec/vfio-pilot/vfio-pilot-helper        0755  launcher: clears the environment, then runs the
#                                                            bundle with the system node chosen here
#   PREFIX/share/polkit-1/actions/org.vfio-pilot.helper.policy  the action; exec.path pins the launcher
# Everything root-owned, nothing writable by anyone else, nothing under a user's home. The node and every
# directory the files go into must be root-owned and not group/world-writable (a node from nvm or ~/.local is
# refused: elevating it would elevate its owner). A second run with the same inputs changes nothing.
# The helper keeps its journal in /var/lib/vfio-pilot, created on first use and kept by --uninstall.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
settings="$here/helper-install.json"
bundle="$here/vfio-pilot-helper.cjs"
[ -f "$bundle" ] || bundle="$here/../dist/node/vfio-pilot-helper.cjs"
node=
prefix=
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
dest=${DESTDIR:-}

# Paths are written into a shell script and a sed expression: allow only plain path characters.
plain_path() {
  case "$1" in /*) ;; *) echo "install-helper.sh: $2 must be an absolute path: $1" >&2; exit 2 ;; esac
  case "$1" in *[!A-Za-z0-9/._+-]*) echo "install-helper.sh: $2 has characters outside A-Z a-z 0-9 / . _ + -: $1" >&2; exit 2 ;; esac
}

if [ -z "$dest" ] && [ "$(id -u)" != 0 ]; then
  echo "install-helper.sh: run as root (sudo), or set DESTDIR to install under another root" >&2
  exit 1
fi

# A path that is safe to trust as root: owned by root, not writable by group or others, and so is every
# directory above it, up to DESTDIR (the root being installed into; its own parents are the caller's business).
# Checks the path as given and, in full, where its symlinks lead.
root_safe() {
  for start in "$1" "$(readlink -f "$1")"; do
    p=$start
    while :; do
      [ "$(stat -L -c %u "$p")" = 0 ] || { echo "$p is not owned by root" >&2; return 1; }
      case "$(stat -L -c %A "$p")" in ?????w????|????????w?) echo "$p is writable by group or others" >&2; return 1; esac
      [ "$p" = / ] && break
      [ "$start" = "$1" ] && [ -n "$dest" ] && [ "$p" = "$dest" ] && break
      p=$(dirname "$p")
    done
  done
}
# The nearest existing directory at or above $1 (the ones this script creates are made root-owned 0755).
existing() {
  p=$1
  while [ ! -e "$p" ]; do p=$(dirname "$p"); done
  printf '%s\n' "$p"
}

# The node that runs the helper: --node, else the JSON's (the distro's /usr/bin/node), else the usual places.
# Under DESTDIR it is looked for inside that root first (dpkg --root), else on this machine (staging).
json_node=$(sed -n 's/^ *"node": *"\([^"]*\)".*/\1/p' "$settings")
if [ -z "$node" ]; then
  for n in "$json_node" /usr/bin/node /usr/bin/nodejs /usr/local/bin/node; do
    { [ -x "$dest$n" ] || [ -x "$n" ]; } && { node=$n; break; }
  done
fi
[ -n "$node" ] || { echo "install-helper.sh: no system node found (install nodejs >= 20, or pass --node)" >&2; exit 1; }
plain_path "$node" --node
node_here=$dest$node
[ -x "$node_here" ] || node_here=$node
[ -x "$node_here" ] || { echo "install-helper.sh: $node is not an executable" >&2; exit 1; }
if [ "$uninstall" = 0 ]; then
  root_safe "$node_here" || { echo "install-helper.sh: refusing to run $node as root" >&2; exit 1; }
fi

# The layout, read from the JSON by that node (root-safe by now, or only removing files).
{ read -r s_prefix; read -r s_launcher; read -r s_bundle; read -r s_policy; read -r s_policyTemplate; read -r s_protocol; } <<EOF
$("$node_here" -e 'const s = require(process.argv[1]);
  for (const k of ["prefix", "launcher", "bundle", "policy", "policyTemplate", "protocol"]) console.log(String(s[k]).replace(/\n/g, ""));' "$settings")
EOF
case "$s_protocol" in *[!0-9]* | '') echo "install-helper.sh: $settings: protocol is not a number" >&2; exit 1 ;; esac
[ -n "$prefix" ] || prefix=$s_prefix
plain_path "$prefix" --prefix
launcher="$prefix/$s_launcher"
target_bundle="$prefix/$s_bundle"
policy="$prefix/$s_policy"
for p in "$launcher" "$target_bundle" "$policy"; do plain_path "$p" "helper-install.json"; done

if [ "$uninstall" = 1 ]; then
  rm -f "$dest$launcher" "$dest$target_bundle" "$dest$policy"
  rmdir "$dest$(dirname "$launcher")" "$dest$(dirname "$target_bundle")" 2>/dev/null || true
  echo "removed the vfio-pilot helper (the journal in /var/lib/vfio-pilot is kept)"
  exit 0
fi

[ -f "$bundle" ] || { echo "install-helper.sh: no helper bundle at $bundle: run npm run build first" >&2; exit 1; }
template="$here/$s_policyTemplate"
[ -f "$template" ] || { echo "install-helper.sh: no policy template at $template" >&2; exit 1; }

as_root=0
[ "$(id -u)" = 0 ] && as_root=1
if [ "$as_root" = 1 ]; then
  for d in "$launcher" "$target_bundle" "$policy"; do
    root_safe "$(existing "$dest$(dirname "$d")")" || { echo "install-helper.sh: refusing to install into $(dirname "$d")" >&2; exit 1; }
  done
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Every path in the launcher is single-quoted (and plain_path allowed no quote in it).
cat > "$tmp/launcher" <<EOF
#!/bin/sh
# vfio-pilot helper launcher (protocol $s_protocol), installed by install-helper.sh; the polkit action
# org.vfio-pilot.helper pins this path. Runs the root-owned helper bundle with the system node and an empty
# environment (no NODE_OPTIONS, no PATH tricks); only PKEXEC_UID, the user who authenticated, is passed on.
exec /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \${PKEXEC_UID:+"PKEXEC_UID=\$PKEXEC_UID"} \\
  '$node' '$target_bundle' "\$@"
EOF
# The policy as installed: exec.path set to the launcher, and the protocol the helper speaks.
sed -e "s|<annotate key=\"org.freedesktop.policykit.exec.path\">[^<]*</annotate>|&\\
    <annotate key=\"io.github.vfio_pilot.helper.protocol\">$s_protocol</annotate>|" \
    -e "s|\\(<annotate key=\"org.freedesktop.policykit.exec.path\">\\)[^<]*|\\1$launcher|" "$template" > "$tmp/policy"
cp "$bundle" "$tmp/bundle"

# Install one file atomically (a temporary name in the target directory, then rename), only when it differs.
changed=0
put() { # source, target, mode
  if [ -f "$dest$2" ] && cmp -s "$1" "$dest$2" && [ "$(stat -c %a "$dest$2")" = "${3#0}" ] \
    && { [ "$as_root" = 0 ] || [ "$(stat -c %u:%g "$dest$2")" = 0:0 ]; }; then
    return 0
  fi
  dir=$(dirname "$dest$2")
  if [ "$as_root" = 1 ]; then install -d -m 0755 -o root -g root "$dir"; else install -d -m 0755 "$dir"; fi
  if [ "$as_root" = 1 ]; then install -m "$3" -o root -g root "$1" "$dest$2.new"; else install -m "$3" "$1" "$dest$2.new"; fi
  mv -f "$dest$2.new" "$dest$2"
  changed=1
}
put "$tmp/bundle" "$target_bundle" 0644
put "$tmp/launcher" "$launcher" 0755
put "$tmp/policy" "$policy" 0644
if [ "$changed" = 1 ]; then
  echo "installed $launcher (protocol $s_protocol, node: $node) and $policy"
else
  echo "already installed: $launcher (protocol $s_protocol) and $policy are up to date"
fi
