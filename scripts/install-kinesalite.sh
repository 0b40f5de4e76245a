#!/usr/bin/env bash
# install-kinesalite.sh installs kinesalite, a Kinesis-API server in Node.js,
# for the tests of stream/kinesis and the end-to-end ingestion tests.
#
# It installs npm kinesalite@${KINESALITE_VERSION:-3.3.3} into
#
#   ${TANNIN_TOOLS_DIR:-<repo>/.cache/tools}/kinesalite
#
# and is idempotent: when that version is already installed it does nothing.
# Concurrent runs (several test packages starting at once) serialise on a
# flock beside the install directory; the install goes to a temporary
# directory first and is renamed into place, so a half-finished install is
# never seen. kinesalite is started with scripts/kinesalite-server.js.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools=${TANNIN_TOOLS_DIR:-$root/.cache/tools}
version=${KINESALITE_VERSION:-3.3.3}
dest=$tools/kinesalite
stamp=$dest/.installed-$version

command -v npm >/dev/null || { echo "install-kinesalite: npm is not installed (apt-get install nodejs npm)" >&2; exit 1; }
command -v flock >/dev/null || { echo "install-kinesalite: flock is not installed (util-linux)" >&2; exit 1; }

mkdir -p "$tools"
exec 9>"$tools/.kinesalite.lock"
flock 9

if [[ -e $stamp && -d $dest/node_modules/kinesalite ]]; then
	echo "install-kinesalite: kinesalite@$version is present in $dest"
	exit 0
fi

tmp=$(mktemp -d "$tools/.kinesalite.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "install-kinesalite: npm install kinesalite@$version into $dest"
printf '{"name":"tannin-kinesalite","private":true}\n' >"$tmp/package.json"
(cd "$tmp" && npm install --no-audit --no-fund --loglevel=error --omit=dev "kinesalite@$version") >&2
[[ -f $tmp/node_modules/kinesalite/index.js ]] || { echo "install-kinesalite: npm install left no node_modules/kinesalite/index.js" >&2; exit 1; }
touch "$tmp/.installed-$version"

rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
echo "install-kinesalite: installed kinesalite@$version in $dest"
