#!/usr/bin/env bash
# fetch-testdata.sh installs the real-data test sets into a cache directory.
#
# Today that is the npm package vega-datasets, whose data/flights-3m.parquet
# holds 3 million real US domestic flights (date, delay, distance, origin,
# destination). The differential test query/difftest reads it from
#
#   ${TANNIN_TESTDATA_DIR:-<repo>/.cache}/vega-datasets/data/flights-3m.parquet
#
# The script is idempotent: it does nothing when the file is already there.
# It uses only the ordinary npm client (npm pack), so it works wherever the
# npm registry is reachable.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${TANNIN_TESTDATA_DIR:-$root/.cache}
version=${VEGA_DATASETS_VERSION:-3.2.1}
dest=$cache/vega-datasets
want=data/flights-3m.parquet

if [[ -s $dest/$want ]]; then
	echo "fetch-testdata: $dest/$want is present"
	exit 0
fi

command -v npm >/dev/null || { echo "fetch-testdata: npm is not installed (apt-get install npm)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "fetch-testdata: npm pack vega-datasets@$version"
tarball=$(cd "$tmp" && npm pack --silent "vega-datasets@$version" 2>/dev/null | tail -n 1)
[[ -s $tmp/$tarball ]] || { echo "fetch-testdata: npm pack produced no tarball" >&2; exit 1; }

mkdir -p "$dest/data"
# The tarball's root is package/; keep package.json for provenance.
tar -xzf "$tmp/$tarball" -C "$tmp" package/package.json "package/$want"
mv "$tmp/package/package.json" "$dest/package.json"
mv "$tmp/package/$want" "$dest/$want.part"
mv "$dest/$want.part" "$dest/$want"
echo "fetch-testdata: installed $dest/$want ($(wc -c <"$dest/$want") bytes)"
