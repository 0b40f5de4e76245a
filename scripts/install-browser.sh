#!/usr/bin/env bash
# install-browser.sh installs what the admin console's browser tests
# (cmd/internal/console) drive: Debian's chromium and npm's playwright-core.
#
#   - chromium from apt-get, unless /usr/bin/chromium exists already (the
#     browser is the system's; playwright's own browser downloads are never
#     used: the tests launch /usr/bin/chromium through executablePath);
#   - playwright-core@${PLAYWRIGHT_CORE_VERSION:-1.65.1} into
#     ${TANNIN_TOOLS_DIR:-<repo>/.cache/tools}/playwright
#
# Idempotent: what is installed is left alone. Concurrent runs serialise on a
# flock; the npm install goes to a temporary directory first and is renamed
# into place, so a half-finished install is never seen.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools=${TANNIN_TOOLS_DIR:-$root/.cache/tools}
version=${PLAYWRIGHT_CORE_VERSION:-1.65.1}
dest=$tools/playwright
stamp=$dest/.installed-$version
chromium=/usr/bin/chromium

command -v flock >/dev/null || { echo "install-browser: flock is not installed (util-linux)" >&2; exit 1; }
mkdir -p "$tools"
exec 9>"$tools/.browser.lock"
flock 9

if [[ ! -x $chromium ]]; then
	command -v apt-get >/dev/null || { echo "install-browser: $chromium is missing and apt-get is not available" >&2; exit 1; }
	sudo=""
	if [[ $(id -u) -ne 0 ]]; then
		command -v sudo >/dev/null || { echo "install-browser: installing chromium needs root (or sudo)" >&2; exit 1; }
		sudo="sudo -n"
	fi
	echo "install-browser: apt-get install chromium"
	export DEBIAN_FRONTEND=noninteractive
	# A fresh machine has no package lists; an old list may name versions
	# the mirror no longer has: update, then install.
	$sudo apt-get update -qq >&2
	$sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
	[[ -x $chromium ]] || { echo "install-browser: apt-get installed chromium but $chromium is missing" >&2; exit 1; }
fi

if [[ -e $stamp && -f $dest/node_modules/playwright-core/package.json ]]; then
	echo "install-browser: chromium ($($chromium --version 2>/dev/null || echo unknown)) and playwright-core@$version are present"
	exit 0
fi

command -v npm >/dev/null || { echo "install-browser: npm is not installed (apt-get install nodejs npm)" >&2; exit 1; }
tmp=$(mktemp -d "$tools/.playwright.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "install-browser: npm install playwright-core@$version into $dest"
printf '{"name":"tannin-browser-tests","private":true}\n' >"$tmp/package.json"
# PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: playwright-core downloads nothing on
# install, but say so in case a later version starts to.
(cd "$tmp" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error --omit=dev "playwright-core@$version") >&2
[[ -f $tmp/node_modules/playwright-core/package.json ]] || { echo "install-browser: npm install left no node_modules/playwright-core" >&2; exit 1; }
touch "$tmp/.installed-$version"

rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
echo "install-browser: installed playwright-core@$version in $dest; chromium: $($chromium --version 2>/dev/null || echo unknown)"
