// Per-call cost of background delivery from Node: `client.enqueue` beside posthog-node's
// `identify`, both pointed at the same local server (bench/static_server.sh: nginx answering
// 200 at once, in another process). Each SDK gets a queue large enough for every call, is
// called N times (default 20,000) in a loop, each call timed on its own with
// process.hrtime.bigint(), yielding to the event loop every 100 calls as a server's handlers
// would, so the SDK's sending runs meanwhile. Rows are interleaved over the runs and medians
// quoted: the median and p99 of one call, and how long each SDK's own shutdown took to drain.
// A second table gives the least that the parts of one call cost, timed the same way.
//
//   node bench/enqueue_bench.js [calls] [runs]
//
// posthog-node is installed into target/bench-node (npm) if missing. The package under test is
// bindings/node, built by scripts/test-node.sh. Everything stays on 127.0.0.1.
'use strict'

const { spawn, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const readline = require('node:readline')

const ROOT = path.resolve(__dirname, '..')
const CALLS = Number(process.argv[2] || 20000)
const RUNS = Number(process.argv[3] || 3)
const PEERS_DIR = path.join(ROOT, 'target', 'bench-node')

function loadPosthog () {
  const entry = path.join(PEERS_DIR, 'node_modules', 'posthog-node')
  if (!fs.existsSync(entry)) {
    fs.mkdirSync(PEERS_DIR, { recursive: true })
    console.error('installing posthog-node into target/bench-node')
    execFileSync('npm', ['install', '--silent', '--no-audit', '--no-fund', '--prefix', PEERS_DIR,
      'posthog-node@5'], { stdio: 'inherit' })
  }
  return require(entry)
}

async function startServer () {
  const server = spawn('bash', [path.join(ROOT, 'bench', 'static_server.sh')], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const lines = readline.createInterface({ input: server.stdout })
  const [url] = await Promise.race([
    new Promise((resolve) => lines.once('line', (line) => resolve([line.trim()]))),
    new Promise((resolve, reject) => server.once('exit', () => reject(new Error('server exited'))))
  ])
  if (!url.startsWith('http://127.0.0.1:')) throw new Error(`no loopback URL: ${url}`)
  return { server, url }
}

const traits = (i) => ({ plan: 'pro', revenue: i, campaign: 'spring' })

const SDKS = {
  'logrocket-identify enqueue': (url) => {
    const { Client } = require(path.join(ROOT, 'bindings', 'node'))
    const client = new Client({
      apiKey: 'bench-key', appId: 'bench/app', baseUrl: url, queueCapacity: CALLS * 2
    })
    return {
      call: (i) => client.enqueue(`user-${i}`, { traits: traits(i) }),
      drain: async () => {
        const summary = await client.close({ timeoutMs: 120000 })
        if (!summary.completed || summary.delivered !== CALLS) {
          throw new Error(`not everything was delivered: ${JSON.stringify(summary)}`)
        }
      }
    }
  },
  'posthog-node identify': (url) => {
    const { PostHog } = loadPosthog()
    const client = new PostHog('bench-key', {
      host: url, flushAt: 100, flushInterval: 100, maxQueueSize: CALLS * 2, disableGeoip: true
    })
    return {
      call: (i) => client.identify({ distinctId: `user-${i}`, properties: traits(i) }),
      drain: () => client.shutdown(120000)
    }
  }
}

async function run (make, url) {
  const { call, drain } = make(url)
  const timings = new Float64Array(CALLS)
  for (let i = 0; i < CALLS; i++) {
    const started = process.hrtime.bigint()
    call(i)
    timings[i] = Number(process.hrtime.bigint() - started) / 1000
    if (i % 100 === 99) await new Promise(setImmediate)
  }
  const drainStarted = process.hrtime.bigint()
  await drain()
  const drained = Number(process.hrtime.bigint() - drainStarted) / 1e9
  timings.sort()
  return [timings[Math.floor(CALLS / 2)], timings[Math.floor(CALLS * 0.99)], drained]
}

const median = (values) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)]

