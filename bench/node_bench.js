'use strict'
// Node benchmark: `identifyMany` of N users (default 20,000) at concurrency 32 against two
// servers, each in another process: the emulator (the release `logrocket emulator` binary) and a
// static nginx that answers 200 at once (bench/static_server.sh, to isolate the client's own
// cost). Beside it, on each server: plain `fetch` with 32 workers sending the same PUTs, and a
// plain load generator, the ceiling: `oha` (N PUTs to distinct user ids) if found, else `wrk`
// (a few seconds of them), same body, same headers, same concurrency. Reports the median over the
// runs of users/s, the client process's CPU per 1,000 users, the event loop's p99 delay during
// each run (perf_hooks.monitorEventLoopDelay, 1 ms resolution), the share of the ceiling measured
// on the same server, and the ratio to fetch. Runs are interleaved (run 1 of every row, then
// run 2, ...) so a busy moment on the machine hits every row alike.
//
//   ./scripts/test-node.sh                  # builds bindings/node once
//   cargo build --release -p logrocket-cli
//   node bench/node_bench.js [--users 20000] [--concurrency 32] [--runs 3] [--wrk-seconds 5]
//   LOAD_GENERATOR=wrk node bench/node_bench.js ...   # wrk even if oha is there
//
// Everything runs on 127.0.0.1 and sends a bounded number of requests.

const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
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
const WRK_SECONDS = option('wrk-seconds', 5)
const USERS_PATH = '/v1/orgs/acme/apps/web/users/'

function row(i) {
  return { userId: `bench-${i}`, name: `User ${i}`, email: `user${i}@example.com`, traits: TRAITS }
}

/** Starts `command`, whose first stdout line is its base URL on 127.0.0.1. */
async function startServer(name, command, args, { emulator, stderr }) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', stderr] })
  const lines = readline.createInterface({ input: child.stdout })
  const url = await new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)))
    lines.once('line', (line) => resolve(line.trim()))
  })
  if (!url.startsWith('http://127.0.0.1:')) {
    child.kill('SIGKILL')
    throw new Error(`${name}: unexpected first line ${JSON.stringify(url)}`)
  }
  return { name, url, child, emulator }
}

function startEmulator() {
  const binary = path.join(ROOT, 'target/release/logrocket')
  return startServer('emulator', binary, ['emulator', '--port', '0', '--api-key', API_KEY], { emulator: true, stderr: 'ignore' })
}

function startStatic() {
  return startServer('static nginx', 'bash', [path.join(__dirname, 'static_server.sh')], { emulator: false, stderr: 'inherit' })
}

/** Stops a server by its own PID (TERM: static_server.sh then stops nginx and removes its files). */
async function stopServer(server) {
  const { child } = server
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  await exited
  clearTimeout(timer)
}

async function control(url, route, method = 'GET') {
  const response = await fetch(`${url}/_emulator/${route}`, { method })
  if (!response.ok) throw new Error(`${route}: ${response.status}`)
  return method === 'GET' ? response.json() : undefined
}

