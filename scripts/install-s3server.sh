#!/usr/bin/env bash
# install-s3server.sh installs the S3-API test server that deepstore/s3's
# tests (and the ingestion end-to-end tests) run as a separate process:
# s3rver, a Node implementation of the S3 REST protocol (SigV4 auth
# header parsing, multipart upload, ListObjectsV2) that installs from npm
# in seconds, where building MinIO from source takes minutes.
#
#   ${TANNIN_TOOLS_DIR:-<repo>/.cache/tools}/s3rver-<version>-<patch>/node_modules/s3rver
#
# s3rver 3.7.1 writes an object in place and answers the PUT before the
# bytes reach the file, so a GET right after a PUT can read a short
# object, and concurrent PUTs of one key can interleave: not S3's
# semantics, and a source of flaky tests. The install patches its
# filesystem store (lib/stores/filesystem.js) to write a temporary file
# and rename it over the object once it is written, and to answer an
# UploadPart only once the part is written. The patch checks that it
# applied, so a different s3rver version fails loudly here.
#
# Idempotent and safe to run concurrently (go test runs packages in
# parallel): an flock serialises installers, the install goes to a temporary
# directory renamed into place, and a present install is left alone.
# Prints the install directory on its last line.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools=${TANNIN_TOOLS_DIR:-$root/.cache/tools}
version=${S3RVER_VERSION:-3.7.1}
patch=p1 # bump when the patch below changes, to reinstall
dest=$tools/s3rver-$version-$patch

ready() { [[ -f $dest/.installed && -f $dest/node_modules/s3rver/package.json ]]; }

if ready; then
	echo "$dest"
	exit 0
fi

command -v node >/dev/null || { echo "install-s3server: node is not installed (apt-get install nodejs npm)" >&2; exit 1; }
command -v npm >/dev/null || { echo "install-s3server: npm is not installed (apt-get install npm)" >&2; exit 1; }
command -v flock >/dev/null || { echo "install-s3server: flock is not installed (apt-get install util-linux)" >&2; exit 1; }

mkdir -p "$tools"
exec 9>"$tools/.s3rver.lock"
flock -w 600 9 || { echo "install-s3server: timed out waiting for $tools/.s3rver.lock" >&2; exit 1; }
if ready; then # another installer finished while we waited
	echo "$dest"
	exit 0
fi

tmp=$(mktemp -d "$tools/.s3rver-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "install-s3server: npm install s3rver@$version into $dest" >&2
(cd "$tmp" && echo '{"private":true}' >package.json &&
	npm install --silent --no-audit --no-fund --omit=dev --ignore-scripts "s3rver@$version" >&2)
[[ -f $tmp/node_modules/s3rver/package.json ]] || { echo "install-s3server: npm installed no s3rver" >&2; exit 1; }
node - "$tmp/node_modules/s3rver/lib/stores/filesystem.js" <<'JS'
'use strict';
const fs = require('fs');
const file = process.argv[2];
let src = fs.readFileSync(file, 'utf8');
function replace(from, to) {
  const n = src.split(from).length - 1;
  if (n !== 1) {
    throw new Error(`patch ${file}: expected one occurrence of ${JSON.stringify(from.slice(0, 80))}, found ${n}`);
  }
  src = src.replace(from, () => to);
}
// putObject: write a temporary file, rename it over the object when written.
replace(
  `    const [size, md5] = await new Promise((resolve, reject) => {
      const writeStream = fs.createWriteStream(objectPath);
      const md5Context = crypto.createHash('md5');

      if (Buffer.isBuffer(object.content)) {
        writeStream.end(object.content);
        md5Context.update(object.content);
        resolve([object.content.length, md5Context.digest('hex')]);
      } else {
`,
  `    // patched by tannin: atomic, durable-before-ack PUT (install-s3server.sh)
    const tmpPath = objectPath + '.tmp-' + crypto.randomBytes(8).toString('hex');
    const [size, md5] = await new Promise((resolve, reject) => {
      const writeStream = fs.createWriteStream(tmpPath);
      const md5Context = crypto.createHash('md5');
      writeStream.on('error', reject);
      if (Buffer.isBuffer(object.content)) {
        md5Context.update(object.content);
        const digest = md5Context.digest('hex');
        writeStream.on('finish', () => resolve([object.content.length, digest]));
        writeStream.end(object.content);
      } else {
        object.content.on('error', reject);
`,
);
replace(
  `          .on('error', reject)
          .on('finish', () => resolve([totalLength, md5Context.digest('hex')]))
          .pipe(writeStream);
      }
    });
    await this.putMetadata(object.bucket, object.key, object.metadata, md5);
`,
  `          .on('error', reject)
          .pipe(writeStream)
          .on('finish', () => resolve([totalLength, md5Context.digest('hex')]));
      }
    }).catch(err =>
      fs.remove(tmpPath).then(
        () => { throw err; },
        () => { throw err; },
      ),
    );
    await fs.rename(tmpPath, objectPath);
    await this.putMetadata(object.bucket, object.key, object.metadata, md5);
`,
);
// putPart: answer once the part is in its file.
replace(
  `        .on('error', reject)
        .on('finish', () => {
          resolve([totalLength, md5Context.digest('hex')]);
        })
        .pipe(writeStream);
`,
  `        .on('error', reject)
        .pipe(writeStream)
        .on('error', reject)
        .on('finish', () => {
          resolve([totalLength, md5Context.digest('hex')]);
        });
`,
);
fs.writeFileSync(file, src);
JS
touch "$tmp/.installed"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
echo "install-s3server: installed $dest" >&2
echo "$dest"
