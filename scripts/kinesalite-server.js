#!/usr/bin/env node
// kinesalite-server.js runs kinesalite (a Kinesis-API server, installed by
// scripts/install-kinesalite.sh) bound to 127.0.0.1 only; kinesalite's own
// CLI listens on every interface, which a test must never do.
//
//   node scripts/kinesalite-server.js [--port N] [--host 127.0.0.1]
//       [--createStreamMs 10] [--deleteStreamMs 10] [--updateStreamMs 10]
//       [--shardLimit 1000] [--exit-on-stdin-close]
//
// --port 0 (the default) lets the kernel pick a free port, so concurrent
// test processes never race for one. When listening it prints exactly one
// line on stdout,
//
//   kinesalite listening on http://127.0.0.1:PORT
//
// which the Go harness (stream/kinesis/kinesistest) waits for. Stream state
// changes (CREATING, UPDATING, DELETING) take 10 ms instead of kinesalite's
// 500 ms so that tests are fast; the shard limit (kinesalite's default is
// 10 open shards across all streams) is raised so that many tests can share
// one server. With --exit-on-stdin-close the server exits when its standard
// input closes, so that a killed test process leaves no server behind.
'use strict'

const path = require('path')

function parseArgs(argv) {
  const opts = {
    port: 0, host: '127.0.0.1', createStreamMs: 10, deleteStreamMs: 10,
    updateStreamMs: 10, shardLimit: 1000, exitOnStdinClose: false,
  }
  const numeric = ['port', 'createStreamMs', 'deleteStreamMs', 'updateStreamMs', 'shardLimit']
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--exit-on-stdin-close') { opts.exitOnStdinClose = true; continue }
    const name = arg.replace(/^--/, '')
    if (!arg.startsWith('--') || !(name in opts) || name === 'exitOnStdinClose') {
      throw new Error('unknown argument ' + JSON.stringify(arg))
    }
    if (i + 1 >= argv.length) throw new Error('argument ' + arg + ' needs a value')
    const value = argv[++i]
    if (numeric.includes(name)) {
      if (!/^\d+$/.test(value)) throw new Error('argument ' + arg + ' must be a non-negative integer, got ' + JSON.stringify(value))
      opts[name] = Number(value)
    } else {
      opts[name] = value
    }
  }
  if (opts.port > 65535) throw new Error('argument --port must be at most 65535, got ' + opts.port)
  return opts
}

function kinesaliteDir() {
  const tools = process.env.TANNIN_TOOLS_DIR || path.join(__dirname, '..', '.cache', 'tools')
  return path.join(tools, 'kinesalite', 'node_modules', 'kinesalite')
}

let opts
try {
  opts = parseArgs(process.argv.slice(2))
} catch (e) {
  console.error('kinesalite-server: ' + e.message)
  process.exit(2)
}

let kinesalite
try {
  kinesalite = require(kinesaliteDir())
} catch (e) {
  console.error('kinesalite-server: cannot load kinesalite from ' + kinesaliteDir() +
    ' (run scripts/install-kinesalite.sh): ' + e.message)
  process.exit(1)
}

const server = kinesalite({
  createStreamMs: opts.createStreamMs,
  deleteStreamMs: opts.deleteStreamMs,
  updateStreamMs: opts.updateStreamMs,
  shardLimit: opts.shardLimit,
})

server.on('error', (err) => {
  console.error('kinesalite-server: ' + err.message)
  process.exit(1)
})

server.listen(opts.port, opts.host, () => {
  const addr = server.address()
  console.log('kinesalite listening on http://' + addr.address + ':' + addr.port)
})

function stop() {
  server.close(() => process.exit(0))
  // Open keep-alive connections would hold close() open.
  setTimeout(() => process.exit(0), 500).unref()
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
if (opts.exitOnStdinClose) {
  process.stdin.on('end', stop)
  process.stdin.on('error', stop)
  process.stdin.resume()
}