async function main () {
  loadPosthog()
  const { server, url } = await startServer()
  const results = Object.fromEntries(Object.keys(SDKS).map((name) => [name, []]))
  try {
    for (let number = 1; number <= RUNS; number++) {
      for (const [name, make] of Object.entries(SDKS)) {
        results[name].push(await run(make, url))
        console.error(`run ${number}: ${name}: ${results[name].at(-1).map((v) => v.toFixed(2))}`)
      }
    }
  } finally {
    server.kill('SIGTERM')
  }
  const medians = Object.fromEntries(Object.entries(results).map(([name, rows]) =>
    [name, [0, 1, 2].map((k) => median(rows.map((row) => row[k])))]))
  const peer = medians['posthog-node identify'][0]
  console.log(`| SDK (${CALLS.toLocaleString('en')} calls, median of ${RUNS}) | one call, median µs | ` +
    'one call, p99 µs | shutdown to drain, s | posthog-node / this, per call |')
  console.log('|---|---:|---:|---:|---:|')
  for (const [name, [mid, p99, drained]] of Object.entries(medians)) {
    console.log(`| ${name} | ${mid.toFixed(2)} | ${p99.toFixed(2)} | ${drained.toFixed(2)} | ` +
      `${(peer / mid).toFixed(1)}x |`)
  }
  console.log(`\nMeasured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ` +
    `Node ${process.version}, against nginx (bench/static_server.sh) in another process.`)
  floors(peer)
}

// What the parts of one `enqueue` cost at the least, timed as above: whether an `enqueue` that
// validates in the core at the call can reach a given fraction of the peer's per-call cost.
// The crossing is a native method that does no work (hookBarrier on a client without a hook).
function floors (peer) {
  const native = require(path.join(ROOT, 'bindings', 'node', 'native.js'))
  const handle = native.createClient({ apiKey: 'k', appId: 'bench/app', baseUrl: 'http://127.0.0.1:9' })
  const { validate } = require(path.join(ROOT, 'bindings', 'node'))
  const kept = []
  const parts = {
    'nothing (the timer alone)': () => {},
    'push the update onto an array (what posthog-node\'s identify keeps)': (i) =>
      kept.push({ distinctId: `user-${i}`, properties: traits(i) }),
    'JSON.stringify the update (how enqueue hands it to the core)': (i) =>
      JSON.stringify({ user_id: `user-${i}`, traits: traits(i) }),
    'one N-API call that does nothing': (i) => handle.hookBarrier(i),
    'hand the update over as an object, field by field through N-API, and validate it': (i) =>
      native.validateRequest({
        userId: `user-${i}`,
        traits: [{ key: 'plan', kind: 'string', text: 'pro' }, { key: 'revenue', kind: 'number', number: i },
          { key: 'campaign', kind: 'string', text: 'spring' }]
      }),
    'hand it over as JSON text and validate it (the package\'s validate)': (i) =>
      validate(`user-${i}`, { traits: traits(i) })
  }
  console.log(`\n| part of one call (${CALLS.toLocaleString('en')} calls, median of ${RUNS}) | median ns | ` +
    'share of posthog-node\'s call |')
  console.log('|---|---:|---:|')
  for (const [name, part] of Object.entries(parts)) {
    const medians = []
    for (let run = 0; run < RUNS; run++) {
      const timings = new Float64Array(CALLS)
      for (let i = 0; i < CALLS; i++) {
        const started = process.hrtime.bigint()
        part(i)
        timings[i] = Number(process.hrtime.bigint() - started)
      }
      kept.length = 0
      timings.sort()
      medians.push(timings[Math.floor(CALLS / 2)])
    }
    const ns = median(medians)
    console.log(`| ${name} | ${ns.toFixed(0)} | ${(ns / 1000 / peer * 100).toFixed(0)}% |`)
  }
}

main().catch((error) => { console.error(error); process.exit(1) })
