#!/usr/bin/env node
// s3server-run.js starts s3rver (installed by install-s3server.sh) through
// its Node API, bound to a loopback address, for the Go test harness
// deepstore/s3/s3test. It prints one JSON line {"address":..,"port":..}
// on stdout once the server listens, and exits when stdin closes, so a
// test process that dies never leaves a server behind.
//
//   node s3server-run.js --module DIR/node_modules/s3rver --dir DATA \
//        [--address 127.0.0.1] [--port 0] [--bucket NAME]... [--verbose]
//
// --port 0 lets the kernel choose a free port, which avoids the race of
// picking one in the parent and binding it here.
'use strict';

function parseArgs(argv) {
  const opts = { address: '127.0.0.1', port: 0, buckets: [], verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--module': opts.module = val(); break;
      case '--dir': opts.dir = val(); break;
      case '--address': opts.address = val(); break;
      case '--port': opts.port = Number(val()); break;
      case '--bucket': opts.buckets.push(val()); break;
      case '--verbose': opts.verbose = true; break;
      default: throw new Error(`unknown argument ${JSON.stringify(a)}`);
    }
  }
  if (!opts.module) throw new Error('--module is required');
  if (!opts.dir) throw new Error('--dir is required');
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    throw new Error(`--port ${opts.port}: want 0..65535`);
  }
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const S3rver = require(opts.module);
  const server = new S3rver({
    address: opts.address,
    port: opts.port,
    directory: opts.dir,
    silent: !opts.verbose,
    // Path-style addressing only: virtual-host names do not resolve on
    // 127.0.0.1.
    vhostBuckets: false,
    configureBuckets: opts.buckets.map(name => ({ name })),
  });
  const addr = await server.run();
  process.stdout.write(JSON.stringify({ address: addr.address, port: addr.port }) + '\n');

  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    // close() waits for open connections; do not let a stuck client keep
    // the process alive.
    setTimeout(() => process.exit(0), 2000).unref();
    server.close().then(() => process.exit(0), () => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
}

main().catch(err => {
  process.stderr.write(`s3server-run: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
