'use strict'
// Node benchmark: `identifyMany` of N users (default 20,000) at concurrency 32 against an
// emulator running in another process (the release `logrocket emulator` binary), beside plain
// `fetch` with 32 workers sending the same PUTs, and `oha` (the ceiling) when installed.
// Reports users/s, the client process's CPU per 1,000 users, and the event loop's p99 delay
// during each run (perf_hooks.monitorEventLoopDelay, 1 ms resolution).
//
//   ./scripts/test-node.sh                  # builds bindings/node once
//   cargo build --release -p logrocket-cli
//   node bench/node_bench.js [--users 20000] [--concurrency 32] [--runs 3]
//
// Everything runs on 127.0.0.1 and sends a bounded number of requests.

const { spawn, spawnSync } = require('node:child_process')
const path = require('node:path')
const readline = require('node:readline')
const { monitorEventLoopDelay } = require('node:perf_hooks')
const { Client } = require('../bindings/node')

const ROOT = path.resolve(__dirname, '..')
const API_KEY = 'bench-key'
const TRAITS = { plan: 'pro', mrr: 99.5, seats: 12, trial: false, campaign: 'spring' }

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? fallback : Number(process.argv[at + 1])
}

const USERS = option('users', 20_000)
const CONCURRENCY = option('concurrency', 32)
const RUNS = option('runs', 3)

function row(i) {
  return { userId: `bench-${i}`, name: `User ${i}`, email: `user${i}@example.com`, traits: TRAITS }
}

async function startEmulator() {
  const binary = path.join(ROOT, 'target/release/logrocket')
  const child = spawn(binary, ['emulator', '--port', '0', '--api-key', API_KEY], { stdio: ['ignore', 'pipe', 'ignore'] })
  const lines = readline.createInterface({ input: child.stdout })
  const url = await new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)))
    lines.once('line', (line) => resolve(line.trim()))
  })
  return { url, child }
}

async function control(url, route, method = 'GET') {
  const response = await fetch(`${url}/_emulator/${route}`, { method })
  if (!response.ok) throw new Error(`${route}: ${response.status}`)
  return method === 'GET' ? response.json() : undefined
}

/** Runs `work` and measures wall time, this process's CPU, and the loop's p99 delay. */
async function measure(work) {
  const histogram = monitorEventLoopDelay({ resolution: 1 })
  const cpuBefore = process.cpuUsage()
  const started = process.hrtime.bigint()
  histogram.enable()
  await work()
  histogram.disable()
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const cpu = process.cpuUsage(cpuBefore)
  const cpuSeconds = (cpu.user + cpu.system) / 1e6
  return {
    usersPerSecond: USERS / seconds,
    cpuMsPer1000: (cpuSeconds * 1000 * 1000) / USERS,
    p99Ms: histogram.percentile(99) / 1e6,
  }
}

async function viaIdentifyMany(url) {
  const client = new Client({ apiKey: API_KEY, appId: 'acme/web', baseUrl: url, concurrency: CONCURRENCY, maxRetries: 0 })
  function* rows() {
    for (let i = 0; i < USERS; i += 1) yield row(i)
  }
  const report = await client.identifyMany(rows(), { concurrency: CONCURRENCY })
  if (report.succeeded !== USERS) throw new Error(`identifyMany: ${report.failed} failed, first: ${report.failures[0]?.error}`)
}

async function viaFetch(url) {
  let next = 0
  let failed = 0
  async function worker() {
    while (next < USERS) {
      const i = next
      next += 1
      const { userId, ...body } = row(i)
      const response = await fetch(`${url}/v1/orgs/acme/apps/web/users/${encodeURIComponent(userId)}`, {
        method: 'PUT',
        headers: { Authorization: `token ${API_KEY}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      })
      await response.arrayBuffer()
      if (!response.ok) failed += 1
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  if (failed) throw new Error(`fetch: ${failed} failed`)
}

function viaOha(url) {
  const { userId, ...body } = row(0)
  const run = spawnSync('oha', [
    '--no-tui', '--output-format', 'json', '-n', String(USERS), '-c', String(CONCURRENCY), '-m', 'PUT',
    '-H', `Authorization: token ${API_KEY}`, '-H', 'Content-Type: application/json', '-d', JSON.stringify(body),
    `${url}/v1/orgs/acme/apps/web/users/${userId}`,
  ], { encoding: 'utf8', timeout: 300_000 })
  if (run.status !== 0) return undefined
  const summary = JSON.parse(run.stdout)
  const ok = summary.statusCodeDistribution?.['200'] ?? 0
  return { usersPerSecond: ok / summary.summary.total }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function main() {
  const emulator = await startEmulator()
  const results = []
  try {
    for (const [name, work] of [['Node identifyMany (this package)', viaIdentifyMany], ['Node fetch, 32 workers', viaFetch]]) {
      const runs = []
      await control(emulator.url, 'reset', 'POST')
      await work(emulator.url) // warm-up: connections, JIT
      for (let i = 0; i < RUNS; i += 1) {
        await control(emulator.url, 'reset', 'POST')
        runs.push(await measure(() => work(emulator.url)))
        const stored = (await control(emulator.url, 'users')).length
        if (stored !== USERS) throw new Error(`${name}: the emulator stored ${stored} of ${USERS}`)
      }
      results.push({
        name,
        usersPerSecond: median(runs.map((r) => r.usersPerSecond)),
        cpuMsPer1000: median(runs.map((r) => r.cpuMsPer1000)),
        p99Ms: median(runs.map((r) => r.p99Ms)),
      })
    }
    const ceilings = []
    for (let i = 0; i < RUNS; i += 1) {
      const run = viaOha(emulator.url)
      if (run) ceilings.push(run.usersPerSecond)
    }
    if (ceilings.length) results.push({ name: 'oha (ceiling, same PUT)', usersPerSecond: median(ceilings) })
  } finally {
    emulator.child.kill()
  }

  const ceiling = results.find((r) => r.name.startsWith('oha'))?.usersPerSecond
  const fetchRate = results.find((r) => r.name.includes('fetch')).usersPerSecond
  const fmt = (n, digits = 0) => (n === undefined ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }))
  console.log(`${USERS.toLocaleString('en-US')} users, concurrency ${CONCURRENCY}, emulator in another process, median of ${RUNS} runs, node ${process.version}\n`)
  console.log('| Client | users/s | CPU ms / 1,000 users | loop p99 delay (ms) | vs ceiling | vs fetch |')
  console.log('|---|---:|---:|---:|---:|---:|')
  for (const r of results) {
    const vsCeiling = ceiling ? `${fmt((100 * r.usersPerSecond) / ceiling)}%` : '-'
    console.log(`| ${r.name} | ${fmt(r.usersPerSecond)} | ${fmt(r.cpuMsPer1000, 1)} | ${fmt(r.p99Ms, 1)} | ${vsCeiling} | ${fmt(r.usersPerSecond / fetchRate, 1)}x |`)
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