/** Empties the emulator between runs (its memory stays flat); nothing for nginx. */
async function reset(server) {
  if (server.emulator) await control(server.url, 'reset', 'POST')
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

function ceilingBody() {
  const { userId, ...body } = row(0)
  return JSON.stringify(body)
}

/** A Lua string literal: anything but plain ASCII letters and a few signs as 3-digit escapes. */
function luaString(text) {
  return `"${[...text].map((ch) => (/^[A-Za-z0-9 {}:,._\/-]$/.test(ch) ? ch : `\\${String(ch.charCodeAt(0)).padStart(3, '0')}`)).join('')}"`
}

const WRK_SCRIPT = `-- PUTs to distinct user ids; each thread counts in its own range.
local threads = {}
local counter = 0
wrk.method = "PUT"
wrk.body = BODY
wrk.headers["Authorization"] = AUTHORIZATION
wrk.headers["Content-Type"] = "application/json"
function setup(thread)
    thread:set("id", #threads)
    table.insert(threads, thread)
end
function request()
    counter = counter + 1
    return wrk.format(nil, PREFIX .. "wrk-" .. id .. "-" .. counter)
end
function done(summary, latency, requests)
    -- summary.requests counts complete answers; errors.status those not 2xx/3xx.
    io.write(string.format("LR_RESULT %d %d %d\\n", summary.requests, summary.errors.status, summary.duration))
end
`

/**
 * The ceiling: oha (USERS PUTs to distinct ids) if found, else wrk (WRK_SECONDS of them), or
 * undefined when neither is installed. LOAD_GENERATOR=wrk skips oha.
 */
function loadGenerator(workdir) {
  const works = (command, args) => {
    const run = spawnSync(command, args, { encoding: 'utf8' })
    return run.error ? undefined : run
  }
  let oha
  if (process.env.LOAD_GENERATOR !== 'wrk') {
    if (works('oha', ['--version'])?.status === 0) oha = 'oha'
    else {
      const cargo = path.join(os.homedir(), '.cargo/bin/oha')
      oha = [cargo, '/root/.cargo/bin/oha'].find((file) => works(file, ['--version'])?.status === 0)
    }
  }
  if (oha) {
    const pattern = (url) => `${url}${USERS_PATH}oha-[0-9]{12}`
    return {
      name: `${works(oha, ['--version']).stdout.trim()} (ceiling)`,
      // Loopback only: see what the URL pattern expands to before sending anything.
      check(url) {
        const dump = spawnSync(oha, ['--no-tui', '--dump-urls', '5', '-n', '5', '-m', 'PUT', '--rand-regex-url', pattern(url)], { encoding: 'utf8', timeout: 60_000 })
        if (dump.status !== 0) throw new Error(`oha --dump-urls: ${dump.stderr}`)
        for (const target of dump.stdout.split(/\s+/).filter(Boolean)) {
          if (!target.startsWith(`${url}/`)) throw new Error(`oha would send to ${target}`)
        }
      },
      run(url) {
        const run = spawnSync(oha, [
          '--no-tui', '--output-format', 'json', '-n', String(USERS), '-c', String(CONCURRENCY), '-m', 'PUT',
          '-H', `Authorization: token ${API_KEY}`, '-H', 'Content-Type: application/json', '-d', ceilingBody(),
          '--rand-regex-url', pattern(url),
        ], { encoding: 'utf8', timeout: 600_000, maxBuffer: 64 * 1024 * 1024 })
        if (run.status !== 0) throw new Error(`oha failed: ${run.error ?? run.stderr}`)
        const summary = JSON.parse(run.stdout)
        const statuses = summary.statusCodeDistribution ?? {}
        const errors = summary.errorDistribution ?? {}
        const sum = (counts) => Object.values(counts).reduce((a, b) => a + b, 0)
        const ok = statuses['200'] ?? 0
        return { usersPerSecond: ok / summary.summary.total, ok, sent: sum(statuses) + sum(errors) }
      },
    }
  }
  const wrk = works('wrk', ['--version']) && 'wrk'
  if (!wrk) return undefined
  // wrk prints its version with its usage, and exits 1.
  const usage = works(wrk, ['--version'])
  const version = `${usage.stdout}${usage.stderr}`.split(/\s+/).filter(Boolean).slice(0, 2).join(' ')
  const script = path.join(workdir, 'put.lua')
  fs.writeFileSync(script, `local BODY = ${luaString(ceilingBody())}\nlocal AUTHORIZATION = ${luaString(`token ${API_KEY}`)}\nlocal PREFIX = ${luaString(USERS_PATH)}\n${WRK_SCRIPT}`)
  return {
    name: `${version || 'wrk'}, ${WRK_SECONDS} s (ceiling)`,
    check() {},
    run(url) {
      const threads = String(Math.min(2, CONCURRENCY))
      const run = spawnSync(wrk, ['-t', threads, '-c', String(CONCURRENCY), '-d', `${WRK_SECONDS}s`, '-s', script, url], { encoding: 'utf8', timeout: (WRK_SECONDS + 120) * 1000 })
      const found = /^LR_RESULT (\d+) (\d+) (\d+)$/m.exec(run.stdout ?? '')
      if (run.status !== 0 || !found) throw new Error(`wrk failed: ${run.error ?? `${run.stdout}${run.stderr}`}`)
      const [sent, failed, micros] = found.slice(1).map(Number)
      return { usersPerSecond: (sent - failed) / (micros / 1e6), ok: sent - failed, sent }
    },
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function main() {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-bench.'))
  const servers = []
  const rows = new Map() // `${server}\t${client}` -> { server, name, runs }
  const record = (server, name, result) => {
    const key = `${server.name}\t${name}`
    if (!rows.has(key)) rows.set(key, { server: server.name, name, runs: [] })
    rows.get(key).runs.push(result)
    const cpu = result.cpuMsPer1000 === undefined ? '' : `  ${result.cpuMsPer1000.toFixed(1)} CPU ms/1000  loop p99 ${result.p99Ms.toFixed(1)} ms`
    console.error(`  ${server.name.padEnd(13)} ${name.padEnd(36)} ${result.usersPerSecond.toFixed(0).padStart(9)} users/s${cpu}`)
  }
  const clients = [['Node identifyMany (this package)', viaIdentifyMany], [`Node fetch, ${CONCURRENCY} workers`, viaFetch]]
  let load
  try {
    load = loadGenerator(workdir)
    if (!load) console.error('neither oha nor wrk found: no ceiling')
    servers.push(await startEmulator())
    servers.push(await startStatic())
    for (const server of servers) {
      load?.check(server.url)
      for (const [, work] of clients) {
        await reset(server)
        await work(server.url) // warm-up: connections, JIT
      }
    }
    for (let run = 0; run < RUNS; run += 1) {
      console.error(`run ${run + 1} of ${RUNS}`)
      for (const server of servers) {
        for (const [name, work] of clients) {
          await reset(server)
          const result = await measure(() => work(server.url))
          if (server.emulator) {
            const stored = (await control(server.url, 'users')).length
            if (stored !== USERS) throw new Error(`${name}: the emulator stored ${stored} of ${USERS}`)
          }
          record(server, name, result)
        }
        if (load) {
          await reset(server)
          const result = load.run(server.url)
          if (result.ok !== result.sent) console.error(`  ${load.name}: ${result.sent - result.ok} of ${result.sent} not 200`)
          record(server, load.name, result)
        }
      }
    }
  } finally {
    for (const server of servers) await stopServer(server)
    fs.rmSync(workdir, { recursive: true, force: true })
  }

  const fmt = (n, digits = 0) => (n === undefined ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }))
  const mid = (row, key) => (row.runs[0][key] === undefined ? undefined : median(row.runs.map((r) => r[key])))
  console.log(`\n${USERS.toLocaleString('en-US')} users, concurrency ${CONCURRENCY}, median of ${RUNS} run(s), node ${process.version}, ${os.cpus().length} CPUs; each server in its own process on 127.0.0.1 (emulator: target/release/logrocket emulator; static: nginx, bench/static_server.sh)\n`)
  console.log('| Server | Client | users/s (median) | CPU ms / 1,000 users | loop p99 delay (ms) | % of ceiling | vs fetch |')
  console.log('|---|---|---:|---:|---:|---:|---:|')
  for (const server of servers) {
    const mine = [...rows.values()].filter((r) => r.server === server.name)
    const ceiling = mine.find((r) => load && r.name === load.name)
    const ceilingRate = ceiling && mid(ceiling, 'usersPerSecond')
    const fetchRow = mine.find((r) => r.name.startsWith('Node fetch'))
    const fetchRate = fetchRow && mid(fetchRow, 'usersPerSecond')
    for (const r of mine) {
      const rate = mid(r, 'usersPerSecond')
      const share = ceilingRate ? `${fmt((100 * rate) / ceilingRate, 1)}%` : '-'
      const vsFetch = fetchRate ? `${fmt(rate / fetchRate, 1)}x` : '-'
      console.log(`| ${r.server} | ${r.name} | ${fmt(rate)} | ${fmt(mid(r, 'cpuMsPer1000'), 1)} | ${fmt(mid(r, 'p99Ms'), 1)} | ${share} | ${vsFetch} |`)
    }
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
