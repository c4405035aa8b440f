'use strict'
// The fault matrix's Node client: sends a JSON Lines file of users through
// `client.identifyMany` (bulk) or `client.enqueue` + `close` (enqueue), and writes what the client
// itself says happened as JSON (see tests/faults/check.py for the format).
//
//   NODE_PKG=bindings/node node faults_node.js bulk|enqueue URL CA_OR_EMPTY INPUT.jsonl OUT.json

const fs = require('node:fs')
const readline = require('node:readline')
const { Client, LogRocketError } = require(process.env.NODE_PKG)

const [mode, url, ca, inputPath, outPath] = process.argv.slice(2)
const env = (name) => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`${name} is not set`)
  return value
}

function describe (error) {
  return {
    kind: error.kind ?? 'unexpected',
    status: error.status ?? null,
    reason: error.reason ?? null,
    message: String(error.message),
  }
}

// The JSON input form, as identifyMany's rows: user_id becomes userId.
async function * rows () {
  const lines = readline.createInterface({ input: fs.createReadStream(inputPath), crlfDelay: Infinity })
  for await (const line of lines) {
    const { user_id: userId, ...rest } = JSON.parse(line)
    yield { userId, ...rest }
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function main () {
  const timeoutMs = Number(env('FAULTS_TIMEOUT_MS'))
  let failures = []
  const client = new Client({
    apiKey: env('FAULTS_API_KEY'),
    appId: env('FAULTS_APP'),
    baseUrl: url,
    caCert: ca || undefined,
    proxyFromEnv: false,
    timeoutMs,
    connectTimeoutMs: Math.min(timeoutMs, 1000),
    maxRetries: Number(env('FAULTS_RETRIES')),
    // Node lets the backoff be set: short, so that transient faults are retried through quickly.
    initialBackoffMs: 50,
    maxBackoffMs: 2000,
    // Background delivery: a small queue, so that enqueue meets back-pressure; a full queue
    // throws at once (Node never blocks the event loop), and the script waits and tries again.
    queueCapacity: 1000,
    whenFull: 'error',
    onFailure: (failure) => {
      failures.push({ index: null, user_id: failure.userId, updates: failure.updates, ...describe(failure.error) })
    },
  })
  const result = { client: 'node', mode }
  const started = process.hrtime.bigint()
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9
  if (mode === 'bulk') {
    const report = await client.identifyMany(rows())
    result.seconds = seconds()
    result.total = report.total
    result.succeeded = report.succeeded
    failures = report.failures.map((f) => ({ index: f.index, user_id: f.userId, ...describe(f.error) }))
    // Retried attempts: the client's count, bulk calls included.
    result.retried = client.counters().retried
    await client.close()
  } else {
    let total = 0
    const rejected = []
    let waits = 0
    for await (const row of rows()) {
      const index = total
      total += 1
      const { userId, ...options } = row
      for (;;) {
        try {
          client.enqueue(userId, options)
        } catch (error) {
          if (error instanceof LogRocketError && error.kind === 'queue_full') {
            waits += 1
            await sleep(10)
            continue
          }
          if (!(error instanceof LogRocketError)) throw error
          rejected.push({ index, user_id: userId, ...describe(error) })
        }
        break
      }
    }
    const summary = await client.close({ timeoutMs: Number(env('FAULTS_CLOSE_TIMEOUT_MS')) })
    result.seconds = seconds()
    const counters = client.counters()
    result.total = total
    result.succeeded = counters.delivered
    result.retried = counters.retried
    result.summary = summary
    result.counters = counters
    result.queue_full_waits = waits
    failures = rejected.concat(failures)
  }
  result.failures = failures
  fs.writeFileSync(outPath, JSON.stringify(result))
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
